/* test_stackdepot.c -- call stacks stored once and named by id (src/engine/stackdepot.c). */
#include "engine/stackdepot.h"
#include "tap.h"

#include <pthread.h>

static uint32_t put(const uintptr_t *pcs, uint32_t n)
{
    return nve_stack_put(pcs, n, nve_stack_hash(pcs, n));
}

/* same -- id names exactly pcs[0..n) through get and equal. */
static int same(uint32_t id, const uintptr_t *pcs, uint32_t n)
{
    uint32_t m = 12345;
    const uintptr_t *p = nve_stack_get(id, &m);
    return p && m == n && memcmp(p, pcs, n * sizeof *pcs) == 0 && nve_stack_equal(id, pcs, n);
}

static void test_empty(void)
{
    /* Before anything was stored (the id table does not exist yet). */
    uint32_t n = 99;
    ok(nve_stack_get(1, &n) == NULL && n == 0, "empty depot: get(1) is NULL, n=0");
    n = 99;
    ok(nve_stack_get(0, &n) == NULL && n == 0, "empty depot: get(0) is NULL, n=0");
    uintptr_t pcs[1] = {1};
    ok(!nve_stack_equal(1, pcs, 1), "empty depot: equal is false");
    is_u(nve_stack_count(), 0, "empty depot: count 0");
    is_u(nve_stack_dropped(), 0, "empty depot: nothing dropped");
}

static void test_basic(void)
{
    uintptr_t a[] = {0x401000, 0x402000, 0x403000};
    uint32_t count0 = nve_stack_count();
    uint32_t id = put(a, 3);
    ok(id != 0, "put: an id");
    is_u(nve_stack_count(), count0 + 1, "put: count + 1");
    is_u(put(a, 3), id, "put again: the same id");
    uintptr_t copy[] = {0x401000, 0x402000, 0x403000};
    is_u(put(copy, 3), id, "put an equal copy: the same id");
    is_u(nve_stack_count(), count0 + 1, "repeats do not count");
    ok(same(id, a, 3), "get: exactly the frames");

    /* The depot keeps its own copy. */
    copy[1] = 0xbad;
    ok(same(id, a, 3), "the caller's buffer changing does not change the stack");
    uint32_t n;
    ok(nve_stack_get(id, &n) != a && nve_stack_get(id, &n) != copy, "get returns the depot's copy");

    /* Different frames: different ids. */
    uintptr_t rev[] = {0x403000, 0x402000, 0x401000};
    uintptr_t shorter[] = {0x401000, 0x402000};
    uintptr_t longer[] = {0x401000, 0x402000, 0x403000, 0x404000};
    uintptr_t onediff[] = {0x401000, 0x402000, 0x403001};
    uintptr_t firstdiff[] = {0x401001, 0x402000, 0x403000};
    uintptr_t one[] = {0x401000};
    uintptr_t zeros[] = {0, 0, 0};
    uintptr_t maxes[] = {UINTPTR_MAX, UINTPTR_MAX, UINTPTR_MAX};
    struct {
        const char *what;
        const uintptr_t *pcs;
        uint32_t n;
        uint32_t id;
    } v[] = {
        {"reversed order", rev, 3, 0},
        {"a prefix", shorter, 2, 0},
        {"one more frame", longer, 4, 0},
        {"last pc differs", onediff, 3, 0},
        {"first pc differs", firstdiff, 3, 0},
        {"one frame", one, 1, 0},
        {"zero pcs", zeros, 3, 0},
        {"all-ones pcs", maxes, 3, 0},
        {"a 2-frame prefix of zeros", zeros, 2, 0},
    };
    enum { NV = sizeof v / sizeof *v };
    for (int i = 0; i < NV; i++) {
        v[i].id = put(v[i].pcs, v[i].n);
        ok(v[i].id != 0 && v[i].id != id, "%s: a new id", v[i].what);
    }
    int distinct = 1;
    for (int i = 0; i < NV; i++)
        for (int j = 0; j < i; j++)
            distinct = distinct && v[i].id != v[j].id;
    ok(distinct, "all variants have distinct ids");
    is_u(nve_stack_count(), count0 + 1 + NV, "count: one per distinct stack");
    for (int i = 0; i < NV; i++) {
        ok(same(v[i].id, v[i].pcs, v[i].n), "%s: get returns exactly its frames", v[i].what);
        is_u(put(v[i].pcs, v[i].n), v[i].id, "%s: put again, the same id", v[i].what);
    }
    ok(same(id, a, 3), "the first stack is unchanged by the others");

    /* equal: true only for exactly the frames. */
    ok(nve_stack_equal(id, a, 3), "equal: same frames");
    ok(!nve_stack_equal(id, a, 2), "equal: a prefix is not equal");
    ok(!nve_stack_equal(id, longer, 4), "equal: a longer stack is not equal");
    ok(!nve_stack_equal(id, onediff, 3), "equal: one pc differs");
    ok(!nve_stack_equal(id, rev, 3), "equal: another order");
    ok(!nve_stack_equal(id, a, 0), "equal: zero frames");
    ok(!nve_stack_equal(0, a, 3), "equal: id 0");
    ok(!nve_stack_equal(v[0].id, a, 3), "equal: another id");

    /* Ids that name nothing. */
    uint32_t bogus[] = {0,
                        nve_stack_count() + 1,
                        nve_stack_count() + 1000,
                        NVE_MAX_STACKS - 1,
                        NVE_MAX_STACKS,
                        NVE_MAX_STACKS + 1,
                        UINT32_MAX};
    for (size_t i = 0; i < sizeof bogus / sizeof *bogus; i++) {
        n = 777;
        ok(nve_stack_get(bogus[i], &n) == NULL && n == 0, "get(%u): NULL, n=0", bogus[i]);
        ok(!nve_stack_equal(bogus[i], a, 3), "equal(%u): false", bogus[i]);
    }

    /* The hash is deterministic and sensitive to order, length and every pc. */
    copy[1] = 0x402000;
    is_u(nve_stack_hash(a, 3), nve_stack_hash(copy, 3), "hash: equal frames, equal hash");
    ok(nve_stack_hash(a, 3) != nve_stack_hash(rev, 3), "hash: order matters");
    ok(nve_stack_hash(a, 3) != nve_stack_hash(a, 2), "hash: length matters");
    ok(nve_stack_hash(a, 3) != nve_stack_hash(onediff, 3), "hash: one pc matters");
    ok(nve_stack_hash(zeros, 2) != nve_stack_hash(zeros, 3), "hash: length of zero frames matters");
    ok(nve_stack_hash(a, 0) == nve_stack_hash(rev, 0), "hash: n=0 ignores the frames");
}

