/* runtime.c -- the interposer's life cycle: start, threads, the guard, fork.
 *
 * Guard. A thread-local busy flag (initial-exec TLS: no allocation on first touch)
 * is set while the checker runs on a thread. Any API call that arrives while it is
 * set -- from a program's SIGSEGV handler, from a malloc the unwinder triggered, from
 * our own dlopen -- does the real work unchecked and returns. Nothing can recurse
 * into the engine and nothing can deadlock on its locks. Asynchronous signals that
 * land meanwhile are held back (signals.c) and delivered as the thread leaves: the
 * one load nvc_leave adds. Other threads read the flag only to wait, at the end, for
 * the checker to be empty (nvc_quiesce).
 *
 * A call that never returns. A program's SIGSEGV handler may siglongjmp out of an
 * API call whose copy faulted (a bad Source pointer: no lock of ours is held there).
 * The guard would then stay set for good: every later call unchecked, every signal
 * deferred forever. So each call notes where its frame is (the stack slot of its
 * return address), and the guard counts as left once the thread runs above that
 * frame again: the longjmp family says so as it jumps (jumps.c), and a later call
 * or a signal that finds the guard set checks (nvc_guard_left) -- which also covers
 * setcontext and exceptions thrown from handlers. A handler on an alternate signal
 * stack is told apart by the stack it runs on, not by its address.
 *
 * Cancellation. A thread the program made asynchronously cancellable could die at
 * any instruction, a spinlock of the shadow held. Such a thread (pthread_setcanceltype
 * is interposed, cancel.c) is switched to deferred cancellation for the length of each
 * checked call, and back as it leaves -- where a pending cancel then acts. Only those
 * threads pay (two calls into libc per API call). The paths of ours that may reach a
 * cancellation point with the guard set -- start, a report, a failure message --
 * disable cancellation meanwhile.
 *
 * Start. The constructor starts the checker before main; an API call made earlier
 * (another library's constructor) starts it on the spot. Another thread arriving
 * while it starts waits for it, so no call is checked against half-made state.
 *
 * The end -- exit, _exit, exec, a fatal signal -- is ends.c's. While an exec is under
 * way, a thread that comes in waits: the exec replaces the image, or fails, and then
 * the call is checked like any other.
 *
 * Fork. Every lock is taken before fork and released (or reset, in the child)
 * after it. The child keeps the outstanding state it inherited, marked as its
 * parent's (nve_disown): never reported by the child -- the parent flushes those
 * bytes or reports them -- but there, so that the child's own flushes of those lines
 * are not redundant and its own writes over them are its own. It keeps none of the
 * parent's findings, and reports under its own pid if it calls the API itself.
 */
#include "runtime.h"

#include "attrs.h"

#include "engine/lock.h"
#include "engine/say.h"
#include "engine/stackdepot.h"
#include "engine/unwind.h"
#include "nvmem/token.h"
#include "altstack.h"
#include "report.h"
#include "reserve.h"
#include "roster.h"
#include "signals.h"
#include "sweep.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define MAX_THREAD_IDS (1u << 20)
#define SCACHE 64 /* stack cache entries per thread */

struct nvc_runtime nvc;

static __thread struct {
    int busy;  /* written by its thread only; read by others (quiesce), hence atomics */
    int async; /* the program asked for asynchronous cancellation (cancel.c) */
    struct nvc_thread *thr;
    unsigned long long deferred; /* signals deferred while busy (signals.c): bit sig - 1 */
    uintptr_t at; /* the API call that set busy: its return address's stack slot; 0: none */
} tls __attribute__((tls_model("initial-exec")));

static nv_lock threads_lock; /* free list and thread arena */
static struct nv_arena thread_arena;
static struct nvc_thread *free_threads;
static pthread_key_t thread_key;

uint64_t nvc_now(void)
{
    return __rdtsc();
}

struct nvc_thread_info *nvc_thread_info(uint32_t id)
{
    return (id && id < MAX_THREAD_IDS && id <= nvc.nthreads) ? &nvc.threads[id] : NULL;
}

