/* nvbench.c -- what checking costs: each workload natively (libnvmem) and under
 * libnvcheck.so, alternating runs, median ns/op and the ratio.
 *
 *   nvbench [--reps N] [--quick] PRELOAD   the table (make bench)
 *   nvbench --child WORKLOAD [OPTS]        one run, prints "ns_per_op VALUE" ...
 *
 * Each measurement is a fresh process (so every run starts with an empty shadow and a
 * cold stack depot, like a test suite does), native and checked runs alternate so
 * that machine noise hits both, and the median of --reps runs is reported.
 */
#include <nvmem.h>

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MiB (1ul << 20)
#define REGION (256 * MiB)
#define TIB (1ul << 40)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static uint64_t rng(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *map(size_t size, int populate, int noreserve)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0) |
                       (noreserve ? MAP_NORESERVE : 0),
                   -1, 0);
    if (p == MAP_FAILED) {
        perror("nvbench: mmap");
        exit(1);
    }
    return p;
}

static PVOID token_for(void *base, size_t size)
{
    PVOID t;
    if (RtlGetNonVolatileToken(base, size, &t) != STATUS_SUCCESS) {
        fprintf(stderr, "nvbench: RtlGetNonVolatileToken failed\n");
        exit(1);
    }
    return t;
}

static char src[MiB] __attribute__((aligned(64)));

/* ---- the workloads (child side) ---- */

/* rec64 -- a 64-byte record written, then flushed and drained, at random lines.
 * lines: the line addresses to choose from (NULL: any line of [base, base+size)). */
struct rec64 {
    char *base;
    size_t size;
    char **pages; /* sparse: the touched pages */
    size_t npages;
    long ops;
    uint64_t seed;
    int persist; /* one call with WRITE_NV_MEMORY_FLAG_FLUSH instead of write+flush */
    PVOID tok;
};

static void *rec64_run(void *arg)
{
    struct rec64 *w = arg;
    uint64_t x = w->seed;
    for (long i = 0; i < w->ops; i++) {
        uint64_t r = rng(&x);
        char *d = w->pages ? w->pages[r % w->npages] + (r >> 32) % 64 * 64
                           : w->base + r % (w->size / 64) * 64;
        if (w->persist) {
            RtlWriteNonVolatileMemory(w->tok, d, src, 64, WRITE_NV_MEMORY_FLAG_FLUSH);
        } else {
            RtlWriteNonVolatileMemory(w->tok, d, src, 64, 0);
            RtlFlushNonVolatileMemory(w->tok, d, 64, 0);
        }
    }
    return NULL;
}

/* deep -- run fn from `depth` frames further down the stack (stack-depth costs). */
static __attribute__((noinline)) void deep(int depth, void *(*fn)(void *), void *arg)
{
    if (depth > 0)
        deep(depth - 1, fn, arg);
    else
        fn(arg);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

static double w_rec64(long ops, int persist, int frames)
{
    char *base = map(REGION, 1, 0);
    struct rec64 w = {base, REGION, NULL, 0, ops, 88172645463325252ull, persist, NULL};
    w.tok = token_for(base, REGION);
    double t0 = now();
    deep(frames, rec64_run, &w);
    double ns = (now() - t0) / ops;
    RtlFreeNonVolatileToken(w.tok);
    return ns;
}

static double w_sparse(long ops)
{
    char *base = map(TIB, 0, 1);
    size_t npages = REGION / 4096;
    char **pages = malloc(npages * sizeof *pages);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < npages; i++) {
        pages[i] = base + rng(&x) % (TIB / 4096) * 4096;
        pages[i][0] = 0; /* fault it in now, not while measuring */
    }
    struct rec64 w = {base, TIB, pages, npages, ops, 88172645463325252ull, 0, NULL};
    w.tok = token_for(base, TIB);
    double t0 = now();
    deep(0, rec64_run, &w);
    double ns = (now() - t0) / ops;
    RtlFreeNonVolatileToken(w.tok);
    free(pages);
    return ns;
}

/* page4k -- 4 KiB writes flushed with NO_DRAIN, one drain per 16. */
static double w_page4k(long ops)
{
    char *base = map(REGION, 1, 0);
    PVOID t = token_for(base, REGION);
    uint64_t x = 88172645463325252ull;
    double t0 = now();
    for (long i = 0; i < ops; i++) {
        char *d = base + rng(&x) % (REGION / 4096) * 4096;
        RtlWriteNonVolatileMemory(t, d, src, 4096, 0);
        RtlFlushNonVolatileMemory(t, d, 4096, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN);
        if (i % 16 == 15)
            RtlDrainNonVolatileFlush(t);
    }
    RtlDrainNonVolatileFlush(t);
    double ns = (now() - t0) / ops;
    RtlFreeNonVolatileToken(t);
    return ns;
}

