/* shadow.c -- the persistence model: which bytes of NV memory are not yet durable.
 *
 * States. Every byte is CLEAN (durable, or never written), DIRTY (stored, still only
 * in the cache) or FLUSHED (written back by some thread, not yet drained by it). Only
 * DIRTY and FLUSHED bytes are stored -- memory follows outstanding state, never the
 * size of a region -- as runs (segs.h) remembering the write that dirtied them, the
 * flush that wrote them back, and the flushing thread.
 *
 * Transitions.
 *   store            bytes -> DIRTY (write stack remembered)
 *   non-temporal     bytes -> FLUSHED by the storing thread (they bypass the cache)
 *   flush (t)        every DIRTY byte of each touched 64-byte line -> FLUSHED by t:
 *                    the hardware writes back whole lines, so neighbours go too
 *   drain (t)        bytes FLUSHED by t -> CLEAN. SFENCE orders only the issuing
 *                    CPU's write-backs, so another thread's flush stays FLUSHED.
 *                    With global drain (pmemcheck parity) every FLUSHED byte goes.
 *   flush+drain (t)  the touched lines -> CLEAN whoever flushed them before, then t's
 *                    own drain: t wrote those lines back itself.
 * A line flushed by several threads before any drained remembers the set of them:
 * any one's drain persists it, a third thread's does not (segs.h); a finding names
 * no single thread for it. Runs left at token free or exit become findings (nve_take).
 *
 * Layout. Address space is cut into 4 KiB chunks; a chunk's runs are a small sorted
 * array (segs.c) found through a per-shard open-addressing table (chunkmap.c). 1024
 * shards, each with its own spinlock and arena, are chosen by 2 MiB slice of address,
 * consecutive slices to consecutive shards: threads working on different data (up to
 * 2 GiB apart) never share a lock or a table line, and a bulk write takes one or two
 * locks. A range operation walks its chunks one lookup each, or -- when the
 * range covers more chunks than exist (a 1 TiB region) -- scans the tables instead.
 *
 * Drains. Each thread keeps the line ranges it flushed since its last drain
 * (struct nve_pending); a drain visits only those, so its cost follows what the thread
 * flushed, not all outstanding state. Global drain keeps one shared list instead.
 *
 * Concurrency. No lock is held across calls out of this file; shard locks are never
 * nested; nothing here calls malloc, stdio or the unwinder, so it may run in a signal
 * handler that did not interrupt the engine itself (the caller's guard ensures that).
 */
#include "shadow.h"

#include "attrs.h"

#include "chunkmap.h"
#include "lock.h"

#include <string.h>

#define NSHARDS 1024
#define SHARD_SLICE_SHIFT 21
#define PUBLISH_STEP 4096
#define SCAN_MIN_CHUNKS 64

struct shard {
    nv_lock lock;
    struct nve_chunkmap map;
    struct nv_arena arena;
    size_t published; /* arena.in_use last added to nve_shadow.bytes */
} __attribute__((aligned(64)));

struct nve_shadow {
    struct shard shard[NSHARDS];
    int global_drain;
    int full;      /* bytes reached cap: new outstanding state is not recorded (atomic) */
    size_t cap;    /* 0: no cap */
    nv_lock glock; /* global drain: guards gpending */
    struct nve_pending gpending;
    nv_lock take_lock; /* guards scratch */
    struct nv_arena scratch;
    size_t bytes, peak; /* atomic */
};

typedef int (*visit_fn)(struct shard *s, struct nve_chunk *c, uintptr_t base, unsigned lo,
                        unsigned hi, void *arg);

static uintptr_t line_down(uintptr_t a)
{
    return a & ~(uintptr_t)(NVE_LINE - 1);
}

static uintptr_t line_up(uintptr_t a)
{
    return a > UINTPTR_MAX - (NVE_LINE - 1) ? line_down(UINTPTR_MAX) : line_down(a + NVE_LINE - 1);
}