NV_COLD void nvc_fail(const char *what)
{
    int expected = NVC_READY;
    int cancel;
    if (!__atomic_compare_exchange_n(&nvc.state, &expected, NVC_DISABLED, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel); /* write(2) is a cancellation point */
    nv_say("internal error: %s; checking disabled, the program continues", what);
    nvc_roster_failed("an internal error stopped the checker");
    pthread_setcancelstate(cancel, NULL);
}

static void *reserve(size_t n)
{
    void *p =
        mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* ---- stacks ----
 *
 * Unwinding costs hundreds of stores, and stores between a flush and the next drain
 * are what makes NV code slow (the store buffer fills behind the write-back). So each
 * thread caches its recent stacks by (return address, its stack slot) together with
 * where every further return address lay on the stack. A later call from the same
 * site at the same depth re-reads those slots: if each still holds the same return
 * address, the call chain is the same -- each frame's layout follows from its
 * return address -- and the cached id is returned with loads only. Any difference
 * falls back to a full unwind, which refills the entry.
 */

struct scache_entry {
    uintptr_t ra, slot;
    uint32_t id, n;
    int32_t off[]; /* stack_depth of them: slot offsets of frames 0..n-1 */
};

static size_t scache_entry_size(void)
{
    return (sizeof(struct scache_entry) + nvc.opt.stack_depth * sizeof(int32_t) + 7) & ~(size_t)7;
}

static size_t scache_size(void)
{
    return SCACHE * scache_entry_size();
}

/* capture -- a full unwind, remembered in entry e when its slots can be trusted. */
NV_COLD static uint32_t capture(struct scache_entry *e, const struct nvc_site *site)
{
    uintptr_t pcs[NVE_MAX_FRAMES];
    int32_t off[NVE_MAX_FRAMES];
    uint32_t depth = nvc.opt.stack_depth;
    uint32_t n = site->slot ? nvu_capture_slots(pcs, off, depth, site->slot) : 0;
    int cacheable = n > 0 && pcs[0] == site->ra;
    if (n == 0)
        n = nvu_capture(pcs, depth, site->ra);
    uint32_t id = nve_stack_put(pcs, n, nve_stack_hash(pcs, n));
    if (id && cacheable) {
        e->ra = site->ra;
        e->slot = site->slot;
        e->n = n;
        memcpy(e->off, off, n * sizeof *off);
        e->id = id;
    }
    return id;
}

uint32_t nvc_capture(struct nvc_thread *t, const struct nvc_site *site)
{
    /* Mix both fully: call sites a few bytes apart at the same depth must not collide. */
    uint64_t h = (site->ra * 0x9E3779B97F4A7C15ull) ^ (site->slot * 0xC2B2AE3D27D4EB4Full);
    unsigned k = (unsigned)((h ^ h >> 29) % SCACHE);
    struct scache_entry *e = (struct scache_entry *)(t->scache + k * scache_entry_size());
    if (e->id && e->ra == site->ra && e->slot == site->slot) {
        uint32_t n, i = 1;
        const uintptr_t *pcs = nve_stack_get(e->id, &n);
        while (i < n && *(const uintptr_t *)(site->slot + (uintptr_t)e->off[i]) == pcs[i])
            i++;
        if (pcs && i >= n)
            return e->id;
    }
    return capture(e, site);
}

/* ---- threads ---- */

static void thread_exit(void *p)
{
    struct nvc_thread *t = p;
    /* Its undrained flushes stay FLUSHED under its id: no later thread may drain them. */
    nv_lock_take(&threads_lock);
    t->next_free = free_threads;
    free_threads = t;
    if (t->e.id < MAX_THREAD_IDS)
        __atomic_store_n(&nvc.threads[t->e.id].busy, NULL, __ATOMIC_RELAXED);
    nv_lock_give(&threads_lock);
    tls.thr = NULL;
    nvc_altstack_thread_end();
}

NV_COLD static struct nvc_thread *thread_new(void)
{
    nv_lock_take(&threads_lock);
    struct nvc_thread *t = free_threads;
    if (t) {
        free_threads = t->next_free;
    } else if ((t = nv_arena_calloc(&thread_arena, sizeof *t + scache_size())) != NULL) {
        t->scache = (unsigned char *)(t + 1);
    }
    nv_lock_give(&threads_lock);
    if (!t)
        return NULL;
    /* Fresh state; the cache memory survives recycling. */
    memset(&t->e, 0, sizeof t->e);
    memset(t->scache, 0, scache_size());
    uint32_t id = __atomic_add_fetch(&nvc.nthreads, 1, __ATOMIC_RELAXED);
    if (id >= MAX_THREAD_IDS)
        id = MAX_THREAD_IDS - 1; /* beyond a million threads, they share the last id */
    t->e.id = id;
    nvc.threads[id].tid = gettid();
    __atomic_store_n(&nvc.threads[id].busy, &tls.busy, __ATOMIC_RELAXED);
    pthread_setspecific(thread_key, t);
    nvc_altstack_thread();
    return t;
}

/* ---- the guard ---- */

/* enter_slow -- the checker was not READY as this thread came in: start it (or wait
 * for it to start), then come in again; NULL once it is off or has ended. */
NV_COLD static struct nvc_thread *enter_slow(uintptr_t at)
{
    nvc_leave(NULL);
    int st = __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE);
    if (st == NVC_OFF)
        nvc_init();
    while ((st = __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE)) == NVC_STARTING ||
           (st == NVC_EXEC && __atomic_load_n(&nvc.exec_self, __ATOMIC_ACQUIRE) != &tls))
        sched_yield();
    return st == NVC_READY ? nvc_enter(at) : NULL;
}

