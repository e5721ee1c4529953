/* storelog.c -- a shard's plain stores, kept as a log until something needs them.
 *
 * Why. A plain store into a random chunk of a shadow bigger than the caches costs two
 * dependent misses -- the chunk's table slot, then its runs -- and nothing in a
 * single call can hide them: the store needs the slot to find the runs. Appended to
 * its shard's log instead it touches only the log's front buffer, which is in cache;
 * a full front buffer is copied to the newest 4 KiB spill block (sequential stores).
 * Many programs make a batch of stores durable with one flush+drain of the whole
 * range: that drops the log whole (log_clean) without its entries ever reaching the
 * chunks. Whatever must see the chunks applies the log, in order, with the slot of
 * entry i + AHEAD and the runs of entry i + AHEAD / 2 prefetched while entry i is
 * applied, so the misses of a batch overlap instead of adding up. An entry costs 16
 * bytes, as a run does; the log is applied once it holds NVE_LOG_MAX entries (256
 * KiB), which bounds both its memory when stores overwrite one another and the work
 * one call may have to do.
 *
 * Why it stays exact. Every entry is a plain store (bytes -> DIRTY) inside one chunk,
 * and entries are applied in the order they were made, so overlapping stores end as
 * they would have. An operation on [lo, hi) -- under the shard's lock, like the log
 * itself -- first applies the log when an entry may overlap the range (shadow.c),
 * with two exceptions: a drain commutes with plain stores (it changes only FLUSHED
 * bytes, and a store makes its bytes DIRTY whatever they were), and an operation that
 * makes [lo, hi) CLEAN may drop the entries wholly inside it.
 */
#include "storelog.h"

#include "attrs.h"

#include <string.h>

#define AHEAD 8 /* entries between a slot's prefetch and its use */

static uintptr_t key_of(uintptr_t a)
{
    return (a >> NVE_CHUNK_SHIFT) + 1;
}

/* fetch_slot -- start loading the table line where key's probe begins. */
static void fetch_slot(const struct nve_chunkmap *m, uintptr_t key)
{
    if (m->slot)
        __builtin_prefetch(&m->slot[cmap_home(m, key)], 1);
}

/* fetch_runs -- the slot has arrived (fetch_slot, AHEAD / 2 entries ago): start
 * loading the chunk's runs, which the insertion will search and move. */
static void fetch_runs(const struct nve_chunkmap *m, uintptr_t key)
{
    const struct nve_chunk *c = cmap_find(m, key);
    if (c && c->cap) {
        const char *r = (const char *)c->u.seg;
        size_t bytes = (size_t)c->n * sizeof(struct nve_seg);
        for (size_t k = 0; k < bytes; k += 64)
            __builtin_prefetch(r + k, 1);
        __builtin_prefetch(r + bytes, 1); /* the line an appended run goes to */
    }
}

/* apply_batch -- entries e[0..n) into the chunks, in order; the first failure stops. */
static int apply_batch(const struct nve_logent *e, uint32_t n, struct nve_chunkmap *m,
                       struct nv_arena *ar)
{
    int rc = 0;
    for (uint32_t i = 0; i < n && i < AHEAD; i++)
        fetch_slot(m, key_of(e[i].addr));
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (i + AHEAD < n)
            fetch_slot(m, key_of(e[i + AHEAD].addr));
        if (i + AHEAD / 2 < n)
            fetch_runs(m, key_of(e[i + AHEAD / 2].addr));
        struct nve_seg v = {.wstack = e[i].wstack};
        unsigned off = (unsigned)(e[i].addr & (NVE_CHUNK - 1));
        /* A chunk just created holds its first run inline: seg_set cannot fail on it,
         * so no empty chunk is left behind when it fails on another. */
        struct nve_chunk *c = cmap_insert(m, ar, key_of(e[i].addr));
        rc = c ? seg_set(ar, c, off, off + e[i].len, &v) : -1;
    }
    return rc;
}

/* empty -- forget every entry, giving the spill blocks back. */
static void empty(struct nve_log *l, struct nv_arena *ar)
{
    /* No store that is not needed: a flush+drain of one record lands here right after
     * its write-back, and stores then wait behind it (attrs.h). */
    if (l->first) {
        for (struct nve_logblk *b = l->first, *next; b; b = next) {
            next = b->next;
            nv_arena_free(ar, b, sizeof *b);
        }
        l->first = l->last = NULL;
    }
    if (l->spilled)
        __atomic_store_n(&l->spilled, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&l->nf, 0, __ATOMIC_RELAXED);
}

