/* chunkmap.h -- chunk number -> its outstanding runs: an open-addressing hash table. */
#ifndef NVE_CHUNKMAP_H
#define NVE_CHUNKMAP_H

#include "segs.h"

/* Linear probing, backward-shift deletion (no tombstones), grown at 3/4 full. Chunks
 * live inline in the table, so a pointer to one is good only until the next insert
 * or remove. */
/* All read and written under the owner's lock; count is also read racily (atomic
 * loads), as a hint that the owner holds something. */
struct nve_chunkmap {
    struct nve_chunk *slot;
    uint32_t mask;  /* size - 1; size is a power of two (or 0: no table yet) */
    uint32_t count; /* chunks in the table */
};

struct nve_chunk *cmap_find(const struct nve_chunkmap *m, uintptr_t key);
/* cmap_home -- where key's probe starts (for prefetching). */
uint32_t cmap_home(const struct nve_chunkmap *m, uintptr_t key);
/* cmap_insert -- the chunk for key, created empty if absent; NULL when out of memory. */
struct nve_chunk *cmap_insert(struct nve_chunkmap *m, struct nv_arena *a, uintptr_t key);
/* cmap_remove -- drop an (already released) chunk; the slot may then hold another. */
void cmap_remove(struct nve_chunkmap *m, struct nve_chunk *c);
/* cmap_shrink -- give memory back when the table is mostly empty; an empty table
 * is freed when it is big, or always with release_empty (the small one is kept on
 * the hot path, where a chunk comes and goes with every write+flush). Chunk
 * pointers are invalid afterwards. */
void cmap_shrink(struct nve_chunkmap *m, struct nv_arena *a, int release_empty);
void cmap_release(struct nve_chunkmap *m, struct nv_arena *a);

#endif
