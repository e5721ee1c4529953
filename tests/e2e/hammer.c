/* hammer.c -- 16 threads hammering the NV API at once, with findings known exactly.
 *
 * Usage: hammer [ITERATIONS]. Every thread runs ITERATIONS rounds of writes, fills,
 * flushes, flush-ranges and drains on a private region (whose token it creates and
 * frees every round) and on its part of a region shared by a group of 8 threads
 * (whose token lives throughout), flushing the lines of a neighbour's part too.
 *
 * The interleaving is free, so the findings are made independent of it:
 *   - each round leaves the same leftovers at the same offsets of the private region
 *     (two unflushed writes, one unflushed fill, two undrained flushes), then makes
 *     an out-of-region write, a call with a forged token and one with bad flags;
 *   - all other work persists what it writes, whoever flushed the lines meanwhile:
 *     each writer flushes what it wrote and each flusher drains after flushing, so
 *     a neighbour's flush of the same lines changes nothing in the end;
 *   - after its last round a thread leaves, in a tail of its shared part that no one
 *     else touches, three undrained flushes and an unflushed write (found when main
 *     frees the shared token after joining them: the flushes are told apart by the
 *     flushing thread, the writes of a group's 8 threads merge into one finding).
 * Per thread and round: 4 random persisted stores (8 paths: every flag combination,
 * flush, flush-ranges, drain) in the private region, 2 under a short-lived token on
 * its shared part, 3 stores into that part flushed by the neighbour and by itself,
 * the 6 leftovers and 3 rejected calls above, 2 token creations and frees.
 * Random work comes from a per-thread generator, so every thread's data is the same
 * in every run; each thread mirrors what it wrote, and main compares the regions with
 * the mirrors at the end: no lost update. It prints the addresses and thread ids the
 * test (hammer.sh) needs to compute every finding.
 */
#include <nvmem.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NTHREADS 16
#define GROUP 8 /* threads sharing one region */
#define NGROUPS (NTHREADS / GROUP)
#define PRIV 65536     /* each thread's private mapping ... */
#define PRIV_TOK 32768 /* ... of which its tokens cover this much */
#define ZONE_A 8192    /* private [0, ZONE_A): persisted work */
#define LEFT 16384     /* private leftovers from here */
#define PART 8192      /* each thread's part of its group's shared region */
#define SOLO 2048      /* part [0, SOLO): persisted work under a token of its own */
#define CROSS 4096     /* part [SOLO, CROSS): also flushed by the previous member */
#define TAIL 4096      /* part [TAIL, PART): the leftovers of the end */
#define MAXLEN 512
#define FORGED ((PVOID)0x4242)

#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN
#define FND FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN

struct worker {
    int index;
    pid_t tid;
    unsigned long calls;
    uint64_t rng;
    unsigned char *priv, *part, *next_part; /* next_part: whose lines it flushes too */
    PVOID shared;                           /* the group's token */
    NV_MEMORY_RANGE cross[3];               /* its cross writes of this round */
    unsigned char mirror[PRIV], part_mirror[PART];
    unsigned char src[MAXLEN];
};

static struct worker workers[NTHREADS];
static unsigned char *shared[NGROUPS];
static int iterations = 300;
static __thread unsigned long calls; /* API calls made by this thread */

static void expect(NTSTATUS got, NTSTATUS want, const char *what, int line)
{
    calls++;
    if (got != want) {
        fprintf(stderr, "hammer:%d: %s returned 0x%x, expected 0x%x\n", line, what,
                (unsigned)got, (unsigned)want);
        exit(97);
    }
}

#define OK(call) expect((call), STATUS_SUCCESS, #call, __LINE__)
#define BAD(call) expect((call), STATUS_INVALID_PARAMETER, #call, __LINE__)

static uint64_t next(struct worker *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static size_t below(struct worker *w, size_t n)
{
    return (size_t)(next(w) % n);
}

/* span -- a random, unaligned range inside [lo, hi). */
static void span(struct worker *w, size_t lo, size_t hi, size_t *off, size_t *n)
{
    *n = 1 + below(w, MAXLEN);
    if (*n > hi - lo)
        *n = hi - lo;
    *off = lo + below(w, hi - lo - *n + 1);
}

/* store -- write random bytes, or fill one value, at base+off; mirrored. */
static void store(struct worker *w, PVOID tok, unsigned char *base, unsigned char *mirror,
                  size_t off, size_t n, ULONG flags)
{
    if (next(w) & 3) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t v = next(w);
            memcpy(w->src + i, &v, n - i < 8 ? n - i : 8);
        }
        OK(RtlWriteNonVolatileMemory(tok, base + off, w->src, n, flags));
        memcpy(mirror + off, w->src, n);
    } else {
        UCHAR v = (UCHAR)next(w);
        OK(RtlFillNonVolatileMemory(tok, base + off, n, v, flags));
        memset(mirror + off, v, n);
    }
}

