/* test_shadow.c -- the persistence model (src/engine/shadow.c) transition by transition. */
#include "engine/shadow.h"
#include "tap.h"

#include <sys/mman.h>

#define MAXP 64
static struct nve_piece got[MAXP];
static size_t ngot;

static void collect(const struct nve_piece *p, void *arg)
{
    (void)arg;
    if (ngot < MAXP)
        got[ngot] = *p;
    ngot++;
}

/* take -- everything outstanding in [lo, hi), into got[]. */
static size_t take(struct nve_shadow *sh, uintptr_t lo, uintptr_t hi)
{
    ngot = 0;
    ok(nve_take(sh, lo, hi, collect, NULL) == 0, "take [%#lx, %#lx)", (unsigned long)lo,
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

static struct nve_thread T1 = {.id = 1}, T2 = {.id = 2}, T3 = {.id = 3};

static void reset_threads(void)
{
    T1.pending.n = T2.pending.n = T3.pending.n = 0;
    T1.pending.overflow = T2.pending.overflow = T3.pending.overflow = 0;
}

#define B 0x10000000ul /* a chunk-aligned base, like a region start */

static void test_basic(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    int dirty;
    reset_threads();
    ok(nve_store(sh, &T1, B + 10, 20, NVE_STORE_DIRTY, 7, NULL) == 0, "store");
    is_u(take(sh, B, B + 4096), 1, "dirty write: one piece");
    piece(0, B + 10, 20, 7, 0, "dirty write");
    is_u(take(sh, B, B + 4096), 0, "take forgets");

    nve_store(sh, &T1, B + 10, 20, NVE_STORE_DIRTY, 7, NULL);
    nve_flush(sh, &T1, B + 10, 20, 9, 0, &dirty);
    ok(dirty, "flush saw dirty bytes");
    is_u(take(sh, B, B + 4096), 1, "flushed, not drained: one piece");
    piece(0, B + 10, 20, 7, 1, "flush without drain");
    is_u(got[0].fstack, 9, "flush stack remembered");

    nve_store(sh, &T1, B + 10, 20, NVE_STORE_DIRTY, 7, NULL);
    nve_flush(sh, &T1, B + 10, 20, 9, 0, &dirty);
    nve_drain(sh, &T1);
    is_u(take(sh, B, B + 4096), 0, "flush then drain: clean");

    nve_store(sh, &T1, B + 10, 20, NVE_STORE_DIRTY, 7, NULL);
    nve_flush(sh, &T1, B + 10, 20, 0, 1, &dirty);
    is_u(take(sh, B, B + 4096), 0, "flush+drain in one call: clean");

    nve_flush(sh, &T1, B + 10, 20, 0, 1, &dirty);
    ok(!dirty, "flush of clean memory saw nothing dirty");

    struct nve_stats st;
    nve_stats(sh, &st);
    is_u(st.runs, 0, "no runs left");
    is_u(st.chunks, 0, "no chunks left");
    ok(st.bytes <= 4096, "shadow memory back to the table only (%zu bytes)", st.bytes);
    nve_shadow_delete(sh);
}

static void test_lines(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    int dirty;
    reset_threads();
    /* A flush of any byte flushes its whole line. */
    nve_store(sh, &T1, B + 3, 10, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B + 60, 1, 0, 1, &dirty);
    ok(dirty, "partial flush in the same line sees the dirty bytes");
    is_u(take(sh, B, B + 4096), 0, "flush of byte 60 persists bytes 3..12 of the line");

    /* Neighbouring bytes from different writes in one line go together. */
    nve_store(sh, &T1, B + 0, 8, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 8, 8, NVE_STORE_DIRTY, 2, NULL);
    nve_store(sh, &T1, B + 64, 8, NVE_STORE_DIRTY, 3, NULL);
    nve_flush(sh, &T1, B + 0, 8, 0, 1, &dirty);
    is_u(take(sh, B, B + 4096), 1, "neighbours in line 0 persisted, line 1 not");
    piece(0, B + 64, 8, 3, 0, "the next line stays dirty");

    /* An unaligned write across three lines, only the middle line flushed. */
    nve_store(sh, &T1, B + 30, 100, NVE_STORE_DIRTY, 4, NULL);
    nve_flush(sh, &T1, B + 64, 64, 5, 0, &dirty);
    is_u(take(sh, B, B + 4096), 3, "split into three runs");
    piece(0, B + 30, 34, 4, 0, "head line dirty");
    piece(1, B + 64, 64, 4, 1, "middle line flushed");
    piece(2, B + 128, 2, 4, 0, "tail line dirty");

    /* A write across a chunk boundary comes back as one piece. */
    nve_store(sh, &T1, B + 4000, 200, NVE_STORE_DIRTY, 6, NULL);
    is_u(take(sh, B, B + 8192), 1, "chunk-crossing write: one piece");
    piece(0, B + 4000, 200, 6, 0, "chunk-crossing write");
    nve_shadow_delete(sh);
}

static void test_overlap(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    struct nve_over over;
    int dirty;
    reset_threads();
    nve_store(sh, &T1, B, 100, NVE_STORE_DIRTY, 1, &over);
    is_u(over.len, 0, "first write overwrote nothing");
    nve_store(sh, &T1, B + 50, 100, NVE_STORE_DIRTY, 2, &over);
    is_u(over.addr, B + 50, "overwrite detected at");
    is_u(over.len, 50, "overwrite length");
    is_u(over.wstack, 1, "overwritten write's stack");
    is_u(take(sh, B, B + 4096), 2, "overlapping writes: two runs");
    piece(0, B, 50, 1, 0, "older write, uncovered part");
    piece(1, B + 50, 100, 2, 0, "newer write, whole");

    /* Writing into the middle of an earlier write splits it. */
    nve_store(sh, &T1, B, 300, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 100, 10, NVE_STORE_DIRTY, 2, NULL);
    is_u(take(sh, B, B + 4096), 3, "write inside a write: three runs");
    piece(0, B, 100, 1, 0, "left part");
    piece(1, B + 100, 10, 2, 0, "inner write");
    piece(2, B + 110, 190, 1, 0, "right part");

    /* Sequential writes from one call site merge into one run. */
    for (int i = 0; i < 80; i++)
        nve_store(sh, &T1, B + 48 * (uintptr_t)i, 48, NVE_STORE_DIRTY, 5, NULL);
    is_u(take(sh, B, B + 8192), 1, "80 adjacent writes, one stack: one run");
    piece(0, B, 48 * 80, 5, 0, "merged run");

    /* An overwrite of flushed (not dirty) bytes is not an overwritten-unflushed. */
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 3, 0, &dirty);
    nve_store(sh, &T1, B, 8, NVE_STORE_DIRTY, 2, &over);
    is_u(over.len, 0, "overwriting FLUSHED bytes is not reported as overwriting dirty ones");
    take(sh, B, B + 4096);

    /* One earlier write across a 4 KiB chunk boundary is one overwritten range. */
    nve_store(sh, &T1, B + 4000, 200, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 3990, 300, NVE_STORE_DIRTY, 2, &over);
    is_u(over.addr, B + 4000, "overwrite across chunks: address");
    is_u(over.len, 200, "overwrite across chunks: the whole earlier write");
    take(sh, B, B + 8192);

    /* A 1 GiB persisted-at-once write over few chunks visits them in table order: the
     * lowest DIRTY bytes are still the ones named, extended over chunk boundaries. */
    for (uintptr_t k = 1; k <= 8; k++)
        nve_store(sh, &T1, B + 16 * 4096 * k, 64, NVE_STORE_DIRTY, (uint32_t)(10 + k), NULL);
    nve_store(sh, &T1, B + 4096 - 32, 64, NVE_STORE_DIRTY, 9, NULL);
    nve_store(sh, &T1, B, 1ul << 30, NVE_STORE_CLEAN_BYTES, 3, &over);
    is_u(over.addr, B + 4096 - 32, "scanned overwrite: the lowest dirty bytes");
    is_u(over.len, 64, "scanned overwrite: extended into the next chunk");
    is_u(over.wstack, 9, "scanned overwrite: their write");
    is_u(take(sh, B, B + (1ul << 30)), 0, "the write persisted everything it covered");
    nve_shadow_delete(sh);
}

static void test_modes(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    struct nve_over over;
    reset_threads();
    /* Non-temporal: FLUSHED by the writer at once; only its drain persists it. */
    nve_store(sh, &T1, B + 8, 16, NVE_STORE_FLUSHED, 4, NULL);
    nve_drain(sh, &T2);
    is_u(take(sh, B, B + 4096), 1, "NT write survives another thread's drain");
    piece(0, B + 8, 16, 4, 1, "NT write");
    nve_store(sh, &T1, B + 8, 16, NVE_STORE_FLUSHED, 4, NULL);
    nve_drain(sh, &T1);
    is_u(take(sh, B, B + 4096), 0, "NT write + own drain: clean");

    /* Store+flush+drain cleans whole lines; NT+drain only its bytes. */
    nve_store(sh, &T1, B + 0, 8, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 100, 8, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 40, 8, NVE_STORE_CLEAN_LINES, 0, &over);
    nve_store(sh, &T1, B + 64, 8, NVE_STORE_CLEAN_BYTES, 0, NULL);
    is_u(over.len, 0, "no dirty bytes under the persisted write itself");
    is_u(take(sh, B, B + 4096), 1, "line 0 cleaned by the flushed write, line 1 not by NT");
    piece(0, B + 100, 8, 1, 0, "line 1 dirty bytes");

    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 16, 8, NVE_STORE_CLEAN_LINES, 0, &over);
    is_u(over.addr, B + 16, "persisted write over dirty bytes: overwrite at");
    is_u(over.len, 8, "persisted write over dirty bytes: length");
    is_u(take(sh, B, B + 4096), 0, "...and the line is clean");
    nve_shadow_delete(sh);
}

