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

static int exec_more(const char *how, const char *self, char **argv);

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
    else if (strcmp(how, "fail") && exec_more(how, self, argv))
        exit(93); /* an exec of exec.sh's that returned */
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

/* ---- abnormal ends, processes, output trouble, limits (signals.sh, spawn.sh,
 * output.sh, limits.sh) ----
 *
 * Most leave one unflushed write behind (dirty, @nv:end-write), then end in the way
 * SCENARIO_END names. "ready" on stdout tells the test it may send a signal; the busy
 * loop meanwhile keeps the thread inside the checker most of the time, taking the
 * lock of the shard the dirty bytes live in, so a signal from outside usually lands
 * inside an API call. */

#include <assert.h>
#include <spawn.h>
#include <sys/resource.h>

static void say(const char *s) /* async-signal-safe */
{
    ssize_t n = write(1, s, strlen(s));
    (void)n;
}

static void dirty(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 64, src, 16, 0)); /* @nv:end-write */
}

static volatile sig_atomic_t handled;
static volatile int *volatile wild = (volatile int *)8; /* faults when stored to */

static void busy(int until_handled)
{
    say("ready\n");
    for (unsigned i = 0; !until_handled || !handled; i++) {
        OK(RtlWriteNonVolatileMemory(tok, base + 4096 + (i % 64) * 64, src, 64,
                                     WRITE_NV_MEMORY_FLAG_FLUSH));
        OK(RtlFillNonVolatileMemory(tok, base + 8192 + (i % 64) * 64, 64, (UCHAR)i,
                                    FILL_NV_MEMORY_FLAG_FLUSH));
    }
}

static int main_status; /* what main returns */

/* end -- die as SCENARIO_END says: abort, assert, segv, bus, fpe, ill, source (a bad
 * Source pointer: SIGSEGV inside the API), _exit, _Exit, exit (with status 5, 6, 7, or
 * SCENARIO_STATUS), return (main returns SCENARIO_STATUS), or wait (for a signal from
 * outside). */
static void end(void)
{
    const char *how = getenv("SCENARIO_END");
    const char *st = getenv("SCENARIO_STATUS");
    how = how ? how : "wait";
    if (!strcmp(how, "return")) {
        main_status = st ? atoi(st) : 0;
        return;
    }
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "assert"))
        assert(how == NULL);
    if (!strcmp(how, "segv"))
        *wild = 1;
    if (!strcmp(how, "fpe")) { /* in assembly: UBSan would catch it in C */
        int q = 7, zero = 0;
#if defined(__x86_64__)
        __asm__ volatile("cltd; idivl %1" : "+a"(q) : "r"(zero) : "edx");
#else
        raise(SIGFPE);
#endif
        printf("%d\n", q);
    }
    if (!strcmp(how, "ill"))
        __builtin_trap();
    if (!strcmp(how, "bus")) {
        FILE *f = tmpfile();
        char *p = f ? mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fileno(f), 0) : NULL;
        if (p && p != MAP_FAILED)
            p[4096] = 1; /* beyond the (empty) file's end */
    }
    if (!strcmp(how, "source"))
        RtlWriteNonVolatileMemory(tok, base + 256, (void *)8, 8, 0);
    if (!strcmp(how, "_exit"))
        _exit(st ? atoi(st) : 5);
    if (!strcmp(how, "_Exit"))
        _Exit(st ? atoi(st) : 6);
    if (!strcmp(how, "exit"))
        exit(st ? atoi(st) : 7);
    if (!strcmp(how, "wait"))
        busy(0);
    exit(90);
}

/* The program's own exit handler and destructor (SCENARIO_ATEXIT): each says so on
 * stdout; the handler also writes 8 bytes it does not flush. */
static int with_atexit;
static void program_atexit(void)
{
    say("program atexit handler\n");
    OK(RtlWriteNonVolatileMemory(tok, base + 512, src, 8, 0)); /* @nv:atexit-write */
}
__attribute__((destructor)) static void program_destructor(void)
{
    if (with_atexit)
        say("program destructor\n");
}

static void s_die(void)
{
    if (getenv("SCENARIO_DEFAULT")) { /* a background job of sh starts with these ignored */
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
    }
    if (getenv("SCENARIO_ATEXIT")) {
        with_atexit = 1;
        atexit(program_atexit);
    }
    dirty();
    end();
}

/* ---- the program's own handlers ---- */

static void on_term(int sig)
{
    (void)sig;
    say("handled\n");
    handled = 1;
    const char *m = getenv("SCENARIO_HANDLER");
    if (m && !strcmp(m, "exit"))
        exit(3);
}

/* handled: SCENARIO_HANDLER=exit (the handler calls exit(3)), return (the program goes
 * on, then exits 4), resethand (SA_RESETHAND: a second signal is the default
 * action). The signal is SIGTERM; the test sends it. */
static void s_handled(void)
{
    const char *m = getenv("SCENARIO_HANDLER");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sa.sa_flags = m && !strcmp(m, "resethand") ? SA_RESETHAND : 0;
    sigaction(SIGTERM, &sa, NULL);
    dirty();
    busy(m && !strcmp(m, "return"));
    exit(4);
}

static void on_abort(int sig)
{
    (void)sig;
    say("handled\n");
}

/* abort-handler: a SIGABRT handler that returns; then abort() (or a failed assert,
 * SCENARIO_END=assert), which ends the process all the same. */
static void s_abort_handler(void)
{
    signal(SIGABRT, on_abort);
    dirty();
    const char *how = getenv("SCENARIO_END");
    if (how && !strcmp(how, "assert"))
        assert(how == NULL);
    abort();
}

static sigset_t usr1_mask;
static void on_usr1(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    sigprocmask(SIG_BLOCK, NULL, &usr1_mask);
    handled = sig == SIGUSR1 && info && info->si_signo == SIGUSR1;
}

/* query: what the program sees of its dispositions (one line each). */
static void s_query(void)
{
    struct sigaction sa, old;
    sigaction(SIGSEGV, NULL, &old);
    printf("segv %s\n", old.sa_handler == SIG_DFL ? "default" : "other");
    sigaction(SIGINT, NULL, &old);
    printf("int %s\n", old.sa_handler == SIG_IGN ? "ignored" : old.sa_handler == SIG_DFL ? "default" : "other");
    printf("hup was %s\n", signal(SIGHUP, SIG_IGN) == SIG_DFL ? "default" : "other");
    sigaction(SIGHUP, NULL, &old);
    printf("hup %s\n", old.sa_handler == SIG_IGN ? "ignored" : "other");
    raise(SIGHUP);
    printf("hup survived\n");
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR1, NULL, &old);
    printf("usr1 %s\n", old.sa_sigaction == on_usr1 && (old.sa_flags & SA_SIGINFO) &&
                                (old.sa_flags & SA_RESTART) && sigismember(&old.sa_mask, SIGUSR2)
                            ? "as set"
                            : "changed");
    raise(SIGUSR1);
    printf("usr1 %s\n", handled && sigismember(&usr1_mask, SIGUSR2) && sigismember(&usr1_mask, SIGUSR1)
                            ? "handled with its mask"
                            : "not handled right");
    printf("old handler %s\n", signal(SIGUSR1, SIG_DFL) == (sighandler_t)(void (*)(void))on_usr1 ? "returned" : "lost");
    fflush(stdout);
    dirty();
}