/* persisted -- one random store into [lo, hi) made durable, by one of eight paths. */
static void persisted(struct worker *w, PVOID tok, unsigned char *base, unsigned char *mirror,
                      size_t lo, size_t hi)
{
    size_t off, n, off2, n2;
    span(w, lo, hi, &off, &n);
    switch (below(w, 8)) {
    case 0:
        store(w, tok, base, mirror, off, n, 0);
        OK(RtlFlushNonVolatileMemory(tok, base + off, n, 0));
        break;
    case 1:
        store(w, tok, base, mirror, off, n, FL);
        break;
    case 2:
        store(w, tok, base, mirror, off, n, FL | ND);
        OK(RtlDrainNonVolatileFlush(tok));
        break;
    case 3:
        store(w, tok, base, mirror, off, n, NT);
        OK(RtlDrainNonVolatileFlush(tok));
        break;
    case 4:
        store(w, tok, base, mirror, off, n, FL | NT);
        break;
    case 5: {
        store(w, tok, base, mirror, off, n, 0);
        span(w, lo, hi, &off2, &n2);
        store(w, tok, base, mirror, off2, n2, 0);
        NV_MEMORY_RANGE r[2] = {{base + off2, n2}, {base + off, n}};
        OK(RtlFlushNonVolatileMemoryRanges(tok, r, 2, FND));
        OK(RtlDrainNonVolatileFlush(tok));
        break;
    }
    case 6: { /* flush more than was written: whole lines around it */
        store(w, tok, base, mirror, off, n, 0);
        size_t a = off & ~(size_t)63, b = (off + n + 63) & ~(size_t)63;
        OK(RtlFlushNonVolatileMemory(tok, base + a, (b < hi ? b : hi) - a, FND));
        OK(RtlDrainNonVolatileFlush(tok));
        break;
    }
    default: {
        store(w, tok, base, mirror, off, n, 0);
        NV_MEMORY_RANGE r[1] = {{base + off, n}};
        OK(RtlFlushNonVolatileMemoryRanges(tok, r, 1, 0));
        break;
    }
    }
}

/* leftovers -- what each round leaves unpersisted in the private region, once per
 * round at fixed offsets. One call per marked line and no loops around them: an
 * unrolled loop would make one line several call sites, hence several findings. */
static void leftovers(struct worker *w, PVOID tok)
{
    unsigned char *p = w->priv;
    memset(w->src, 0xa0 + w->index, 100);
    OK(RtlWriteNonVolatileMemory(tok, p + LEFT + 100, w->src, 24, 0)); /* @nv:priv-unflushed-a */
    OK(RtlWriteNonVolatileMemory(tok, p + LEFT + 1000, w->src, 40, 0)); /* @nv:priv-unflushed-b */
    OK(RtlFillNonVolatileMemory(tok, p + LEFT + 3000, 13, 0x5a, 0)); /* @nv:priv-fill */
    OK(RtlWriteNonVolatileMemory(tok, p + LEFT + 4128, w->src, 32, FL | ND)); /* @nv:priv-undrained */
    OK(RtlWriteNonVolatileMemory(tok, p + LEFT + 5000, w->src, 100, 0)); /* @nv:priv-rw */
    NV_MEMORY_RANGE r[1] = {{p + LEFT + 5000, 100}};
    OK(RtlFlushNonVolatileMemoryRanges(tok, r, 1, FND)); /* @nv:priv-rflush */
    memcpy(w->mirror + LEFT + 100, w->src, 24);
    memcpy(w->mirror + LEFT + 1000, w->src, 40);
    memset(w->mirror + LEFT + 3000, 0x5a, 13);
    memcpy(w->mirror + LEFT + 4128, w->src, 32);
    memcpy(w->mirror + LEFT + 5000, w->src, 100);
}

/* bad_calls -- rejected calls: nothing may change, each is a finding. */
static void bad_calls(struct worker *w, PVOID tok)
{
    BAD(RtlWriteNonVolatileMemory(tok, w->priv + PRIV_TOK - 8, w->src, 16, 0)); /* @nv:priv-oor */
    BAD(RtlWriteNonVolatileMemory(FORGED, w->priv, w->src, 8, FL)); /* @nv:forged */
    BAD(RtlFillNonVolatileMemory(tok, w->priv, 8, 1, FILL_NV_MEMORY_FLAG_NO_DRAIN)); /* @nv:bad-flags */
}

/* private_round -- a token of its own comes and goes over the private region. */
static void private_round(struct worker *w)
{
    PVOID tok;
    OK(RtlGetNonVolatileToken(w->priv, PRIV_TOK, &tok)); /* @nv:priv-get */
    for (int k = 0; k < 4; k++)
        persisted(w, tok, w->priv, w->mirror, 0, ZONE_A);
    leftovers(w, tok);
    bad_calls(w, tok);
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:priv-free */
}

/* cross_store -- stores into its cross zone, left dirty for now: the previous member
 * may flush (and drain) them meanwhile; cross_persist makes them durable anyway. */
static void cross_store(struct worker *w)
{
    for (int k = 0; k < 3; k++) {
        size_t off, n;
        span(w, SOLO, CROSS, &off, &n);
        store(w, w->shared, w->part, w->part_mirror, off, n, 0);
        w->cross[k] = (NV_MEMORY_RANGE){w->part + off, n};
    }
}

