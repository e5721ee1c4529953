/* chunkmap.c -- chunk number -> outstanding runs, open addressing.
 *
 * uthash would cost a 56-byte handle and a separate allocation per chunk; with the
 * chunk stored inline a slot is 24 bytes and a lookup touches one cache line.
 */
#include "chunkmap.h"

#include "attrs.h"

#include <string.h>

static uint32_t home(const struct nve_chunkmap *m, uintptr_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & m->mask;
}

uint32_t cmap_home(const struct nve_chunkmap *m, uintptr_t key)
{
    return home(m, key);
}

struct nve_chunk *cmap_find(const struct nve_chunkmap *m, uintptr_t key)
{
    if (!m->slot)
        return NULL;
    for (uint32_t i = home(m, key);; i = (i + 1) & m->mask) {
        if (m->slot[i].key == key)
            return &m->slot[i];
        if (m->slot[i].key == 0)
            return NULL;
    }
}

/* resize -- move every chunk into a table of size slots (a power of two >= 64). */
NV_COLD static int resize(struct nve_chunkmap *m, struct nv_arena *a, uint32_t size)
{
    struct nve_chunk *old = m->slot;
    uint32_t old_size = old ? m->mask + 1 : 0;
    struct nve_chunk *s = nv_arena_calloc(a, size * sizeof *s);
    if (!s)
        return -1;
    m->slot = s;
    m->mask = size - 1;
    for (uint32_t i = 0; i < old_size; i++) {
        if (!old[i].key)
            continue;
        uint32_t j = home(m, old[i].key);
        while (s[j].key)
            j = (j + 1) & m->mask;
        s[j] = old[i];
    }
    nv_arena_free(a, old, old_size * sizeof *old);
    return 0;
}

static int grow(struct nve_chunkmap *m, struct nv_arena *a)
{
    return resize(m, a, m->slot ? (m->mask + 1) * 2 : 64);
}

void cmap_shrink(struct nve_chunkmap *m, struct nv_arena *a, int release_empty)
{
    uint32_t size = m->slot ? m->mask + 1 : 0;
    if (!m->slot || (m->count && (size == 64 || m->count * 8 > size)))
        return;
    if (m->count == 0 && (release_empty || size > 64)) {
        nv_arena_free(a, m->slot, size * sizeof *m->slot);
        m->slot = NULL;
        m->mask = 0;
        return;
    }
    uint32_t want = 64;
    while (want < m->count * 4)
        want *= 2;
    if (want < size)
        resize(m, a, want); /* on failure the big table simply stays */
}

struct nve_chunk *cmap_insert(struct nve_chunkmap *m, struct nv_arena *a, uintptr_t key)
{
    struct nve_chunk *c = cmap_find(m, key);
    if (c)
        return c;
    if ((!m->slot || (m->count + 1) * 4 > (m->mask + 1) * 3) && grow(m, a) < 0)
        return NULL;
    uint32_t i = home(m, key);
    while (m->slot[i].key)
        i = (i + 1) & m->mask;
    m->slot[i] = (struct nve_chunk){.key = key};
    __atomic_store_n(&m->count, m->count + 1, __ATOMIC_RELAXED);
    return &m->slot[i];
}

void cmap_remove(struct nve_chunkmap *m, struct nve_chunk *c)
{
    uint32_t i = (uint32_t)(c - m->slot);
    /* Backward shift: pull later members of the probe run into the hole when the
     * hole lies on their way from home. */
    for (uint32_t j = (i + 1) & m->mask; m->slot[j].key; j = (j + 1) & m->mask) {
        uint32_t h = home(m, m->slot[j].key);
        if (((j - h) & m->mask) >= ((j - i) & m->mask)) {
            m->slot[i] = m->slot[j];
            i = j;
        }
    }
    m->slot[i] = (struct nve_chunk){0};
    __atomic_store_n(&m->count, m->count - 1, __ATOMIC_RELAXED);
}

void cmap_release(struct nve_chunkmap *m, struct nv_arena *a)
{
    if (m->slot) {
        for (uint32_t i = 0; i <= m->mask; i++)
            if (m->slot[i].key)
                seg_release(a, &m->slot[i]);
        nv_arena_free(a, m->slot, (m->mask + 1) * sizeof *m->slot);
    }
    memset(m, 0, sizeof *m);
}
