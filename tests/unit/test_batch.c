/* test_batch.c -- plain stores through the shards' store logs (src/engine/storelog.c):
 * batch boundaries, spills, drops, order, merges, and threads. */
#include "engine/storelog.h"
#include "pieces.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define B 0x10000000ul /* 2 MiB-aligned: one shard's slice starts here */

static struct nve_thread T1 = {.id = 1}, T2 = {.id = 2};

static void reset_threads(void)
{
    T1.pending.n = T2.pending.n = 0;
    T1.pending.overflow = T2.pending.overflow = 0;
}

static struct nve_stats stats(struct nve_shadow *sh)
{
    struct nve_stats st;
    nve_stats(sh, &st);
    return st;
}

/* store_lines -- n 8-byte stores, one per 64-byte line from base, the highest first
 * (so that address order is not log order); stack 1 + i % 1000. */
static void store_lines(struct nve_shadow *sh, uintptr_t base, size_t n)
{
    for (size_t i = 0; i < n; i++)
        nve_store(sh, &T1, base + (n - 1 - i) * 64, 8, NVE_STORE_DIRTY, (uint32_t)(1 + i % 1000),
                  NULL);
}

/* Around every boundary of the log: the front buffer full, spilled once and many times
 * into blocks, and past the point where the log is applied. */
static void test_boundaries(void)
{
    const size_t counts[] = {1,
                             NVE_LOG - 1,
                             NVE_LOG,
                             NVE_LOG + 1,
                             NVE_LOG_BLOCK,
                             NVE_LOG_BLOCK + NVE_LOG + 1,
                             5 * NVE_LOG_BLOCK + 7,
                             NVE_LOG_MAX - 1,
                             NVE_LOG_MAX + NVE_LOG,
                             NVE_LOG_MAX + NVE_LOG + 1,
                             3 * NVE_LOG_MAX};
    for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        size_t n = counts[k];
        struct nve_shadow *sh = nve_shadow_new(0);
        reset_threads();
        store_lines(sh, B, n);
        is_u(peek(sh, B, B + n * 64), n, "%zu stores: peek sees each", n);
        is_u(unordered, 0, "%zu stores: in address order", n);
        piece(0, B, 8, (uint32_t)(1 + (n - 1) % 1000), 0, "lowest (last) store");
        piece(n < MAXP ? n - 1 : MAXP - 1, B + (n < MAXP ? n - 1 : MAXP - 1) * 64, 8,
              (uint32_t)(1 + (n < MAXP ? 0 : n - MAXP) % 1000), 0, "a later piece");
        is_u(stats(sh).runs, n, "%zu stores: stats count them as runs", n);
        is_u(take(sh, B, B + n * 64), n, "%zu stores: take hands out each", n);
        is_u(unordered, 0, "%zu stores: taken in address order", n);
        is_u(take(sh, B, B + n * 64), 0, "%zu stores: then nothing", n);
        struct nve_stats st = stats(sh);
        is_u(st.runs + st.chunks, 0, "%zu stores: no runs, no chunks left", n);
        nve_shadow_delete(sh);
    }
}

/* Overlapping stores end as their order says, whichever batch each one was in. */
static void test_order(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    reset_threads();
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    store_lines(sh, B + 4096, NVE_LOG + 10); /* the first store is now in a block */
    nve_store(sh, &T1, B + 32, 64, NVE_STORE_DIRTY, 3, NULL);
    is_u(take(sh, B, B + 4096), 2, "store over a spilled store: two pieces");
    piece(0, B, 32, 1, 0, "the spilled store's uncovered part");
    piece(1, B + 32, 64, 3, 0, "the newer store, whole");

    nve_store(sh, &T1, B, 8, NVE_STORE_DIRTY, 7, NULL);
    store_lines(sh, B + 4096, NVE_LOG_MAX + NVE_LOG + 1); /* applied on the way */
    nve_store(sh, &T1, B, 8, NVE_STORE_DIRTY, 8, NULL);
    is_u(take(sh, B, B + 64), 1, "store over an applied store: one piece");
    piece(0, B, 8, 8, 0, "the newer store wins");
    take(sh, 0, UINTPTR_MAX);

    /* A write across a chunk boundary is not logged; the logged one under it is older. */
    nve_store(sh, &T1, B + 4090, 4, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 4080, 100, NVE_STORE_DIRTY, 2, NULL);
    is_u(take(sh, B + 4000, B + 8192), 1, "logged store, then a wider direct one: one piece");
    piece(0, B + 4080, 100, 2, 0, "the direct store covers it");
    nve_shadow_delete(sh);

    /* The same stack going on, or repeated: one entry, so no spill block is needed. */
    sh = nve_shadow_new(0);
    for (int i = 0; i < 100000; i++)
        nve_store(sh, &T1, B + 8192 + (uintptr_t)(i % 85) * 48, 48, NVE_STORE_DIRTY, 5, NULL);
    struct nve_stats st = stats(sh);
    ok(st.peak_bytes < 4096, "100,000 stores continuing one another: no log growth (%zu bytes)",
       st.peak_bytes);
    is_u(take(sh, B + 8192, B + 12288), 1, "...and one piece");
    piece(0, B + 8192, 85 * 48, 5, 0, "the merged stores");
    nve_shadow_delete(sh);
}