/* Busy first, then the state: the end (ends.c) sets the state, then waits for busy
 * threads (nvc_quiesce). Read the other way round, a thread that read READY and was
 * preempted before it set busy came in unseen after the wait and wrote what the
 * report was reading. (What remains is the instant a store spends in the store
 * buffer, which only a full fence per call would close.) */
struct nvc_thread *nvc_enter(uintptr_t at)
{
    if (tls.busy && !nvc_guard_left(at, NULL))
        return NULL;
    __atomic_store_n(&tls.busy, 1, __ATOMIC_RELAXED);
    tls.at = at;
    if (__builtin_expect(__atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) != NVC_READY, 0))
        return enter_slow(at);
    if (__builtin_expect(tls.async, 0))
        nvc_cancel_real(PTHREAD_CANCEL_DEFERRED);
    if (!tls.thr && !(tls.thr = thread_new())) {
        nvc_leave(NULL);
        return NULL;
    }
    if (__builtin_expect(!__atomic_load_n(&nvc.used, __ATOMIC_RELAXED), 0)) {
        __atomic_store_n(&nvc.used, 1, __ATOMIC_RELAXED);
        nvc_reserve_file(); /* the report's unnamed file (reserve.c), at the first call */
        nvc_roster_used();  /* under nvcheck run: the marker says so (once) */
    }
    return tls.thr;
}

/* leave_slow -- signals were deferred meanwhile, or the thread is asynchronously
 * cancellable again (a pending cancel acts here, with nothing of ours held). */
NV_COLD static void leave_slow(void)
{
    unsigned long long d = tls.deferred;
    tls.deferred = 0;
    if (d)
        nvc_signals_release(d);
    if (tls.async)
        nvc_cancel_real(PTHREAD_CANCEL_ASYNCHRONOUS);
}

/* nvc_leave -- not busy any more; then deliver the signals that arrived meanwhile (the
 * one load this adds to a call). A signal landing between the two sees busy clear and
 * is handled at once. The store releases what the call wrote (per-thread drain and
 * flush times among them) to nvc_quiesce, which then writes the report: on x86 it is
 * the same plain store. */
void nvc_leave(struct nvc_thread *t)
{
    (void)t;
    __atomic_store_n(&tls.busy, 0, __ATOMIC_RELEASE);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (__builtin_expect((tls.deferred | (unsigned long long)tls.async) != 0, 0))
        leave_slow();
}