static void test_rejects(void)
{
    uintptr_t pcs[NVE_MAX_FRAMES + 2];
    for (uint32_t i = 0; i < NVE_MAX_FRAMES + 2; i++)
        pcs[i] = 0x500000 + i * 16;
    uint32_t count0 = nve_stack_count();
    uint64_t drop0 = nve_stack_dropped();

    is_u(put(pcs, 0), 0, "n=0: rejected");
    is_u(nve_stack_dropped(), drop0 + 1, "n=0: counted as dropped");
    is_u(put(pcs, NVE_MAX_FRAMES + 1), 0, "n=NVE_MAX_FRAMES+1: rejected");
    is_u(nve_stack_dropped(), drop0 + 2, "n=NVE_MAX_FRAMES+1: counted as dropped");
    is_u(nve_stack_put(pcs, UINT32_MAX, 0), 0, "n=UINT32_MAX: rejected");
    is_u(nve_stack_dropped(), drop0 + 3, "n=UINT32_MAX: counted as dropped");
    is_u(nve_stack_count(), count0, "rejects are not stored");

    uint32_t id = put(pcs, NVE_MAX_FRAMES);
    ok(id != 0, "n=NVE_MAX_FRAMES: stored");
    ok(same(id, pcs, NVE_MAX_FRAMES), "n=NVE_MAX_FRAMES: all 64 frames back");
    is_u(nve_stack_dropped(), drop0 + 3, "n=NVE_MAX_FRAMES: nothing dropped");
    uint32_t id1 = put(pcs, 1);
    ok(id1 != 0 && id1 != id && same(id1, pcs, 1), "n=1: stored on its own");
    uint32_t id63 = put(pcs + 1, NVE_MAX_FRAMES);
    ok(id63 != 0 && id63 != id && same(id63, pcs + 1, NVE_MAX_FRAMES),
       "64 frames shifted by one: another stack");
    is_u(nve_stack_count(), count0 + 3, "count after the boundary cases");
}

/* ---- many stacks ---- */

enum { MANY = 200000 };

static uint32_t frames_of(uint32_t i, uintptr_t *pcs)
{
    uint32_t n = 1 + i % 16;
    pcs[0] = 0x100000000000ull + (uintptr_t)i * 8; /* unique per stack, and new */
    for (uint32_t j = 1; j < n; j++)
        pcs[j] = 0x7f0000000000ull + (uintptr_t)(i % 1000) * 0x100 + j; /* shared tails */
    return n;
}