static struct shard *shard_of(struct nve_shadow *sh, uintptr_t chunk)
{
    /* Consecutive slices go to consecutive shards (no hash): threads working on
     * different parts of a region then touch different shards -- different locks and
     * table lines -- rather than all of them. */
    uintptr_t slice = chunk >> (SHARD_SLICE_SHIFT - NVE_CHUNK_SHIFT);
    return &sh->shard[slice % NSHARDS];
}

/* publish -- fold a shard's memory use into the global count, in steps, so the hot
 * path does not bounce one cache line between threads. */
static void publish(struct nve_shadow *sh, struct shard *s)
{
    size_t now = s->arena.in_use;
    size_t d = now - s->published;
    if (d + PUBLISH_STEP < 2 * PUBLISH_STEP) /* |d| < PUBLISH_STEP, unsigned */
        return;
    size_t total = __atomic_add_fetch(&sh->bytes, d, __ATOMIC_RELAXED);
    s->published = now;
    if (sh->cap && (total >= sh->cap) != __atomic_load_n(&sh->full, __ATOMIC_RELAXED))
        __atomic_store_n(&sh->full, total >= sh->cap, __ATOMIC_RELAXED);
    size_t peak = __atomic_load_n(&sh->peak, __ATOMIC_RELAXED);
    while (total > peak && !__atomic_compare_exchange_n(&sh->peak, &peak, total, 1,
                                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static void drop_if_empty(struct shard *s, struct nve_chunk *c)
{
    if (c->n == 0) {
        seg_release(&s->arena, c);
        cmap_remove(&s->map, c);
    }
}

/* walk -- visit the chunks of [lo, hi) one by one (creating them when asked).
 * Inlined into each operation with its visitor, so the hot single-chunk case is
 * straight-line code. */
NV_INLINE int walk(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi, int create, visit_fn fn,
                   void *arg)
{
    struct shard *held = NULL;
    int rc = 0;
    uintptr_t last = (hi - 1) >> NVE_CHUNK_SHIFT;
    for (uintptr_t key = lo >> NVE_CHUNK_SHIFT; rc == 0; key++) {
        struct shard *s = shard_of(sh, key);
        /* Nothing outstanding in this shard: nothing to change, and no lock needed
         * (a store racing with us on the same bytes is the program's data race). */
        if (!create && s != held && __atomic_load_n(&s->map.count, __ATOMIC_RELAXED) == 0) {
            if (key == last)
                break;
            continue;
        }
        if (s != held) {
            if (held) {
                cmap_shrink(&held->map, &held->arena, 0);
                publish(sh, held);
                nv_lock_give(&held->lock);
            }
            nv_lock_take(&s->lock);
            held = s;
        }
        struct nve_chunk *c =
            create ? cmap_insert(&s->map, &s->arena, key + 1) : cmap_find(&s->map, key + 1);
        if (c) {
            uintptr_t base = key << NVE_CHUNK_SHIFT;
            unsigned a = lo > base ? (unsigned)(lo - base) : 0;
            unsigned b = hi - base < NVE_CHUNK ? (unsigned)(hi - base) : NVE_CHUNK;
            rc = fn(s, c, base, a, b, arg);
            drop_if_empty(s, c);
        } else if (create) {
            rc = -1;
        }
        if (key == last)
            break;
    }
    if (held) {
        cmap_shrink(&held->map, &held->arena, 0);
        publish(sh, held);
        nv_lock_give(&held->lock);
    }
    return rc;
}

/* scan -- visit every existing chunk overlapping [lo, hi), table by table. Visitors
 * are idempotent, so an entry that a removal shifts under the cursor twice is fine. */
NV_COLD static int scan(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi, visit_fn fn, void *arg)
{
    int rc = 0;
    for (int k = 0; k < NSHARDS && rc == 0; k++) {
        struct shard *s = &sh->shard[k];
        nv_lock_take(&s->lock);
        for (uint32_t i = 0; s->map.slot && i <= s->map.mask && rc == 0;) {
            struct nve_chunk *c = &s->map.slot[i];
            uintptr_t base = (c->key - 1) << NVE_CHUNK_SHIFT;
            if (!c->key || base + NVE_CHUNK <= lo || base >= hi) {
                i++;
                continue;
            }
            unsigned a = lo > base ? (unsigned)(lo - base) : 0;
            unsigned b = hi - base < NVE_CHUNK ? (unsigned)(hi - base) : NVE_CHUNK;
            rc = fn(s, c, base, a, b, arg);
            if (c->n == 0)
                drop_if_empty(s, c); /* slot i now holds the next entry, if any */
            else
                i++;
        }
        cmap_shrink(&s->map, &s->arena, 1);
        publish(sh, s);
        nv_lock_give(&s->lock);
    }
    return rc;
}

static size_t total_chunks(struct nve_shadow *sh)
{
    size_t n = 0;
    for (int k = 0; k < NSHARDS; k++)
        n += __atomic_load_n(&sh->shard[k].map.count, __ATOMIC_RELAXED);
    return n;
}

/* quiet -- no shard that [lo, hi) maps to holds anything: an operation that only
 * removes state has nothing to do. Checked before anything else so that the common
 * persisted-at-once write costs a few loads and no stores (see nve_store). */
static int quiet(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi)
{
    uintptr_t first = lo >> NVE_CHUNK_SHIFT, last = (hi - 1) >> NVE_CHUNK_SHIFT;
    if (last - first > 1)
        return 0; /* only worth it for small ranges */
    for (uintptr_t key = first; key <= last; key++)
        if (__atomic_load_n(&shard_of(sh, key)->map.count, __ATOMIC_RELAXED))
            return 0;
    return 1;
}

/* scanning -- [lo, hi) covers more chunks than exist: visiting the existing ones
 * beats looking each of its chunks up. */
static int scanning(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi)
{
    uintptr_t chunks = ((hi - 1) >> NVE_CHUNK_SHIFT) - (lo >> NVE_CHUNK_SHIFT) + 1;
    return chunks > SCAN_MIN_CHUNKS && chunks > total_chunks(sh);
}

NV_INLINE int each_chunk(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi, int create, visit_fn fn,
                         void *arg)
{
    if (lo >= hi)
        return 0;
    if (!create && scanning(sh, lo, hi))
        return scan(sh, lo, hi, fn, arg);
    return walk(sh, lo, hi, create, fn, arg);
}

/* ---- pending flushes ---- */

static void pending_add(struct nve_pending *p, uintptr_t lo, uintptr_t hi)
{
    if (p->overflow)
        return;
    for (uint32_t k = p->n; k-- > 0 && k + 4 >= p->n;) {
        if (lo <= p->r[k].hi && hi >= p->r[k].lo) {
            if (lo < p->r[k].lo)
                p->r[k].lo = lo;
            if (hi > p->r[k].hi)
                p->r[k].hi = hi;
            return;
        }
    }
    if (p->n == NVE_PENDING) {
        p->overflow = 1;
        return;
    }
    p->r[p->n].lo = lo;
    p->r[p->n].hi = hi;
    p->n++;
}

static void note_pending(struct nve_shadow *sh, struct nve_thread *t, uintptr_t lo, uintptr_t hi)
{
    if (!sh->global_drain) {
        pending_add(&t->pending, lo, hi);
        return;
    }
    nv_lock_take(&sh->glock);
    pending_add(&sh->gpending, lo, hi);
    nv_lock_give(&sh->glock);
}

/* ---- visitors ---- */

struct set_arg {
    const struct nve_seg *v; /* NULL: make CLEAN */
    struct nve_over *over;   /* look for DIRTY bytes in [olo, ohi) first */
    uintptr_t olo, ohi;
};

/* find_over -- the first DIRTY bytes of one write that [olo, ohi) lands on, chunk by
 * chunk in address order: the first chunk holding some names them, and a run of the
 * same write that goes on at the start of the next chunk extends them. */
NV_INLINE void find_over(struct nve_chunk *c, uintptr_t base, struct set_arg *x)
{
    struct nve_over *o = x->over;
    uintptr_t dlo = x->olo > base ? x->olo : base;
    uintptr_t dhi = x->ohi - base < NVE_CHUNK ? x->ohi : base + NVE_CHUNK;
    if (dlo >= dhi)
        return;
    if (o->len == 0) {
        seg_find_dirty(c, (unsigned)(dlo - base), (unsigned)(dhi - base), base, o);
        return;
    }
    const struct nve_seg *g = nve_runs(c);
    if (o->addr + o->len == base && g[0].lo == 0 && g[0].flusher == 0 && g[0].wstack == o->wstack)
        o->len += (g[0].hi < dhi - base ? g[0].hi : (unsigned)(dhi - base));
}

/* v_lowest -- keep the lowest first-DIRTY-bytes of the chunks (a scan visits them in
 * table order, not address order). */
static int v_lowest(struct shard *s, struct nve_chunk *c, uintptr_t base, unsigned lo, unsigned hi,
                    void *arg)
{
    struct set_arg *x = arg, y = *x;
    struct nve_over o = {0, 0, 0};
    (void)s, (void)lo, (void)hi;
    y.over = &o;
    find_over(c, base, &y);
    if (o.len && (x->over->len == 0 || o.addr < x->over->addr))
        *x->over = o;
    return 0;
}

/* over_by_scan -- find_over for a range that is scanned: the lowest DIRTY bytes over
 * all chunks, then extended chunk by chunk while the same write's run goes on. */
NV_COLD static void over_by_scan(struct nve_shadow *sh, struct set_arg *x)
{
    struct nve_over *o = x->over;
    scan(sh, x->olo, x->ohi, v_lowest, x);
    while (o->len && o->addr + o->len < x->ohi && ((o->addr + o->len) & (NVE_CHUNK - 1)) == 0) {
        uintptr_t key = (o->addr + o->len) >> NVE_CHUNK_SHIFT;
        struct shard *s = shard_of(sh, key);
        size_t before = o->len;
        nv_lock_take(&s->lock);
        struct nve_chunk *c = cmap_find(&s->map, key + 1);
        if (c && c->n)
            find_over(c, key << NVE_CHUNK_SHIFT, x);
        nv_lock_give(&s->lock);
        if (o->len == before)
            break;
    }
}

NV_INLINE int v_set(struct shard *s, struct nve_chunk *c, uintptr_t base, unsigned lo, unsigned hi,
                    void *arg)
{
    struct set_arg *x = arg;
    if (x->over && c->n)
        find_over(c, base, x);
    if (!x->v && c->n == 0)
        return 0;
    return seg_set(&s->arena, c, lo, hi, x->v);
}

struct flush_arg {
    uint32_t t, fs;
    int drain, had_dirty, left;
};

NV_INLINE int v_flush(struct shard *s, struct nve_chunk *c, uintptr_t base, unsigned lo,
                      unsigned hi, void *arg)
{
    struct flush_arg *x = arg;
    (void)base;
    int rc = seg_flush(&s->arena, c, lo, hi, x->t, x->fs, x->drain, &x->had_dirty);
    if (rc > 0)
        x->left = 1;
    return rc < 0 ? rc : 0;
}

struct drain_arg {
    uint32_t t;
    int all;
};

NV_INLINE int v_drain(struct shard *s, struct nve_chunk *c, uintptr_t base, unsigned lo,
                      unsigned hi, void *arg)
{
    struct drain_arg *x = arg;
    (void)s, (void)base, (void)lo, (void)hi;
    seg_drain(c, x->t, x->all);
    return 0;
}

/* ---- the operations ---- */

int nve_store(struct nve_shadow *sh, struct nve_thread *t, uintptr_t a, size_t n,
              enum nve_store_mode mode, uint32_t ws, struct nve_over *over)
{
    if (mode >= NVE_STORE_CLEAN_BYTES && !over && quiet(sh, line_down(a), line_up(a + n)))
        return 0;
    if (mode <= NVE_STORE_FLUSHED &&
        __builtin_expect(__atomic_load_n(&sh->full, __ATOMIC_RELAXED), 0))
        return 1; /* the cap: not recorded, the caller counts it */
    struct nve_seg v = {.wstack = ws};
    struct set_arg x = {.over = over, .olo = a, .ohi = a + n};
    uintptr_t lo = a, hi = a + n;
    int create = 1;
    if (over)
        over->len = 0;
    switch (mode) {
    case NVE_STORE_DIRTY:
        x.v = &v;
        break;
    case NVE_STORE_FLUSHED:
        v.fstack = ws;
        v.flusher = t->id;
        x.v = &v;
        break;
    case NVE_STORE_CLEAN_LINES:
        lo = line_down(a);
        hi = line_up(a + n);
        /* fall through */
    case NVE_STORE_CLEAN_BYTES:
        create = 0;
        break;
    }
    int rc;
    if (lo >= hi) {
        rc = 0;
    } else if (create || !scanning(sh, lo, hi)) {
        rc = walk(sh, lo, hi, create, v_set, &x);
    } else { /* a scan visits chunks out of address order: find over first */
        if (over)
            over_by_scan(sh, &x);
        x.over = NULL;
        rc = scan(sh, lo, hi, v_set, &x);
    }
    if (rc == 0 && mode == NVE_STORE_FLUSHED)
        note_pending(sh, t, line_down(a), line_up(a + n));
    return rc;
}

int nve_flush(struct nve_shadow *sh, struct nve_thread *t, uintptr_t a, size_t n, uint32_t fs,
              int drain, int *had_dirty)
{
    uintptr_t lo = line_down(a), hi = line_up(a + n);
    struct flush_arg x = {.t = t->id, .fs = fs, .drain = drain};
    int rc = each_chunk(sh, lo, hi, 0, v_flush, &x);
    *had_dirty = x.had_dirty;
    if (rc < 0)
        return rc;
    if (!drain) {
        if (x.left)
            note_pending(sh, t, lo, hi);
        return 0;
    }
    return nve_drain(sh, t);
}

static int drain_pending(struct nve_shadow *sh, const struct nve_pending *p, struct drain_arg *x)
{
    if (p->overflow)
        return scan(sh, 0, UINTPTR_MAX, v_drain, x);
    int rc = 0;
    for (uint32_t k = 0; k < p->n && rc == 0; k++)
        rc = each_chunk(sh, p->r[k].lo, p->r[k].hi, 0, v_drain, x);
    return rc;
}

int nve_drain(struct nve_shadow *sh, struct nve_thread *t)
{
    if (!sh->global_drain && t->pending.n == 0 && !t->pending.overflow)
        return 0;
    struct drain_arg x = {.t = t->id, .all = sh->global_drain};
    if (!sh->global_drain) {
        int rc = drain_pending(sh, &t->pending, &x);
        t->pending.n = 0;
        t->pending.overflow = 0;
        return rc;
    }
    struct nve_pending p;
    nv_lock_take(&sh->glock);
    if (sh->gpending.n == 0 && !sh->gpending.overflow) {
        nv_lock_give(&sh->glock);
        return 0;
    }
    p = sh->gpending;
    sh->gpending.n = 0;
    sh->gpending.overflow = 0;
    nv_lock_give(&sh->glock);
    return drain_pending(sh, &p, &x);
}

/* Its loads race with updates made under the shard lock, by design: a stale value
 * only prefetches the wrong line, and what it reads stays mapped (cmap_peek). The
 * loads are atomic so the compiler keeps them whole, but the writers' plain stores
 * to a chunk (struct copies among them) cannot all be, so ThreadSanitizer is told not
 * to look here: a race it reported would be this one. (Not instrumented, it still
 * inlines in other builds.) */
__attribute__((no_sanitize("thread"))) void nve_prefetch(struct nve_shadow *sh, uintptr_t a,
                                                         int step)
{
    uintptr_t key = (a >> NVE_CHUNK_SHIFT) + 1;
    struct shard *s = shard_of(sh, key - 1);
    if (step == 0) { /* prefetches only: a stale table or index cannot fault */
        struct nve_chunk *tab = __atomic_load_n(&s->map.slot, __ATOMIC_RELAXED);
        if (tab) {
            __builtin_prefetch(&tab[cmap_home(&s->map, key)], 1);
            __builtin_prefetch(&s->lock, 1);
        }
        return;
    }
    /* Step 1, a little later: the slot has arrived; fetch the runs it points to. It is
     * read, so it must lie in memory that is still mapped (cmap_peek). */
    struct nve_chunk *c = cmap_peek(&s->map, key);
    if (c && __atomic_load_n(&c->key, __ATOMIC_RELAXED) == key &&
        __atomic_load_n(&c->cap, __ATOMIC_RELAXED)) {
        const char *runs = (const char *)__atomic_load_n(&c->u.seg, __ATOMIC_RELAXED);
        uint32_t n = __atomic_load_n(&c->n, __ATOMIC_RELAXED);
        for (uint32_t k = 0; k < n * sizeof(struct nve_seg); k += 64)
            __builtin_prefetch(runs + k, 1);
    }
}

/* ---- taking outstanding state out (token free, exit) ---- */

struct take_arg {
    struct nv_arena *a;
    struct nve_piece *v;
    size_t n, cap;
};

static int push(struct take_arg *x, const struct nve_piece *p)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        struct nve_piece *v = nv_arena_alloc(x->a, cap * sizeof *v);
        if (!v)
            return -1;
        if (x->n)
            memcpy(v, x->v, x->n * sizeof *v);
        nv_arena_free(x->a, x->v, x->cap * sizeof *v);
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = *p;
    return 0;
}

static int v_take(struct shard *s, struct nve_chunk *c, uintptr_t base, unsigned lo, unsigned hi,
                  void *arg)
{
    struct take_arg *x = arg;
    const struct nve_seg *runs = nve_runs(c);
    for (uint32_t k = 0; k < c->n; k++) {
        const struct nve_seg *g = &runs[k];
        unsigned a = g->lo > lo ? g->lo : lo, b = g->hi < hi ? g->hi : hi;
        if (a >= b)
            continue;
        uint32_t f = g->flusher & NVE_FLUSHERS ? NVE_ANY_THREAD : g->flusher;
        struct nve_piece p = {base + a, b - a, g->wstack, g->fstack, f};
        if (push(x, &p) < 0)
            return -1;
    }
    return seg_set(&s->arena, c, lo, hi, NULL);
}

/* sort_pieces -- bottom-up merge sort by address (a scan visits chunks in hash
 * order); tmp has room for n. Returns the sorted array (v or tmp). */
static struct nve_piece *sort_pieces(struct nve_piece *v, struct nve_piece *tmp, size_t n)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t i = 0; i < n; i += 2 * w) {
            size_t m = i + w < n ? i + w : n, e = i + 2 * w < n ? i + 2 * w : n;
            size_t a = i, b = m, o = i;
            while (a < m && b < e)
                tmp[o++] = v[b].addr < v[a].addr ? v[b++] : v[a++];
            while (a < m)
                tmp[o++] = v[a++];
            while (b < e)
                tmp[o++] = v[b++];
        }
        struct nve_piece *t = v;
        v = tmp;
        tmp = t;
    }
    return v;
}

