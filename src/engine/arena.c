/* arena.c -- an mmap-backed allocator with size-class free lists.
 *
 * The engine runs inside signal handlers (future plain-store tracking), inside
 * programs that replace malloc, and while the program's own malloc lock may be held,
 * so it allocates only from here. Sizes are rounded up to a power of two (16 B ..
 * 64 KiB) and freed blocks go to their class's free list; bigger blocks get their own
 * mapping. Blocks of 1 MiB are carved with a bump pointer and linked so that
 * nv_arena_release can give everything back.
 */
#include "arena.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define BLOCK (1u << 20)
#define BIG NV_ARENA_BIG

/* A block's first 16 bytes link it to the previous block; big allocations are not
 * linked (their owners free them). */
struct block {
    struct block *prev;
    size_t size;
};

void *nv_map(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void nv_unmap(void *p, size_t n)
{
    if (p)
        munmap(p, n);
}

static size_t page_round(size_t n)
{
    return (n + 4095) & ~(size_t)4095;
}

/* Size classes: 16, 32, then two per power of two (48, 64, 96, 128, 192, ...,
 * 65536), so a block wastes at most a third of itself rather than half. */
static unsigned class_of(size_t n)
{
    if (n <= 32)
        return n <= 16 ? 0 : 1;
    unsigned p = (unsigned)(64 - __builtin_clzll((unsigned long long)(n - 1))); /* 2^p >= n */
    return n <= (size_t)3 << (p - 2) ? 2 * p - 10 : 2 * p - 9;
}

static size_t class_size(unsigned c)
{
    if (c < 2)
        return (size_t)16 << c;
    return c % 2 ? (size_t)1 << ((c + 9) / 2) : (size_t)3 << (c / 2 + 3);
}

void *nv_arena_alloc(struct nv_arena *a, size_t n)
{
    if (n > BIG) {
        void *p = nv_map(page_round(n));
        if (p) {
            a->in_use += page_round(n);
            a->mapped += page_round(n);
        }
        return p;
    }
    unsigned c = class_of(n);
    size_t sz = class_size(c);
    void *p = a->free[c];
    if (p) {
        memcpy(&a->free[c], p, sizeof(void *));
    } else {
        if ((size_t)(a->end - a->cur) < sz) {
            struct block *b = nv_map(BLOCK);
            if (!b)
                return NULL;
            /* The tail of the old block is lost; at most 64 KiB in 1 MiB. */
            b->prev = a->blocks;
            a->blocks = b;
            b->size = BLOCK;
            a->mapped += BLOCK;
            a->cur = (char *)b + sizeof *b;
            a->end = (char *)b + BLOCK;
        }
        p = a->cur;
        a->cur += sz;
    }
    a->in_use += sz;
    return p;
}

void *nv_arena_calloc(struct nv_arena *a, size_t n)
{
    void *p = nv_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void nv_arena_free(struct nv_arena *a, void *p, size_t n)
{
    if (!p)
        return;
    if (n > BIG) {
        nv_unmap(p, page_round(n));
        a->in_use -= page_round(n);
        a->mapped -= page_round(n);
        return;
    }
    unsigned c = class_of(n);
    memcpy(p, &a->free[c], sizeof(void *));
    a->free[c] = p;
    a->in_use -= class_size(c);
}

void nv_arena_release(struct nv_arena *a)
{
    struct block *b = a->blocks;
    while (b) {
        struct block *prev = b->prev;
        nv_unmap(b, BLOCK);
        b = prev;
    }
    memset(a, 0, sizeof *a);
}