static void test_many(void)
{
    static uint32_t ids[MANY];
    static unsigned char used[NVE_MAX_STACKS];
    uintptr_t pcs[NVE_MAX_FRAMES];
    uint32_t count0 = nve_stack_count();
    uint64_t drop0 = nve_stack_dropped();
    int good = 1;
    for (uint32_t i = 0; i < MANY; i++) {
        uint32_t n = frames_of(i, pcs);
        ids[i] = put(pcs, n);
        if (ids[i] == 0 || ids[i] >= NVE_MAX_STACKS || used[ids[i]])
            good = 0;
        else
            used[ids[i]] = 1;
    }
    ok(good, "200000 stacks: each a new, distinct id");
    is_u(nve_stack_count(), count0 + MANY, "200000 stacks: count");
    is_u(nve_stack_dropped(), drop0, "200000 stacks: nothing dropped");
    good = 1;
    for (uint32_t i = 0; i < MANY && good; i++) {
        uint32_t n = frames_of(i, pcs);
        good = same(ids[i], pcs, n);
        if (!good)
            printf("# stack %u (id %u) differs\n", i, ids[i]);
    }
    ok(good, "200000 stacks: every one retrievable exactly");
    good = 1;
    for (uint32_t i = MANY; i-- > 0 && good;) {
        uint32_t n = frames_of(i, pcs);
        good = put(pcs, n) == ids[i];
    }
    ok(good, "200000 stacks: put again gives the same ids");
    is_u(nve_stack_count(), count0 + MANY, "200000 stacks: count unchanged by repeats");
}

/* ---- concurrent puts ---- */

enum { NTHREADS = 4, SHARED = 20000, OWN = 2000 };

static uint32_t tids[NTHREADS][SHARED + OWN];
static pthread_barrier_t start;

static uint32_t conc_frames(uint32_t i, uint32_t owner, uintptr_t *pcs)
{
    uint32_t n = 2 + i % 7;
    for (uint32_t j = 0; j < n; j++)
        pcs[j] = 0x900000000ull + (uintptr_t)owner * 0x10000000ull + (uintptr_t)i * 16 + j;
    return n;
}

static void *putter(void *arg)
{
    uint32_t t = (uint32_t)(uintptr_t)arg;
    uintptr_t pcs[NVE_MAX_FRAMES];
    pthread_barrier_wait(&start);
    /* Every thread puts every shared stack, each starting at a different place. */
    for (uint32_t k = 0; k < SHARED; k++) {
        uint32_t i = (k + t * (SHARED / NTHREADS)) % SHARED;
        if (t & 1)
            i = SHARED - 1 - i;
        uint32_t n = conc_frames(i, 0, pcs);
        tids[t][i] = put(pcs, n);
        if (k % 4 == 0) { /* and some of its own in between */
            uint32_t o = k / 4 % OWN;
            n = conc_frames(o, t + 1, pcs);
            tids[t][SHARED + o] = put(pcs, n);
        }
    }
    return NULL;
}

static void test_concurrent(void)
{
    pthread_t th[NTHREADS];
    uint32_t count0 = nve_stack_count();
    uint64_t drop0 = nve_stack_dropped();
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (uintptr_t t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, putter, (void *)t);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);

    int agree = 1, nonzero = 1;
    for (uint32_t i = 0; i < SHARED; i++) {
        nonzero = nonzero && tids[0][i] != 0;
        for (int t = 1; t < NTHREADS; t++)
            agree = agree && tids[t][i] == tids[0][i];
    }
    ok(nonzero, "4 threads: every shared stack got an id");
    ok(agree, "4 threads: all threads agree on every shared id");
    is_u(nve_stack_count(), count0 + SHARED + NTHREADS * OWN,
         "4 threads: count = distinct stacks, none stored twice");
    is_u(nve_stack_dropped(), drop0, "4 threads: nothing dropped");
    uintptr_t pcs[NVE_MAX_FRAMES];
    int exact = 1, distinct = 1;
    for (uint32_t i = 0; i < SHARED; i++) {
        uint32_t n = conc_frames(i, 0, pcs);
        exact = exact && same(tids[0][i], pcs, n);
        distinct = distinct && (i == 0 || tids[0][i] != tids[0][i - 1]);
    }
    for (uint32_t t = 0; t < NTHREADS; t++)
        for (uint32_t o = 0; o < OWN; o++) {
            uint32_t n = conc_frames(o, t + 1, pcs);
            exact = exact && same(tids[t][SHARED + o], pcs, n);
        }
    ok(exact, "4 threads: every id names exactly its frames");
    ok(distinct, "4 threads: neighbouring shared stacks have distinct ids");
}

static void test_locks(void)
{
    uintptr_t pcs[] = {0xabc, 0xdef};
    nve_stack_lock_all();
    nve_stack_unlock_all();
    uint32_t id = put(pcs, 2);
    ok(id != 0 && put(pcs, 2) == id, "lock_all/unlock_all: the depot still works");
    nve_stack_lock_all();
    nve_stack_reset_locks(); /* a fork child: the holders are gone */
    uintptr_t other[] = {0xabc, 0xdef, 0x123};
    uint32_t id2 = put(other, 3);
    ok(id2 != 0 && id2 != id && put(pcs, 2) == id, "reset_locks: the depot works again");
}

int main(void)
{
    test_empty();
    test_basic();
    test_rejects();
    test_many();
    test_concurrent();
    test_locks();
    return done_testing();
}
