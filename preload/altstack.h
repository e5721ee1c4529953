/* altstack.h -- alternate signal stacks: ours under the threads that use the API, the
 * program's own exactly as it set them. */
#ifndef NVC_ALTSTACK_H
#define NVC_ALTSTACK_H

#include <stdint.h>

/* nvc_altstack_thread -- give this thread an alternate signal stack of ours (so a
 * fatal stack overflow can still be reported), unless it has one already. */
void nvc_altstack_thread(void);
/* nvc_altstack_thread_end -- this thread is going away: take ours back. */
void nvc_altstack_thread_end(void);

/* nvc_on_our_altstack -- sp lies on this thread's alternate stack of ours. */
int nvc_on_our_altstack(uintptr_t sp);
/* nvc_on_altstack -- sp lies on an alternate signal stack of this thread: ours, or
 * the one the kernel has for it now. Makes a system call: for rare paths. */
int nvc_on_altstack(uintptr_t sp);

/* nvc_call_on_stack -- fn(arg) with the stack pointer at top (16-byte aligned), back
 * on this stack afterwards. Unwinders follow it (frame-pointer CFI). */
void nvc_call_on_stack(uintptr_t top, void (*fn)(void *), void *arg);

#endif
