/* storelog.c -- a shard's recent plain stores, applied to its chunks in batches.
 *
 * Why. A plain store into a random chunk of a shadow bigger than the caches costs two
 * dependent misses -- the chunk's table slot, then its runs -- and nothing in a
 * single call can hide them: the store needs the slot to find the runs. Appended to
 * its shard's log instead, it touches only the log's tail, which is in cache. The
 * log is applied NVE_LOG entries at a time, and then the entries are known in
 * advance: the slot of entry i + AHEAD and the runs of entry i + AHEAD / 2 are
 * prefetched while entry i is applied, so a batch's misses overlap one another
 * instead of adding up.
 *
 * Why it stays exact. Every entry is a plain store (bytes -> DIRTY) inside one chunk,
 * and entries are applied in the order they were made, so overlapping stores end as
 * they would have. An operation on [lo, hi) -- under the shard's lock, like the log
 * itself -- first applies the log when an entry may overlap the range (shadow.c),
 * with two exceptions: a drain commutes with plain stores (it changes only FLUSHED
 * bytes, and a store makes its bytes DIRTY whatever they were), and an operation that
 * makes [lo, hi) CLEAN may drop the entries wholly inside it (log_clean).
 */
#include "storelog.h"

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

int log_apply(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar)
{
    uint32_t n = l->n;
    int rc = 0;
    for (uint32_t i = 0; i < n && i < AHEAD; i++)
        fetch_slot(m, key_of(l->e[i].addr));
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (i + AHEAD < n)
            fetch_slot(m, key_of(l->e[i + AHEAD].addr));
        if (i + AHEAD / 2 < n)
            fetch_runs(m, key_of(l->e[i + AHEAD / 2].addr));
        const struct nve_logent *e = &l->e[i];
        struct nve_seg v = {.wstack = e->wstack};
        unsigned off = (unsigned)(e->addr & (NVE_CHUNK - 1));
        /* A chunk just created holds its first run inline: seg_set cannot fail on it,
         * so no empty chunk is left behind when it fails on another. */
        struct nve_chunk *c = cmap_insert(m, ar, key_of(e->addr));
        rc = c ? seg_set(ar, c, off, off + e->len, &v) : -1;
    }
    __atomic_store_n(&l->n, 0, __ATOMIC_RELAXED);
    return rc;
}

int log_add(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t a,
            uint32_t n, uint32_t ws)
{
    int applied = 0;
    if (l->n) {
        /* The same write going on (a loop filling a record), or repeated: one entry. */
        struct nve_logent *t = &l->e[l->n - 1];
        uintptr_t te = t->addr + t->len;
        if (t->wstack == ws && a <= te && t->addr <= a + n && key_of(t->addr) == key_of(a)) {
            uintptr_t lo = a < t->addr ? a : t->addr, hi = a + n > te ? a + n : te;
            t->addr = lo;
            t->len = (uint32_t)(hi - lo);
            l->lo = lo < l->lo ? lo : l->lo;
            l->hi = hi > l->hi ? hi : l->hi;
            return 0;
        }
        if (l->n == NVE_LOG) {
            if (log_apply(l, m, ar) < 0)
                return -1;
            applied = 1;
        }
    }
    if (l->n == 0) {
        l->lo = a;
        l->hi = a + n;
    } else {
        l->lo = a < l->lo ? a : l->lo;
        l->hi = a + n > l->hi ? a + n : l->hi;
    }
    l->e[l->n] = (struct nve_logent){a, n, ws};
    __atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELAXED);
    return applied;
}

int log_clean(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t lo,
              uintptr_t hi, int *dirty)
{
    if (!log_touches(l, lo, hi))
        return 0;
    uint32_t k = 0;
    int straddles = 0;
    uintptr_t blo = UINTPTR_MAX, bhi = 0;
    for (uint32_t i = 0; i < l->n; i++) {
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
    __atomic_store_n(&l->n, k, __ATOMIC_RELAXED);
    return straddles ? log_apply(l, m, ar) : 0;
}
