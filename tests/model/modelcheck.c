/* modelcheck.c -- seeded random API sequences, run for real and through the model.
 *
 * Run under the interposer (tests/model/model.sh). Each sequence gets its own slot of
 * one big mapping, so a region's base names its sequence, and its own token; it
 * makes random calls of all seven routines with every flag combination, on several
 * threads, over overlapping and unaligned ranges, with bad arguments of every kind,
 * and ends by freeing its token (findings are swept then) -- or, now and then, by
 * leaking it until exit. The main thread generates each call, asks the model what it
 * must return and do, and hands it to one of four worker threads; one thread at a
 * time runs, so the interposer sees the calls in a deterministic order, and it
 * numbers the workers T1..T4 in the order they say hello. At the end the model's findings go to the
 * file named by argv[1], for model.sh to compare with the report the interposer writes at exit.
 *
 * Every call is made from a site function of its own (one per routine and flag
 * class), called from exactly one place, always on a worker thread: a call stack
 * then identifies its site, and the model names sites by function name.
 *
 * Environment: MODEL_SEED (default 1), MODEL_SEQUENCES (2500), MODEL_FIRST (0: the
 * first sequence number, to replay one), MODEL_CASE (a directed case of calls.c
 * instead), MODEL_DRAIN=global (must match the interposer's drain option),
 * MODEL_TRACE=1 (print every call on stderr), MODEL_STATS=1 (calls per site).
 */
#include "model.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gen.h"

#define NOINLINE __attribute__((noinline, noclone))

static volatile int site_last; /* a store after each call: no tail calls, no merged sites */

/* ---- the call sites ---- */

#define STORE_SITE(name, call)                                                                     \
    static NOINLINE NTSTATUS site_##name(const struct op *o)                                       \
    {                                                                                              \
        NTSTATUS st = call;                                                                        \
        (void)o;                                                                                   \
        site_last = S_##name;                                                                      \
        return st;                                                                                 \
    }
#define W(name) STORE_SITE(name, RtlWriteNonVolatileMemory(o->tok, o->p, o->src, o->n, o->flags))
#define FI(name) STORE_SITE(name, RtlFillNonVolatileMemory(o->tok, o->p, o->n, o->val, o->flags))
#define FL(name) STORE_SITE(name, RtlFlushNonVolatileMemory(o->tok, o->p, o->n, o->flags))
#define RA(name) STORE_SITE(name, RtlFlushNonVolatileMemoryRanges(o->tok, o->p, o->n, o->flags))
/* clang-format off */
W(write_0) W(write_fl) W(write_nt) W(write_persist) W(write_fl_nd)
W(write_nd) W(write_nt_nd) W(write_persist_nd) W(write_bad)
FI(fill_0) FI(fill_fl) FI(fill_nt) FI(fill_persist) FI(fill_fl_nd)
FI(fill_nd) FI(fill_nt_nd) FI(fill_persist_nd) FI(fill_bad)
FL(flush_0) FL(flush_nd) FL(flush_bad) RA(ranges_0) RA(ranges_nd) RA(ranges_bad)
STORE_SITE(hello, RtlDrainNonVolatileFlush((PVOID)FLUSH_NV_MEMORY_DEFAULT_TOKEN))
STORE_SITE(get, RtlGetNonVolatileToken(o->p, o->n, o->out))
STORE_SITE(free, RtlFreeNonVolatileToken(o->tok))
STORE_SITE(drain, RtlDrainNonVolatileFlush(o->tok))
typedef NTSTATUS (*site_fn)(const struct op *);
/* clang-format on */
#define SITE_FN(name) site_##name,
static const site_fn sites[S_NSITES] = {NULL, MODEL_SITES(SITE_FN)};

/* ---- the workers: T1..T4 ---- */

struct worker {
    pthread_t th;
    sem_t go;
    struct op *op;
    int n, quit;
};
static struct worker workers[MODEL_THREADS];
static sem_t done;