static void cross_persist(struct worker *w)
{
    OK(RtlFlushNonVolatileMemoryRanges(w->shared, w->cross, 3, 0));
}

/* neighbour_flush -- flush lines of the next member's cross zone, then drain: those
 * lines are persisted by whichever of the two comes last. */
static void neighbour_flush(struct worker *w)
{
    size_t off, n;
    span(w, SOLO, CROSS, &off, &n);
    OK(RtlFlushNonVolatileMemory(w->shared, w->next_part + off, n, FND));
    span(w, SOLO, CROSS, &off, &n);
    NV_MEMORY_RANGE r[1] = {{w->next_part + off, n}};
    OK(RtlFlushNonVolatileMemoryRanges(w->shared, r, 1, FND));
    OK(RtlDrainNonVolatileFlush(w->shared));
}

/* solo_round -- a second token, over its part only, while the group's lives on. */
static void solo_round(struct worker *w)
{
    PVOID tok;
    OK(RtlGetNonVolatileToken(w->part, SOLO, &tok));
    for (int k = 0; k < 2; k++)
        persisted(w, tok, w->part, w->part_mirror, 0, SOLO);
    OK(RtlFreeNonVolatileToken(tok));
}

/* tail -- after the last round, in a part of the shared region no one else touches:
 * three undrained flushes (a write with FLUSH|NO_DRAIN, a write flushed without a
 * drain, a non-temporal write) and an unflushed write. No drain follows. */
static void tail(struct worker *w)
{
    unsigned char *p = w->part;
    memset(w->src, 0xc0 + w->index, 64);
    OK(RtlWriteNonVolatileMemory(w->shared, p + TAIL + 7, w->src, 40, FL | ND)); /* @nv:tail-undrained */
    OK(RtlWriteNonVolatileMemory(w->shared, p + TAIL + 263, w->src, 40, 0)); /* @nv:tail-write */
    OK(RtlFlushNonVolatileMemory(w->shared, p + TAIL + 263, 40, FND)); /* @nv:tail-flush */
    OK(RtlWriteNonVolatileMemory(w->shared, p + TAIL + 1031, w->src, 30, NT)); /* @nv:tail-nt */
    OK(RtlWriteNonVolatileMemory(w->shared, p + TAIL + 2053, w->src, 20, 0)); /* @nv:tail-unflushed */
    memcpy(w->part_mirror + TAIL + 7, w->src, 40);
    memcpy(w->part_mirror + TAIL + 263, w->src, 40);
    memcpy(w->part_mirror + TAIL + 1031, w->src, 30);
    memcpy(w->part_mirror + TAIL + 2053, w->src, 20);
}

static void *worker(void *arg)
{
    struct worker *w = arg;
    w->tid = gettid();
    for (int i = 0; i < iterations; i++) {
        cross_store(w);
        private_round(w);
        solo_round(w);
        neighbour_flush(w);
        cross_persist(w);
    }
    tail(w);
    w->calls = calls;
    return NULL;
}

static unsigned char *map(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("hammer: mmap");
        exit(99);
    }
    return p;
}

/* verify -- the memory holds exactly what its writer stored last. */
static size_t verify(const unsigned char *mem, const unsigned char *mirror, size_t n,
                     const char *what, int index)
{
    for (size_t i = 0; i < n; i++) {
        if (mem[i] != mirror[i]) {
            fprintf(stderr, "hammer: thread %d: %s byte %zu is 0x%02x, expected 0x%02x\n", index,
                    what, i, mem[i], mirror[i]);
            exit(3);
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    PVOID tok[NGROUPS];
    pthread_t th[NTHREADS];
    if (argc > 1)
        iterations = atoi(argv[1]);
    for (int g = 0; g < NGROUPS; g++) {
        shared[g] = map(GROUP * PART);
        OK(RtlGetNonVolatileToken(shared[g], GROUP * PART, &tok[g])); /* @nv:shared-get */
        printf("shared %d %p\n", g, (void *)shared[g]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        struct worker *w = &workers[i];
        int g = i / GROUP, m = i % GROUP;
        w->index = i;
        w->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        w->priv = map(PRIV);
        w->part = shared[g] + m * PART;
        w->next_part = shared[g] + (m + 1) % GROUP * PART;
        w->shared = tok[g];
    }
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&th[i], NULL, worker, &workers[i]) != 0)
            exit(98);
    size_t checked = 0;
    unsigned long total = 0;
    for (int i = 0; i < NTHREADS; i++) {
        struct worker *w = &workers[i];
        pthread_join(th[i], NULL);
        printf("thread %d tid %d priv %p part %p\n", i, (int)w->tid, (void *)w->priv,
               (void *)w->part);
        checked += verify(w->priv, w->mirror, PRIV, "private", i);
        checked += verify(w->part, w->part_mirror, PART, "shared", i);
        total += w->calls;
    }
    for (int g = 0; g < NGROUPS; g++)
        OK(RtlFreeNonVolatileToken(tok[g])); /* @nv:shared-free */
    printf("calls %lu\n", total);
    printf("threads %d iterations %d verified %zu bytes\n", NTHREADS, iterations, checked);
    return 0;
}