/* bulk1m -- 1 MiB writes with WRITE_NV_MEMORY_FLAG_FLUSH. */
static double w_bulk1m(long ops)
{
    char *base = map(REGION, 1, 0);
    PVOID t = token_for(base, REGION);
    uint64_t x = 88172645463325252ull;
    double t0 = now();
    for (long i = 0; i < ops; i++)
        RtlWriteNonVolatileMemory(t, base + rng(&x) % (REGION / MiB) * MiB, src, MiB,
                                  WRITE_NV_MEMORY_FLAG_FLUSH);
    double ns = (now() - t0) / ops;
    RtlFreeNonVolatileToken(t);
    return ns;
}

/* outstanding -- many 48-byte writes at distinct random 64-byte slots (so no two
 * merge), no flush; then one flush+drain of the whole region (unless noflush, which
 * leaves them all to be reported at exit; or pages: one flush+drain per 4 KiB page,
 * in address order, so the checker cannot drop its log of the writes unread). */
enum { OUT_FLUSH, OUT_NOFLUSH, OUT_PAGES };
static double w_outstanding(long ops, int how)
{
    char *base = map(REGION, 1, 0);
    PVOID t = token_for(base, REGION);
    size_t slots = REGION / 64;
    uint64_t x = 88172645463325252ull;
    /* A random permutation walk: slot = (a * i + b) mod slots, a odd. */
    size_t a = (rng(&x) | 1) % slots | 1, b = rng(&x) % slots;
    double t0 = now();
    for (long i = 0; i < ops; i++)
        RtlWriteNonVolatileMemory(t, base + ((a * (size_t)i + b) % slots) * 64, src, 48, 0);
    if (how == OUT_FLUSH)
        RtlFlushNonVolatileMemory(t, base, REGION, 0);
    for (size_t p = 0; how == OUT_PAGES && p < REGION; p += 4096)
        RtlFlushNonVolatileMemory(t, base + p, 4096, 0);
    double ns = (now() - t0) / ops;
    if (how != OUT_NOFLUSH)
        RtlFreeNonVolatileToken(t);
    return ns;
}

/* threads -- n threads, each its own part of the region, rec64 pattern. Returns the
 * aggregate ns per op (lower is better: throughput = 1/ns). */
