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
 * parent's). A fatal signal comes here from signals.c.
 *
 * Inside the checker. If this thread was itself inside the checker (a program's
 * SIGSEGV handler called exit() after a fault in an API call) the state may be half
 * updated: the report is written only when none of the engine's locks is held once
 * the other threads have left, else one line says why there is none.
 *
 * A fork child reports at exit if it called the API or inherited outstanding bytes
 * (they are just as unflushed in its image; its parent reports them too). Tokens it
 * inherited are its parent's to free: not leaked-token findings here unless the child
 * used the API itself. A fork child that execs without having used the API reports
 * nothing: it was only launching another program.
 */
#include "runtime.h"

#include "attrs.h"

#include "engine/say.h"
#include "nvmem/export.h"
#include "report.h"
#include "signals.h"
#include "sweep.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_FOR_REPORT_MS 30000

/* outstanding -- some byte is not durable (a fork child's inheritance). */
static int outstanding(void)
{
    struct nve_stats st;
    nve_stats(nvc.shadow, &st);
    return st.chunks > 0;
}

static void report(int nested)
{
    nvc_quiesce();
    int own = __atomic_load_n(&nvc.used, __ATOMIC_RELAXED);
    if (!own && (nvc.end_how == NVC_END_EXEC || !nvc.inherited))
        return;
    if (nested && (nve_shadow_locked(nvc.shadow) || nve_findings_locked(nvc.findings))) {
        nv_say("the process ended inside an NV API call while the checker held its locks; "
               "no report written");
        return;
    }
    if (!own && !outstanding())
        return;
    nvc_sweep_exit(own);
    nvc_report_write();
}

/* finish -- the end of this image (how: enum nvc_end; sig for NVC_END_SIGNAL). 1 when
 * this call did it, 0 when checking was not on (off, disabled, or already finished). */
static int finish(int how, int sig)
{
    int nested = nvc_in_checker();
    int expected = NVC_READY;
    if (!__atomic_compare_exchange_n(&nvc.state, &expected, NVC_DONE, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return 0;
    nvc_set_busy(1);
    nvc.end_how = how;
    nvc.end_sig = sig;
    report(nested);
    __atomic_store_n(&nvc.finished, 1, __ATOMIC_RELEASE);
    nvc_set_busy(nested);
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
        if (__atomic_load_n(&nvc.finished, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) != NVC_DONE)
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
 * nor when exec interrupts the checker on this thread (its locks may be held). If
 * exec fails, checking resumes afresh, like in a fork child: the findings already
 * reported are forgotten, so a later report -- under a name of its own, see
 * report.c -- does not repeat them; the state swept is gone too, so that report may
 * miss what became of bytes written before the failed exec. */
int nvc_exec_begin(void)
{
    if (nvc_in_checker() || getpid() != nvc.pid)
        return 0;
    return finish(NVC_END_EXEC, 0);
}

void nvc_exec_failed(void)
{
    nve_findings_clear(nvc.findings);
    nvc.used = 0;
    nvc.end_how = NVC_END_EXIT;
    __atomic_store_n(&nvc.finished, 0, __ATOMIC_RELAXED);
    nvc_set_busy(0);
    int expected = NVC_DONE;
    __atomic_compare_exchange_n(&nvc.state, &expected, NVC_READY, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
}

/* ---- _exit, _Exit: no destructor runs, so report here ---- */

NV_COLD __attribute__((noreturn)) static void exit_now(int status)
{
    if (getpid() == nvc.pid)
        finish(NVC_END_EXIT, 0);
    for (;;)
        syscall(SYS_exit_group, status);
}

NVM_EXPORT void _exit(int status)
{
    exit_now(status);
}

NVM_EXPORT void _Exit(int status)
{
    exit_now(status);
}
