/* storelog.h -- a shard's plain stores that are not yet applied to its chunks. */
#ifndef NVE_STORELOG_H
#define NVE_STORELOG_H

#include "chunkmap.h"

#define NVE_LOG 64        /* entries in a shard's front buffer: 1 KiB */
#define NVE_LOG_BLOCK 255 /* entries in a spill block: 4 KiB with its header */
#define NVE_LOG_MAX 16384 /* entries past which the log is applied rather than spilled */

/* One plain store: bytes [addr, addr+len) DIRTY, written by stack wstack. Never
 * crosses a 4 KiB chunk boundary. */
struct nve_logent {
    uintptr_t addr;
    uint32_t len, wstack;
};

struct nve_logblk {
    struct nve_logblk *next;
    uint32_t n;
    struct nve_logent e[NVE_LOG_BLOCK];
};

/* Owned by a shard and written under its lock; the counts are also read racily
 * (atomic loads), as hints. Entries in order of age: the blocks from first to last,
 * then the front buffer. */
struct nve_log {
    uint32_t spilled; /* entries in the blocks */
    uint32_t nf;      /* entries in the front buffer */
    uintptr_t lo, hi; /* the bytes they cover lie in [lo, hi) (n > 0) */
    struct nve_logblk *first, *last;
    struct nve_logent e[NVE_LOG];
};

/* log_add -- record a plain store of [a, a+n) (inside one chunk). 0; 1 when memory use
 * changed (a block was added, or the log applied); -1 when out of memory (the state
 * is then incomplete). */
int log_add(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t a, uint32_t n,
            uint32_t ws);

/* log_apply -- every entry into the chunks, in the order they were made. 0, or -1
 * when out of memory (the entries not applied are lost). */
int log_apply(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar);

/* log_count -- entries in all (a racy hint, too: no lock needed). */
static inline uint32_t log_count(const struct nve_log *l)
{
    return __atomic_load_n(&l->spilled, __ATOMIC_RELAXED) +
           __atomic_load_n(&l->nf, __ATOMIC_RELAXED);
}

/* log_touches -- some entry may overlap [lo, hi) (an operation there must apply the
 * log first). */
static inline int log_touches(const struct nve_log *l, uintptr_t lo, uintptr_t hi)
{
    return log_count(l) && l->lo < hi && lo < l->hi;
}

/* log_clean -- [lo, hi) is about to become CLEAN: entries wholly inside it are
 * dropped, and the log is applied when any other entry overlaps it (or may: a long
 * log is not searched). *dirty is set when dropped entries lay in the range (their
 * bytes were DIRTY). 0 or -1 as log_apply. */
int log_clean(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t lo,
              uintptr_t hi, int *dirty);

#endif