/* Out of line, like spill: the callers are flattened into the API's entry points
 * (attrs.h), where a batch's loop would only crowd the short paths' registers. */
__attribute__((noinline)) int log_apply(struct nve_log *l, struct nve_chunkmap *m,
                                        struct nv_arena *ar)
{
    int rc = 0;
    for (struct nve_logblk *b = l->first; b && rc == 0; b = b->next)
        rc = apply_batch(b->e, b->n, m, ar);
    if (rc == 0)
        rc = apply_batch(l->e, l->nf, m, ar);
    empty(l, ar);
    return rc;
}

/* spill -- move the front buffer's entries to the end of the spill blocks. */
NV_COLD static int spill(struct nve_log *l, struct nv_arena *ar)
{
    struct nve_logblk *b = l->last;
    uint32_t room = b ? NVE_LOG_BLOCK - b->n : 0, k = room < l->nf ? room : l->nf;
    struct nve_logblk *nb = NULL;
    if (k < l->nf) { /* the rest goes to a new block (nf < NVE_LOG_BLOCK: one is enough) */
        if (!(nb = nv_arena_alloc(ar, sizeof *nb)))
            return -1;
        nb->next = NULL;
        nb->n = l->nf - k;
        memcpy(nb->e, l->e + k, nb->n * sizeof *nb->e);
    }
    if (k) {
        memcpy(b->e + b->n, l->e, k * sizeof *b->e);
        b->n += k;
    }
    if (nb) {
        if (b)
            b->next = nb;
        else
            l->first = nb;
        l->last = nb;
    }
    __atomic_store_n(&l->spilled, l->spilled + l->nf, __ATOMIC_RELAXED);
    __atomic_store_n(&l->nf, 0, __ATOMIC_RELAXED);
    return nb != NULL;
}

int log_add(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t a, uint32_t n,
            uint32_t ws)
{
    int changed = 0;
    if (l->nf) {
        /* The same write going on (a loop filling a record), or repeated: one entry. */
        struct nve_logent *t = &l->e[l->nf - 1];
        uintptr_t te = t->addr + t->len;
        if (t->wstack == ws && a <= te && t->addr <= a + n && key_of(t->addr) == key_of(a)) {
            uintptr_t lo = a < t->addr ? a : t->addr, hi = a + n > te ? a + n : te;
            t->addr = lo;
            t->len = (uint32_t)(hi - lo);
            l->lo = lo < l->lo ? lo : l->lo;
            l->hi = hi > l->hi ? hi : l->hi;
            return 0;
        }
    }
    if (l->nf == NVE_LOG) {
        int rc = l->spilled + l->nf < NVE_LOG_MAX ? spill(l, ar) : -1;
        if (rc < 0 && log_apply(l, m, ar) < 0) /* full, or no memory for a block */
            return -1;
        changed = rc != 0;
    }
    /* Few stores: each one waits in the store buffer behind the program's own store
     * to NV memory, which often misses. The bounds seldom grow once set. */
    if (l->spilled + l->nf == 0) {
        l->lo = a;
        l->hi = a + n;
    } else {
        if (a < l->lo)
            l->lo = a;
        if (a + n > l->hi)
            l->hi = a + n;
    }
    l->e[l->nf] = (struct nve_logent){a, n, ws};
    __atomic_store_n(&l->nf, l->nf + 1, __ATOMIC_RELAXED);
    return changed;
}

int log_clean(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t lo,
              uintptr_t hi, int *dirty)
{
    if (!log_touches(l, lo, hi))
        return 0;
    if (lo <= l->lo && l->hi <= hi) { /* all of it inside: nothing to apply */
        *dirty = 1;
        empty(l, ar);
        return 0;
    }
    if (l->first)
        return log_apply(l, m, ar); /* too long to search for what lies inside */
    uint32_t k = 0;
    int straddles = 0;
    uintptr_t blo = UINTPTR_MAX, bhi = 0;
    for (uint32_t i = 0; i < l->nf; i++) {
        struct nve_logent e = l->e[i];
        uintptr_t end = e.addr + e.len;
        if (end > lo && e.addr < hi) {
            *dirty = 1;
            if (e.addr >= lo && end <= hi)
                continue; /* made CLEAN by the operation anyway */
            straddles = 1;
        }
        l->e[k++] = e;
        blo = e.addr < blo ? e.addr : blo;
        bhi = end > bhi ? end : bhi;
    }
    l->lo = blo;
    l->hi = bhi;
    __atomic_store_n(&l->nf, k, __ATOMIC_RELAXED); /* no blocks here: nf is all */
    return straddles ? log_apply(l, m, ar) : 0;
}
