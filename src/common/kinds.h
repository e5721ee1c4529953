/* kinds.h -- the finding kinds (from findings.def), shared by the engine and the CLI. */
#ifndef NV_KINDS_H
#define NV_KINDS_H

#include <stddef.h>

enum nv_kind {
#define NV_KIND(id, name, sev, on, doc, what, fix) NV_K_##id,
#include "findings.def"
#undef NV_KIND
    NV_NKINDS
};

enum nv_severity { NV_SEV_ERROR, NV_SEV_WARNING };

struct nv_kind_info {
    const char *name;
    enum nv_severity severity;
    int on_by_default;
    const char *doc;
    const char *what, *fix; /* Markdown: the bug, and the fix (SARIF rule help) */
};

extern const struct nv_kind_info nv_kinds[NV_NKINDS];

/* nv_kind_lookup -- the kind named s[0..len), or -1. */
int nv_kind_lookup(const char *s, size_t len);
const char *nv_severity_name(enum nv_severity s);

#endif
