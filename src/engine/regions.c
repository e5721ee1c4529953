/* regions.c -- the live NV regions, whichever front end made them: address range -> region.
 *
 * A region is a range of NV memory some front end declared: an Rtl token's buffer,
 * and later a libpmem mapping, a libpmem2 map, a pool. The sweeps at a region's end
 * and at exit walk regions, not tokens, and take only the bytes that no other live
 * region still covers: a region inside another, or two overlapping, do not report the
 * other's bytes when one of them ends.
 *
 * The index is a treap ordered by (lo, frontend, key) -- expected O(log n) insert and
 * removal whatever the order regions come and go in, with no rebalancing code --
 * each node also keeping the highest hi in its subtree, which turns it into an
 * interval tree: the query for what [lo, hi) holds uncovered visits, in address
 * order, only the regions that overlap it plus a path's worth of others, and stops as
 * soon as the rest is known to be covered. Nodes come from the registry's own arena
 * (no malloc: regions come and go inside API calls); one spinlock guards it all,
 * taken for a few hundred nanoseconds at a time (token creation and free are rare
 * next to writes and flushes).
 */
#include "regions.h"

#include "arena.h"
#include "lock.h"

#include <string.h>

struct node {
    struct node *l, *r;
    uintptr_t max_hi; /* the highest hi in this subtree */
    uint32_t prio;
    struct nve_region v;
};

struct nve_regions {
    nv_lock lock;
    struct nv_arena arena;
    struct node *root;
    size_t n;
    uint32_t seed;
};

const char *nve_frontend_name(uint32_t fe)
{
    return fe == NVE_FE_RTL_TOKEN ? "rtl-token" : "?";
}

struct nve_regions *nve_regions_new(void)
{
    struct nve_regions *rs = nv_map(sizeof *rs);
    if (rs)
        rs->seed = 0x9E3779B9u;
    return rs;
}

void nve_regions_delete(struct nve_regions *rs)
{
    if (!rs)
        return;
    nv_arena_release(&rs->arena);
    nv_unmap(rs, sizeof *rs);
}

/* cmp -- the order of the index: lo, then frontend, then key. */
static int cmp(uintptr_t lo, uint32_t fe, uint64_t key, const struct nve_region *b)
{
    if (lo != b->lo)
        return lo < b->lo ? -1 : 1;
    if (fe != b->frontend)
        return fe < b->frontend ? -1 : 1;
    return key < b->key ? -1 : key > b->key;
}

static void update(struct node *t)
{
    uintptr_t m = t->v.hi;
    if (t->l && t->l->max_hi > m)
        m = t->l->max_hi;
    if (t->r && t->r->max_hi > m)
        m = t->r->max_hi;
    t->max_hi = m;
}

/* split -- t into the nodes before n (*l) and after it (*r). */
static void split(struct node *t, const struct nve_region *n, struct node **l, struct node **r)
{
    if (!t) {
        *l = *r = NULL;
    } else if (cmp(t->v.lo, t->v.frontend, t->v.key, n) < 0) {
        split(t->r, n, &t->r, r);
        update(t);
        *l = t;
    } else {
        split(t->l, n, l, &t->l);
        update(t);
        *r = t;
    }
}

/* merge -- a and b, every node of a before every node of b. */
static struct node *merge(struct node *a, struct node *b)
{
    if (!a || !b)
        return a ? a : b;
    if (a->prio > b->prio) {
        a->r = merge(a->r, b);
        update(a);
        return a;
    }
    b->l = merge(a, b->l);
    update(b);
    return b;
}

static struct node *insert(struct node *t, struct node *n)
{
    if (!t)
        return n;
    if (n->prio > t->prio) {
        split(t, &n->v, &n->l, &n->r);
        update(n);
        return n;
    }
    if (cmp(n->v.lo, n->v.frontend, n->v.key, &t->v) < 0)
        t->l = insert(t->l, n);
    else
        t->r = insert(t->r, n);
    update(t);
    return t;
}

/* erase -- t without the node (lo, fe, key), which goes to *gone (NULL: not there). */
static struct node *erase(struct node *t, uintptr_t lo, uint32_t fe, uint64_t key,
                          struct node **gone)
{
    if (!t)
        return NULL;
    int c = cmp(lo, fe, key, &t->v);
    if (c == 0) {
        *gone = t;
        return merge(t->l, t->r);
    }
    if (c < 0)
        t->l = erase(t->l, lo, fe, key, gone);
    else
        t->r = erase(t->r, lo, fe, key, gone);
    update(t);
    return t;
}

static const struct node *find(const struct node *t, uintptr_t lo, uint32_t fe, uint64_t key)
{
    while (t) {
        int c = cmp(lo, fe, key, &t->v);
        if (c == 0)
            return t;
        t = c < 0 ? t->l : t->r;
    }
    return NULL;
}

