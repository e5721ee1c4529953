/* pieces.h -- the shadow unit tests' view of outstanding state: pieces taken or peeked. */
#ifndef NV_TEST_PIECES_H
#define NV_TEST_PIECES_H

#include "engine/shadow.h"
#include "tap.h"

#define MAXP 64
static struct nve_piece got[MAXP];
static size_t ngot, unordered; /* pieces seen; pieces not after the end of the one before */
static uintptr_t prev_end;

static void collect(const struct nve_piece *p, void *arg)
{
    (void)arg;
    if (ngot && p->addr < prev_end)
        unordered++;
    prev_end = p->addr + p->len;
    if (ngot < MAXP)
        got[ngot] = *p;
    ngot++;
}

/* take -- everything outstanding in [lo, hi), into got[]. */
static size_t take(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi)
{
    ngot = unordered = 0;
    ok(nve_take(sh, lo, hi, collect, NULL) == 0, "take [%#lx, %#lx)", (unsigned long)lo,
       (unsigned long)hi);
    return ngot;
}

/* peek -- the same, leaving it there. */
static size_t peek(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi)
{
    ngot = unordered = 0;
    ok(nve_peek(sh, lo, hi, collect, NULL) == 0, "peek [%#lx, %#lx)", (unsigned long)lo,
       (unsigned long)hi);
    return ngot;
}

/* piece -- got[i] is exactly this run. */
static void piece(size_t i, uintptr_t addr, size_t len, uint32_t ws, uint32_t flusher,
                  const char *what)
{
    is_u(got[i].addr, addr, "%s: address", what);
    is_u(got[i].len, len, "%s: length", what);
    is_u(got[i].wstack, ws, "%s: write stack", what);
    is_u(got[i].flusher, flusher, "%s: %s", what, flusher ? "flushed by" : "dirty");
}

#endif
