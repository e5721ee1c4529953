/* runtime.c -- the interposer's life cycle: start, threads, fork, exit.
 *
 * Guard. A thread-local busy flag (initial-exec TLS: no allocation on first touch)
 * is set while the checker runs on a thread. Any API call that arrives while it is
 * set -- from a signal handler, from a malloc the unwinder triggered, from our own
 * dlopen -- does the real work unchecked and returns. Nothing can recurse into the
 * engine and nothing can deadlock on its locks.
 *
 * Start. The constructor starts the checker before main; an API call made earlier
 * (another library's constructor) starts it on the spot. Another thread arriving
 * while it starts waits for it, so no call is checked against half-made state.
 *
 * Exit. The destructor (which runs after the program's own destructors, since we
 * were loaded first) turns the remaining state into findings and writes the report.
 * A process that never called the API writes none. exec does the same first.
 *
 * Fork. Every lock is taken before fork and released (or reset, in the child)
 * after it. The child keeps the outstanding state it inherited -- those bytes are
 * just as unflushed there -- but not the parent's findings, and reports under its
 * own pid, only if it calls the API itself.
 */
#include "runtime.h"

#include "attrs.h"

#include "engine/lock.h"
#include "engine/say.h"
#include "engine/stackdepot.h"
#include "engine/unwind.h"
#include "nvmem/token.h"
#include "report.h"
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
    int busy;
    struct nvc_thread *thr;
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
    if (__atomic_compare_exchange_n(&nvc.state, &expected, NVC_DISABLED, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED))
        nv_say("internal error: %s; checking disabled, the program continues", what);
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
    nv_lock_give(&threads_lock);
    tls.thr = NULL;
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
    pthread_setspecific(thread_key, t);
    return t;
}

/* ---- the guard ---- */

struct nvc_thread *nvc_enter(void)
{
    if (tls.busy)
        return NULL;
    int st = __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE);
    if (st != NVC_READY) {
        if (st == NVC_OFF)
            nvc_init();
        while ((st = __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE)) == NVC_STARTING)
            sched_yield();
        if (st != NVC_READY)
            return NULL;
    }
    tls.busy = 1;
    if (!tls.thr && !(tls.thr = thread_new())) {
        tls.busy = 0;
        return NULL;
    }
    if (!__atomic_load_n(&nvc.used, __ATOMIC_RELAXED))
        __atomic_store_n(&nvc.used, 1, __ATOMIC_RELAXED);
    return tls.thr;
}

void nvc_leave(struct nvc_thread *t)
{
    (void)t;
    tls.busy = 0;
}

/* ---- fork ---- */

static int forking; /* this process's state was READY when fork began */

static void before_fork(void)
{
    forking = __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) == NVC_READY && !tls.busy;
    if (!forking)
        return;
    tls.busy = 1;
    nv_lock_take(&threads_lock);
    nve_stack_lock_all();
    nve_findings_lock(nvc.findings);
    nve_shadow_lock_all(nvc.shadow);
}

static void after_fork_parent(void)
{
    if (!forking)
        return;
    nve_shadow_unlock_all(nvc.shadow);
    nve_findings_unlock(nvc.findings);
    nve_stack_unlock_all();
    nv_lock_give(&threads_lock);
    tls.busy = 0;
}

static void after_fork_child(void)
{
    nvm_token_reset_lock();
    if (!forking)
        return;
    nve_shadow_reset_locks(nvc.shadow);
    nve_findings_reset_lock(nvc.findings);
    nve_stack_reset_locks();
    nv_lock_reset(&threads_lock);
    nve_findings_clear(nvc.findings);
    nvc.pid = getpid();
    nvc.used = 0;
    nvc.threads[tls.thr ? tls.thr->e.id : 0].tid = gettid();
    tls.busy = 0;
}

/* ---- start and exit ---- */

NV_COLD void nvc_init(void)
{
    int expected = NVC_OFF;
    if (!__atomic_compare_exchange_n(&nvc.state, &expected, NVC_STARTING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return;
    tls.busy = 1;
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
    nvc.shadow = nve_shadow_new(nvc.opt.drain);
    nvc.findings = nve_findings_new(nvc.opt.max_findings);
    nvc.tok_created = reserve(NVM_MAX_TOKENS * sizeof(uint32_t));
    nvc.tok_freed = reserve(NVM_MAX_TOKENS * sizeof(uint32_t));
    nvc.threads = reserve(MAX_THREAD_IDS * sizeof(struct nvc_thread_info));
    int ok = nvc.shadow && nvc.findings && nvc.tok_created && nvc.tok_freed && nvc.threads &&
             pthread_key_create(&thread_key, thread_exit) == 0 &&
             pthread_atfork(before_fork, after_fork_parent, after_fork_child) == 0;
    if (ok && nvu_init(why, sizeof why) < 0)
        nv_say("%s", why);
    tls.busy = 0;
    __atomic_store_n(&nvc.state, ok ? NVC_READY : NVC_DISABLED, __ATOMIC_RELEASE);
    if (!ok)
        nv_say("cannot set up the checker (out of memory); checking disabled");
}

/* finish -- the end of this image, by exit or exec: checking off (later calls run
 * unchecked), outstanding state into findings, and the report, if the API was used. */
static int finish(void)
{
    int expected = NVC_READY;
    if (!__atomic_compare_exchange_n(&nvc.state, &expected, NVC_DONE, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return 0;
    tls.busy = 1;
    if (__atomic_load_n(&nvc.used, __ATOMIC_RELAXED)) {
        nvc_sweep_exit();
        nvc_report_write();
    }
    return 1;
}

void nvc_fini(void)
{
    finish();
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
    if (tls.busy || getpid() != nvc.pid)
        return 0;
    nvc.execing = 1;
    if (finish())
        return 1;
    nvc.execing = 0;
    return 0;
}

void nvc_exec_failed(void)
{
    nve_findings_clear(nvc.findings);
    nvc.used = 0;
    nvc.execing = 0;
    tls.busy = 0;
    int expected = NVC_DONE;
    __atomic_compare_exchange_n(&nvc.state, &expected, NVC_READY, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void nvcheck_start(void)
{
    nvc_init();
}

__attribute__((destructor)) static void nvcheck_stop(void)
{
    nvc_fini();
}
