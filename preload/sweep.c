/* sweep.c -- turning outstanding state into findings, at token free and at exit.
 *
 * A DIRTY run becomes unflushed-write, a FLUSHED one undrained-flush, each
 * attributed to the write that last dirtied it; adjacent bytes from the same write
 * come out of the engine as one run, and runs from the same call site merge into one
 * finding (count, byte total, first ranges). Leaked tokens merge by the call site
 * that created them: 100,000 leaks from one loop are one finding.
 */
#include "sweep.h"

#include "runtime.h"

#include <string.h>

struct sweep {
    const struct nvm_tok *tok; /* NULL: outside every region */
    uint32_t freed_at;
};

static void on_piece(const struct nve_piece *p, void *arg)
{
    const struct sweep *sw = arg;
    struct nve_occurrence o;
    memset(&o, 0, sizeof o);
    int k = p->flusher ? NV_K_UNDRAINED_FLUSH : NV_K_UNFLUSHED_WRITE;
    if (!nvc_kind_on(k))
        return;
    o.key.kind = (uint32_t)k;
    o.key.stack = p->wstack;
    int r = 0;
    if (p->flusher) {
        o.key.thread = p->flusher;
        o.key.rel_role[r] = NVE_ROLE_FLUSHED_AT;
        o.key.rel_stack[r++] = p->fstack;
    }
    if (sw->freed_at) {
        o.key.rel_role[r] = NVE_ROLE_TOKEN_FREED_AT;
        o.key.rel_stack[r++] = sw->freed_at;
    }
    if (sw->tok) {
        o.key.has_region = 1;
        o.key.region_base = sw->tok->base;
        o.region_size = sw->tok->size;
    }
    o.addr = p->addr;
    o.size = p->len;
    nve_findings_add(nvc.findings, &o);
}

void nvc_sweep_region(const struct nvm_tok *tok, uint32_t freed_at)
{
    struct sweep sw = {tok, freed_at};
    if (nve_take(nvc.shadow, tok->base, tok->base + tok->size, on_piece, &sw) < 0)
        nvc_fail("out of memory while collecting findings");
}

static void on_live_token(const struct nvm_tok *tok, uint32_t created, void *arg)
{
    const int *leaks = arg;
    if (*leaks && nvc_kind_on(NV_K_LEAKED_TOKEN)) {
        struct nve_occurrence o;
        memset(&o, 0, sizeof o);
        o.key.kind = NV_K_LEAKED_TOKEN;
        o.key.stack = created;
        /* No region in the key: the leaks of one call site are one finding however
         * many tokens it created (the report names the first token's region). */
        o.addr = tok->base;
        o.size = tok->size;
        nve_findings_add(nvc.findings, &o);
    }
    nvc_sweep_region(tok, 0);
}

void nvc_sweep_exit(int leaks)
{
    nvm_token_each_live(on_live_token, &leaks);
    struct sweep sw = {NULL, 0};
    if (nve_take(nvc.shadow, 0, UINTPTR_MAX, on_piece, &sw) < 0)
        nvc_fail("out of memory while collecting findings");
}