static void wait_sem(sem_t *s)
{
    while (sem_wait(s) < 0 && errno == EINTR)
        ;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        wait_sem(&w->go);
        if (w->quit)
            return NULL;
        for (int i = 0; i < w->n; i++) {
            struct op *o = &w->op[i];
            o->got = sites[o->site](o); /* the one place every site is called from */
        }
        sem_post(&done);
    }
}

void run_on(int t, struct op *o, int n)
{
    struct worker *w = &workers[t - 1];
    w->op = o;
    w->n = n;
    sem_post(&w->go);
    wait_sem(&done);
}

/* start_workers -- one at a time, each saying hello (an empty drain) before the next
 * starts, so the interposer numbers them 1..4. */
static void start_workers(void)
{
    sem_init(&done, 0, 0);
    for (int t = 1; t <= MODEL_THREADS; t++) {
        struct worker *w = &workers[t - 1];
        sem_init(&w->go, 0, 0);
        if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
            perror("modelcheck: pthread_create");
            exit(99);
        }
        struct op hello = {.site = S_hello};
        run_on(t, &hello, 1);
    }
}

static void stop_workers(void)
{
    for (int t = 1; t <= MODEL_THREADS; t++) {
        workers[t - 1].quit = 1;
        sem_post(&workers[t - 1].go);
        pthread_join(workers[t - 1].th, NULL);
    }
}

/* map_big_slot -- room of its own for a big region, from pools never unmapped: no later
 * region may reuse an address (findings are told apart by region). */
uintptr_t map_big_slot(void)
{
    static uintptr_t pool;
    static unsigned left;
    if (!left) {
        void *p = mmap(NULL, 64 * (size_t)BIG_SLOT, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            perror("modelcheck: mmap");
            exit(99);
        }
        pool = (uintptr_t)p;
        left = 64;
    }
    left--;
    return pool + (uintptr_t)left * BIG_SLOT;
}

static unsigned long env_num(const char *name, unsigned long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoul(s, NULL, 0) : dflt;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: modelcheck EXPECTED-FINDINGS-FILE\n");
        return 2;
    }
    struct gen_config c = {
        .seed = env_num("MODEL_SEED", 1),
        .first = (long)env_num("MODEL_FIRST", 0),
        .n = (long)env_num("MODEL_SEQUENCES", 2500),
        .trace = env_num("MODEL_TRACE", 0) != 0,
    };
    const char *dcase = getenv("MODEL_CASE");
    if (dcase && *dcase)
        c.first = 0, c.n = 1;
    const char *drain = getenv("MODEL_DRAIN");
    int global = drain && !strcmp(drain, "global");
    size_t len = (size_t)c.n * GEN_SLOT;
    void *map = mmap(NULL, len ? len : GEN_SLOT, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        perror("modelcheck: mmap");
        return 99;
    }
    c.map = (uintptr_t)map;
    model_init(global);
    start_workers();
    struct gen_stats st = {0};
    if (dcase && *dcase && gen_case(&c, dcase, &st) < 0) {
        fprintf(stderr, "modelcheck: no case %s\n", dcase);
        return 2;
    }
    if (!dcase || !*dcase)
        st = gen_run(&c);
    call_sync();
    stop_workers();
    model_exit();
    FILE *f = fopen(argv[1], "w");
    long nf = f ? model_write_findings(f) : -1;
    if (!f || fclose(f) != 0) {
        perror(argv[1]);
        return 99;
    }
    for (int i = 1; env_num("MODEL_STATS", 0) && i < S_NSITES; i++)
        printf("%s %ld ok %ld bad\n", model_site_names[i], st.by_site[i][0], st.by_site[i][1]);
    printf("seed %lu sequences %ld calls %ld findings %ld status-mismatches %ld\n", c.seed, st.seqs,
           st.calls, nf, st.mismatches);
    return st.mismatches ? 1 : 0;
}