/* ---- API calls from a signal handler: always checked ----
 *
 * Another thread sends the main thread SIGUSR1 128 times while main hammers the API;
 * each time the handler leaves 8 unflushed bytes at a new offset. A signal landing
 * inside an API call is held until the call returns, so all 128 writes are checked:
 * one finding (stack_depth=1: the handler's frame) with a count of 128. */

#define HANDLER_WRITES 128
static volatile int handler_calls;

static void on_usr1_api(int sig)
{
    (void)sig;
    int n = handler_calls;
    OK(RtlWriteNonVolatileMemory(tok, base + 16384 + 64 * n, src, 8, 0)); /* @nv:handler-write */
    __atomic_store_n(&handler_calls, n + 1, __ATOMIC_RELEASE);
}

static void *usr1_sender(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    for (int i = 0; i < HANDLER_WRITES; i++) {
        pthread_kill(main_thread, SIGUSR1);
        while (__atomic_load_n(&handler_calls, __ATOMIC_ACQUIRE) <= i)
            sched_yield();
    }
    return NULL;
}

static void s_handler_api(void)
{
    pthread_t me = pthread_self(), th;
    signal(SIGUSR1, on_usr1_api);
    pthread_create(&th, NULL, usr1_sender, &me);
    for (unsigned i = 0; __atomic_load_n(&handler_calls, __ATOMIC_ACQUIRE) < HANDLER_WRITES; i++)
        OK(RtlWriteNonVolatileMemory(tok, base + 4096 + (i % 64) * 64, src, 64,
                                     WRITE_NV_MEMORY_FLAG_FLUSH));
    pthread_join(th, NULL);
}

/* ---- exit from a thread other than main, others still in the API ---- */

static void *persist_forever(void *arg)
{
    char *p = base + 32768 + 4096 * (intptr_t)arg;
    for (unsigned i = 0;; i++)
        OK(RtlWriteNonVolatileMemory(tok, p + (i % 60) * 64, src, 64, WRITE_NV_MEMORY_FLAG_PERSIST));
    return NULL;
}

static void *exit_soon(void *arg)
{
    (void)arg;
    OK(RtlWriteNonVolatileMemory(tok, base + 128, src, 32, 0)); /* @nv:thread-exit-write */
    for (int i = 0; i < 20000; i++)
        OK(RtlWriteNonVolatileMemory(tok, base + 16384 + (i % 60) * 64, src, 64, WRITE_NV_MEMORY_FLAG_PERSIST));
    exit(8);
}

/* exit-thread: four threads keep writing (durably) while a fifth calls exit(8). */
static void s_exit_thread(void)
{
    pthread_t th[5];
    for (intptr_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, persist_forever, (void *)i);
    pthread_create(&th[4], NULL, exit_soon, NULL);
    pthread_join(th[4], NULL);
    exit(91);
}

/* ---- two threads crash at once ---- */

static pthread_barrier_t crash_barrier;

static void *crash(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&crash_barrier);
    *wild = 1;
    return NULL;
}

static void s_double_fault(void)
{
    pthread_t th[2];
    dirty();
    pthread_barrier_init(&crash_barrier, NULL, 2);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, crash, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
}

/* ---- processes ---- */

static const char *self_exe(void)
{
    static char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        exit(93);
    self[n] = 0;
    return self;
}

/* spawn: posix_spawn "scenarios unflushed" (a process of its own, with its own
 * report), then the token is freed with the dirty bytes still unflushed. */
