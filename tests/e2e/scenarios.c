/* scenarios.c -- one small program per checker behaviour, chosen by argv[1].
 *
 * Each scenario maps a 64 KiB NV region (anonymous shared memory stands in for a
 * DAX mapping), prints "base 0x..." so the test can compute exact addresses, and
 * makes its API calls on lines marked with "@nv:NAME" markers; the tests resolve
 * the reported frames with addr2line and compare them with those lines.
 */
#include <nvmem.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define REGION 65536

static char *base;
static PVOID tok;
static char src[8192];

static void region(void)
{
    base = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        exit(99);
    }
    if (RtlGetNonVolatileToken(base, REGION, &tok) != STATUS_SUCCESS) /* @nv:get */
        exit(98);
    printf("base %p\n", (void *)base);
    fflush(stdout);
}

static void expect(NTSTATUS got, NTSTATUS want, const char *what)
{
    if (got != want) {
        fprintf(stderr, "scenarios: %s returned 0x%x, expected 0x%x\n", what, (unsigned)got,
                (unsigned)want);
        exit(97);
    }
}

#define OK(call) expect((call), STATUS_SUCCESS, #call)
#define BAD(call) expect((call), STATUS_INVALID_PARAMETER, #call)

/* ---- one finding per kind ---- */

static void s_unflushed(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 64, src, 64, 0)); /* @nv:unflushed */
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:unflushed-free */
}

static void s_unflushed_exit(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 3, src, 10, 0)); /* @nv:unflushed-exit */
}

static void s_fill(void)
{
    OK(RtlFillNonVolatileMemory(tok, base + 4090, 12, 0xab, 0)); /* @nv:fill */
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_undrained(void)
{
    ULONG flags = WRITE_NV_MEMORY_FLAG_FLUSH | WRITE_NV_MEMORY_FLAG_NO_DRAIN;
    OK(RtlWriteNonVolatileMemory(tok, base + 128, src, 32, flags)); /* @nv:undrained */
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_undrained_flush(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 200, src, 100, 0)); /* @nv:undrained-write */
    OK(RtlFlushNonVolatileMemory(tok, base + 200, 100, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN)); /* @nv:undrained-flush */
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:undrained-free */
}

static void s_nt(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 1000, src, 300, WRITE_NV_MEMORY_FLAG_NON_TEMPORAL)); /* @nv:nt */
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_ranges(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 512, src, 64, 0));
    OK(RtlWriteNonVolatileMemory(tok, base + 1024, src, 64, 0)); /* @nv:ranges-write */
    NV_MEMORY_RANGE r[2] = {{base + 512, 64}, {base + 1024, 8}};
    OK(RtlFlushNonVolatileMemoryRanges(tok, r, 2, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN));
    OK(RtlDrainNonVolatileFlush(tok));
    OK(RtlWriteNonVolatileMemory(tok, base + 2048, src, 16, 0)); /* @nv:ranges-undrained */
    NV_MEMORY_RANGE r2[1] = {{base + 2048, 16}};
    OK(RtlFlushNonVolatileMemoryRanges(tok, r2, 1, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN)); /* @nv:ranges-flush */
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_invalid_token(void)
{
    BAD(RtlWriteNonVolatileMemory((PVOID)0x1234, base, src, 8, 0)); /* @nv:forged */
    PVOID t2;
    OK(RtlGetNonVolatileToken(base, 4096, &t2));
    OK(RtlFreeNonVolatileToken(t2)); /* @nv:first-free */
    BAD(RtlFreeNonVolatileToken(t2)); /* @nv:double-free */
    BAD(RtlWriteNonVolatileMemory((PVOID)FLUSH_NV_MEMORY_DEFAULT_TOKEN, base, src, 8, 0)); /* @nv:default-write */
    OK(RtlFlushNonVolatileMemory((PVOID)FLUSH_NV_MEMORY_DEFAULT_TOKEN, base, 8, 0));
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_out_of_region(void)
{
    memset(base + REGION - 8, 0x5a, 8);
    BAD(RtlWriteNonVolatileMemory(tok, base + REGION - 8, src, 16, 0)); /* @nv:oor-write */
    if (base[REGION - 8] != 0x5a)
        exit(96); /* a rejected call must not touch memory */
    BAD(RtlFlushNonVolatileMemory(tok, base - 64, 64, 0)); /* @nv:oor-flush */
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_invalid_argument(void)
{
    BAD(RtlWriteNonVolatileMemory(tok, NULL, src, 8, 0)); /* @nv:null-dst */
    BAD(RtlWriteNonVolatileMemory(tok, base, src, 8, 0x40)); /* @nv:bad-flags */
    BAD(RtlWriteNonVolatileMemory(tok, base, src, 8, WRITE_NV_MEMORY_FLAG_NO_DRAIN)); /* @nv:nodrain-alone */
    ULONG nd_nt = FILL_NV_MEMORY_FLAG_PERSIST | FILL_NV_MEMORY_FLAG_NO_DRAIN;
    BAD(RtlFillNonVolatileMemory(tok, base, 8, 0, nd_nt)); /* @nv:nodrain-nt */
    BAD(RtlFlushNonVolatileMemory(tok, base + 64, (SIZE_T)-32, 0)); /* @nv:wrap */
    PVOID t2;
    BAD(RtlGetNonVolatileToken(base, 0, &t2)); /* @nv:empty-region */
    BAD(RtlFlushNonVolatileMemoryRanges(tok, NULL, 3, 0)); /* @nv:null-ranges */
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_redundant(void)
{
    OK(RtlFlushNonVolatileMemory(tok, base + 4096, 64, 0)); /* @nv:redundant */
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_overwritten(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 64, src, 32, 0)); /* @nv:first-write */
    OK(RtlWriteNonVolatileMemory(tok, base + 80, src, 32, 0)); /* @nv:overwrite */
    OK(RtlFlushNonVolatileMemory(tok, base + 64, 64, 0));
    OK(RtlFreeNonVolatileToken(tok));
}

static void s_leaked(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base, src, 64, WRITE_NV_MEMORY_FLAG_PERSIST));
}

