/* options.h -- the interposer's options, parsed from NVCHECK_OPTIONS. */
#ifndef NVC_OPTIONS_H
#define NVC_OPTIONS_H

#include <stdint.h>

struct nvc_options {
    uint32_t stack_depth;
    uint32_t kinds; /* bit k: kind k is recorded */
    uint32_t drain; /* 0 thread, 1 global */
    uint32_t max_findings;
    uint32_t max_shadow_mb;
    uint32_t max_stacks;
    uint32_t quiet;
};

/* nvc_options_defaults -- the values from options.def. */
void nvc_options_defaults(struct nvc_options *o);

/* nvc_options_parse -- apply "name=value" items separated by ':' or blanks. Bad
 * items are skipped and described in one line in err (empty when all was well). */
void nvc_options_parse(struct nvc_options *o, const char *s, char *err, unsigned cap);

/* nvc_kinds_parse -- apply a KINDS list to *mask; 0, or -1 naming the bad item. */
int nvc_kinds_parse(uint32_t *mask, const char *s, unsigned len, const char **bad,
                    unsigned *bad_len);

#endif