static void test_threads(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    int dirty;
    reset_threads();
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 2, 0, &dirty);
    nve_drain(sh, &T2);
    is_u(take(sh, B, B + 4096), 1, "T1's flush is not drained by T2");
    piece(0, B, 64, 1, 1, "undrained by T1");

    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 2, 0, &dirty);
    nve_drain(sh, &T2);
    nve_drain(sh, &T1);
    is_u(take(sh, B, B + 4096), 0, "T1's own drain persists it");

    /* A line flushed by two threads: either drain persists it, a third's does not. */
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 2, 0, &dirty);
    nve_flush(sh, &T2, B, 64, 3, 0, &dirty);
    nve_drain(sh, &T3);
    is_u(take(sh, B, B + 4096), 1, "T3 drains nothing it did not flush");
    is_u(got[0].flusher, NVE_ANY_THREAD, "line flushed by two threads");
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 2, 0, &dirty);
    nve_flush(sh, &T2, B, 64, 3, 0, &dirty);
    nve_store(sh, &T3, B + 256, 64, NVE_STORE_DIRTY, 4, NULL);
    nve_flush(sh, &T3, B + 256, 64, 5, 0, &dirty);
    nve_drain(sh, &T3);
    is_u(take(sh, B, B + 4096), 1, "T3 draining its own line of the chunk keeps theirs");
    is_u(got[0].flusher, NVE_ANY_THREAD, "still flushed by the two");
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 2, 0, &dirty);
    nve_flush(sh, &T2, B, 64, 3, 0, &dirty);
    nve_drain(sh, &T2);
    is_u(take(sh, B, B + 4096), 0, "the second flusher's drain persists it");

    /* T2 flush+drain of a line T1 flushed: T2 wrote it back itself. */
    reset_threads();
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 2, 0, &dirty);
    nve_flush(sh, &T2, B, 64, 0, 1, &dirty);
    is_u(take(sh, B, B + 4096), 0, "another thread's flush+drain persists the line");
    nve_shadow_delete(sh);

    /* Global drain (pmemcheck parity): any drain persists everything flushed. */
    sh = nve_shadow_new(1);
    reset_threads();
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 64, 2, 0, &dirty);
    nve_store(sh, &T1, B + 128, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_drain(sh, &T2);
    is_u(take(sh, B, B + 4096), 1, "global drain: T2 persists T1's flush, not dirty bytes");
    piece(0, B + 128, 64, 1, 0, "still dirty");
    nve_shadow_delete(sh);
}

