/* kinds.c -- the finding-kind table, generated from findings.def. */
#include "kinds.h"

#include <string.h>

const struct nv_kind_info nv_kinds[NV_NKINDS] = {
#define NV_KIND(id, name, sev, on, doc, what, fix)                                                 \
    [NV_K_##id] = {name, NV_SEV_##sev, on, doc, what, fix},
#include "findings.def"
#undef NV_KIND
};

int nv_kind_lookup(const char *s, size_t len)
{
    for (int k = 0; k < NV_NKINDS; k++)
        if (strlen(nv_kinds[k].name) == len && memcmp(nv_kinds[k].name, s, len) == 0)
            return k;
    return -1;
}

const char *nv_severity_name(enum nv_severity s)
{
    return s == NV_SEV_ERROR ? "error" : "warning";
}
