/* segs.h -- the outstanding byte ranges of one 4 KiB chunk of NV memory. */
#ifndef NVE_SEGS_H
#define NVE_SEGS_H

#include "arena.h"

#include <stddef.h>
#include <stdint.h>

#define NVE_CHUNK_SHIFT 12
#define NVE_CHUNK (1u << NVE_CHUNK_SHIFT)
#define NVE_LINE 64u
#define NVE_ANY_THREAD UINT32_MAX /* in a piece: flushed by several threads */
#define NVE_FLUSHERS 0x80000000u  /* in a run: a set of flushing threads, see below */
/* In a run's wstack: the bytes were inherited from the parent process (nve_disown).
 * Stack ids stay below 2^20 (stackdepot.h), so the bit is free. */
#define NVE_INHERITED 0x80000000u

/* One run of bytes [lo, hi) in the same state, written by the same call. flusher == 0
 * means DIRTY; otherwise FLUSHED (not yet drained) by one thread (its id, < 2^31) or,
 * when NVE_FLUSHERS is set, by the set of threads whose bits (nve_flusher_bit) are
 * set: a line written back by two threads is persisted by either one's drain, and by
 * no third thread's. Ids share bits modulo 31, so beyond 31 threads a drain by a
 * thread sharing a bit also counts -- a missed finding, never a false one. CLEAN bytes
 * have no segment. 16 bytes. */
struct nve_seg {
    uint16_t lo, hi;
    uint32_t wstack;  /* stack id of the write that last dirtied these bytes (| NVE_INHERITED) */
    uint32_t fstack;  /* stack id of the flush (FLUSHED only) */
    uint32_t flusher; /* thread id, NVE_ANY_THREAD, or 0 = DIRTY */
};

/* A chunk's runs, sorted by lo, never overlapping. Most chunks hold one run, kept in
 * the chunk itself (cap == 0); more go to an array from the shard's arena. */
struct nve_chunk {
    uintptr_t key; /* chunk number + 1; 0 marks an empty hash slot */
    union {
        struct nve_seg *seg; /* cap > 0 */
        struct nve_seg one;  /* cap == 0, n <= 1 */
    } u;
    uint32_t n, cap;
};

static inline uint32_t nve_flusher_bit(uint32_t t)
{
    return 1u << ((t - 1) % 31);
}

/* nve_flushed_by -- flusher f after thread t also writes the bytes back. */
static inline uint32_t nve_flushed_by(uint32_t f, uint32_t t)
{
    if (f == 0 || f == t)
        return t;
    return (f & NVE_FLUSHERS ? f : NVE_FLUSHERS | nve_flusher_bit(f)) | nve_flusher_bit(t);
}

/* nve_drained_by -- thread t's drain persists bytes with flusher f. */
static inline int nve_drained_by(uint32_t f, uint32_t t)
{
    return f == t || ((f & NVE_FLUSHERS) && (f & nve_flusher_bit(t)));
}

/* nve_runs -- the chunk's runs (valid until the chunk is changed or moved). */
static inline struct nve_seg *nve_runs(struct nve_chunk *c)
{
    return c->cap ? c->u.seg : &c->u.one;
}

/* The first DIRTY run a write landed on (for overwritten-unflushed). */
struct nve_over {
    uintptr_t addr;
    size_t len;
    uint32_t wstack;
};

/* seg_set -- bytes [lo, hi) become *v (v == NULL: CLEAN). -1 when out of memory
 * (chunk unchanged). */
int seg_set(struct nv_arena *a, struct nve_chunk *c, unsigned lo, unsigned hi,
            const struct nve_seg *v);

/* seg_find_dirty -- fill *over with the first DIRTY run overlapping [lo, hi) (clipped;
 * base is the chunk's address); 1 if there was one. */
int seg_find_dirty(struct nve_chunk *c, unsigned lo, unsigned hi, uintptr_t base,
                   struct nve_over *over);

/* seg_flush -- the lines [lo, hi) (line-aligned) are written back by thread t.
 * drain: and then drained by t, so they become CLEAN. Sets *had_dirty when a DIRTY
 * byte was there; returns 1 when something is left FLUSHED, 0 if not, -1 on OOM. */
int seg_flush(struct nv_arena *a, struct nve_chunk *c, unsigned lo, unsigned hi, uint32_t t,
              uint32_t fstack, int drain, int *had_dirty);

/* seg_drain -- thread t drains: the runs it flushed become CLEAN;
 * all: every FLUSHED run does (global drain). */
void seg_drain(struct nve_chunk *c, uint32_t t, int all);

/* seg_disown -- every run of the chunk is now inherited (NVE_INHERITED). */
void seg_disown(struct nve_chunk *c);

/* seg_release -- free the array (the chunk is going away). */
void seg_release(struct nv_arena *a, struct nve_chunk *c);

#endif