/* ---- correct programs: every flag combination, zero findings ---- */

static void s_clean(void)
{
    for (int round = 0; round < 3; round++) {
        char *p = base + 8192 * round + 5; /* unaligned on purpose */
        OK(RtlWriteNonVolatileMemory(tok, p, src, 100, 0));
        OK(RtlFlushNonVolatileMemory(tok, p, 100, 0));
        OK(RtlWriteNonVolatileMemory(tok, p + 200, src, 300, 0));
        OK(RtlFlushNonVolatileMemory(tok, p + 200, 300, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN));
        OK(RtlDrainNonVolatileFlush(tok));
        OK(RtlWriteNonVolatileMemory(tok, p + 600, src, 70, WRITE_NV_MEMORY_FLAG_FLUSH));
        OK(RtlWriteNonVolatileMemory(tok, p + 700, src, 70,
                                     WRITE_NV_MEMORY_FLAG_FLUSH | WRITE_NV_MEMORY_FLAG_NO_DRAIN));
        OK(RtlDrainNonVolatileFlush((PVOID)FLUSH_NV_MEMORY_DEFAULT_TOKEN));
        OK(RtlWriteNonVolatileMemory(tok, p + 800, src, 4000, WRITE_NV_MEMORY_FLAG_NON_TEMPORAL));
        OK(RtlDrainNonVolatileFlush(tok));
        OK(RtlWriteNonVolatileMemory(tok, p + 5000, src, 777, WRITE_NV_MEMORY_FLAG_PERSIST));
        OK(RtlFillNonVolatileMemory(tok, p + 6000, 50, 1, 0));
        OK(RtlFlushNonVolatileMemory((PVOID)FLUSH_NV_MEMORY_DEFAULT_TOKEN, p + 6000, 50, 0));
        OK(RtlFillNonVolatileMemory(tok, p + 6100, 50, 2, FILL_NV_MEMORY_FLAG_FLUSH));
        OK(RtlFillNonVolatileMemory(tok, p + 6200, 50, 3,
                                    FILL_NV_MEMORY_FLAG_FLUSH | FILL_NV_MEMORY_FLAG_NO_DRAIN));
        OK(RtlFillNonVolatileMemory(tok, p + 6300, 500, 4, FILL_NV_MEMORY_FLAG_NON_TEMPORAL));
        OK(RtlDrainNonVolatileFlush(tok));
        OK(RtlFillNonVolatileMemory(tok, p + 6900, 500, 5, FILL_NV_MEMORY_FLAG_PERSIST));
        OK(RtlWriteNonVolatileMemory(tok, p + 7500, src, 10, 0));
        OK(RtlWriteNonVolatileMemory(tok, p + 7600, src, 10, 0));
        NV_MEMORY_RANGE r[3] = {{p + 7500, 10}, {NULL, 0}, {p + 7600, 10}};
        OK(RtlFlushNonVolatileMemoryRanges(tok, r, 3, 0));
        OK(RtlWriteNonVolatileMemory(tok, p + 7700, src, 10, 0));
        NV_MEMORY_RANGE r2[1] = {{p + 7700, 10}};
        OK(RtlFlushNonVolatileMemoryRanges((PVOID)FLUSH_NV_MEMORY_DEFAULT_TOKEN, r2, 1,
                                           FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN));
        OK(RtlDrainNonVolatileFlush(tok));
        /* Zero-size calls are no-ops, even with NULL pointers. */
        OK(RtlWriteNonVolatileMemory(tok, NULL, NULL, 0, 0));
        OK(RtlFillNonVolatileMemory(tok, NULL, 0, 0, WRITE_NV_MEMORY_FLAG_FLUSH));
        OK(RtlFlushNonVolatileMemory(tok, NULL, 0, 0));
        OK(RtlFlushNonVolatileMemoryRanges(tok, NULL, 0, 0));
    }
    /* Data must be what was written. */
    if (memcmp(base + 5 + 5000, src, 777) != 0 || base[5 + 6350] != 4)
        exit(95);
    OK(RtlFreeNonVolatileToken(tok));
    /* A token again for the same memory, after the free. */
    OK(RtlGetNonVolatileToken(base, REGION, &tok));
    OK(RtlWriteNonVolatileMemory(tok, base, src, 64, WRITE_NV_MEMORY_FLAG_PERSIST));
    OK(RtlFreeNonVolatileToken(tok));
}