int nve_regions_add(struct nve_regions *rs, const struct nve_region *r)
{
    if (r->lo >= r->hi)
        return -2;
    nv_lock_take(&rs->lock);
    if (find(rs->root, r->lo, r->frontend, r->key)) {
        nv_lock_give(&rs->lock);
        return -2;
    }
    struct node *n = nv_arena_alloc(&rs->arena, sizeof *n);
    if (!n) {
        nv_lock_give(&rs->lock);
        return -1;
    }
    rs->seed ^= rs->seed << 13; /* xorshift32: priorities need only be independent */
    rs->seed ^= rs->seed >> 17;
    rs->seed ^= rs->seed << 5;
    n->l = n->r = NULL;
    n->prio = rs->seed;
    n->v = *r;
    n->v.ended = 0;
    n->max_hi = r->hi;
    rs->root = insert(rs->root, n);
    __atomic_store_n(&rs->n, rs->n + 1, __ATOMIC_RELAXED);
    nv_lock_give(&rs->lock);
    return 0;
}

int nve_regions_end(struct nve_regions *rs, uint32_t fe, uint64_t key, uintptr_t lo,
                    uint32_t ended_at, struct nve_region *out)
{
    struct node *gone = NULL;
    nv_lock_take(&rs->lock);
    rs->root = erase(rs->root, lo, fe, key, &gone);
    if (gone) {
        if (out) {
            *out = gone->v;
            out->ended = ended_at;
        }
        nv_arena_free(&rs->arena, gone, sizeof *gone);
        __atomic_store_n(&rs->n, rs->n - 1, __ATOMIC_RELAXED);
    }
    nv_lock_give(&rs->lock);
    return gone ? 0 : -1;
}

/* ---- what a range holds that no region covers ---- */

struct query {
    uintptr_t c, hi; /* everything below c is known: covered, or handed out */
    struct nve_span *out;
    size_t n, cap;
    int stop; /* out is full, or the rest of [c, hi) is covered */
};

/* emit -- [q->c, to) is uncovered; 0 when there is no room for it (stop there). */
static int emit(struct query *q, uintptr_t to)
{
    if (q->n == q->cap) {
        q->stop = 1;
        return 0;
    }
    q->out[q->n].lo = q->c;
    q->out[q->n++].hi = to;
    return 1;
}

/* walk -- the regions of t that overlap [q->c, q->hi), in address order. */
static void walk(const struct node *t, struct query *q)
{
    if (!t || q->stop || t->max_hi <= q->c)
        return; /* nothing here reaches past what is known */
    walk(t->l, q);
    if (q->stop || t->v.lo >= q->hi)
        return; /* this one and all to its right begin at or after hi */
    if (t->v.hi > q->c) {
        if (t->v.lo > q->c && !emit(q, t->v.lo))
            return;
        q->c = t->v.hi;
        if (q->c >= q->hi) {
            q->c = q->hi;
            q->stop = 1;
            return;
        }
    }
    walk(t->r, q);
}

size_t nve_regions_uncovered(struct nve_regions *rs, uintptr_t lo, uintptr_t hi, uintptr_t *from,
                             struct nve_span *out, size_t cap)
{
    struct query q = {*from > lo ? *from : lo, hi, out, 0, cap, 0};
    if (q.c >= hi || cap == 0) {
        *from = q.c < hi ? q.c : hi;
        return 0;
    }
    nv_lock_take(&rs->lock);
    walk(rs->root, &q);
    nv_lock_give(&rs->lock);
    if (!q.stop && q.c < hi && emit(&q, hi))
        q.c = hi;
    *from = q.c;
    return q.n;
}

/* ---- every region, in order ---- */

int nve_regions_next(struct nve_regions *rs, struct nve_regions_cursor *c, struct nve_region *out)
{
    const struct node *best = NULL;
    nv_lock_take(&rs->lock);
    for (const struct node *t = rs->root; t;) {
        if (!c->started || cmp(c->lo, c->fe, c->key, &t->v) < 0) {
            best = t;
            t = t->l;
        } else {
            t = t->r;
        }
    }
    if (best)
        *out = best->v;
    nv_lock_give(&rs->lock);
    if (!best)
        return 0;
    c->started = 1;
    c->lo = out->lo;
    c->fe = out->frontend;
    c->key = out->key;
    return 1;
}

size_t nve_regions_count(struct nve_regions *rs)
{
    return __atomic_load_n(&rs->n, __ATOMIC_RELAXED);
}

int nve_regions_locked(struct nve_regions *rs)
{
    return nv_lock_held(&rs->lock);
}

void nve_regions_lock(struct nve_regions *rs)
{
    nv_lock_take(&rs->lock);
}

void nve_regions_unlock(struct nve_regions *rs)
{
    nv_lock_give(&rs->lock);
}

void nve_regions_reset_lock(struct nve_regions *rs)
{
    nv_lock_reset(&rs->lock);
}