static int sorted(const struct nve_piece *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i].addr < v[i - 1].addr)
            return 0;
    return 1;
}

int nve_take(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi,
             void (*fn)(const struct nve_piece *, void *), void *arg)
{
    nv_lock_take(&sh->take_lock);
    struct take_arg x = {.a = &sh->scratch};
    int rc = each_chunk(sh, lo, hi, 0, v_take, &x);
    struct nve_piece *v = x.v, *tmp = NULL;
    if (x.n > 1 && !sorted(v, x.n)) {
        tmp = nv_arena_alloc(&sh->scratch, x.n * sizeof *tmp);
        if (tmp)
            v = sort_pieces(v, tmp, x.n);
        else
            rc = -1; /* unsorted pieces are still reported, merely not merged */
    }
    for (size_t i = 0; i < x.n;) {
        struct nve_piece p = v[i++];
        while (i < x.n && v[i].addr == p.addr + p.len && v[i].wstack == p.wstack &&
               v[i].fstack == p.fstack && v[i].flusher == p.flusher)
            p.len += v[i++].len;
        fn(&p, arg);
    }
    nv_arena_free(&sh->scratch, x.v, x.cap * sizeof *x.v);
    nv_arena_free(&sh->scratch, tmp, x.n * sizeof *tmp);
    nv_lock_give(&sh->take_lock);
    return rc;
}

