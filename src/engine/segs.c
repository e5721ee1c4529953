/* segs.c -- the outstanding byte ranges of one chunk, as a sorted array of runs.
 *
 * Every operation first splits the runs that straddle its boundaries, so that each
 * run is then wholly inside or wholly outside the range, changes the inside ones,
 * and merges equal neighbours again. Arrays grow by doubling from the shard's arena.
 * The commonest cases -- the first write into a chunk, a flush+drain that covers all
 * of it -- take a short path: they run on every write+flush of a record, and work
 * there is paid twice (see shadow.c on stores between flush and drain).
 */
#include "segs.h"

#include <string.h>

static int same(const struct nve_seg *a, const struct nve_seg *b)
{
    return a->wstack == b->wstack && a->fstack == b->fstack && a->flusher == b->flusher;
}

/* reserve -- room for `extra` more runs. */
static int reserve(struct nv_arena *a, struct nve_chunk *c, uint32_t extra)
{
    if (c->n + extra <= (c->cap ? c->cap : 1))
        return 0;
    uint32_t cap = c->cap ? c->cap : 4;
    while (cap < c->n + extra) /* 4, 6, 8, 12, 16, 24, ...: the arena's size classes */
        cap = cap & (cap - 1) ? cap / 3 * 4 : cap / 2 * 3;
    struct nve_seg *s = nv_arena_alloc(a, cap * sizeof *s);
    if (!s)
        return -1;
    if (c->n)
        memcpy(s, nve_runs(c), c->n * sizeof *s);
    if (c->cap)
        nv_arena_free(a, c->u.seg, c->cap * sizeof *s);
    c->u.seg = s;
    c->cap = cap;
    return 0;
}