static double w_threads(long ops, int n)
{
    char *base = map(REGION, 1, 0);
    PVOID tok = token_for(base, REGION);
    pthread_t th[8];
    struct rec64 w[8];
    double t0 = now();
    for (int i = 0; i < n; i++) {
        w[i] = (struct rec64){base + i * (REGION / n),
                              REGION / n,
                              NULL,
                              0,
                              ops / n,
                              88172645463325252ull + (uint64_t)i,
                              0,
                              tok};
        pthread_create(&th[i], NULL, rec64_run, &w[i]);
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    double ns = (now() - t0) / ops;
    RtlFreeNonVolatileToken(tok);
    return ns;
}

static int child(int argc, char **argv)
{
    const char *w = argv[0];
    long ops = argc > 1 ? atol(argv[1]) : 1000000;
    int arg = argc > 2 ? atoi(argv[2]) : 0;
    memset(src, 0x5a, sizeof src);
    double ns;
    if (!strcmp(w, "rec64"))
        ns = w_rec64(ops, 0, arg);
    else if (!strcmp(w, "rec64-persist"))
        ns = w_rec64(ops, 1, arg);
    else if (!strcmp(w, "sparse"))
        ns = w_sparse(ops);
    else if (!strcmp(w, "page4k"))
        ns = w_page4k(ops);
    else if (!strcmp(w, "bulk1m"))
        ns = w_bulk1m(ops);
    else if (!strcmp(w, "outstanding"))
        ns = w_outstanding(ops, arg ? OUT_NOFLUSH : OUT_FLUSH);
    else if (!strcmp(w, "outstanding-pages"))
        ns = w_outstanding(ops, OUT_PAGES);
    else if (!strcmp(w, "threads"))
        ns = w_threads(ops, arg ? arg : 1);
    else
        return fprintf(stderr, "nvbench: unknown workload %s\n", w), 2;
    printf("ns_per_op %.2f\nexit_at %.0f\n", ns, now());
    fflush(stdout);
    return 0;
}

/* ---- the table (parent side) ---- */

struct result {
    double ns;      /* per op */
    double exit_ms; /* from the end of main to the process being reaped */
    double peak_per_op, shadow_after, report_kb;
    long stacks, findings;
};

static const char *self_path, *preload_path;
static char outdir[256];

/* report_stats -- the counters from the (single) raw report in outdir. */
static void report_stats(struct result *r, long ops)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/*.json 2>/dev/null", outdir);
    FILE *p = popen(cmd, "r");
    char path[512];
    if (!p || !fgets(path, sizeof path, p)) {
        if (p)
            pclose(p);
        return;
    }
    pclose(p);
    path[strcspn(path, "\n")] = 0;
    json_t *j = json_load_file(path, 0, NULL);
    json_t *s = json_object_get(j, "summary");
    r->peak_per_op = (double)json_integer_value(json_object_get(s, "peak_shadow_bytes")) / ops;
    r->shadow_after = (double)json_integer_value(json_object_get(s, "shadow_bytes"));
    r->stacks = (long)json_integer_value(json_object_get(s, "stacks"));
    r->findings = (long)json_array_size(json_object_get(j, "findings"));
    FILE *f = fopen(path, "r");
    if (f) {
        fseek(f, 0, SEEK_END);
        r->report_kb = ftell(f) / 1024.0;
        fclose(f);
    }
    json_decref(j);
    unlink(path);
}

/* measure -- one child run of workload (checked: under the preload). */
static struct result measure(const char *workload, long ops, int arg, int checked,
                             const char *options, const char *flush)
{
    struct result r = {0};
    int fd[2];
    char ops_s[32], arg_s[32];
    snprintf(ops_s, sizeof ops_s, "%ld", ops);
    snprintf(arg_s, sizeof arg_s, "%d", arg);
    if (pipe(fd) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        char out[300];
        snprintf(out, sizeof out, "%s/nvcheck.%%p.json", outdir);
        dup2(fd[1], 1);
        close(fd[0]);
        setenv("NVCHECK_OUTPUT", out, 1);
        setenv("NVCHECK_OPTIONS", options ? options : "quiet=1", 1);
        if (flush)
            setenv("NVMEM_FLUSH", flush, 1);
        if (checked)
            setenv("LD_PRELOAD", preload_path, 1);
        else
            unsetenv("LD_PRELOAD");
        execl(self_path, self_path, "--child", workload, ops_s, arg_s, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char buf[256];
    FILE *in = fdopen(fd[0], "r");
    double exit_at = 0;
    while (fgets(buf, sizeof buf, in)) {
        sscanf(buf, "ns_per_op %lf", &r.ns);
        sscanf(buf, "exit_at %lf", &exit_at);
    }
    fclose(in);
    int st;
    waitpid(pid, &st, 0);
    r.exit_ms = (now() - exit_at) / 1e6;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || r.ns <= 0) {
        fprintf(stderr, "nvbench: %s (%s) failed\n", workload, checked ? "checked" : "native");
        exit(1);
    }
    if (checked)
        report_stats(&r, ops);
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct pair {
    double native, checked;
    struct result last; /* the last checked run's counters */
};

/* compare -- reps alternating native/checked runs; medians. */
static struct pair compare(const char *w, long ops, int arg, int reps)
{
    double n[32], c[32];
    struct pair p = {0};
    for (int i = 0; i < reps; i++) {
        n[i] = measure(w, ops, arg, 0, NULL, NULL).ns;
        p.last = measure(w, ops, arg, 1, NULL, NULL);
        c[i] = p.last.ns;
    }
    p.native = median(n, reps);
    p.checked = median(c, reps);
    return p;
}

static double checked_median(const char *w, long ops, int arg, int reps, const char *options)
{
    double c[32];
    for (int i = 0; i < reps; i++)
        c[i] = measure(w, ops, arg, 1, options, NULL).ns;
    return median(c, reps);
}

static void row(const char *name, const char *what, struct pair p, double must, double aim)
{
    double ratio = p.checked / p.native;
    printf("| %-13s | %-44s | %9.1f | %9.1f | %5.2fx | <= %.2fx | <= %.2fx | %s |\n", name, what,
           p.native, p.checked, ratio, must, aim,
           ratio <= aim    ? "aim met"
           : ratio <= must ? "must met"
                           : "MISSED");
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--child"))
        return child(argc - 2, argv + 2);
    int reps = 5, quick = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else
            break;
    }
    if (i != argc - 1 || reps < 1 || reps > 31) {
        fprintf(stderr, "usage: nvbench [--reps N] [--quick] PATH/TO/libnvcheck.so\n");
        return 2;
    }
    self_path = "/proc/self/exe";
    static char self[4096];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0)
        self[k] = 0, self_path = self;
    preload_path = argv[i];
    snprintf(outdir, sizeof outdir, "%s/nvbench.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(outdir))
        return perror("nvbench: mkdtemp"), 1;
    long m = quick ? 10 : 1; /* --quick: a tenth of the work, for a smoke run */
    long rec_ops = 1000000 / m;

    printf("median of %d alternating runs, ns per operation\n\n", reps);
    printf("| workload      | what                                         |    native |   checked "
           "|  ratio |   must   |   aim    | verdict |\n");
    printf("|---|---|---:|---:|---:|---|---|---|\n");
    struct pair rec = compare("rec64", rec_ops, 0, reps);
    row("rec64", "64 B write, then flush+drain, random lines", rec, 2.0, 1.5);
    row("rec64-persist", "64 B write with FLUSH (one call)",
        compare("rec64-persist", rec_ops, 0, reps), 2.0, 1.5);
    row("page4k", "4 KiB write + flush NO_DRAIN, drain per 16",
        compare("page4k", 100000 / m, 0, reps), 1.5, 1.2);
    row("bulk1m", "1 MiB write with FLUSH", compare("bulk1m", 2000 / m, 0, reps), 1.2, 1.05);
    struct pair out = compare("outstanding", 1000000 / m, 0, reps);
    row("outstanding", "1M 48 B writes, then one flush+drain", out, 4.0, 2.0);
    row("outst-pages", "the same, then a flush+drain per 4 KiB page",
        compare("outstanding-pages", 1000000 / m, 0, reps), 4.0, 2.0);

    double t1 = checked_median("threads", rec_ops, 1, reps, NULL);
    double t2 = checked_median("threads", rec_ops, 2, reps, NULL);
    struct pair sp = compare("sparse", rec_ops, 0, reps);
    printf("\n| scaling | measured | must | aim | verdict |\n|---|---:|---|---|---|\n");
    printf("| threads: checked 2-thread / 1-thread throughput | %.2fx | >= 1.6x | >= 1.9x | %s |\n",
           t1 / t2,
           t1 / t2 >= 1.9   ? "aim met"
           : t1 / t2 >= 1.6 ? "must met"
                            : "MISSED");
    /* The 1 TiB region's pages are scattered, so native costs more too (TLB misses):
     * what must not grow with the region is the checker's share, the ratio. */
    double r_sp = sp.checked / sp.native, r_rec = rec.checked / rec.native;
    double d = (r_sp - r_rec) / r_rec * 100;
    printf("| sparse: rec64 on a 1 TiB region: %.1f -> %.1f ns, %.2fx vs rec64's %.2fx | %+.1f%% "
           "| within 10%% | same | %s |\n",
           sp.native, sp.checked, r_sp, r_rec, d, d <= 10 ? "met" : "MISSED");

    printf("\n| memory (outstanding, 1M writes) | measured | must | aim |\n|---|---:|---|---|\n");
    printf("| peak shadow bytes per outstanding write | %.1f | <= 64 | <= 32 |\n",
           out.last.peak_per_op);
    printf("| shadow bytes left after the flush+drain | %.0f | near 0 | |\n",
           out.last.shadow_after);
    struct result nf = measure("outstanding", 1000000 / m, 1, 1, NULL, NULL);
    printf("| exit with 1M unflushed writes: report written in | %.0f ms | <= 1000 ms | |\n",
           nf.exit_ms);
    printf("| ... report size, findings (one call site) | %.1f KiB, %ld finding(s) | small | |\n",
           nf.report_kb, nf.findings);

    printf("\n| rec64 called 40 frames deep, checked | ns/op |\n|---|---:|\n");
    const char *depths[] = {"stack_depth=8:quiet=1", "stack_depth=16:quiet=1",
                            "stack_depth=32:quiet=1"};
    for (int j = 0; j < 3; j++)
        printf("| stack_depth=%d%s | %.1f |\n", 8 << j, j == 1 ? " (default)" : "",
               checked_median("rec64", rec_ops, 40, reps, depths[j]));

    printf("\n| native rec64, flush instruction (NVMEM_FLUSH) | ns/op |\n|---|---:|\n");
    const char *insns[] = {"clwb", "clflushopt", "clflush"};
    for (int j = 0; j < 3; j++) {
        double v[32];
        for (int r = 0; r < reps; r++)
            v[r] = measure("rec64", rec_ops, 0, 0, NULL, insns[j]).ns;
        printf("| %s | %.1f |\n", insns[j], median(v, reps));
    }
    rmdir(outdir);
    return 0;
}
