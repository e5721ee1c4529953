/* lock.h -- a test-and-test-and-set spinlock for the engine's short critical sections.
 *
 * Critical sections are a hash probe and a few array moves (no syscalls, no malloc,
 * no unwinding), so spinning beats a futex; after a while we yield so that 16
 * threads on 2 cores still make progress when a holder is preempted. A plain int
 * word, so a forked child can reset it and nothing needs initialising.
 */
#ifndef NV_LOCK_H
#define NV_LOCK_H

#include <sched.h>

typedef struct {
    int held;
} nv_lock;

static inline void nv_lock_take(nv_lock *l)
{
    unsigned spins = 0;
    while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED)) {
            if (++spins < 128)
                __builtin_ia32_pause();
            else
                sched_yield();
        }
    }
}

static inline void nv_lock_give(nv_lock *l)
{
    __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/* nv_lock_held -- someone holds it now. For a signal handler deciding whether the
 * thread it interrupted may hold it (once every other thread has left the engine). */
static inline int nv_lock_held(nv_lock *l)
{
    return __atomic_load_n(&l->held, __ATOMIC_RELAXED);
}

/* After fork, in the child: whoever held it there does not exist. */
static inline void nv_lock_reset(nv_lock *l)
{
    __atomic_store_n(&l->held, 0, __ATOMIC_RELAXED);
}

#endif