static void test_scale(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    int dirty;
    reset_threads();
    /* Many regions: 256 regions of 64 KiB, 1000 writes each spread over them. */
    uintptr_t base = 0x7f0000000000ul;
    for (uintptr_t r = 0; r < 256; r++)
        for (uintptr_t i = 0; i < 1000; i++)
            nve_store(sh, &T1, base + r * 65536 + (i * 4099) % 65000, 9, NVE_STORE_DIRTY,
                      (uint32_t)(r + 1), NULL);
    struct nve_stats st;
    nve_stats(sh, &st);
    ok(st.runs > 100000, "many runs outstanding (%zu)", st.runs);
    ok(st.bytes / st.runs <= 32, "shadow bytes per run: %zu", st.bytes / st.runs);
    size_t total = 0, bad = 0;
    for (uintptr_t r = 0; r < 256; r++) {
        ngot = 0;
        nve_take(sh, base + r * 65536, base + (r + 1) * 65536, collect, NULL);
        total += ngot;
        for (size_t i = 0; i < ngot && i < MAXP; i++)
            bad += got[i].wstack != r + 1;
    }
    ok(total > 0 && bad == 0, "each region's runs carry its own stack (%zu runs)", total);
    nve_stats(sh, &st);
    is_u(st.runs, 0, "all taken");

    /* A 1 TiB flush finds three far-apart writes without walking 2^28 chunks. */
    nve_store(sh, &T1, base + 100, 8, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, base + (1ul << 39), 8, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, base + (1ul << 40) - 64, 8, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, base, 1ul << 40, 2, 0, &dirty);
    ok(dirty, "1 TiB flush saw the dirty bytes");
    is_u(take(sh, base, base + (1ul << 40)), 3, "three runs, all flushed");
    is_u(got[0].flusher + got[1].flusher + got[2].flusher, 3, "all flushed by T1");

    /* More distinct pending ranges than fit: the drain must still find them all. */
    reset_threads();
    for (uintptr_t i = 0; i < 100; i++) {
        nve_store(sh, &T1, base + i * (1ul << 30), 8, NVE_STORE_DIRTY, 1, NULL);
        nve_flush(sh, &T1, base + i * (1ul << 30), 8, 2, 0, &dirty);
    }
    ok(T1.pending.overflow, "pending list overflowed");
    nve_drain(sh, &T1);
    is_u(take(sh, 0, UINTPTR_MAX), 0, "overflowed drain persisted all 100");
    nve_shadow_delete(sh);
}

int main(void)
{
    test_basic();
    test_lines();
    test_overlap();
    test_modes();
    test_threads();
    test_scale();
    return done_testing();
}