/* nvc_guard_left -- see the header. Below the call's return address, on the same
 * stack, is inside it (the call itself, or a handler that interrupted it); there or
 * above, outside (a new call from the frame the jump went back to, or one above). A
 * call made on an alternate signal stack is left for the thread's own stack; a point
 * on an alternate stack is inside a call made on the thread's own (a handler running
 * there). */
int nvc_guard_left(uintptr_t now, sigset_t *mask)
{
    uintptr_t at = tls.at;
    if (!tls.busy)
        return 1;
    if (!at || !now)
        return 0;
    int at_alt = nvc_on_altstack(at), now_alt = nvc_on_altstack(now);
    if (at_alt == now_alt ? now < at : now_alt)
        return 0;
    tls.at = 0;
    for (int sig = 1; mask && sig < NSIG && sig <= 64; sig++)
        if (tls.deferred >> (sig - 1) & 1)
            sigdelset(mask, sig);
    nvc_leave(NULL);
    return 1;
}

void *nvc_thread_self(void)
{
    return &tls;
}

void nvc_cancel_want(int async)
{
    tls.async = async;
}

int nvc_cancel_wanted(void)
{
    return tls.async;
}

int nvc_in_checker(void)
{
    return __atomic_load_n(&tls.busy, __ATOMIC_RELAXED);
}

void nvc_defer(int sig)
{
    tls.deferred |= 1ull << (sig - 1); /* signals 1..64: bits 0..63 */
}

/* ---- fork ---- */

static int forking; /* this process's state was READY when fork began */

static void before_fork(void)
{
    /* Not while another thread's exec is under way (it holds locks while it reports). */
    while (__atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) == NVC_EXEC &&
           __atomic_load_n(&nvc.exec_self, __ATOMIC_ACQUIRE) != &tls)
        sched_yield();
    forking = __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) == NVC_READY && !tls.busy;
    if (!forking)
        return;
    __atomic_store_n(&tls.busy, 1, __ATOMIC_RELAXED); /* nvc_quiesce may read it */
    tls.at = 0;
    nv_lock_take(&threads_lock);
    nve_stack_lock_all();
    nve_findings_lock(nvc.findings);
    nve_regions_lock(nvc.regions);
    nve_shadow_lock_all(nvc.shadow);
}

static void after_fork_parent(void)
{
    if (!forking)
        return;
    nve_shadow_unlock_all(nvc.shadow);
    nve_regions_unlock(nvc.regions);
    nve_findings_unlock(nvc.findings);
    nve_stack_unlock_all();
    nv_lock_give(&threads_lock);
    __atomic_store_n(&tls.busy, 0, __ATOMIC_RELEASE);
}

static void after_fork_child(void)
{
    nvm_token_reset_lock();
    if (!forking) {
        nvc_roster_fork_child(0, 0);
        return;
    }
    nve_shadow_reset_locks(nvc.shadow);
    nve_regions_reset_lock(nvc.regions);
    nve_findings_reset_lock(nvc.findings);
    nve_stack_reset_locks();
    nv_lock_reset(&threads_lock);
    nve_findings_clear(nvc.findings);
    nvc.pid = getpid();
    nve_disown(nvc.shadow);
    nvc.used = 0;
    nvc.threads[tls.thr ? tls.thr->e.id : 0].tid = gettid();
    /* The other threads are gone: whatever their busy flags said, nobody is inside. */
    uint32_t n = __atomic_load_n(&nvc.nthreads, __ATOMIC_RELAXED);
    for (uint32_t id = 1; id <= n && id < MAX_THREAD_IDS; id++)
        if (nvc.threads[id].busy && nvc.threads[id].busy != &tls.busy)
            nvc.threads[id].busy = NULL;
    nvc_roster_fork_child(1, 0); /* inherited bytes are the parent's to report */
    tls.busy = 0;
}

/* ---- start ---- */