/* What makes bytes CLEAN drops logged stores inside, and applies the log when one
 * straddles the range's edge. */
static void test_clean(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    int dirty;
    reset_threads();
    store_lines(sh, B, 10000); /* 625 KiB, spilled */
    nve_flush(sh, &T1, B, 10000 * 64, 0, 1, &dirty);
    ok(dirty, "flush+drain of the whole log: saw dirty bytes");
    struct nve_stats st = stats(sh);
    is_u(st.runs + st.chunks, 0, "...and nothing is left");
    ok(st.bytes <= 4096, "...and its blocks are given back (%zu bytes)", st.bytes);

    store_lines(sh, B, 1000);
    nve_flush(sh, &T1, B, 500 * 64, 0, 1, &dirty);
    ok(dirty, "flush+drain of half a long log: saw dirty bytes");
    is_u(take(sh, B, B + 1000 * 64), 500, "...the other half is left");
    piece(0, B + 500 * 64, 8, 1 + 499, 0, "...starting with the line after");

    nve_store(sh, &T1, B + 60, 10, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T1, B, 1, 0, 1, &dirty);
    ok(dirty, "flush+drain of a line a logged store straddles: dirty");
    is_u(take(sh, B, B + 4096), 1, "...its part in the next line is left");
    piece(0, B + 64, 6, 1, 0, "the straddling store's tail");

    nve_store(sh, &T1, B + 8, 8, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 200, 8, NVE_STORE_DIRTY, 2, NULL);
    nve_flush(sh, &T1, B + 16, 8, 0, 1, &dirty);
    ok(dirty, "flush+drain of a logged store's line: dirty");
    nve_flush(sh, &T1, B + 64, 64, 0, 1, &dirty);
    ok(!dirty, "flush+drain of a clean line between logged stores: not dirty");
    is_u(take(sh, B, B + 4096), 1, "the store in another line is left");
    piece(0, B + 200, 8, 2, 0, "the other line's store");

    nve_store(sh, &T1, B, 8, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 40, 8, NVE_STORE_CLEAN_LINES, 0, NULL);
    is_u(take(sh, B, B + 4096), 0, "a persisted write cleans a logged store in its line");
    nve_store(sh, &T1, B, 16, NVE_STORE_DIRTY, 1, NULL);
    nve_store(sh, &T1, B + 4, 4, NVE_STORE_CLEAN_BYTES, 0, NULL);
    is_u(take(sh, B, B + 4096), 2, "a persisted NT write cleans only its bytes of it");
    piece(0, B, 4, 1, 0, "head");
    piece(1, B + 8, 8, 1, 0, "tail");
    nve_shadow_delete(sh);
}

/* A flush of logged stores leaves them FLUSHED by the flushing thread; drains leave
 * logged (DIRTY) bytes alone. */
static void test_flush(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    int dirty;
    reset_threads();
    nve_store(sh, &T1, B, 64, NVE_STORE_DIRTY, 1, NULL);
    nve_flush(sh, &T2, B, 64, 2, 0, &dirty);
    ok(dirty, "T2's flush of T1's logged store: dirty");
    nve_drain(sh, &T1);
    is_u(peek(sh, B, B + 4096), 1, "T1's drain leaves it");
    piece(0, B, 64, 1, 2, "flushed by T2");
    nve_drain(sh, &T2);
    is_u(take(sh, B, B + 4096), 0, "T2's drain persists it");

    nve_store(sh, &T1, B + 128, 64, NVE_STORE_FLUSHED, 3, NULL); /* non-temporal */
    nve_store(sh, &T1, B + 136, 8, NVE_STORE_DIRTY, 9, NULL);    /* logged */
    nve_drain(sh, &T1);
    is_u(take(sh, B, B + 4096), 1, "drain after a store into NT bytes: the store is left");
    piece(0, B + 136, 8, 9, 0, "the later plain store");

    /* A flush of a range that covers many chunks applies the logs it meets. */
    store_lines(sh, B, 200);
    nve_flush(sh, &T2, B, 200 * 64, 4, 0, &dirty);
    is_u(take(sh, B, B + 200 * 64), 200, "200 logged stores flushed by T2");
    ok(got[0].flusher == 2 && got[MAXP - 1].flusher == 2, "all FLUSHED by T2");
    nve_shadow_delete(sh);
}

