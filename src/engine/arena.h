/* arena.h -- an mmap-backed allocator with size-class free lists; never calls malloc. */
#ifndef NV_ARENA_H
#define NV_ARENA_H

#include <stddef.h>

#define NV_ARENA_CLASSES 24 /* 16 B .. 64 KiB; larger blocks are mapped on their own */
/* Blocks up to this size stay mapped once freed (until nv_arena_release); larger ones
 * have their own mapping, unmapped when freed. */
#define NV_ARENA_BIG 65536u

/* Not thread-safe: each arena belongs to one lock (a shadow shard, the stack depot,
 * the findings table). Zero-initialised is a valid empty arena. */
struct nv_arena {
    char *cur, *end;
    void *blocks; /* the newest 1 MiB block; each links to the one before */
    void *free[NV_ARENA_CLASSES];
    size_t in_use; /* bytes handed out and not given back (rounded to class size) */
    size_t mapped; /* bytes obtained from the kernel */
};

/* nv_arena_alloc -- n bytes, 16-byte aligned, not zeroed; NULL when out of memory. */
void *nv_arena_alloc(struct nv_arena *a, size_t n);
/* nv_arena_calloc -- zeroed. */
void *nv_arena_calloc(struct nv_arena *a, size_t n);
/* nv_arena_free -- give back p, which was allocated with the same n. */
void nv_arena_free(struct nv_arena *a, void *p, size_t n);
/* nv_arena_release -- unmap everything (unit tests, and a disabled checker). */
void nv_arena_release(struct nv_arena *a);

/* The kernel's allocator, for arenas and big tables. */
void *nv_map(size_t n);
void nv_unmap(void *p, size_t n);

#endif
