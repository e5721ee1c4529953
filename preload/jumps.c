/* jumps.c -- the longjmp family: a jump out of an API call leaves the checker.
 *
 * A program's signal handler that siglongjmps out of an API call (its copy faulted
 * on a bad Source pointer, say) never comes back to leave the checker: its guard
 * would stay set (runtime.c). Each of longjmp, _longjmp, siglongjmp and
 * __longjmp_chk (what _FORTIFY_SOURCE calls) looks, when this thread is inside the
 * checker, at the stack pointer the jump restores -- glibc keeps it in the jmp_buf
 * mangled with the thread's pointer guard -- and leaves the checker when that lies
 * outside the call (nvc_guard_left), then jumps with the real function; setcontext
 * and swapcontext likewise, with the context's stack pointer. A jump that stays
 * inside a handler changes nothing; outside the checker, one TLS load is all.
 *
 * The real functions are looked up at load (dlsym is no thing for a signal handler).
 */
#include "runtime.h"

#include "nvmem/export.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>

typedef void (*jump_fn)(struct __jmp_buf_tag *, int);
typedef int (*setctx_fn)(const ucontext_t *);
typedef int (*swapctx_fn)(ucontext_t *, const ucontext_t *);

enum { J_LONGJMP, J__LONGJMP, J_SIGLONGJMP, J_CHK, J_SETCONTEXT, J_SWAPCONTEXT, NJUMPS };
static const char *const names[NJUMPS] = {"longjmp",       "_longjmp",   "siglongjmp",
                                          "__longjmp_chk", "setcontext", "swapcontext"};
static void *reals[NJUMPS];

extern void __longjmp_chk(struct __jmp_buf_tag env[1], int val) __attribute__((noreturn));

/* real -- the next definition of function i; for a jump without one, longjmp's. */
static void *real(int i)
{
    void *fn = __atomic_load_n(&reals[i], __ATOMIC_RELAXED);
    if (!fn) {
        fn = dlsym(RTLD_NEXT, names[i]);
        if (!fn && i < J_SETCONTEXT && i != J_LONGJMP)
            fn = real(J_LONGJMP);
        if (!fn)
            abort(); /* no such function in the C library: nothing sensible is left */
        __atomic_store_n(&reals[i], fn, __ATOMIC_RELAXED);
    }
    return fn;
}

__attribute__((constructor)) static void jumps_start(void)
{
    for (int i = 0; i < NJUMPS; i++)
        real(i);
}

/* target -- the stack pointer env restores (glibc x86-64: slot 6, mangled as
 * rol(sp ^ guard, 17), the guard at %fs:0x30). */
static uintptr_t target(const struct __jmp_buf_tag *env)
{
    uintptr_t v = (uintptr_t)env->__jmpbuf[6], guard;
    __asm__("movq %%fs:0x30, %0" : "=r"(guard));
    return ((v >> 17) | (v << 47)) ^ guard;
}

__attribute__((noreturn)) static void jump(int i, struct __jmp_buf_tag *env, int val)
{
    if (__builtin_expect(nvc_in_checker(), 0))
        nvc_guard_left(target(env), NULL);
    ((jump_fn)real(i))(env, val);
    __builtin_unreachable();
}

NVM_EXPORT void longjmp(struct __jmp_buf_tag env[1], int val)
{
    jump(J_LONGJMP, env, val);
}

NVM_EXPORT void _longjmp(struct __jmp_buf_tag env[1], int val)
{
    jump(J__LONGJMP, env, val);
}

NVM_EXPORT void siglongjmp(struct __jmp_buf_tag env[1], int val)
{
    jump(J_SIGLONGJMP, env, val);
}

NVM_EXPORT void __longjmp_chk(struct __jmp_buf_tag env[1], int val)
{
    jump(J_CHK, env, val);
}

/* The stack pointer a context switch restores, for nvc_guard_left. */
static void switching(const ucontext_t *ucp)
{
    if (__builtin_expect(nvc_in_checker(), 0) && ucp)
        nvc_guard_left((uintptr_t)ucp->uc_mcontext.gregs[REG_RSP], NULL);
}

NVM_EXPORT int setcontext(const ucontext_t *ucp)
{
    switching(ucp);
    return ((setctx_fn)real(J_SETCONTEXT))(ucp);
}

NVM_EXPORT int swapcontext(ucontext_t *oucp, const ucontext_t *ucp)
{
    switching(ucp);
    return ((swapctx_fn)real(J_SWAPCONTEXT))(oucp, ucp);
}
