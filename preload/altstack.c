/* altstack.c -- alternate signal stacks: ours under the threads that use the API, the
 * program's own exactly as it set them.
 *
 * A stack overflow ends a process with SIGSEGV, but the kernel can run no handler on
 * a stack that has no room left: the report could only be written from an alternate
 * signal stack. So each thread that uses the API (and the one that starts the
 * checker) gets one of ours -- 64 KiB and a guard page, mapped when the thread first
 * calls in, unmapped as it exits -- unless it already has one of its own. Only our
 * trampoline under a default action asks the kernel for it (SA_ONSTACK, signals.c).
 *
 * The program must not notice it. sigaltstack is interposed: on a thread where ours
 * is in place, the program is shown no alternate stack at all (SS_DISABLE, as the
 * kernel would), a stack the program sets replaces ours in the kernel (ours comes
 * back when the program disables its own), and every answer is the kernel's or what
 * the kernel would have said. A handler of the program's asking for SA_ONSTACK on a
 * thread with no stack of its own would natively run on the interrupted stack; the
 * kernel now delivers it on ours, so the trampoline moves it back there before
 * calling it (nvc_call_on_stack: below the interrupted stack pointer's red zone).
 *
 * Threads that never call the API have none of ours; nor does a thread whose own
 * stack the program set before its first call (its later calls pass straight
 * through).
 */
#include "altstack.h"

#include "nvmem/export.h"
#include "rawsys.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define ALTSTACK_SIZE (64 * 1024)
#define GUARD 4096

static __thread struct {
    uintptr_t lo, hi; /* ours, [lo, hi); 0 when this thread has none */
    int prog;         /* the kernel has the program's own stack in place of ours */
} alt __attribute__((tls_model("initial-exec")));

/* kernel -- the kernel's alternate stack settings for this thread (0 or -errno). */
static long kernel(const stack_t *ss, stack_t *old)
{
    return NVC_SYS2(SYS_sigaltstack, ss, old);
}

void nvc_altstack_thread(void)
{
    stack_t cur, ss;
    if (alt.lo || kernel(NULL, &cur) < 0 || !(cur.ss_flags & SS_DISABLE))
        return; /* ours already, or the program's own */
    char *p = mmap(NULL, ALTSTACK_SIZE + GUARD, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED)
        return;
    mprotect(p, GUARD, PROT_NONE);
    ss.ss_sp = p + GUARD;
    ss.ss_size = ALTSTACK_SIZE;
    ss.ss_flags = 0;
    if (kernel(&ss, NULL) < 0) {
        munmap(p, ALTSTACK_SIZE + GUARD);
        return;
    }
    alt.lo = (uintptr_t)ss.ss_sp;
    alt.hi = alt.lo + ALTSTACK_SIZE;
    alt.prog = 0;
}

void nvc_altstack_thread_end(void)
{
    stack_t off = {.ss_flags = SS_DISABLE};
    if (!alt.lo || (!alt.prog && kernel(&off, NULL) < 0))
        return; /* none, or running on it (then it stays) */
    munmap((void *)(alt.lo - GUARD), ALTSTACK_SIZE + GUARD);
    alt.lo = alt.hi = 0;
    alt.prog = 0;
}

int nvc_on_our_altstack(uintptr_t sp)
{
    return alt.lo && sp >= alt.lo && sp <= alt.hi;
}

int nvc_on_altstack(uintptr_t sp)
{
    stack_t cur;
    if (nvc_on_our_altstack(sp))
        return 1;
    if (kernel(NULL, &cur) < 0 || (cur.ss_flags & SS_DISABLE))
        return 0;
    return sp >= (uintptr_t)cur.ss_sp && sp <= (uintptr_t)cur.ss_sp + cur.ss_size;
}

/* fail -- a system call's -errno as the C library returns it. */
static int fail(long rc)
{
    errno = (int)-rc;
    return -1;
}

/* sigaltstack -- the program's view (see the header). The kernel checks both
 * pointers and ss itself, so bad arguments fail exactly as they would natively.
 * Never instrumented by ThreadSanitizer: its runtime calls this while it starts,
 * before it could record anything (system calls and our own TLS only, here). */
NVM_EXPORT __attribute__((no_sanitize("thread"))) int sigaltstack(const stack_t *ss, stack_t *old)
{
    stack_t view = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0}, now;
    long rc;
    if (!alt.lo) /* nothing of ours on this thread: all the program's */
        return (rc = kernel(ss, old)) < 0 ? fail(rc) : 0;
    if (old && (rc = kernel(NULL, old)) < 0)
        return fail(rc);
    if (old && alt.prog)
        view = *old;
    if (ss) {
        if ((rc = kernel(ss, NULL)) < 0)
            return fail(rc);
        alt.prog = kernel(NULL, &now) == 0 && !(now.ss_flags & SS_DISABLE);
        if (!alt.prog) { /* the program has none now: ours again */
            stack_t ours = {.ss_sp = (void *)alt.lo, .ss_flags = 0, .ss_size = ALTSTACK_SIZE};
            kernel(&ours, NULL);
        }
    }
    if (old)
        *old = view;
    return 0;
}

/* The stack switch. rbp keeps the old stack pointer across the call (it is callee
 * saved), and the CFI says so, so a backtrace taken inside fn -- a crash handler's --
 * walks on through the trampoline into the interrupted code. */
#define UNUSED __attribute__((unused)) /* read by the assembly, not by C */
__attribute__((naked)) void nvc_call_on_stack(uintptr_t top UNUSED, void (*fn)(void *) UNUSED,
                                              void *arg UNUSED)
{
    __asm__("pushq %rbp\n.cfi_adjust_cfa_offset 8\n.cfi_rel_offset %rbp, 0\n"
            "movq %rsp, %rbp\n.cfi_def_cfa_register %rbp\n"
            "movq %rdi, %rsp\n"
            "movq %rdx, %rdi\n"
            "call *%rsi\n"
            "movq %rbp, %rsp\n.cfi_def_cfa_register %rsp\n"
            "popq %rbp\n.cfi_adjust_cfa_offset -8\n.cfi_restore %rbp\n"
            "ret\n");
}
