/* rawsys.h -- system calls straight to the kernel, for the interposer's own use.
 *
 * The interposer exports syscall(), sigaltstack() and friends itself, and calls from
 * inside libnvcheck.so to those names would come back to its own wrappers. These
 * never do: one instruction, no errno (the result is -errno on failure, so the
 * program's errno is untouched), safe in a signal handler and in a vfork child.
 */
#ifndef NVC_RAWSYS_H
#define NVC_RAWSYS_H

static inline long nvc_rawsys(long nr, long a, long b, long c, long d, long e, long f)
{
    long rc;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(rc)
                     : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return rc;
}

#define NVC_SYS0(nr) nvc_rawsys((nr), 0, 0, 0, 0, 0, 0)
#define NVC_SYS2(nr, a, b) nvc_rawsys((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define NVC_SYS3(nr, a, b, c) nvc_rawsys((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define NVC_SYS4(nr, a, b, c, d) nvc_rawsys((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#endif
