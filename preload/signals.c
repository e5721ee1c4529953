/* signals.c -- fatal signals end with a report; the program's own dispositions are kept.
 *
 * A process killed by a signal runs no destructor, so without this its report would
 * be lost. At start a trampoline is put under every watched signal (every one whose
 * default action ends the process: HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2
 * PIPE ALRM TERM STKFLT XCPU XFSZ VTALRM PROF IO PWR SYS, and SIGRTMIN..SIGRTMAX)
 * whose disposition is the default. A disposition found already installed -- a
 * sanitizer runtime loaded before us -- is left alone.
 *
 * The program's dispositions. sigaction, signal, bsd_signal and sysv_signal are
 * interposed: for a watched signal the program's action is recorded as it asked, and
 * the kernel gets SIG_IGN for SIG_IGN (so it stays ignored, across exec too), else the
 * trampoline with the program's mask and flags (less SA_RESETHAND, emulated here, so
 * that after the reset the default action still reports). Queries answer with the
 * recorded action, never ours. When the trampoline runs:
 *   - the program has a handler: call it as the kernel would (sa_sigaction with the
 *     same siginfo and context, or sa_handler), nothing else. If it exits, the exit
 *     path reports; if it returns, the program goes on.
 *   - the default action: write the report (runtime.c, nvc_end_by_signal), set the
 *     real default and die of the same signal -- a fault by returning to the faulting
 *     instruction (the core dump shows the program's own state), else by raising it.
 *   - a signal raised by our own writing -- the report, or a line on stderr -- is
 *     swallowed (SIGXFSZ past RLIMIT_FSIZE, SIGPIPE from a FIFO or pipe nobody reads
 *     any more): the write fails, and at most one line is said.
 *
 * Inside the checker. An asynchronous signal (kill, a timer, SIGPIPE) that lands while
 * this thread is inside the checker is deferred: blocked in the interrupted context and
 * queued again to this thread with its own siginfo (rt_tgsigqueueinfo); the thread
 * unblocks it as it leaves the checker (runtime.c, one load on the way out), and only
 * then does the handler run or the process end. So the report is never written over
 * half-updated state, a handler that calls exit() never finds the checker's locks
 * held, and the API calls a handler makes are checked like any others. A fault (SIGSEGV
 * in the copy from a bad Source pointer) cannot wait: the program's handler runs at
 * once (its API calls then run unchecked), or the default action reports only if no
 * lock of the checker is held (runtime.c). If that handler jumps out of the call, the
 * thread is no longer inside the checker (jumps.c); a signal that finds the guard set
 * while the thread runs outside the call that set it clears the guard (in_checker).
 *
 * Alternate stacks (altstack.c). Our default-action trampoline asks for SA_ONSTACK,
 * so a stack overflow can still be reported on a thread with an alternate stack. A
 * handler of the program's asking for SA_ONSTACK on a thread whose only alternate
 * stack is ours runs where the kernel would have run it without us: on the interrupted
 * stack (run_handler) -- or, if that stack overflowed and the kernel could not have
 * run it at all, not at all: the process dies of SIGSEGV, reported.
 *
 * abort(). glibc's abort raises SIGABRT, and if the program's handler returns it sets
 * the default action itself (not through sigaction) and raises again: the process dies
 * without passing here. So when a handler returns from a SIGABRT that abort raised --
 * a return address inside abort lies just above the interrupted stack pointer -- the
 * report is written before returning.
 *
 * Not covered: a signal whose handler was installed by sigset(), siginterrupt() or
 * another path inside libc (the kernel's action then wins, as without nvcheck); stack
 * overflow on a thread with no alternate stack (one that never called the API and
 * has none of the program's), or under a program's handler without SA_ONSTACK (the
 * kernel can run no handler there); SIGKILL, which nothing can catch.
 */
#include "signals.h"

#include "altstack.h"
#include "engine/lock.h"
#include "engine/say.h"
#include "nvmem/export.h"
#include "rawsys.h"
#include "report.h"
#include "runtime.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define OVERFLOW_REACH (64 * 1024) /* how close to the stack pointer a fault is an overflow */