/* find -- index of the first run ending after off. */
static uint32_t find(struct nve_chunk *c, unsigned off)
{
    const struct nve_seg *g = nve_runs(c);
    uint32_t lo = 0, hi = c->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (g[mid].hi <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* split_at -- cut the run containing off (strictly inside) in two; needs 1 spare. */
static void split_at(struct nve_chunk *c, unsigned off)
{
    struct nve_seg *g = nve_runs(c);
    uint32_t i = find(c, off);
    if (i == c->n || g[i].lo >= off)
        return;
    memmove(&g[i + 1], &g[i], (c->n - i) * sizeof *g);
    c->n++;
    g[i].hi = (uint16_t)off;
    g[i + 1].lo = (uint16_t)off;
}

/* replace -- runs [i, j) become the nv runs in v. */
static void replace(struct nve_chunk *c, uint32_t i, uint32_t j, const struct nve_seg *v,
                    uint32_t nv)
{
    struct nve_seg *g = nve_runs(c);
    memmove(&g[i + nv], &g[j], (c->n - j) * sizeof *g);
    if (nv)
        memcpy(&g[i], v, nv * sizeof *v);
    c->n = c->n - (j - i) + nv;
}

/* merge_range -- join equal touching neighbours among runs [i-1, j]. */
static void merge_range(struct nve_chunk *c, uint32_t i, uint32_t j)
{
    struct nve_seg *g = nve_runs(c);
    uint32_t k = i ? i : 1;
    while (k < c->n && k <= j) {
        struct nve_seg *p = &g[k - 1], *q = &g[k];
        if (p->hi == q->lo && same(p, q)) {
            p->hi = q->hi;
            replace(c, k, k + 1, NULL, 0);
            j--;
        } else {
            k++;
        }
    }
}

/* span -- split at lo and hi; the runs inside [lo, hi) are then [*i, *j). */
static void span(struct nve_chunk *c, unsigned lo, unsigned hi, uint32_t *i, uint32_t *j)
{
    split_at(c, lo);
    split_at(c, hi);
    const struct nve_seg *g = nve_runs(c);
    *i = find(c, lo);
    *j = *i;
    while (*j < c->n && g[*j].lo < hi)
        (*j)++;
}

int seg_find_dirty(struct nve_chunk *c, unsigned lo, unsigned hi, uintptr_t base,
                   struct nve_over *over)
{
    const struct nve_seg *g = nve_runs(c);
    for (uint32_t k = find(c, lo); k < c->n && g[k].lo < hi; k++) {
        const struct nve_seg *s = &g[k];
        if (s->flusher != 0)
            continue;
        unsigned a = s->lo > lo ? s->lo : lo, b = s->hi < hi ? s->hi : hi;
        over->addr = base + a;
        over->len = b - a;
        over->wstack = s->wstack & ~NVE_INHERITED;
        return 1;
    }
    return 0;
}

/* straddles -- a run starts before off and ends after it (a split there adds one). */
static uint32_t straddles(struct nve_chunk *c, unsigned off)
{
    uint32_t i = find(c, off);
    return i < c->n && nve_runs(c)[i].lo < off;
}

/* covers -- [lo, hi) covers every run of the (non-empty) chunk. */
static int covers(struct nve_chunk *c, unsigned lo, unsigned hi)
{
    const struct nve_seg *g = nve_runs(c);
    return lo <= g[0].lo && hi >= g[c->n - 1].hi;
}

int seg_set(struct nv_arena *a, struct nve_chunk *c, unsigned lo, unsigned hi,
            const struct nve_seg *v)
{
    uint32_t i = 0, j = 0;
    if (c->n == 0 || covers(c, lo, hi)) {
        c->n = 0; /* short path: the range replaces everything */
    } else if ((i = find(c, lo)) == c->n || nve_runs(c)[i].lo >= hi) {
        /* Short path: a gap (the first run ending after lo starts at or after hi). */
        if (!v)
            return 0;
        if (reserve(a, c, 1) < 0)
            return -1;
        j = i;
    } else {
        /* Room for the new run plus a split at each end that cuts a run. */
        if (reserve(a, c, 1 + straddles(c, lo) + straddles(c, hi)) < 0)
            return -1;
        span(c, lo, hi, &i, &j);
    }
    if (!v) {
        replace(c, i, j, NULL, 0); /* leaves a gap: nothing to merge */
        return 0;
    }
    struct nve_seg s = *v;
    s.lo = (uint16_t)lo;
    s.hi = (uint16_t)hi;
    replace(c, i, j, &s, 1);
    merge_range(c, i, i + 1);
    return 0;
}

int seg_flush(struct nv_arena *a, struct nve_chunk *c, unsigned lo, unsigned hi, uint32_t t,
              uint32_t fstack, int drain, int *had_dirty)
{
    if (c->n == 0)
        return 0;
    if (drain && covers(c, lo, hi)) { /* short path: everything persisted */
        const struct nve_seg *g = nve_runs(c);
        for (uint32_t k = 0; k < c->n && !*had_dirty; k++)
            *had_dirty = g[k].flusher == 0;
        c->n = 0;
        return 0;
    }
    if (reserve(a, c, straddles(c, lo) + straddles(c, hi)) < 0)
        return -1;
    uint32_t i, j;
    span(c, lo, hi, &i, &j);
    struct nve_seg *g = nve_runs(c);
    for (uint32_t k = i; k < j; k++) {
        struct nve_seg *s = &g[k];
        if (s->flusher == 0)
            *had_dirty = 1;
        if (!drain) {
            s->flusher = nve_flushed_by(s->flusher, t);
            s->fstack = fstack;
        }
    }
    if (drain) {
        replace(c, i, j, NULL, 0);
        return 0;
    }
    merge_range(c, i, j);
    return j > i;
}

void seg_drain(struct nve_chunk *c, uint32_t t, int all)
{
    struct nve_seg *g = nve_runs(c);
    uint32_t k = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        uint32_t f = g[i].flusher;
        if (f && (all || nve_drained_by(f, t)))
            continue;
        g[k++] = g[i];
    }
    c->n = k;
}

void seg_disown(struct nve_chunk *c)
{
    struct nve_seg *g = nve_runs(c);
    for (uint32_t i = 0; i < c->n; i++)
        g[i].wstack |= NVE_INHERITED; /* neighbours stay distinct: they differed before */
}

void seg_release(struct nv_arena *a, struct nve_chunk *c)
{
    if (c->cap)
        nv_arena_free(a, c->u.seg, c->cap * sizeof *c->u.seg);
    c->u.seg = NULL;
    c->n = c->cap = 0;
}
