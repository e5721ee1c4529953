/* storelog.h -- a shard's recent plain stores, not yet applied to its chunks. */
#ifndef NVE_STORELOG_H
#define NVE_STORELOG_H

#include "chunkmap.h"

#define NVE_LOG 64 /* entries per shard: 1 KiB */

/* One plain store: bytes [addr, addr+len) DIRTY, written by stack wstack. Never
 * crosses a 4 KiB chunk boundary. */
struct nve_logent {
    uintptr_t addr;
    uint32_t len, wstack;
};

/* Owned by a shard and written under its lock; n is also read racily (atomic loads),
 * as a hint that the shard holds something. */
struct nve_log {
    uint32_t n;       /* entries in use */
    uintptr_t lo, hi; /* the bytes they cover lie in [lo, hi) (n > 0) */
    struct nve_logent e[NVE_LOG];
};

/* log_add -- record a plain store of [a, a+n) (inside one chunk), applying the log
 * first when it is full. 0; 1 when the log was applied (memory use changed); -1 when
 * out of memory (the state is then incomplete). */
int log_add(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t a,
            uint32_t n, uint32_t ws);

/* log_apply -- every entry into the chunks, in the order they were made. 0, or -1
 * when out of memory (the entries not applied are lost). */
int log_apply(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar);

/* log_touches -- some entry may overlap [lo, hi) (an operation there must apply the
 * log first). */
static inline int log_touches(const struct nve_log *l, uintptr_t lo, uintptr_t hi)
{
    return l->n && l->lo < hi && lo < l->hi;
}

/* log_clean -- [lo, hi) is about to become CLEAN: entries wholly inside it are
 * dropped, and the log is applied when any other entry overlaps it. *dirty is set
 * when some entry overlapped (its bytes were DIRTY). 0 or -1 as log_apply. */
int log_clean(struct nve_log *l, struct nve_chunkmap *m, struct nv_arena *ar, uintptr_t lo,
              uintptr_t hi, int *dirty);

#endif
