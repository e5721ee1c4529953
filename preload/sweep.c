/* sweep.c -- turning outstanding state into findings, at a region's end and at exit.
 *
 * A DIRTY run becomes unflushed-write, a FLUSHED one undrained-flush, each
 * attributed to the write that last dirtied it; adjacent bytes from the same write
 * come out of the engine as one run, and runs from the same call site merge into one
 * finding (count, byte total, first ranges). Leaked tokens merge by the call site
 * that created them: 100,000 leaks from one loop are one finding.
 *
 * Regions, not tokens (src/engine/regions.c). When a region ends, only its bytes
 * that no other live region covers are swept: a token over the first half of
 * another's region, freed, does not report what was written through the other,
 * which may still flush it. At exit every live region is walked in address order,
 * and each byte is attributed to the first region that covers it; what lies outside
 * every region comes last.
 */
#include "sweep.h"

#include "engine/regions.h"
#include "runtime.h"

#include <string.h>

#define SPANS 16 /* uncovered parts asked for at a time */

struct sweep {
    const struct nve_region *r; /* NULL: outside every region */
    uint32_t freed_at;
};

static void on_piece(const struct nve_piece *p, void *arg)
{
    const struct sweep *sw = arg;
    struct nve_occurrence o;
    memset(&o, 0, sizeof o);
    int k = p->flusher ? NV_K_UNDRAINED_FLUSH : NV_K_UNFLUSHED_WRITE;
    if (!nvc_kind_on(k) || p->inherited) /* a fork child's inheritance: its parent's */
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
    if (sw->r) {
        o.key.has_region = 1;
        o.key.region_base = sw->r->lo;
        o.region_size = sw->r->hi - sw->r->lo;
    }
    o.addr = p->addr;
    o.size = p->len;
    nve_findings_add(nvc.findings, &o);
}

static void take(uintptr_t lo, uintptr_t hi, const struct sweep *sw, int peek)
{
    if ((peek ? nve_peek : nve_take)(nvc.shadow, lo, hi, on_piece, (void *)sw) < 0)
        nvc_fail("out of memory while collecting findings");
}

/* on_outside -- a piece seen by a peek of everything: its parts that no region covers
 * (a peek leaves the regions' bytes there; they were reported with their regions). */
static void on_outside(const struct nve_piece *p, void *arg)
{
    struct nve_span part[SPANS];
    uintptr_t from = p->addr, hi = p->addr + p->len;
    while (from < hi) {
        size_t n = nve_regions_uncovered(nvc.regions, p->addr, hi, &from, part, SPANS);
        for (size_t i = 0; i < n; i++) {
            struct nve_piece q = *p;
            q.addr = part[i].lo;
            q.len = part[i].hi - part[i].lo;
            on_piece(&q, arg);
        }
    }
}

void nvc_region_begin(uint32_t fe, uint64_t key, uintptr_t lo, uintptr_t hi, uint32_t created)
{
    struct nve_region r = {lo, hi, fe, created, 0, key};
    if (nve_regions_add(nvc.regions, &r) == -1)
        nvc_fail("out of memory for the region registry");
}

void nvc_region_end(uint32_t fe, uint64_t key, uintptr_t lo, uintptr_t hi, uint32_t ended_at)
{
    struct nve_region r = {lo, hi, fe, 0, ended_at, key};
    struct nve_span part[SPANS];
    struct sweep sw = {&r, ended_at};
    uintptr_t from = lo;
    nve_regions_end(nvc.regions, fe, key, lo, ended_at, &r);
    while (from < hi) {
        size_t n = nve_regions_uncovered(nvc.regions, lo, hi, &from, part, SPANS);
        for (size_t i = 0; i < n; i++)
            take(part[i].lo, part[i].hi, &sw, 0);
    }
}

static void leaked(const struct nve_region *r)
{
    struct nve_occurrence o;
    memset(&o, 0, sizeof o);
    o.key.kind = NV_K_LEAKED_TOKEN;
    o.key.stack = r->created;
    /* No region in the key: the leaks of one call site are one finding however many
     * tokens it created (the report names the first token's region). */
    o.addr = r->lo;
    o.size = r->hi - r->lo;
    nve_findings_add(nvc.findings, &o);
}

void nvc_sweep_exit(int leaks, int peek)
{
    struct nve_regions_cursor c = {0};
    struct nve_region r;
    uintptr_t covered = 0; /* every byte below was swept with an earlier region */
    while (nve_regions_next(nvc.regions, &c, &r)) {
        struct sweep sw = {&r, 0};
        if (leaks && r.frontend == NVE_FE_RTL_TOKEN && nvc_kind_on(NV_K_LEAKED_TOKEN))
            leaked(&r);
        if (r.hi > covered) {
            take(r.lo > covered ? r.lo : covered, r.hi, &sw, peek);
            covered = r.hi;
        }
    }
    struct sweep none = {NULL, 0};
    if (!peek)
        take(0, UINTPTR_MAX, &none, 0); /* only what lies outside every region is left */
    else if (nve_peek(nvc.shadow, 0, UINTPTR_MAX, on_outside, &none) < 0)
        nvc_fail("out of memory while collecting findings");
}