static void s_spawn(void)
{
    extern char **environ;
    char *argv[] = {"scenarios", "unflushed", NULL};
    pid_t pid;
    int st;
    dirty();
    if (posix_spawn(&pid, self_exe(), NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0 ||
        !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        exit(89);
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:spawn-free */
}

/* vfork: the child execs "scenarios unflushed" (SCENARIO_END=fail: a program that does
 * not exist, then _exit(127)). */
static void s_vfork(void)
{
    const char *how = getenv("SCENARIO_END");
    const char *path = how && !strcmp(how, "fail") ? "/nonexistent/program" : self_exe();
    char *argv[] = {"scenarios", "unflushed", NULL};
    int st;
    dirty();
    pid_t pid = vfork();
    if (pid == 0) {
        execv(path, argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        exit(89);
    printf("child status %d\n", WEXITSTATUS(st));
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:vfork-free */
}

/* fork-inherit: the child exits (exit, or SCENARIO_END=_exit) without calling the API;
 * the bytes it inherited unflushed are in its report. SCENARIO_END=exec: it execs
 * /bin/true instead, and reports nothing. */
static void s_fork_inherit(void)
{
    const char *how = getenv("SCENARIO_END");
    int st;
    dirty();
    pid_t pid = fork();
    if (pid == 0) {
        if (how && !strcmp(how, "exec"))
            execl("/bin/true", "true", (char *)NULL);
        if (how && !strcmp(how, "_exit"))
            _exit(0);
        exit(0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        exit(89);
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:inherit-free */
}

/* daemon: double fork; the grandchild (reparented, in a session of its own) leaves
 * bytes unflushed and frees the token. Its stdout stays the test's pipe, so the test
 * knows it is done when the pipe closes. */
static void s_daemon(void)
{
    int st;
    dirty();
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() != 0)
            _exit(0);
        setsid();
        OK(RtlWriteNonVolatileMemory(tok, base + 128, src, 8, 0)); /* @nv:daemon-write */
        OK(RtlFreeNonVolatileToken(tok)); /* @nv:daemon-free */
        printf("daemon done\n");
        exit(0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        exit(89);
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:parent-free */
}

/* ---- output trouble ---- */

/* rmdir: the directory the report is to go to (SCENARIO_DIR) disappears first. */
static void s_rmdir(void)
{
    dirty();
    if (rmdir(getenv("SCENARIO_DIR")) != 0)
        exit(88);
}

/* ---- limits (limits.sh) ---- */

static volatile int sink;

/* tokens: 100,000 live tokens from one call site, all leaked at exit. */
static void s_tokens(void)
{
    enum { N = 100000 };
    char *big = mmap(NULL, (size_t)N * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED)
        exit(99);
    printf("base %p\n", (void *)big);
    for (int i = 0; i < N; i++) {
        PVOID t;
        OK(RtlGetNonVolatileToken(big + 64 * i, 64, &t)); /* @nv:many-tokens */
    }
}

static void peak_rss(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            printf("peak %s", line + 6);
    if (f)
        fclose(f);
    fflush(stdout);
}

/* writes: SCENARIO_N (default 10,000,000) 1-byte writes 16 bytes apart, all left
 * outstanding; prints the peak RSS before exit. */
static void s_writes(void)
{
    const char *e = getenv("SCENARIO_N");
    size_t n = e ? strtoul(e, NULL, 10) : 10000000;
    char *nv = mmap(NULL, n * 16, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    PVOID t;
    if (nv == MAP_FAILED)
        exit(99);
    printf("nv %p\n", (void *)nv);
    OK(RtlGetNonVolatileToken(nv, n * 16, &t));
    for (size_t i = 0; i < n; i++)
        OK(RtlWriteNonVolatileMemory(t, nv + 16 * i, src, 1, 0)); /* @nv:many-writes */
    peak_rss();
}

/* deep: a write 100 calls deep (stack_depth frames are kept, innermost first). */
static void deep_write(int depth)
{
    if (depth > 0) {
        deep_write(depth - 1); /* @nv:deep-recurse */
        sink += depth;         /* (no tail call, no loop: a frame per level) */
        return;
    }
    OK(RtlWriteNonVolatileMemory(tok, base + 512, src, 8, 0)); /* @nv:deep-write */
}

static void s_deep(void)
{
    deep_write(100);
}

/* fault-handler: the Source of a write is a PROT_NONE page; the program's SIGSEGV
 * handler makes it readable and itself calls the API while the faulting write is
 * still inside the checker (that inner call runs unchecked); the write then completes. */
static char *lazy;

static void on_segv(int sig, siginfo_t *info, void *uc)
{
    (void)sig, (void)uc;
    if ((char *)info->si_addr < lazy || (char *)info->si_addr >= lazy + 4096)
        abort();
    mprotect(lazy, 4096, PROT_READ | PROT_WRITE);
    memset(lazy, 0x42, 4096);
    RtlWriteNonVolatileMemory(tok, base + 2048, src, 8, 0); /* @nv:in-handler */
    handled++;
}

static void s_fault_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    lazy = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    OK(RtlWriteNonVolatileMemory(tok, base + 1024, lazy, 64, 0)); /* @nv:lazy-write */
    if (handled != 1 || base[1024] != 0x42 || base[2048] != src[0])
        exit(90);
    printf("handled %d\n", (int)handled);
}

/* stacks: SCENARIO_N (1,100,000) distinct call stacks, each making a bad call: a
 * recursion 11 deep that recurses from one of four call sites at each level (digit
 * by digit of the count, base 4), so the first 12 frames tell every call apart. */

static void stacks_rec(unsigned level, unsigned v)
{
    if (level == 0) {
        BAD(RtlWriteNonVolatileMemory(tok, NULL, src, 8, 0)); /* @nv:stacks-bad */
        return;
    }
    switch (v & 3) {
    case 0:
        stacks_rec(level - 1, v >> 2);
        sink += 1;
        break;
    case 1:
        stacks_rec(level - 1, v >> 2);
        sink += 2;
        break;
    case 2:
        stacks_rec(level - 1, v >> 2);
        sink += 3;
        break;
    default:
        stacks_rec(level - 1, v >> 2);
        sink += 4;
        break;
    }
}

static void s_stacks(void)
{
    const char *e = getenv("SCENARIO_N");
    unsigned n = e ? (unsigned)atoi(e) : 1100000;
    for (unsigned v = 0; v < n; v++)
        stacks_rec(11, v);
}

/* paths: one write site reached from three callers at the same depth, interleaved, so
 * the checker's per-thread stack cache must tell them apart on every call; the third
 * caller's frame changes size (alloca) from call to call. Each caller writes its own
 * 8 bytes every 16 (from 4096, 16384, 28672), unflushed: three findings of 300 writes. */
__attribute__((noinline)) static void path_write(size_t off)
{
    OK(RtlWriteNonVolatileMemory(tok, base + off, src, 8, 0)); /* @nv:path-write */
    sink++;
}

__attribute__((noinline)) static void path_a(unsigned i)
{
    path_write(4096 + 16 * (size_t)i); /* @nv:path-a */
    sink++;
}

__attribute__((noinline)) static void path_b(unsigned i)
{
    path_write(16384 + 16 * (size_t)i); /* @nv:path-b */
    sink++;
}

__attribute__((noinline)) static void path_c(unsigned i)
{
    volatile char *p = __builtin_alloca(16 + 48 * (i % 7));
    p[0] = (char)i;
    path_write(28672 + 16 * (size_t)i); /* @nv:path-c */
    sink += p[0];
}

static void s_paths(void)
{
    for (unsigned i = 0; i < 300; i++) {
        path_a(i);
        path_b(i);
        path_c(i);
    }
}

/* ---- threads (threads.sh), continued ---- */

/* token-reuse: a token freed by one thread is used by another, which then makes
 * tokens until the freed one's slot has been reused, and uses it again. The handle
 * and the news of its free pass through relaxed atomics only -- no happens-before --
 * so under ThreadSanitizer (make check-tsan) any per-token data the checker wrote
 * with plain stores after the table let go of the slot would show as a race. Two
 * findings: the stale handle while its slot waits (invalid-token, token-freed-at the
 * other thread's free), and once its slot has passed on (invalid-token, no stack:
 * that token's record is gone). */
static PVOID handed;
static int reuse_stage;

static void *free_and_wait(void *arg)
{
    (void)arg;
    PVOID x;
    OK(RtlGetNonVolatileToken(base + 4096, 4096, &x));
    __atomic_store_n(&handed, x, __ATOMIC_RELAXED);
    OK(RtlFreeNonVolatileToken(x)); /* @nv:reuse-free */
    __atomic_store_n(&reuse_stage, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&reuse_stage, __ATOMIC_RELAXED) != 2)
        sched_yield();
    return NULL;
}

static void s_token_reuse(void)
{
    pthread_t th;
    pthread_create(&th, NULL, free_and_wait, NULL);
    while (__atomic_load_n(&reuse_stage, __ATOMIC_RELAXED) != 1)
        sched_yield();
    PVOID x = __atomic_load_n(&handed, __ATOMIC_RELAXED), t2;
    BAD(RtlWriteNonVolatileMemory(x, base + 4096, src, 8, 0)); /* @nv:reuse-stale */
    /* A freed slot is reused once more than 1024 others wait: 1100 tokens are plenty. */
    for (int i = 0; i < 1100; i++) {
        OK(RtlGetNonVolatileToken(base + 8192, 64, &t2));
        OK(RtlFreeNonVolatileToken(t2));
    }
    BAD(RtlWriteNonVolatileMemory(x, base + 4096, src, 8, 0)); /* @nv:reuse-gone */
    __atomic_store_n(&reuse_stage, 2, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    OK(RtlFreeNonVolatileToken(tok));
}

/* exit-drains: main leaves a flush undrained and calls exit() while four threads
 * keep writing with FLUSH and draining (each call durable: no findings of theirs).
 * Writing the undrained flush's message, the report reads every thread's drain and
 * flush times -- while those threads may still be calling the API (then unchecked).
 * Under ThreadSanitizer this is clean only if what a thread did inside the checker
 * happens before the report (nvc_quiesce) and no thread comes in after it. */
static int drains_done[4];

static void *flush_drain_forever(void *arg)
{
    intptr_t i = (intptr_t)arg;
    char *p = base + 32768 + 4096 * i;
    for (unsigned k = 0;; k++) {
        OK(RtlWriteNonVolatileMemory(tok, p + (k % 60) * 64, src, 64, WRITE_NV_MEMORY_FLAG_FLUSH));
        OK(RtlDrainNonVolatileFlush(tok));
        __atomic_store_n(&drains_done[i], k + 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void s_exit_drains(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 256, src, 64, WRITE_NV_MEMORY_FLAG_FLUSH | WRITE_NV_MEMORY_FLAG_NO_DRAIN)); /* @nv:exit-undrained */
    pthread_t th[4];
    for (intptr_t i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, flush_drain_forever, (void *)i);
    for (int i = 0; i < 4; i++)
        while (__atomic_load_n(&drains_done[i], __ATOMIC_RELAXED) < 100)
            sched_yield();
    exit(0);
}

/* ---- processes that leave no report (the roster, tests/cli/harvest.sh) ---- */

/* kill-self: an unflushed write, then SIGKILL, which no handler sees. */
static void s_kill_self(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 64, src, 32, 0)); /* @nv:killed-write */
    kill(getpid(), SIGKILL);
    exit(93);
}

/* kill-child: a child uses the API and waits; the parent SIGKILLs it, reaps it, and
 * ends cleanly itself. */
static void s_kill_child(void)
{
    int fds[2], st;
    char c;
    if (pipe(fds) != 0)
        exit(99);
    pid_t pid = fork();
    if (pid == 0) {
        OK(RtlWriteNonVolatileMemory(tok, base + 128, src, 16, 0)); /* @nv:killed-child-write */
        if (write(fds[1], "x", 1) != 1)
            _exit(99);
        for (;;)
            pause();
    }
    if (pid < 0 || read(fds[0], &c, 1) != 1 || kill(pid, SIGKILL) != 0 || waitpid(pid, &st, 0) != pid)
        exit(92);
    OK(RtlFreeNonVolatileToken(tok));
}

/* daemon-api: a child that outlives the program, having used the API; it ends once
 * the file SCENARIO_MARKER exists (at most 20 s), the program at once. */
static void s_daemon_api(void)
{
    int fds[2];
    char c;
    if (pipe(fds) != 0)
        exit(99);
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        OK(RtlWriteNonVolatileMemory(tok, base + 256, src, 8, WRITE_NV_MEMORY_FLAG_PERSIST));
        if (write(fds[1], "x", 1) != 1)
            _exit(99);
        for (int i = 0; i < 2000 && access(getenv("SCENARIO_MARKER"), F_OK) != 0; i++)
            usleep(10000);
        OK(RtlFreeNonVolatileToken(tok));
        exit(0);
    }
    if (pid < 0 || read(fds[0], &c, 1) != 1)
        exit(92);
    OK(RtlFreeNonVolatileToken(tok));
}

/* ---- the report survives what the program does to itself (survive.sh) ---- */

/* data_file -- SCENARIO_DIR/data, opened for writing (the program's own data). */
static int data_file(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data", getenv("SCENARIO_DIR"));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        exit(87);
    return fd;
}

static int soft_nofile(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
}

/* closefrom_and_fill -- close every descriptor from `from` to the soft limit that
 * the program did not open, then put its data file at each number that was open. */
static void closefrom_and_fill(int from)
{
    static unsigned char was_open[65536];
    int lim = soft_nofile();
    for (int fd = from; fd < lim; fd++)
        was_open[fd] = fcntl(fd, F_GETFD) >= 0 && close(fd) == 0;
    int data = data_file(); /* the lowest free number: `from` itself */
    for (int fd = from; fd < lim; fd++)
        if (was_open[fd] && fd != data && dup2(data, fd) != fd)
            exit(86);
    if (write(data, "program data\n", 13) != 13)
        exit(85);
}

/* hostile -- what SCENARIO_HOSTILE says the program does before it ends: nofile0
 * (soft RLIMIT_NOFILE 0), nofile-hard (hard limit 16, every descriptor below it used),
 * fsize1 (soft RLIMIT_FSIZE one byte), closefrom (every descriptor from 3 closed, data
 * files in their places), stderr-data (a data file at fd 2), stderr-closed (fd 2
 * closed), stderr-gone (every descriptor from 2 closed, data files in their places). */
static void hostile(const char *how)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (!strcmp(how, "nofile0")) {
        rl.rlim_cur = 0;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            exit(84);
    } else if (!strcmp(how, "nofile-hard")) {
        rl.rlim_cur = rl.rlim_max = 16;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            exit(84);
        while (open("/dev/null", O_RDONLY) >= 0)
            ;
        if (errno != EMFILE)
            exit(83);
    } else if (!strcmp(how, "fsize1")) {
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = 1;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            exit(84);
    } else if (!strcmp(how, "closefrom")) {
        closefrom_and_fill(3);
    } else if (!strcmp(how, "stderr-data")) {
        close(2);
        if (data_file() != 2 || write(2, "program data\n", 13) != 13)
            exit(82);
    } else if (!strcmp(how, "stderr-closed")) {
        close(2);
    } else if (!strcmp(how, "stderr-gone")) {
        closefrom_and_fill(2);
    } else if (strcmp(how, "none")) {
        exit(81);
    }
}

/* survive: 24 bytes left unflushed, then SCENARIO_HOSTILE (hostile), then the end
 * SCENARIO_END names (end(), or exec: become sh -c 'exit 5'; fork: a child does the
 * hostile things and exits 6 with the bytes it inherited, and the parent, once it
 * has, persists them and exits with the child's status). */
static void s_survive(void)
{
    const char *how = getenv("SCENARIO_HOSTILE"), *e = getenv("SCENARIO_END");
    OK(RtlWriteNonVolatileMemory(tok, base + 320, src, 24, 0)); /* @nv:survive-write */
    if (e && !strcmp(e, "fork")) {
        int st;
        pid_t pid = fork();
        if (pid == 0) { /* what it inherited is its parent's: its own write is its own */
            OK(RtlWriteNonVolatileMemory(tok, base + 320, src, 24, 0)); /* @nv:survive-child */
            hostile(how ? how : "none");
            exit(6);
        }
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
            exit(80);
        OK(RtlFlushNonVolatileMemory(tok, base + 320, 24, 0));
        OK(RtlFreeNonVolatileToken(tok));
        exit(WEXITSTATUS(st));
    }
    hostile(how ? how : "none");
    if (e && !strcmp(e, "exec"))
        execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
    end();
}

/* fixed-fork: parent and child each leave bytes unflushed and exit (the child first):
 * two reports for one fixed NVCHECK_OUTPUT name. */
static void s_fixed_fork(void)
{
    int st;
    OK(RtlWriteNonVolatileMemory(tok, base + 448, src, 8, 0)); /* @nv:fixed-parent */
    pid_t pid = fork();
    if (pid == 0) {
        OK(RtlWriteNonVolatileMemory(tok, base + 960, src, 16, 0)); /* @nv:fixed-child */
        exit(0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
        exit(80);
}

/* ---- extreme values through the real writer (extremes.sh) ---- */

/* extremes: the largest sizes, addresses and sums the API lets a program pass. Every
 * call is one the library must refuse or a token it must grant without touching
 * memory; the tokens of 2^63+1 bytes are left live (leaked). */
static void s_extremes(void)
{
    const size_t P63 = (size_t)1 << 63, P61 = (size_t)1 << 61;
    PVOID t, top, big[3];
    /* A region that wraps to exactly 2^64 (the issue: end - start with end == 0). */
    BAD(RtlGetNonVolatileToken(base, (SIZE_T)0 - (uintptr_t)base, &t)); /* @nv:x-wrap-token */
    BAD(RtlWriteNonVolatileMemory(tok, NULL, src, SIZE_MAX, 0)); /* @nv:x-null-max */
    for (int i = 0; i < 4; i++)
        BAD(RtlFlushNonVolatileMemory(tok, base, P63, 0)); /* @nv:x-oor-2p63 */
    for (int i = 0; i < 5; i++)
        BAD(RtlFlushNonVolatileMemory(tok, base + 64, 3 * P61, FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN)); /* @nv:x-oor-3p61 */
    BAD(RtlWriteNonVolatileMemory((PVOID)0x1234, base, src, SIZE_MAX, 0)); /* @nv:x-forged-max */
    NV_MEMORY_RANGE r[2] = {{base, 64}, {base + 128, SIZE_MAX}};
    BAD(RtlFlushNonVolatileMemoryRanges(tok, r, 2, 0)); /* @nv:x-ranges-max */
    BAD(RtlFlushNonVolatileMemoryRanges(tok, (PNV_MEMORY_RANGE)base, SIZE_MAX, 0)); /* @nv:x-ranges-count */
    /* A region ending at the very top of the address space, and calls far from it. */
    char *hi = (char *)(UINTPTR_MAX - 4096);
    OK(RtlGetNonVolatileToken(hi, 4096, &top)); /* @nv:x-top-token */
    BAD(RtlWriteNonVolatileMemory(tok, (PVOID)(UINTPTR_MAX - 100), src, 100, 0)); /* @nv:x-oor-top */
    BAD(RtlFlushNonVolatileMemory(top, base, 64, 0)); /* @nv:x-oor-below */
    OK(RtlFreeNonVolatileToken(top));
    /* Tokens of 2^63+1 bytes, from one call site: their bytes overflow any sum. */
    for (int i = 0; i < 3; i++)
        OK(RtlGetNonVolatileToken(base + 4096 * i, P63 + 1, &big[i])); /* @nv:x-big-token */
    /* Real bytes, left unflushed (the whole region once, then a line again). */
    OK(RtlFillNonVolatileMemory(tok, base, REGION, 0x11, 0)); /* @nv:x-fill-all */
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:x-free */
}

/* extremes-sum: leaked tokens from two call sites, one of 2^63+1 bytes and one at the
 * top of the address space: the report's by_kind total saturates, and a reader adding
 * the two findings' bytes must too. */
static void s_extremes_sum(void)
{
    PVOID t;
    OK(RtlGetNonVolatileToken(base, ((size_t)1 << 63) + 1, &t)); /* @nv:xs-big */
    OK(RtlGetNonVolatileToken((char *)(UINTPTR_MAX - 4096), 4096, &t)); /* @nv:xs-top */
    OK(RtlFreeNonVolatileToken(tok));
}

#include <sys/stat.h>

/* remake-dir: the report's directory (SCENARIO_DIR) is removed and made anew. */
static void s_remake_dir(void)
{
    dirty();
    if (rmdir(getenv("SCENARIO_DIR")) != 0 || mkdir(getenv("SCENARIO_DIR"), 0755) != 0)
        exit(88);
}

/* chdir: the program moves to SCENARIO_DIR before it exits. */
static void s_chdir(void)
{
    dirty();
    if (chdir(getenv("SCENARIO_DIR")) != 0)
        exit(88);
}

/* ---- the interposer's ends, hardened (signals.sh, threads.sh, spawn.sh, exec.sh) ---- */

#include <dlfcn.h>
#include <setjmp.h>
#include <ucontext.h>

extern void __longjmp_chk(struct __jmp_buf_tag env[1], int val) __attribute__((noreturn));

/* jump-out: the program's SIGSEGV handler jumps out of an API call whose Source
 * faults, by SCENARIO_JUMP: siglongjmp (default), longjmp, _longjmp, chk
 * (__longjmp_chk, as _FORTIFY_SOURCE makes of longjmp), setcontext, or direct (the C
 * library's own siglongjmp, looked up in libc.so.6 itself: a way out nvcheck does not
 * see). With SCENARIO_ONSTACK the handler runs on the program's own alternate stack.
 * Then one more call on that thread, unflushed (@nv:after-jump) -- from deeper down
 * the stack, or after a direct jump from the frame the faulting call was made from --
 * "ready", and calls until a signal from outside ends it. */
static sigjmp_buf jump_env;
static ucontext_t jump_ctx;
static volatile int jumped;
static const char *jump_how;

static void on_segv_jump(int sig)
{
    (void)sig;
    jumped = 1;
    if (!strcmp(jump_how, "longjmp"))
        longjmp(jump_env, 1);
    if (!strcmp(jump_how, "_longjmp"))
        _longjmp(jump_env, 1);
    if (!strcmp(jump_how, "chk"))
        __longjmp_chk(jump_env, 1);
    if (!strcmp(jump_how, "setcontext"))
        setcontext(&jump_ctx);
    if (!strcmp(jump_how, "direct")) {
        void (*libc_siglongjmp)(sigjmp_buf, int) =
            (void (*)(sigjmp_buf, int))dlsym(dlopen("libc.so.6", RTLD_NOLOAD), "siglongjmp");
        if (libc_siglongjmp)
            libc_siglongjmp(jump_env, 1);
        _exit(81);
    }
    siglongjmp(jump_env, 1);
}

__attribute__((noinline)) static NTSTATUS jump_write(size_t off, void *from, size_t n)
{
    NTSTATUS st = RtlWriteNonVolatileMemory(tok, base + off, from, n, 0); /* @nv:after-jump */
    sink++;
    return st;
}

__attribute__((noinline)) static void deeper(void)
{
    OK(jump_write(512, src, 24));
    sink++;
}

static void s_jump_out(void)
{
    struct sigaction sa;
    static void *bad;
    jump_how = getenv("SCENARIO_JUMP") ? getenv("SCENARIO_JUMP") : "siglongjmp";
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv_jump;
    sa.sa_flags = SA_NODEFER; /* longjmp and setcontext keep the handler's mask */
    if (getenv("SCENARIO_ONSTACK")) {
        stack_t ss = {.ss_sp = malloc(1 << 20), .ss_flags = 0, .ss_size = 1 << 20};
        if (sigaltstack(&ss, NULL) != 0)
            exit(86);
        sa.sa_flags |= SA_ONSTACK;
    }
    sigaction(SIGSEGV, &sa, NULL);
    bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!strcmp(jump_how, "setcontext"))
        getcontext(&jump_ctx);
    else
        (void)sigsetjmp(jump_env, 1);
    if (!jumped) {
        jump_write(256, bad, 64); /* faults in the copy */
        exit(87);
    }
    if (!strcmp(jump_how, "direct"))
        OK(jump_write(512, src, 24));
    else
        deeper();
    busy(0);
}

/* cancel: 100 times, a thread made asynchronously cancellable writes with FLUSH|NO_DRAIN
 * and drains in a loop (the shard's lock taken on every call) and is cancelled; main
 * then flushes and drains those lines, which needs the same lock. Natively a
 * fraction of a second; a thread killed holding the lock would leave main spinning.
 * Main's own bytes, @nv:cancel-dirty, stay unflushed to the token's free. */
static volatile unsigned cancel_progress;

static void *cancel_writer(void *arg)
{
    (void)arg;
    int old;
    if (pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old) != 0 ||
        old != PTHREAD_CANCEL_DEFERRED)
        exit(85);
    for (unsigned i = 0;; i++) {
        char *p = base + 4096 + (i % 32) * 64;
        RtlWriteNonVolatileMemory(tok, p, src, 64,
                                  WRITE_NV_MEMORY_FLAG_FLUSH | WRITE_NV_MEMORY_FLAG_NO_DRAIN);
        RtlDrainNonVolatileFlush(tok);
        __atomic_add_fetch(&cancel_progress, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void s_cancel(void)
{
    OK(RtlWriteNonVolatileMemory(tok, base + 32768, src, 8, 0)); /* @nv:cancel-dirty */
    for (int round = 0; round < 100; round++) {
        pthread_t th;
        void *res;
        unsigned start = __atomic_load_n(&cancel_progress, __ATOMIC_RELAXED);
        pthread_create(&th, NULL, cancel_writer, NULL);
        while (__atomic_load_n(&cancel_progress, __ATOMIC_RELAXED) < start + 3 + round % 7)
            sched_yield();
        pthread_cancel(th);
        if (pthread_join(th, &res) != 0 || res != PTHREAD_CANCELED)
            exit(84);
        OK(RtlFlushNonVolatileMemory(tok, base + 4096, 2048, 0));
    }
    int old;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old);
    printf("cancelled 100, type %s\n", old == PTHREAD_CANCEL_ASYNCHRONOUS ? "as set" : "lost");
    OK(RtlFreeNonVolatileToken(tok)); /* @nv:cancel-free */
}

/* onstack: a SIGUSR1 handler with SA_ONSTACK that uses 256 KiB of stack, raised on
 * main and on a thread that used the API, with no alternate stack (it runs on the
 * thread's own stack, as natively), then (SCENARIO_ALT=own) with one of the
 * program's: sigaltstack shows exactly what the program set, and the handler runs
 * there. One line per check. */
static volatile uintptr_t handler_at; /* where the handler's big array was */

static void on_usr1_big(int sig)
{
    volatile char big[256 * 1024];
    memset((char *)big, sig, sizeof big);
    handler_at = (uintptr_t)&big[0];
}

/* alt_state -- the program's view of its alternate stack, as one word. */
static const char *alt_state(const stack_t *want)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) != 0)
        return "error";
    if (!want)
        return cur.ss_flags == SS_DISABLE && !cur.ss_sp && !cur.ss_size ? "none" : "unexpected";
    return cur.ss_sp == want->ss_sp && cur.ss_size == want->ss_size && cur.ss_flags == 0
               ? "as set"
               : "unexpected";
}

static void *onstack_thread(void *arg)
{
    char here;
    (void)arg;
    OK(RtlWriteNonVolatileMemory(tok, base + 1024, src, 8, WRITE_NV_MEMORY_FLAG_PERSIST));
    printf("thread altstack %s\n", alt_state(NULL));
    raise(SIGUSR1);
    long d = (long)((uintptr_t)&here - handler_at);
    printf("thread handler %s\n", d > 0 && d < (1 << 20) ? "on its stack" : "elsewhere");
    return NULL;
}

static void s_onstack(void)
{
    char here;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1_big;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    printf("altstack %s\n", alt_state(NULL));
    raise(SIGUSR1);
    long d = (long)((uintptr_t)&here - handler_at);
    printf("handler %s\n", d > 0 && d < (1 << 20) ? "on the main stack" : "elsewhere");
    pthread_t th;
    pthread_create(&th, NULL, onstack_thread, NULL);
    pthread_join(th, NULL);
    if (getenv("SCENARIO_ALT")) {
        stack_t ss = {.ss_sp = malloc(1 << 20), .ss_flags = 0, .ss_size = 1 << 20}, off, old;
        if (sigaltstack(&ss, &old) != 0)
            exit(86);
        printf("before own: %s\n", old.ss_flags == SS_DISABLE && !old.ss_sp ? "none" : "unexpected");
        printf("own altstack %s\n", alt_state(&ss));
        raise(SIGUSR1);
        printf("handler %s\n", handler_at >= (uintptr_t)ss.ss_sp &&
                                       handler_at < (uintptr_t)ss.ss_sp + ss.ss_size
                                   ? "on its own altstack"
                                   : "elsewhere");
        memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        if (sigaltstack(&off, &old) != 0)
            exit(86);
        printf("disabled: was %s, now %s\n", old.ss_sp == ss.ss_sp ? "own" : "other",
               alt_state(NULL));
        off.ss_size = 1; /* too small: the kernel says ENOMEM, nothing changes */
        off.ss_flags = 0;
        off.ss_sp = ss.ss_sp;
        errno = 0;
        printf("tiny: %s\n", sigaltstack(&off, NULL) == -1 && errno == ENOMEM ? "ENOMEM" : "?");
        printf("after tiny %s\n", alt_state(NULL));
    }
    fflush(stdout);
    dirty();
}

/* overflow: unbounded recursion overflows the stack (SCENARIO_THREAD: of a thread
 * that used the API; SCENARIO_HANDLER=onstack: the program has a SIGSEGV handler
 * asking for SA_ONSTACK but no alternate stack, so natively the kernel cannot run it
 * and the process dies of SIGSEGV all the same). */
static int recurse(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return n >= 0 || sink ? recurse(n + 1) + pad[0] : 0; /* (sink: no "infinite" warning) */
}

static void on_segv_never(int sig)
{
    (void)sig;
    say("handler ran\n");
    _exit(83);
}

static void *overflow_thread(void *arg)
{
    (void)arg;
    dirty();
    return (void *)(intptr_t)recurse(0);
}

static void s_overflow(void)
{
    const char *h = getenv("SCENARIO_HANDLER");
    if (h) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_segv_never;
        sa.sa_flags = SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
    }
    if (getenv("SCENARIO_THREAD")) {
        pthread_t th;
        pthread_create(&th, NULL, overflow_thread, NULL);
        pthread_join(th, NULL);
        exit(82);
    }
    dirty();
    exit(recurse(0));
}

/* quick-exit: dirty bytes, then quick_exit(SCENARIO_STATUS); with SCENARIO_ATEXIT an
 * at_quick_exit handler that writes 8 bytes it does not flush. */
static void program_at_quick_exit(void)
{
    say("program at_quick_exit handler\n");
    OK(RtlWriteNonVolatileMemory(tok, base + 512, src, 8, 0)); /* @nv:quick-write */
}

static void s_quick_exit(void)
{
    const char *st = getenv("SCENARIO_STATUS");
    if (getenv("SCENARIO_ATEXIT"))
        at_quick_exit(program_at_quick_exit);
    dirty();
    quick_exit(st ? atoi(st) : 9);
}

/* ---- exec, continued (exec.sh) ---- */

#include <sys/syscall.h>

/* env_without -- environ less the variables named (up to 3), plus extra (or NULL). */
static char **env_without(const char *a, const char *b, const char *extra)
{
    extern char **environ;
    static char *v[1024];
    size_t k = 0;
    for (char **e = environ; *e && k < 1020; e++)
        if ((!a || strncmp(*e, a, strlen(a))) && (!b || strncmp(*e, b, strlen(b))))
            v[k++] = *e;
    if (extra)
        v[k++] = (char *)extra;
    v[k] = NULL;
    return v;
}

/* exec_more -- the exec functions and environments of exec.sh: execveat (by path, or
 * by an O_PATH descriptor), syscall(SYS_execve / SYS_execveat), an environment with
 * only PATH (clearenv), LD_PRELOAD and NVCHECK_OUTPUT unset (unsetenv), env -i, the
 * program's own LD_PRELOAD (own-preload) or NVCHECK_OUTPUT (own-output, from
 * SCENARIO_OTHER), and SCENARIO_TARGET (setuid: a binary that runs in secure mode).
 * Returns (1) only when the exec failed; 0 for an unknown how. */
static int exec_more(const char *how, const char *self, char **argv)
{
    extern char **environ;
    static char other[4200];
    char *clear[] = {"PATH=/usr/bin:/bin", "SCENARIO_SHOW_ENV=1", NULL};
    if (!strcmp(how, "execveat"))
        execveat(AT_FDCWD, self, argv, environ, 0);
    else if (!strcmp(how, "execveat-fd"))
        execveat(open(self, O_PATH | O_CLOEXEC), "", argv, environ, AT_EMPTY_PATH);
    else if (!strcmp(how, "sys-execve"))
        syscall(SYS_execve, self, argv, environ);
    else if (!strcmp(how, "sys-execveat"))
        syscall(SYS_execveat, AT_FDCWD, self, argv, environ, 0);
    else if (!strcmp(how, "clearenv"))
        execve(self, argv, clear);
    else if (!strcmp(how, "unsetenv")) {
        unsetenv("LD_PRELOAD");
        unsetenv("NVCHECK_OUTPUT");
        setenv("SCENARIO_SHOW_ENV", "1", 1);
        execv(self, argv);
    } else if (!strcmp(how, "env-i")) {
        char *env_argv[] = {"env", "-i", "SCENARIO_SHOW_ENV=1", (char *)self, argv[1], NULL};
        execv("/usr/bin/env", env_argv);
    } else if (!strcmp(how, "own-preload"))
        execve(self, argv, env_without("LD_PRELOAD=", NULL, "LD_PRELOAD=libm.so.6"));
    else if (!strcmp(how, "own-output")) {
        snprintf(other, sizeof other, "NVCHECK_OUTPUT=%s", getenv("SCENARIO_OTHER"));
        execve(self, argv, env_without("NVCHECK_OUTPUT=", NULL, other));
    } else if (!strcmp(how, "setuid")) {
        char *t_argv[] = {"true", NULL};
        execv(getenv("SCENARIO_TARGET"), t_argv);
    } else
        return 0;
    return 1;
}

/* exit-group: dirty bytes, then syscall(SYS_exit_group, SCENARIO_STATUS). */
static void s_exit_group(void)
{
    const char *st = getenv("SCENARIO_STATUS");
    dirty();
    syscall(SYS_exit_group, st ? atoi(st) : 12);
}

/* SCENARIO_SHOW_ENV: say what this image was given (exec.sh), before main. */
__attribute__((constructor)) static void show_env(void)
{
    if (getenv("SCENARIO_SHOW_ENV"))
        printf("LD_PRELOAD=%s\nNVCHECK_OUTPUT=%s\n", getenv("LD_PRELOAD"),
               getenv("NVCHECK_OUTPUT"));
}

/* exec-fail-clean: a correct program whose exec fails: it goes on, flushes and drains
 * what it wrote, and frees the token. No findings. */
static void s_exec_fail_clean(void)
{
    char *argv[] = {"scenarios", "unflushed", NULL};
    OK(RtlWriteNonVolatileMemory(tok, base + 128, src, 16, 0));
    if (execv("/nonexistent/program", argv) != -1 || errno != ENOENT)
        exit(92);
    OK(RtlFlushNonVolatileMemory(tok, base + 128, 16, 0));
    OK(RtlDrainNonVolatileFlush(tok));
    OK(RtlFreeNonVolatileToken(tok));
}

/* exec-fail-threads: two threads write and then flush and drain, over and over, while
 * main makes 500 execs that fail. Correct: no finding -- provided no call of theirs
 * went unchecked while an exec was under way. */
static int exec_threads_stop;
static unsigned exec_threads_calls;
static char *exec_nv; /* 64 MiB: every write has a line of its own, never written again */
static PVOID exec_tok;

static void *write_flush_loop(void *arg)
{
    char *p = exec_nv + ((size_t)32 << 20) * (size_t)(intptr_t)arg;
    for (size_t i = 0; !__atomic_load_n(&exec_threads_stop, __ATOMIC_RELAXED) &&
                       i < ((size_t)32 << 20) / 64;
         i++) {
        OK(RtlWriteNonVolatileMemory(exec_tok, p + i * 64, src, 64, 0));
        OK(RtlFlushNonVolatileMemory(exec_tok, p + i * 64, 64, 0));
        __atomic_add_fetch(&exec_threads_calls, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void s_exec_fail_threads(void)
{
    pthread_t th[2];
    char *argv[] = {"scenarios", "unflushed", NULL};
    exec_nv = mmap(NULL, (size_t)64 << 20, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (exec_nv == MAP_FAILED)
        exit(99);
    OK(RtlGetNonVolatileToken(exec_nv, (size_t)64 << 20, &exec_tok));
    for (intptr_t i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, write_flush_loop, (void *)i);
    while (__atomic_load_n(&exec_threads_calls, __ATOMIC_RELAXED) < 100)
        sched_yield();
    for (int i = 0; i < 500; i++)
        if (execv("/nonexistent/program", argv) != -1 || errno != ENOENT)
            exit(92);
    __atomic_store_n(&exec_threads_stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    OK(RtlFreeNonVolatileToken(exec_tok));
    OK(RtlFreeNonVolatileToken(tok));
}

/* ---- fork children and what they inherit (spawn.sh) ---- */

/* fork-inflight: the parent's write is in flight (dirty) when it forks; the child
 * _exits at once; the parent then flushes, drains and frees. Nothing was lost: no
 * finding in any report. */
static void s_fork_inflight(void)
{
    int st;
    dirty();
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        exit(89);
    OK(RtlFlushNonVolatileMemory(tok, base + 64, 16, 0));
    OK(RtlFreeNonVolatileToken(tok));
}

/* fork-own: the child writes over 4 of the 16 dirty bytes it inherited, writes 8 of
 * its own, flushes and drains a line it inherited dirty (not a redundant flush) and
 * _exits: its report holds exactly what it wrote (and the token it did not free);
 * the parent flushes everything and frees: nothing in its report. */
static void s_fork_own(void)
{
    int st;
    dirty();
    OK(RtlWriteNonVolatileMemory(tok, base + 256, src, 8, 0));
    pid_t pid = fork();
    if (pid == 0) {
        OK(RtlWriteNonVolatileMemory(tok, base + 64, src, 4, 0)); /* @nv:child-over */
        OK(RtlWriteNonVolatileMemory(tok, base + 2048, src, 8, 0)); /* @nv:child-own */
        OK(RtlFlushNonVolatileMemory(tok, base + 256, 8, 0));
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        exit(89);
    OK(RtlFlushNonVolatileMemory(tok, base, 4096, 0));
    OK(RtlFreeNonVolatileToken(tok));
}

/* ---- overlapping tokens (regions.sh) ---- */

/* overlap: SCENARIO_END=issue: token B is the first half of A's region; a write made
 * through A there, B freed, then A flushes, drains and frees: nothing is lost, no
 * finding. Otherwise A = [0, 32K) and B = [16K, 48K) each leave bytes unflushed, only
 * A's, in both, only B's; B is freed first, then A (SCENARIO_END=flush: A flushes
 * and drains its region first). */
static void s_overlap(void)
{
    const char *how = getenv("SCENARIO_END");
    PVOID a, b;
    OK(RtlFreeNonVolatileToken(tok));
    if (how && !strcmp(how, "issue")) {
        OK(RtlGetNonVolatileToken(base, 32768, &a));
        OK(RtlGetNonVolatileToken(base, 16384, &b));
        OK(RtlWriteNonVolatileMemory(a, base + 128, src, 16, 0));
        OK(RtlFreeNonVolatileToken(b));
        OK(RtlFlushNonVolatileMemory(a, base + 128, 16, 0));
        OK(RtlFreeNonVolatileToken(a));
        return;
    }
    OK(RtlGetNonVolatileToken(base, 32768, &a));
    OK(RtlGetNonVolatileToken(base + 16384, 32768, &b));
    OK(RtlWriteNonVolatileMemory(a, base + 1024, src, 16, 0)); /* @nv:ov-a-only */
    OK(RtlWriteNonVolatileMemory(a, base + 20000, src, 16, 0)); /* @nv:ov-both */
    OK(RtlWriteNonVolatileMemory(b, base + 40000, src, 8, 0)); /* @nv:ov-b-only */
    OK(RtlFreeNonVolatileToken(b)); /* @nv:ov-free-b */
    if (how && !strcmp(how, "flush"))
        OK(RtlFlushNonVolatileMemory(a, base, 32768, 0));
    OK(RtlFreeNonVolatileToken(a)); /* @nv:ov-free-a */
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
    {"token-reuse", s_token_reuse},
    {"fork", s_fork},
    {"none", s_none},
    {"exec", s_exec},
    {"many", s_many},
    {"wait-signal", s_wait_signal},
    {"die", s_die},
    {"handled", s_handled},
    {"abort-handler", s_abort_handler},
    {"query", s_query},
    {"handler-api", s_handler_api},
    {"exit-thread", s_exit_thread},
    {"exit-drains", s_exit_drains},
    {"double-fault", s_double_fault},
    {"spawn", s_spawn},
    {"vfork", s_vfork},
    {"fork-inherit", s_fork_inherit},
    {"daemon", s_daemon},
    {"rmdir", s_rmdir},
    {"tokens", s_tokens},
    {"writes", s_writes},
    {"deep", s_deep},
    {"fault-handler", s_fault_handler},
    {"stacks", s_stacks},
    {"paths", s_paths},
    {"kill-self", s_kill_self},
    {"kill-child", s_kill_child},
    {"daemon-api", s_daemon_api},
    {"survive", s_survive},
    {"fixed-fork", s_fixed_fork},
    {"extremes", s_extremes},
    {"extremes-sum", s_extremes_sum},
    {"remake-dir", s_remake_dir},
    {"chdir", s_chdir},
    {"jump-out", s_jump_out},
    {"cancel", s_cancel},
    {"onstack", s_onstack},
    {"overflow", s_overflow},
    {"quick-exit", s_quick_exit},
    {"exec-fail-clean", s_exec_fail_clean},
    {"exit-group", s_exit_group},
    {"overlap", s_overlap},
    {"fork-inflight", s_fork_inflight},
    {"fork-own", s_fork_own},
    {"exec-fail-threads", s_exec_fail_threads},
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
            return main_status;
        }
    }
    fprintf(stderr, "usage: scenarios NAME\n");
    return 2;
}
