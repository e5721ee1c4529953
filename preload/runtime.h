/* runtime.h -- the interposer's global state: life cycle, guard, threads, stacks. */
#ifndef NVC_RUNTIME_H
#define NVC_RUNTIME_H

#include "engine/findings.h"
#include "engine/options.h"
#include "engine/regions.h"
#include "engine/shadow.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the program called the API from: the return address, and the stack slot
 * holding it (the entry point's frame address + 8). Passed by pointer and read field
 * by field: a 16-byte copy of two 8-byte stores cannot be store-forwarded, and while
 * a write-back is in flight that costs the whole write-back (measured: +150 ns). */
struct nvc_site {
    uintptr_t ra, slot;
};

/* A thread using the API. Recycled when the thread exits (with a fresh id). */
struct nvc_thread {
    struct nvc_thread *next_free;
    struct nve_thread e;
    unsigned char *scache; /* its recent stacks (runtime.c, nvc_capture) */
};

/* What the report says about a thread id, kept after the thread is gone. A cache line
 * each: every thread writes its own on every flush and drain. */
struct nvc_thread_info {
    pid_t tid;
    uint64_t last_flush; /* TSC of its last flush that left lines FLUSHED */
    uint64_t last_drain; /* TSC of its last drain */
    int *busy;           /* its guard flag while it lives (nvc_quiesce reads it) */
} __attribute__((aligned(64)));

/* NVC_EXEC: the report before an exec is written, or the exec is under way; it may
 * still fail and checking resume (ends.c). */
enum nvc_state { NVC_OFF, NVC_STARTING, NVC_READY, NVC_DONE, NVC_DISABLED, NVC_EXEC };
enum nvc_end { NVC_END_EXIT, NVC_END_EXEC, NVC_END_SIGNAL }; /* how the image ended */

struct nvc_runtime {
    int state; /* enum nvc_state, atomic */
    struct nvc_options opt;
    struct nve_shadow *shadow;
    struct nve_findings *findings;
    struct nve_regions *regions;     /* the live NV regions (src/engine/regions.c) */
    struct nvc_thread_info *threads; /* by thread id */
    uint32_t nthreads;               /* ids handed out, atomic */
    int used;                        /* the API was called (atomic; no RMW on the hot path) */
    int flushed_somewhere;           /* some thread left lines FLUSHED (sticky, atomic) */
    pid_t pid;
    int64_t start_unix;
    char output[4096];                          /* NVCHECK_OUTPUT, or empty for the default */
    char run_id[256];                           /* NVCHECK_RUN_ID (set by nvcheck run), or empty */
    int end_how;                                /* enum nvc_end, for the report being written */
    int end_sig;                                /* NVC_END_SIGNAL: which */
    int exit_status;                            /* what exit/_exit was given, & 0xff ... */
    int exit_status_known;                      /* ... once it is known (atomic; ends.c) */
    int finished;                               /* the report is done (atomic) */
    void *exec_self;                            /* NVC_EXEC: the exec'ing thread's */
    uint64_t untracked_writes, untracked_bytes; /* stores not recorded: max_shadow_mb */
};

extern struct nvc_runtime nvc;

/* nvc_enter -- the calling thread may check this call: returns its context and
 * marks it busy. NULL when the call must run unchecked: we are already inside the
 * checker on this thread (a signal handler, a malloc hook), or checking is off. at:
 * the stack slot of the call's return address (how far up the stack the call is). */
struct nvc_thread *nvc_enter(uintptr_t at);
void nvc_leave(struct nvc_thread *t);

/* nvc_guard_left -- this thread's guard is set, but now (a stack position in use now:
 * a new call's frame, a jump's target, an interrupted stack pointer) lies outside the
 * API call that set it: the call was left without returning (a handler jumped out
 * of it). Then the guard is cleared (deferred signals unblocked, and taken out of
 * *mask too when given) and 1 returned; also 1 when the guard is not set. 0: still
 * inside. */
int nvc_guard_left(uintptr_t now, sigset_t *mask);

/* nvc_cancel_want -- the program asked for asynchronous cancellation (1) or deferred
 * (0) on this thread; nvc_cancel_wanted -- which it asked for last. */
void nvc_cancel_want(int async);
int nvc_cancel_wanted(void);
/* nvc_cancel_real -- set this thread's cancellation type in libc (cancel.c). */
void nvc_cancel_real(int type);

/* nvc_thread_self -- something unique to the calling thread (its guard's address). */
void *nvc_thread_self(void);

/* nvc_capture -- the program's stack at this call, as a depot id (0: not stored). */
uint32_t nvc_capture(struct nvc_thread *t, const struct nvc_site *site);

/* nvc_kind_on -- kind k is being recorded. */
static inline int nvc_kind_on(int k)
{
    return (nvc.opt.kinds >> k) & 1;
}

struct nvc_thread_info *nvc_thread_info(uint32_t id);
uint64_t nvc_now(void);

/* nvc_fail -- something inside the checker broke: say so once, stop checking, let
 * the program run on. */
void nvc_fail(const char *what);

void nvc_init(void);
void nvc_fini(void);

/* ---- signals (signals.c) and ends (ends.c) ---- */

/* nvc_in_checker -- this thread is inside the checker (its guard is set). */
int nvc_in_checker(void);
/* nvc_defer -- signal sig was held back until this thread leaves the checker. */
void nvc_defer(int sig);
/* nvc_set_busy -- set this thread's guard; clearing it delivers deferred signals. */
void nvc_set_busy(int busy);
/* nvc_quiesce -- wait (bounded) until no other thread is inside the checker. */
void nvc_quiesce(void);
/* nvc_end_by_signal -- the process is about to die of sig (its default action): write
 * the report, or wait for the thread already writing it. Async-signal-safe. */
void nvc_end_by_signal(int sig);

/* nvc_exit_now -- the process is exiting with status and runs no destructor (_exit,
 * syscall(SYS_exit_group)): record the status and write the report. */
void nvc_exit_now(int status);

/* nvc_exec_begin -- this image is about to be replaced by exec: report as at exit.
 * Returns 1 when it did; checking is then off until nvc_exec_failed turns it on again
 * (exec returned). 0 when there was nothing to do: checking off, a vfork child (its
 * memory is its parent's), or a signal handler interrupting the checker. */
int nvc_exec_begin(void);
void nvc_exec_failed(void);

#endif