/* ---- threads ---- */

struct job {
    int idx;
    int drain;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    char *p = base + 16384 * j->idx;
    for (int i = 0; i < 1000; i++) {
        OK(RtlWriteNonVolatileMemory(tok, p + (i * 72) % 16000, src, 72, 0));
        OK(RtlFlushNonVolatileMemory(tok, p + (i * 72) % 16000, 72, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN));
        if (j->drain)
            OK(RtlDrainNonVolatileFlush(tok));
    }
    return NULL;
}

static void s_threads_clean(void)
{
    pthread_t th[4];
    struct job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct job){i, 1};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    OK(RtlFreeNonVolatileToken(tok));
}

static void *flush_only(void *arg)
{
    (void)arg;
    OK(RtlWriteNonVolatileMemory(tok, base + 256, src, 64, 0)); /* @nv:thread-write */
    OK(RtlFlushNonVolatileMemory(tok, base + 256, 64, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN)); /* @nv:thread-flush */
    return NULL;
}

static void s_other_thread_drain(void)
{
    pthread_t th;
    pthread_create(&th, NULL, flush_only, NULL);
    pthread_join(th, NULL);
    OK(RtlDrainNonVolatileFlush(tok)); /* main's drain does not persist the thread's flush */
    OK(RtlFreeNonVolatileToken(tok));
}

/* ---- processes and start-up ---- */

static void s_fork(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 64, src, 8, WRITE_NV_MEMORY_FLAG_PERSIST));
    pid_t pid = fork();
    if (pid == 0) {
        OK(RtlWriteNonVolatileMemory(tok, base + 640, src, 16, 0)); /* @nv:child-write */
        OK(RtlFreeNonVolatileToken(tok));
        exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    OK(RtlWriteNonVolatileMemory(tok, base + 1280, src, 24, 0)); /* @nv:parent-write */
    OK(RtlFreeNonVolatileToken(tok));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        exit(94);
}

static char early_buf[4096] __attribute__((aligned(4096)));

/* A library constructor may use the API before main -- and before nvcheck's own. */
__attribute__((constructor)) static void early(void)
{
    const char *s = getenv("SCENARIO_EARLY");
    PVOID t;
    if (!s || RtlGetNonVolatileToken(early_buf, sizeof early_buf, &t) != STATUS_SUCCESS)
        return;
    printf("base %p\n", (void *)early_buf);
    RtlWriteNonVolatileMemory(t, early_buf + 32, "early", 5, 0); /* @nv:early */
    RtlFreeNonVolatileToken(t);
}

static void s_none(void)
{
}

/* ---- nvcheck run: exec, many call sites, signals ---- */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>