/* ---- threads ---- */

#define WRITERS 4
#define PER_WRITER 20000

struct writer {
    struct nve_shadow *sh;
    struct nve_thread t;
    int k;
};

/* writer -- PER_WRITER 8-byte stores; the writers' lines interleave, so they share
 * the shards' logs. */
static void *writer(void *arg)
{
    struct writer *w = arg;
    for (uintptr_t i = 0; i < PER_WRITER; i++)
        nve_store(w->sh, &w->t, B + (i * WRITERS + (uintptr_t)w->k) * 64 + (uintptr_t)w->k * 8, 8,
                  NVE_STORE_DIRTY, (uint32_t)(w->k + 1), NULL);
    return NULL;
}

static int stop;

static void count_piece(const struct nve_piece *p, void *arg)
{
    (void)p;
    ++*(size_t *)arg;
}

/* reader -- meanwhile, peeks and statistics apply the logs under the writers' feet. */
static void *reader(void *arg)
{
    struct nve_shadow *sh = arg;
    size_t n = 0;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        struct nve_stats st;
        nve_peek(sh, B, B + (1ul << 30), count_piece, &n);
        nve_stats(sh, &st);
    }
    return NULL;
}

static void test_threads(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    struct writer w[WRITERS];
    pthread_t th[WRITERS], rd;
    pthread_create(&rd, NULL, reader, sh);
    for (int k = 0; k < WRITERS; k++) {
        w[k] = (struct writer){sh, {.id = (uint32_t)(k + 1)}, k};
        pthread_create(&th[k], NULL, writer, &w[k]);
    }
    for (int k = 0; k < WRITERS; k++)
        pthread_join(th[k], NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    pthread_join(rd, NULL);
    size_t span = (size_t)PER_WRITER * WRITERS * 64;
    is_u(peek(sh, B, B + span), PER_WRITER * WRITERS, "4 threads' stores: every one there");
    is_u(unordered, 0, "...in address order");
    size_t bad = 0;
    for (size_t i = 0; i < MAXP; i++)
        bad += got[i].wstack != i % WRITERS + 1 || got[i].addr != B + i * 64 + i % WRITERS * 8;
    is_u(bad, 0, "...each with its writer's stack");

    /* Another thread's flush sees them all, and leaves them FLUSHED by it. */
    struct nve_thread t9 = {.id = 9};
    int dirty;
    nve_flush(sh, &t9, B, span / 2, 9, 0, &dirty);
    is_u(take(sh, B, B + span / 2), PER_WRITER * WRITERS / 2, "half of them flushed by T9");
    bad = 0;
    for (size_t i = 0; i < MAXP; i++)
        bad += got[i].flusher != 9;
    is_u(bad, 0, "...each FLUSHED by T9");
    is_u(take(sh, B, B + span), PER_WRITER * WRITERS / 2, "the other half still DIRTY");
    is_u(got[0].flusher, 0, "...not flushed");
    nve_shadow_delete(sh);
}

/* inherited -- count the pieces handed out, and those marked inherited. */
static void inherited(const struct nve_piece *p, void *arg)
{
    size_t *n = arg;
    n[0]++;
    n[1] += p->inherited;
}

/* Fork with stores still in the log: the child has them (as inherited, once disowned),
 * the parent keeps its own. */
static void test_fork(void)
{
    struct nve_shadow *sh = nve_shadow_new(0);
    reset_threads();
    store_lines(sh, B, 100);
    nve_shadow_lock_all(sh);
    pid_t pid = fork();
    if (pid == 0) {
        size_t n[2] = {0, 0};
        nve_shadow_reset_locks(sh);
        nve_disown(sh);
        nve_store(sh, &T1, B + 99 * 64, 8, NVE_STORE_DIRTY, 7, NULL);
        nve_take(sh, B, B + 100 * 64, inherited, n);
        _exit(n[0] == 100 && n[1] == 99 ? 0 : 1);
    }
    nve_shadow_unlock_all(sh);
    int st = -1;
    waitpid(pid, &st, 0);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
       "fork child: 100 logged stores, 99 inherited after its own store to one");
    is_u(peek(sh, B, B + 100 * 64), 100, "parent: its 100 stores");
    ok(!got[0].inherited && !got[MAXP - 1].inherited, "parent: not inherited");
    nve_shadow_delete(sh);
}

int main(void)
{
    test_boundaries();
    test_order();
    test_clean();
    test_flush();
    test_threads();
    test_fork();
    return done_testing();
}
