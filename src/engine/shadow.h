/* shadow.h -- the persistence state of NV memory: which bytes are not yet durable. */
#ifndef NVE_SHADOW_H
#define NVE_SHADOW_H

#include "segs.h"

#include <stddef.h>
#include <stdint.h>

#define NVE_PENDING 32

/* Line ranges flushed since the last drain, so a drain visits only those. When more
 * distinct ranges pile up than fit, `overflow` makes the next drain scan everything. */
struct nve_pending {
    uint32_t n;
    int overflow;
    struct {
        uintptr_t lo, hi;
    } r[NVE_PENDING];
};

/* A thread, as the engine sees it: an id (1, 2, ...) that flushed runs carry, and
 * the lines it flushed since it last drained. */
struct nve_thread {
    uint32_t id;
    struct nve_pending pending;
};

enum nve_store_mode {
    NVE_STORE_DIRTY,       /* a plain store: bytes DIRTY */
    NVE_STORE_FLUSHED,     /* non-temporal: bytes FLUSHED by this thread */
    NVE_STORE_CLEAN_BYTES, /* non-temporal + drain: bytes CLEAN */
    NVE_STORE_CLEAN_LINES, /* store + flush + drain: the bytes' whole lines CLEAN */
};

/* An outstanding run handed out by nve_take: adjacent bytes with the same write,
 * flush and flusher, merged across chunks. */
struct nve_piece {
    uintptr_t addr;
    size_t len;
    uint32_t wstack, fstack, flusher;
};

struct nve_stats {
    size_t bytes;      /* shadow memory in use now */
    size_t peak_bytes; /* highest `bytes` seen (published in 4 KiB steps per shard) */
    size_t chunks;     /* 4 KiB chunks with outstanding bytes */
    size_t runs;       /* outstanding runs */
};

struct nve_shadow;

struct nve_shadow *nve_shadow_new(int global_drain);
void nve_shadow_delete(struct nve_shadow *sh);
/* nve_shadow_set_cap -- past this much shadow memory (0: no cap) new outstanding
 * stores are not recorded (nve_store returns 1); flushes and drains still are. */
void nve_shadow_set_cap(struct nve_shadow *sh, size_t bytes);

/* All return 0, or -1 when shadow memory ran out (the state is then incomplete and
 * the caller should stop checking). Ranges are non-empty and do not wrap. */

/* nve_store -- thread t wrote [a, a+n) from the call with stack ws. over (optional):
 * filled with the first DIRTY run the write landed on, len 0 if none. The CLEAN
 * modes do not drain; the caller follows them with nve_drain. Returns 1, recording
 * nothing, for a DIRTY or FLUSHED store once shadow memory reached its cap. */
int nve_store(struct nve_shadow *sh, struct nve_thread *t, uintptr_t a, size_t n,
              enum nve_store_mode mode, uint32_t ws, struct nve_over *over);
/* nve_flush -- t flushed the lines covering [a, a+n) from the call with stack fs,
 * then drained when drain is set. *had_dirty: some byte there was DIRTY. */
int nve_flush(struct nve_shadow *sh, struct nve_thread *t, uintptr_t a, size_t n, uint32_t fs,
              int drain, int *had_dirty);
/* nve_drain -- t drained: what t flushed becomes CLEAN (everything flushed, with
 * global drain). */
int nve_drain(struct nve_shadow *sh, struct nve_thread *t);
/* nve_take -- remove every outstanding byte in [lo, hi) and call fn on each piece,
 * in address order. fn runs without shard locks held. */
int nve_take(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi,
             void (*fn)(const struct nve_piece *, void *), void *arg);

/* nve_prefetch -- a hint that [a, a+n) is about to be stored to: start loading the
 * shadow it will touch (its chunk's table slot, and that chunk's runs) so that the
 * cache misses overlap the caller's own work. Reads racily; changes nothing. */
void nve_prefetch(struct nve_shadow *sh, uintptr_t a, int step);

void nve_stats(struct nve_shadow *sh, struct nve_stats *st);

/* nve_shadow_locked -- some lock of sh is held (a snapshot, for fatal-signal paths). */
int nve_shadow_locked(struct nve_shadow *sh);

/* Fork: hold every lock across fork(); in the child, reset them. */
void nve_shadow_lock_all(struct nve_shadow *sh);
void nve_shadow_unlock_all(struct nve_shadow *sh);
void nve_shadow_reset_locks(struct nve_shadow *sh);

#endif
