/* ends.c -- every way an image ends writes its report: exit, _exit, exec, a fatal signal.
 *
 * finish() is the one way there: the first caller turns checking off (later calls run
 * unchecked, on every thread), waits for the threads still inside the checker to
 * leave (runtime.c, nvc_quiesce; bounded), turns the outstanding state into findings
 * and writes the report. Whoever comes second -- another thread exiting or crashing at
 * the same time -- waits for the report to be complete (bounded too) and then goes on
 * with its own end: the report writer's static buffer is never used twice at once.
 *
 * exit() runs the destructor on the thread that called it, which may not be the main
 * thread and may race with others still calling the API: quiescing makes the findings
 * and shadow state stand still while they are read. _exit() and _Exit() run no
 * destructor; they are interposed (not in a vfork child, whose memory is its
 * parent's), and so is quick_exit(), which reaches the C library's own _exit. A
 * fatal signal comes here from signals.c.
 *
 * Inside the checker. If this thread was itself inside the checker (a program's
 * SIGSEGV handler called exit() after a fault in an API call) the state may be half
 * updated: the report is written only when none of the engine's locks is held once
 * the other threads have left, else one line says why there is none.
 *
 * The exit status. _exit(), _Exit(), quick_exit() and syscall(SYS_exit_group) take it
 * as their argument. exit(), and a return from main (which is exit of main's value),
 * hand it only to on_exit(3) handlers -- see the end of this file for how ours runs
 * before the destructor that writes the report.
 *
 * A fork child reports only if it called the API itself, and never the outstanding
 * bytes it inherited (runtime.c, nve_disown): they are its parent's, which flushes
 * them or reports them itself -- on a MAP_SHARED region the child's exit loses
 * nothing the parent goes on to flush. Bytes the child writes over become its own.
 * Tokens it inherited are its parent's to free: not leaked-token findings here unless
 * the child used the API itself. A fork child that only exits or execs reports
 * nothing.
 */
#include "runtime.h"

#include "attrs.h"

#include "engine/say.h"
#include "nvmem/export.h"
#include "rawsys.h"
#include "report.h"
#include "roster.h"
#include "signals.h"
#include "sweep.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_FOR_REPORT_MS 30000

/* exec_mark, exec_reported -- what a failed exec takes back (nvc_exec_failed). */
static struct nve_findings_mark exec_mark;
static int exec_marked;   /* exec_mark is this exec's */
static int exec_reported; /* this exec wrote a report (report.c can take it back) */

static void report(int nested)
{
    nvc_quiesce();
    int own = __atomic_load_n(&nvc.used, __ATOMIC_RELAXED);
    int exec = nvc.end_how == NVC_END_EXEC;
    if (!own)
        return;
    if (nested && (nve_shadow_locked(nvc.shadow) || nve_findings_locked(nvc.findings) ||
                   nve_regions_locked(nvc.regions))) {
        nv_say("the process ended inside an NV API call while the checker held its locks; "
               "no report written");
        nvc_roster_failed("it ended inside an NV API call while the checker held its locks");
        return;
    }
    if (!exec) {
        nvc_sweep_exit(own, 0);
        nvc_report_write();
        return;
    }
    /* Before an exec: a view that leaves the state as it is, and no line on stderr --
     * the exec may fail, and then this report is taken back. */
    int quiet = nvc.opt.quiet;
    nve_findings_mark(nvc.findings, &exec_mark);
    exec_marked = 1;
    nvc_sweep_exit(own, 1);
    nvc.opt.quiet = 1;
    nvc_report_write();
    nvc.opt.quiet = quiet;
    exec_reported = 1;
}

/* finish -- the end of this image (how: enum nvc_end; sig for NVC_END_SIGNAL). 1 when
 * this call did it, 0 when checking was not on (off, disabled, or already finished).
 * Cancellation is off meanwhile: the report's writes are cancellation points, and a
 * thread cancelled there would leave the report half written. */