/* ---- life cycle, statistics, fork ---- */

struct nve_shadow *nve_shadow_new(int global_drain)
{
    struct nve_shadow *sh = nv_map(sizeof *sh); /* zeroed by the kernel */
    if (sh)
        sh->global_drain = global_drain;
    return sh;
}

void nve_shadow_set_cap(struct nve_shadow *sh, size_t bytes)
{
    sh->cap = bytes;
}

void nve_shadow_delete(struct nve_shadow *sh)
{
    if (!sh)
        return;
    for (int k = 0; k < NSHARDS; k++) {
        cmap_release(&sh->shard[k].map, &sh->shard[k].arena);
        nv_arena_release(&sh->shard[k].arena);
    }
    nv_arena_release(&sh->scratch);
    nv_unmap(sh, sizeof *sh);
}

void nve_stats(struct nve_shadow *sh, struct nve_stats *st)
{
    memset(st, 0, sizeof *st);
    for (int k = 0; k < NSHARDS; k++) {
        struct shard *s = &sh->shard[k];
        nv_lock_take(&s->lock);
        st->bytes += s->arena.in_use;
        st->chunks += s->map.count;
        for (uint32_t i = 0; s->map.slot && i <= s->map.mask; i++)
            st->runs += s->map.slot[i].n;
        nv_lock_give(&s->lock);
    }
    size_t peak = __atomic_load_n(&sh->peak, __ATOMIC_RELAXED);
    st->peak_bytes = peak > st->bytes ? peak : st->bytes;
}

int nve_shadow_locked(struct nve_shadow *sh)
{
    if (nv_lock_held(&sh->take_lock) || nv_lock_held(&sh->glock))
        return 1;
    for (int k = 0; k < NSHARDS; k++)
        if (nv_lock_held(&sh->shard[k].lock))
            return 1;
    return 0;
}

void nve_shadow_lock_all(struct nve_shadow *sh)
{
    nv_lock_take(&sh->take_lock);
    nv_lock_take(&sh->glock);
    for (int k = 0; k < NSHARDS; k++)
        nv_lock_take(&sh->shard[k].lock);
}

void nve_shadow_unlock_all(struct nve_shadow *sh)
{
    for (int k = NSHARDS; k-- > 0;)
        nv_lock_give(&sh->shard[k].lock);
    nv_lock_give(&sh->glock);
    nv_lock_give(&sh->take_lock);
}

void nve_shadow_reset_locks(struct nve_shadow *sh)
{
    for (int k = 0; k < NSHARDS; k++)
        nv_lock_reset(&sh->shard[k].lock);
    nv_lock_reset(&sh->glock);
    nv_lock_reset(&sh->take_lock);
}