NV_COLD void nvc_init(void)
{
    int expected = NVC_OFF;
    if (!__atomic_compare_exchange_n(&nvc.state, &expected, NVC_STARTING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return;
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel); /* a thread dying here would
                                                                leave the state STARTING */
    tls.busy = 1;
    tls.at = 0;
    char err[512], why[256];
    nvc_options_defaults(&nvc.opt);
    nvc_options_parse(&nvc.opt, getenv("NVCHECK_OPTIONS"), err, sizeof err);
    if (err[0])
        nv_say("NVCHECK_OPTIONS: %s", err);
    const char *out = getenv("NVCHECK_OUTPUT");
    if (out && strlen(out) < sizeof nvc.output)
        strcpy(nvc.output, out);
    else if (out)
        nv_say("NVCHECK_OUTPUT is longer than %zu bytes; using the default", sizeof nvc.output - 1);
    const char *run_id = getenv("NVCHECK_RUN_ID");
    if (run_id && strlen(run_id) < sizeof nvc.run_id)
        strcpy(nvc.run_id, run_id);
    else if (run_id)
        nv_say("NVCHECK_RUN_ID is longer than %zu bytes; ignored", sizeof nvc.run_id - 1);
    nvc.pid = getpid();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    nvc.start_unix = ts.tv_sec;
    nve_stack_set_cap(nvc.opt.max_stacks);
    nvc.shadow = nve_shadow_new(nvc.opt.drain);
    if (nvc.shadow)
        nve_shadow_set_cap(nvc.shadow, (size_t)nvc.opt.max_shadow_mb << 20);
    nvc.findings = nve_findings_new(nvc.opt.max_findings);
    nvc.regions = nve_regions_new();
    nvc.threads = reserve(MAX_THREAD_IDS * sizeof(struct nvc_thread_info));
    int ok = nvc.shadow && nvc.findings && nvc.regions && nvc.threads &&
             pthread_key_create(&thread_key, thread_exit) == 0 &&
             pthread_atfork(before_fork, after_fork_parent, after_fork_child) == 0;
    if (ok && nvu_init(why, sizeof why) < 0)
        nv_say("%s", why);
    if (ok)
        nvc_signals_init();
    nvc_roster_start();
    __atomic_store_n(&nvc.state, ok ? NVC_READY : NVC_DISABLED, __ATOMIC_RELEASE);
    if (!ok) {
        nv_say("cannot set up the checker (out of memory); checking disabled");
        nvc_roster_failed("the checker could not be set up (out of memory)");
    }
    nvc_set_busy(0);
    pthread_setcancelstate(cancel, NULL);
}

void nvc_set_busy(int busy)
{
    if (!busy) {
        nvc_leave(NULL);
        return;
    }
    __atomic_store_n(&tls.busy, 1, __ATOMIC_RELAXED);
    tls.at = 0;                              /* not an API call: never left by a jump */
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* set before what follows, for our handlers */
}

/* ---- the end ---- */

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* nvc_quiesce -- wait (at most a second) until no other thread is inside the checker.
 * Checking is already off, so a thread that leaves does not come back in; the
 * threads lock (taken with a bound: a signal may have interrupted its holder on this
 * very thread) keeps exiting threads from freeing the flags being read. */
void nvc_quiesce(void)
{
    uint64_t t0 = ms_now();
    while (__atomic_exchange_n(&threads_lock.held, 1, __ATOMIC_ACQUIRE))
        if (ms_now() - t0 > 1000)
            return;
        else
            sched_yield();
    uint32_t n = __atomic_load_n(&nvc.nthreads, __ATOMIC_RELAXED);
    for (uint32_t id = 1; id <= n && id < MAX_THREAD_IDS; id++) {
        const int *b = __atomic_load_n(&nvc.threads[id].busy, __ATOMIC_RELAXED);
        if (!b || b == &tls.busy)
            continue;
        /* Acquire: what it did inside happens before the report reads it. */
        while (__atomic_load_n(b, __ATOMIC_ACQUIRE) && ms_now() - t0 < 1000)
            sched_yield();
    }
    nv_lock_give(&threads_lock);
}

__attribute__((constructor)) static void nvcheck_start(void)
{
    nvc_init();
}

__attribute__((destructor)) static void nvcheck_stop(void)
{
    nvc_fini();
}