/* exec_as -- replace this image with "scenarios NAME" through exec function how. */
static void exec_as(const char *how, const char *name)
{
    static char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        exit(93);
    self[n] = 0;
    char *argv[] = {"scenarios", (char *)name, NULL};
    extern char **environ;
    if (!strcmp(how, "execve"))
        execve(self, argv, environ);
    else if (!strcmp(how, "execv"))
        execv(self, argv);
    else if (!strcmp(how, "execvp"))
        execvp(self, argv);
    else if (!strcmp(how, "execvpe"))
        execvpe(self, argv, environ);
    else if (!strcmp(how, "execl"))
        execl(self, "scenarios", name, (char *)NULL);
    else if (!strcmp(how, "execlp"))
        execlp(self, "scenarios", name, (char *)NULL);
    else if (!strcmp(how, "execle"))
        execle(self, "scenarios", name, (char *)NULL, environ);
    else if (!strcmp(how, "fexecve"))
        fexecve(open(self, O_RDONLY | O_CLOEXEC), argv, environ);
    else
        execv("/nonexistent/program", argv); /* fails: ENOENT */
}

/* exec: leave bytes unflushed (and the token live), then become "scenarios unflushed"
 * by the exec function SCENARIO_EXEC names (default execv). SCENARIO_EXEC=fail: that
 * exec fails; go on, and leave other bytes unflushed at the token's free. */
static void s_exec(void)
{
    const char *how = getenv("SCENARIO_EXEC");
    OK(RtlWriteNonVolatileMemory(tok, base + 128, src, 16, 0)); /* @nv:pre-exec */
    exec_as(how ? how : "execv", "unflushed");
    if (!how || strcmp(how, "fail") || errno != ENOENT)
        exit(92);
    OK(RtlWriteNonVolatileMemory(tok, base + 256, src, 8, 0)); /* @nv:after-failed-exec */
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:exec-free */
}

/* many: twelve call sites, twelve findings (more than nvcheck run shows). */
#define W(i) OK(RtlWriteNonVolatileMemory(tok, base + 64 * (i), src, 8, 0))
static void s_many(void)
{
    W(0);
    W(1);
    W(2);
    W(3);
    W(4);
    W(5);
    W(6);
    W(7);
    W(8);
    W(9);
    W(10);
    W(11);
    OK(RtlFreeNonVolatileToken(tok));
}
#undef W

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

/* wait-signal: print "ready", wait for SIGINT, SIGTERM, SIGHUP or SIGQUIT, write
 * "signal N" to the file SCENARIO_MARKER names, then die of that signal. */
static void s_wait_signal(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa;
    sigset_t block, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(&block, sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &block, &old);
    printf("ready\n");
    fflush(stdout);
    while (!got_signal)
        sigsuspend(&old);
    FILE *f = fopen(getenv("SCENARIO_MARKER"), "w");
    if (f)
        fprintf(f, "signal %d\n", (int)got_signal), fclose(f);
    signal(got_signal, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    raise(got_signal);
    exit(91);
}

static const struct {
    const char *name;
    void (*fn)(void);
} scenarios[] = {
    {"unflushed", s_unflushed},
    {"unflushed-exit", s_unflushed_exit},
    {"fill", s_fill},
    {"undrained", s_undrained},
    {"undrained-flush", s_undrained_flush},
    {"nt", s_nt},
    {"ranges", s_ranges},
    {"invalid-token", s_invalid_token},
    {"out-of-region", s_out_of_region},
    {"invalid-argument", s_invalid_argument},
    {"redundant", s_redundant},
    {"overwritten", s_overwritten},
    {"leaked", s_leaked},
    {"clean", s_clean},
    {"threads-clean", s_threads_clean},
    {"other-thread-drain", s_other_thread_drain},
    {"fork", s_fork},
    {"none", s_none},
    {"exec", s_exec},
    {"many", s_many},
    {"wait-signal", s_wait_signal},
};

int main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (char)(i * 7 + 1);
    for (size_t i = 0; argc > 1 && i < sizeof scenarios / sizeof *scenarios; i++) {
        if (strcmp(argv[1], scenarios[i].name) == 0) {
            if (strcmp(argv[1], "none") != 0)
                region();
            scenarios[i].fn();
            return 0;
        }
    }
    fprintf(stderr, "usage: scenarios NAME\n");
    return 2;
}
