/* findings.c -- the findings of one process, merged by kind and call stack.
 *
 * One million unflushed writes from one loop are one finding with count 1000000 and
 * their byte total, not a million report entries. Entries come from the findings
 * arena (never malloc: findings are added from inside API calls) and are indexed by
 * uthash on the whole key. The number of distinct findings is capped; occurrences
 * past the cap are counted per kind so the report can say what it left out.
 *
 * Arithmetic. Sizes are whatever the program passed: a rejected call's may be
 * SIZE_MAX, a token's region 2^63+1 bytes. Those of rejected calls are not added up
 * at all (nve_kind_has_bytes); every other sum and count saturates at NVE_SAT_MAX, so
 * a total is never a wrapped, small-looking number and always a JSON integer.
 */
#include "findings.h"

#include "arena.h"
#include "lock.h"

#include <string.h>

/* uthash allocates through these; `arena_` is a local of the calling function. */
#define uthash_malloc(sz) nv_arena_alloc(arena_, sz)
#define uthash_free(ptr, sz) nv_arena_free(arena_, ptr, sz)
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom_ = 1)
#include <uthash.h>

struct entry {
    UT_hash_handle hh;
    struct nve_finding f;
    uint64_t mark_count, mark_bytes; /* as they were at the last nve_findings_mark */
    uint32_t mark_nranges;
};

struct nve_findings {
    nv_lock lock;
    struct nv_arena arena;
    struct entry *head;
    uint32_t n, max;
    uint64_t dropped[NV_NKINDS];
};

const char *nve_role_name(enum nve_role r)
{
    switch (r) {
    case NVE_ROLE_FLUSHED_AT:
        return "flushed-at";
    case NVE_ROLE_TOKEN_FREED_AT:
        return "token-freed-at";
    case NVE_ROLE_TOKEN_CREATED_AT:
        return "token-created-at";
    case NVE_ROLE_PREVIOUS_WRITE:
        return "previous-write";
    default:
        return "none";
    }
}

struct nve_findings *nve_findings_new(uint32_t max_findings)
{
    struct nve_findings *fs = nv_map(sizeof *fs);
    if (fs)
        fs->max = max_findings;
    return fs;
}

void nve_findings_delete(struct nve_findings *fs)
{
    if (!fs)
        return;
    nve_findings_clear(fs);
    nv_unmap(fs, sizeof *fs);
}

int nve_kind_has_bytes(uint32_t kind)
{
    return kind != NV_K_INVALID_ARGUMENT && kind != NV_K_INVALID_TOKEN &&
           kind != NV_K_OUT_OF_REGION;
}

static void merge(struct nve_finding *f, const struct nve_occurrence *o)
{
    f->count = nve_sat_add(f->count, 1);
    if (nve_kind_has_bytes(o->key.kind))
        f->bytes = nve_sat_add(f->bytes, o->size);
    if (f->nranges < NVE_RANGES) {
        f->ranges[f->nranges].addr = o->addr;
        f->ranges[f->nranges].size = o->size;
        f->nranges++;
    }
}

void nve_findings_add(struct nve_findings *fs, const struct nve_occurrence *o)
{
    struct nv_arena *arena_ = &fs->arena;
    int oom_ = 0;
    struct entry *e;
    if (o->key.kind >= NV_NKINDS)
        return; /* no such kind: totals and reports index their tables by kind */
    nv_lock_take(&fs->lock);
    HASH_FIND(hh, fs->head, &o->key, sizeof o->key, e);
    if (!e && fs->n < fs->max && (e = nv_arena_calloc(arena_, sizeof *e)) != NULL) {
        e->f.first = *o;
        HASH_ADD(hh, fs->head, f.first.key, sizeof o->key, e);
        if (oom_) {
            nv_arena_free(arena_, e, sizeof *e);
            e = NULL;
        } else {
            fs->n++;
        }
    }
    if (e)
        merge(&e->f, o);
    else if (o->key.kind < NV_NKINDS)
        fs->dropped[o->key.kind] = nve_sat_add(fs->dropped[o->key.kind], 1);
    nv_lock_give(&fs->lock);
}

void nve_findings_each(struct nve_findings *fs, void (*fn)(const struct nve_finding *, void *),
                       void *arg)
{
    for (struct entry *e = fs->head; e; e = e->hh.next)
        fn(&e->f, arg);
}

void nve_findings_totals(struct nve_findings *fs, struct nve_findings_totals *t)
{
    memset(t, 0, sizeof *t);
    nv_lock_take(&fs->lock);
    for (struct entry *e = fs->head; e; e = e->hh.next) {
        uint32_t k = e->f.first.key.kind;
        t->findings[k]++;
        t->occurrences[k] = nve_sat_add(t->occurrences[k], e->f.count);
        t->bytes[k] = nve_sat_add(t->bytes[k], e->f.bytes); /* 0 for kinds without bytes */
        if (nv_kinds[k].severity == NV_SEV_ERROR)
            t->errors++;
        else
            t->warnings++;
    }
    memcpy(t->dropped, fs->dropped, sizeof t->dropped);
    nv_lock_give(&fs->lock);
}

void nve_findings_mark(struct nve_findings *fs, struct nve_findings_mark *m)
{
    nv_lock_take(&fs->lock);
    for (struct entry *e = fs->head; e; e = e->hh.next) {
        e->mark_count = e->f.count;
        e->mark_bytes = e->f.bytes;
        e->mark_nranges = e->f.nranges;
    }
    m->n = fs->n;
    memcpy(m->dropped, fs->dropped, sizeof m->dropped);
    nv_lock_give(&fs->lock);
}

void nve_findings_rollback(struct nve_findings *fs, const struct nve_findings_mark *m)
{
    struct nv_arena *arena_ = &fs->arena;
    uint32_t i = 0;
    nv_lock_take(&fs->lock);
    for (struct entry *e = fs->head, *next; e; e = next, i++) {
        next = e->hh.next; /* insertion order: the first m->n were there at the mark */
        if (i < m->n) {
            e->f.count = e->mark_count;
            e->f.bytes = e->mark_bytes;
            e->f.nranges = e->mark_nranges;
            continue;
        }
        HASH_DEL(fs->head, e);
        nv_arena_free(arena_, e, sizeof *e);
        fs->n--;
    }
    memcpy(fs->dropped, m->dropped, sizeof fs->dropped);
    nv_lock_give(&fs->lock);
}

void nve_findings_clear(struct nve_findings *fs)
{
    struct nv_arena *arena_ = &fs->arena;
    nv_lock_take(&fs->lock);
    HASH_CLEAR(hh, fs->head); /* frees the bucket table, which may be a big block */
    nv_arena_release(arena_);
    fs->n = 0;
    memset(fs->dropped, 0, sizeof fs->dropped);
    nv_lock_give(&fs->lock);
}

int nve_findings_locked(struct nve_findings *fs)
{
    return nv_lock_held(&fs->lock);
}

void nve_findings_lock(struct nve_findings *fs)
{
    nv_lock_take(&fs->lock);
}

void nve_findings_unlock(struct nve_findings *fs)
{
    nv_lock_give(&fs->lock);
}

void nve_findings_reset_lock(struct nve_findings *fs)
{
    nv_lock_reset(&fs->lock);
}