static int finish(int how, int sig)
{
    int nested = nvc_in_checker(), cancel;
    int expected = NVC_READY, exec = how == NVC_END_EXEC;
    void *none = NULL;
    /* An exec names its thread first: that one is never made to wait (runtime.c). */
    if (exec && !__atomic_compare_exchange_n(&nvc.exec_self, &none, nvc_thread_self(), 0,
                                             __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return 0;
    if (!__atomic_compare_exchange_n(&nvc.state, &expected, exec ? NVC_EXEC : NVC_DONE, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        if (exec)
            __atomic_store_n(&nvc.exec_self, NULL, __ATOMIC_RELEASE);
        return 0;
    }
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    nvc_set_busy(1);
    nvc.end_how = how;
    nvc.end_sig = sig;
    report(nested);
    nvc_roster_end(how == NVC_END_EXEC);
    __atomic_store_n(&nvc.finished, 1, __ATOMIC_RELEASE);
    nvc_set_busy(nested);
    pthread_setcancelstate(cancel, NULL);
    return 1;
}

void nvc_fini(void)
{
    finish(NVC_END_EXIT, 0);
}

/* wait_finished -- another thread is writing the report: let it complete. */
static void wait_finished(void)
{
    struct timespec ts = {0, 1000000};
    for (int ms = 0; ms < WAIT_FOR_REPORT_MS; ms++) {
        int st = __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&nvc.finished, __ATOMIC_ACQUIRE) || (st != NVC_DONE && st != NVC_EXEC))
            return;
        nanosleep(&ts, NULL);
    }
}

void nvc_end_by_signal(int sig)
{
    if (nvc_report_writing()) { /* the report writer itself failed */
        nvc_report_abandon();
        nv_say("internal error: %s while writing the report; no report written",
               nvc_signal_name(sig));
        nvc_roster_failed("an internal error while it wrote its report");
        return;
    }
    if (getpid() != nvc.pid) /* a vfork child: its parent reports */
        return;
    if (!finish(NVC_END_SIGNAL, sig))
        wait_finished();
}

/* ---- exec (preload/exec.c) ----
 *
 * exec ends an image like exit, but runs no destructor: report first. Not in a vfork
 * child (our pid is not its own: it shares its parent's memory, and must only exec)
 * nor when exec interrupts the checker on this thread (its locks may be held). The
 * report is written from a view of the state that changes nothing (nve_peek), with
 * the findings table marked first; other threads that call the API meanwhile wait
 * for the exec to succeed (they vanish with the image) or fail (runtime.c). If it
 * fails, the program goes on as if nothing had happened: the findings the report
 * added are taken back, its file is removed (the image's real end writes the report
 * -- one written into a device or FIFO cannot be taken back), and checking resumes
 * with the state untouched. */
int nvc_exec_begin(void)
{
    if (nvc_in_checker() || getpid() != nvc.pid)
        return 0;
    return finish(NVC_END_EXEC, 0);
}

void nvc_exec_failed(void)
{
    int e = errno;
    if (exec_reported)
        nvc_report_take_back();
    exec_reported = 0;
    if (exec_marked)
        nve_findings_rollback(nvc.findings, &exec_mark);
    exec_marked = 0;
    nvc_roster_exec_failed();
    nvc.end_how = NVC_END_EXIT;
    __atomic_store_n(&nvc.finished, 0, __ATOMIC_RELAXED);
    nvc_set_busy(0);
    int expected = NVC_EXEC;
    __atomic_compare_exchange_n(&nvc.state, &expected, NVC_READY, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
    __atomic_store_n(&nvc.exec_self, NULL, __ATOMIC_RELEASE);
    errno = e;
}

/* ---- the exit status ---- */

/* record_status -- this image is exiting with status (what the parent will see: its
 * low 8 bits). Async-signal-safe: two stores. */
static void record_status(int status)
{
    __atomic_store_n(&nvc.exit_status, status & 0xff, __ATOMIC_RELAXED);
    __atomic_store_n(&nvc.exit_status_known, 1, __ATOMIC_RELEASE);
}

/* status_at_exit -- the on_exit(3) handler: exit() was called, or main returned. Not in
 * a vfork child (its memory is its parent's). */
static void status_at_exit(int status, void *arg)
{
    (void)arg;
    if (getpid() == nvc.pid)
        record_status(status);
}

/* ---- _exit, _Exit, exit_group: no destructor runs, so report here ---- */

NV_COLD void nvc_exit_now(int status)
{
    if (getpid() == nvc.pid) {
        record_status(status);
        finish(NVC_END_EXIT, 0);
    }
}

NV_COLD __attribute__((noreturn)) static void exit_now(int status)
{
    nvc_exit_now(status);
    for (;;)
        NVC_SYS2(SYS_exit_group, status, 0);
}

NVM_EXPORT void _exit(int status)
{
    exit_now(status);
}

NVM_EXPORT void _Exit(int status)
{
    exit_now(status);
}

/* ---- quick_exit: the report after the program's at_quick_exit handlers ----
 *
 * quick_exit runs the at_quick_exit handlers, newest first, and then calls _exit
 * inside the C library, past ours. So the status is taken as the program calls it,
 * and the report is written by a handler of ours, registered at load -- before the
 * program's constructors and main could register theirs, so it runs last. */

typedef void (*quick_exit_fn)(int);
static quick_exit_fn real_quick_exit;

static void report_at_quick_exit(void)
{
    if (getpid() == nvc.pid) /* not in a vfork child: its memory is its parent's */
        finish(NVC_END_EXIT, 0);
}

__attribute__((constructor)) static void ends_start(void)
{
    real_quick_exit = (quick_exit_fn)dlsym(RTLD_NEXT, "quick_exit");
    at_quick_exit(report_at_quick_exit);
}

NVM_EXPORT void quick_exit(int status)
{
    if (getpid() == nvc.pid)
        record_status(status);
    if (real_quick_exit)
        real_quick_exit(status);
    exit_now(status); /* no quick_exit in the C library: as _exit, then */
}

/* ---- __libc_start_main: an on_exit handler that runs before the destructors ----
 *
 * exit() runs the on_exit/atexit handlers in the reverse order of their registration,
 * and the ELF destructors -- ours writes the report -- from one of them, _dl_fini,
 * which __libc_start_main registers as it starts, before the program's constructors
 * and main. A handler registered in our constructor would be older still: it would
 * run after every destructor, too late for the report (glibc 2.36; tests/e2e/
 * signals.sh checks that the status is there). So __libc_start_main is interposed by
 * a stub that lets nvc_start_main register _dl_fini and then the status handler, and
 * jumps to the real one with no _dl_fini left to register: the handler runs after
 * the program's own exit handlers and before any destructor; the order of everything
 * else is unchanged. A jump, not a call: nothing of ours stays on the stack under
 * main, so the stacks in findings (and the keys of baselines) are what they were. A
 * program that does not start through __libc_start_main (a static one, say) has no
 * exit status in its report unless it calls _exit.
 */

struct nvc_start {
    void *real;              /* rax: the next __libc_start_main, jumped to */
    void (*rtld_fini)(void); /* rdx: the rtld_fini argument to give it */
};

extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

/* nvc_start_main -- called by the stub with __libc_start_main's rtld_fini argument. */
NV_COLD __attribute__((used)) struct nvc_start nvc_start_main(void (*rtld_fini)(void))
{
    struct nvc_start s = {dlsym(RTLD_NEXT, "__libc_start_main"), rtld_fini};
    if (!s.real) {
        nv_say("internal error: no __libc_start_main after libnvcheck.so");
        for (;;)
            NVC_SYS2(SYS_exit_group, 127, 0);
    }
    if (rtld_fini && __cxa_atexit((void (*)(void *))rtld_fini, NULL, NULL) != 0)
        return s; /* no room: as without us (and no status) */
    s.rtld_fini = NULL;
    on_exit(status_at_exit, NULL);
    return s;
}

/* The stub: save the argument registers (the seventh argument, stack_end, is on the
 * stack and stays there), call nvc_start_main, put the rtld_fini it returns in the
 * place of the saved one, restore, jump. A naked C function rather than top-level asm:
 * -flto's symbol table, from which the exports are chosen, would not show the latter. */
NVM_EXPORT __attribute__((naked)) void __libc_start_main(void)
{
    __asm__(
#if defined(__CET__) && (__CET__ & 1)
        "endbr64\n"
#endif
        "pushq %rdi\n.cfi_adjust_cfa_offset 8\n"
        "pushq %rsi\n.cfi_adjust_cfa_offset 8\n"
        "pushq %rdx\n.cfi_adjust_cfa_offset 8\n"
        "pushq %rcx\n.cfi_adjust_cfa_offset 8\n"
        "pushq %r8\n.cfi_adjust_cfa_offset 8\n"
        "pushq %r9\n.cfi_adjust_cfa_offset 8\n"
        "subq $8, %rsp\n.cfi_adjust_cfa_offset 8\n" /* 16-byte aligned for the call */
        "movq %r9, %rdi\n"
        "call nvc_start_main@PLT\n"
        "movq %rdx, 8(%rsp)\n" /* the saved r9: rtld_fini, or NULL when registered */
        "addq $8, %rsp\n.cfi_adjust_cfa_offset -8\n"
        "popq %r9\n.cfi_adjust_cfa_offset -8\n"
        "popq %r8\n.cfi_adjust_cfa_offset -8\n"
        "popq %rcx\n.cfi_adjust_cfa_offset -8\n"
        "popq %rdx\n.cfi_adjust_cfa_offset -8\n"
        "popq %rsi\n.cfi_adjust_cfa_offset -8\n"
        "popq %rdi\n.cfi_adjust_cfa_offset -8\n"
        "jmp *%rax\n");
}