extern int __sigaction(int, const struct sigaction *, struct sigaction *); /* libc's own */

/* The signals whose default action ends the process, but the real-time ones (all of
 * SIGRTMIN..SIGRTMAX, which is_watched adds: glibc keeps 32 and 33 for itself). */
static const int watched[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGILL,  SIGTRAP, SIGABRT,
                              SIGBUS,  SIGFPE,  SIGUSR1,   SIGSEGV, SIGUSR2, SIGPIPE,
                              SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM,
                              SIGPROF, SIGIO,   SIGPWR,    SIGSYS};
#define NWATCHED (sizeof watched / sizeof *watched)

/* The program's action for each signal we manage; read by the trampoline under a
 * sequence count (writers hold disp_lock with every signal blocked). */
static struct {
    unsigned seq;
    int managed; /* 1: the kernel has our trampoline or the program's SIG_IGN */
    struct sigaction act;
} disp[NSIG];
static nv_lock disp_lock;
static uintptr_t abort_lo, abort_hi;
static int rtmin, rtmax;       /* glibc's SIGRTMIN and SIGRTMAX, once started */
static char rtnames[NSIG][16]; /* "SIGRTMIN+3", ...: written at start, read-only after */

const char *nvc_signal_name(int sig)
{
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
        [SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
        [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",   [SIGUSR1] = "SIGUSR1",
        [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2", [SIGPIPE] = "SIGPIPE",
        [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM", [SIGSTKFLT] = "SIGSTKFLT",
        [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM",
        [SIGPROF] = "SIGPROF", [SIGIO] = "SIGIO",     [SIGPWR] = "SIGPWR",
        [SIGSYS] = "SIGSYS"};
    if (sig > 0 && sig < (int)(sizeof names / sizeof *names) && names[sig])
        return names[sig];
    if (sig > 0 && sig < NSIG && rtnames[sig][0])
        return rtnames[sig];
    return "a signal";
}

/* name_rt -- the real-time signals' names as kill -l gives them: SIGRTMIN,
 * SIGRTMIN+1 .. SIGRTMIN+15, SIGRTMAX-14 .. SIGRTMAX-1, SIGRTMAX. */
static void name_rt(void)
{
    for (int sig = rtmin; sig <= rtmax && sig < NSIG; sig++) {
        if (sig == rtmin)
            nv_format(rtnames[sig], sizeof rtnames[sig], "SIGRTMIN");
        else if (sig == rtmax)
            nv_format(rtnames[sig], sizeof rtnames[sig], "SIGRTMAX");
        else if (sig - rtmin <= (rtmax - rtmin) / 2)
            nv_format(rtnames[sig], sizeof rtnames[sig], "SIGRTMIN+%d", sig - rtmin);
        else
            nv_format(rtnames[sig], sizeof rtnames[sig], "SIGRTMAX-%d", rtmax - sig);
    }
}

static int is_watched(int sig)
{
    for (size_t i = 0; i < NWATCHED; i++)
        if (watched[i] == sig)
            return 1;
    return rtmin && sig >= rtmin && sig <= rtmax;
}

/* is_fault -- a signal the kernel raised for the instruction being executed: it
 * cannot be deferred, and returning re-executes that instruction. */
static int is_fault(int sig, const siginfo_t *info)
{
    return (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP ||
            sig == SIGSYS) &&
           info && info->si_code > 0;
}

static void disp_read(int sig, struct sigaction *out, int *managed)
{
    for (int tries = 0;; tries++) {
        unsigned s = __atomic_load_n(&disp[sig].seq, __ATOMIC_ACQUIRE);
        if (!(s & 1) || tries > 1000) {
            memcpy(out, &disp[sig].act, sizeof *out);
            *managed = disp[sig].managed;
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (__atomic_load_n(&disp[sig].seq, __ATOMIC_RELAXED) == s || tries > 1000)
                return;
        }
        sched_yield();
    }
}

static void trampoline(int sig, siginfo_t *info, void *uc);

/* kernel_action -- what the kernel gets for the program's action p. */
static void kernel_action(const struct sigaction *p, struct sigaction *k)
{
    memset(k, 0, sizeof *k);
    if (p->sa_handler == SIG_IGN) {
        k->sa_handler = SIG_IGN;
        return;
    }
    k->sa_sigaction = trampoline;
    if (p->sa_handler == SIG_DFL) { /* ours: report and die, nothing else running */
        sigfillset(&k->sa_mask);
        k->sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    } else {
        k->sa_mask = p->sa_mask;
        k->sa_flags = (p->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
    }
}

/* disp_set -- record p as the program's action for sig and give the kernel ours. */
static int disp_set(int sig, const struct sigaction *p)
{
    struct sigaction k;
    sigset_t all, old;
    kernel_action(p, &k);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    nv_lock_take(&disp_lock);
    __atomic_store_n(&disp[sig].seq, disp[sig].seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    int rc = __sigaction(sig, &k, NULL);
    if (rc == 0) {
        disp[sig].act = *p;
        disp[sig].managed = 1;
    }
    __atomic_store_n(&disp[sig].seq, disp[sig].seq + 1, __ATOMIC_RELEASE);
    nv_lock_give(&disp_lock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* die -- the program's default action for sig, for real: back to the faulting
 * instruction (refault), or raised and unblocked here. */
static void die(int sig, int refault)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    __sigaction(sig, &dfl, NULL);
    if (refault)
        return;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    NVC_SYS3(SYS_tgkill, getpid(), gettid(), sig);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    NVC_SYS2(SYS_exit_group, 128 + sig, 0); /* not reached: the default action ends us */
}

/* from_abort -- this SIGABRT was raised by abort() (see the header). */
static int from_abort(const siginfo_t *info, const void *ucv)
{
#if defined(__x86_64__)
    const ucontext_t *uc = ucv;
    if (!abort_lo || !uc || info->si_code != SI_TKILL || info->si_pid != getpid())
        return 0;
    const uintptr_t *sp = (const uintptr_t *)uc->uc_mcontext.gregs[REG_RSP];
    for (int i = 0; i < 256; i++)
        if (sp[i] > abort_lo && sp[i] <= abort_hi)
            return 1;
#else
    (void)info, (void)ucv;
#endif
    return 0;
}

/* defer -- keep sig for when this thread leaves the checker (see the header). */
static void defer(int sig, siginfo_t *info, ucontext_t *uc)
{
    sigaddset(&uc->uc_sigmask, sig);
    siginfo_t copy = *info;
    NVC_SYS4(SYS_rt_tgsigqueueinfo, getpid(), gettid(), sig, &copy);
    nvc_defer(sig);
}

/* in_checker -- the signal interrupted this thread inside the checker (not a guard
 * that a jump out of a handler left set: nvc_guard_left clears that one). */
static int in_checker(ucontext_t *uc)
{
    return nvc_in_checker() &&
           !nvc_guard_left((uintptr_t)uc->uc_mcontext.gregs[REG_RSP], &uc->uc_sigmask);
}

struct call {
    int sig;
    siginfo_t *info;
    void *uc;
    const struct sigaction *p;
};

static void call_handler(void *arg)
{
    const struct call *c = arg;
    if (c->p->sa_flags & SA_SIGINFO)
        c->p->sa_sigaction(c->sig, c->info, c->uc);
    else
        c->p->sa_handler(c->sig);
}

/* overflowed -- a SIGSEGV close to the interrupted stack pointer (a push, or a local
 * of the newest frame, in the guard below the stack): the stack is full, and the
 * kernel could not have run a handler there. */
static int overflowed(int sig, const siginfo_t *info, uintptr_t sp)
{
    uintptr_t a = (uintptr_t)info->si_addr;
    return sig == SIGSEGV && info->si_code > 0 && a < sp + OVERFLOW_REACH &&
           a + OVERFLOW_REACH > sp;
}

/* run_handler -- the program's handler, on the stack the kernel would have run it on
 * without us (altstack.c): a handler asking for SA_ONSTACK on a thread with no
 * alternate stack of its own runs on the interrupted stack, below its red zone. 1
 * when it ran; 0 when it could not have (a stack overflow): the default action then. */
static int run_handler(int sig, siginfo_t *info, void *ucv, const struct sigaction *p)
{
    struct call c = {sig, info, ucv, p};
    ucontext_t *uc = ucv;
    uintptr_t sp = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] : 0;
    if (!(p->sa_flags & SA_ONSTACK) || !uc ||
        !nvc_on_our_altstack((uintptr_t)__builtin_frame_address(0))) {
        call_handler(&c);
        return 1;
    }
    /* An overflow first: the stack may have run into ours (mapped just below it). */
    if (info && overflowed(sig, info, sp))
        return 0;
    if (nvc_on_our_altstack(sp)) /* a signal while on ours already: go on there */
        call_handler(&c);
    else
        nvc_call_on_stack((sp - 128) & ~(uintptr_t)15, call_handler, &c);
    return 1;
}

static void trampoline(int sig, siginfo_t *info, void *ucv)
{
    int e = errno, managed, fault = is_fault(sig, info);
    struct sigaction p;
    if ((sig == SIGXFSZ || sig == SIGPIPE) && (nvc_report_writing() || nv_saying()))
        return; /* our own write: it fails, and the report writer says so */
    if (!fault && ucv && in_checker(ucv)) {
        defer(sig, info, ucv);
        errno = e;
        return;
    }
    disp_read(sig, &p, &managed);
    if (p.sa_handler == SIG_IGN) {
        errno = e;
        return;
    }
    if (p.sa_handler == SIG_DFL) {
        nvc_end_by_signal(sig);
        errno = e;
        die(sig, fault && sig != SIGTRAP && sig != SIGSYS);
        return;
    }
    if (p.sa_flags & SA_RESETHAND) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        disp_set(sig, &dfl);
    }
    errno = e;
    if (!run_handler(sig, info, ucv, &p)) { /* natively: no room for the handler, killed */
        nvc_end_by_signal(sig);
        errno = e;
        die(sig, 1);
        return;
    }
    if (sig == SIGABRT && from_abort(info, ucv)) {
        e = errno;
        nvc_end_by_signal(sig);
        errno = e;
    }
}

void nvc_signals_release(unsigned long long deferred)
{
    sigset_t s;
    sigemptyset(&s);
    for (int sig = 1; sig < NSIG && sig <= 64; sig++)
        if (deferred >> (sig - 1) & 1)
            sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* ---- the interposed functions ---- */

NVM_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig <= 0 || sig >= NSIG || !is_watched(sig) || !disp[sig].managed)
        return __sigaction(sig, act, old);
    struct sigaction cur;
    int managed;
    disp_read(sig, &cur, &managed);
    if (act && disp_set(sig, act) < 0)
        return -1;
    if (old)
        *old = cur;
    return 0;
}

static sighandler_t set_handler(int sig, sighandler_t h, int flags, int mask_self)
{
    struct sigaction sa, old;
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (mask_self)
        sigaddset(&sa.sa_mask, sig);
    return sigaction(sig, &sa, &old) < 0 ? SIG_ERR : old.sa_handler;
}

/* signal, bsd_signal: BSD semantics, as glibc's (SA_RESTART, the signal blocked in
 * its handler). sysv_signal: reset on delivery, not blocked. */
NVM_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    return set_handler(sig, h, SA_RESTART, 1);
}

NVM_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
    return set_handler(sig, h, SA_RESTART, 1);
}

NVM_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
    return set_handler(sig, h, SA_RESETHAND | SA_NODEFER, 0);
}

/* ---- start ---- */

static void find_abort(void)
{
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    void *a = dlsym(RTLD_NEXT, "abort");
    if (a && dladdr1(a, &di, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size) {
        abort_lo = (uintptr_t)a;
        abort_hi = abort_lo + sym->st_size;
    }
}

void nvc_signals_init(void)
{
    find_abort();
    nvc_altstack_thread();
    rtmin = SIGRTMIN;
    rtmax = SIGRTMAX;
    name_rt();
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction cur;
        if (!is_watched(sig) || __sigaction(sig, NULL, &cur) < 0)
            continue;
        if (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN)
            disp_set(sig, &cur);
    }
}
