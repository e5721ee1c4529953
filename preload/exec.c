/* exec.c -- the exec family: the image about to be replaced reports first.
 *
 * exec ends a program image as surely as exit does, but runs no destructor: without
 * these wrappers, whatever a program left unflushed before exec'ing would never be
 * reported. Each one does what exit does (nvc_exec_begin: outstanding state into
 * findings, the report written), then calls the real function. The new image loads
 * the interposer again from LD_PRELOAD in its environment (unless the program passed
 * an environment without it) and reports under the same pid, under a name of its own
 * (report.c). If exec fails, checking resumes afresh (runtime.c says what is lost).
 *
 * posix_spawn is left alone: it makes a new process, which reports by itself. The
 * real functions are looked up at load: dlsym takes loader locks and may allocate,
 * not something to do in a vfork child, which may only exec or _exit.
 */
#include "runtime.h"

#include "nvmem/export.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*exec_fn)(const char *, char *const[], char *const[]); /* execve, execvpe */
typedef int (*execv_fn)(const char *, char *const[]);               /* execv, execvp */
typedef int (*fexec_fn)(int, char *const[], char *const[]);

enum { R_EXECVE, R_EXECVPE, R_EXECV, R_EXECVP, R_FEXECVE, NREAL };
static const char *const real_names[NREAL] = {"execve", "execvpe", "execv", "execvp", "fexecve"};
static void *reals[NREAL];

/* real -- the next definition of function i (libc's); NULL with ENOSYS if none. */
static void *real(int i)
{
    void *p = __atomic_load_n(&reals[i], __ATOMIC_RELAXED);
    if (!p) {
        p = dlsym(RTLD_NEXT, real_names[i]);
        __atomic_store_n(&reals[i], p, __ATOMIC_RELAXED);
    }
    if (!p)
        errno = ENOSYS;
    return p;
}

__attribute__((constructor)) static void exec_start(void)
{
    for (int i = 0; i < NREAL; i++)
        real(i);
}

/* done -- exec returned (it failed): the program goes on, and so does checking. */
static int done(int swept, int rc)
{
    int e = errno;
    if (swept)
        nvc_exec_failed();
    errno = e;
    return rc;
}

NVM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    exec_fn fn = (exec_fn)real(R_EXECVE);
    if (!fn)
        return -1;
    int swept = nvc_exec_begin();
    return done(swept, fn(path, argv, envp));
}

NVM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    exec_fn fn = (exec_fn)real(R_EXECVPE);
    if (!fn)
        return -1;
    int swept = nvc_exec_begin();
    return done(swept, fn(file, argv, envp));
}

NVM_EXPORT int execv(const char *path, char *const argv[])
{
    execv_fn fn = (execv_fn)real(R_EXECV);
    if (!fn)
        return -1;
    int swept = nvc_exec_begin();
    return done(swept, fn(path, argv));
}

NVM_EXPORT int execvp(const char *file, char *const argv[])
{
    execv_fn fn = (execv_fn)real(R_EXECVP);
    if (!fn)
        return -1;
    int swept = nvc_exec_begin();
    return done(swept, fn(file, argv));
}

NVM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    fexec_fn fn = (fexec_fn)real(R_FEXECVE);
    if (!fn)
        return -1;
    int swept = nvc_exec_begin();
    return done(swept, fn(fd, argv, envp));
}

/* ---- execl, execlp, execle: the argument list as an array, then the calls above ----
 *
 * On the stack for ordinary counts; beyond, in a private mapping (no malloc here:
 * the program may exec from a fork child of a multi-threaded process, where another
 * thread held the malloc lock at fork). */

#define ARGS_ON_STACK 256

struct args {
    char **v;
    size_t n; /* entries before the NULL */
    char *stack[ARGS_ON_STACK];
};

/* args_collect -- arg and the variadic arguments up to the NULL (consumed from ap).
 * -1 with errno set when no memory can be had for them. */
static int args_collect(struct args *a, const char *arg, va_list *ap)
{
    va_list count;
    va_copy(count, *ap);
    a->n = 0;
    for (const char *s = arg; s; s = va_arg(count, const char *))
        a->n++;
    va_end(count);
    a->v = a->stack;
    if (a->n >= ARGS_ON_STACK) {
        void *p = mmap(NULL, (a->n + 1) * sizeof(char *), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -1;
        a->v = p;
    }
    a->v[0] = (char *)arg;
    for (size_t i = 1; i < a->n; i++)
        a->v[i] = va_arg(*ap, char *);
    if (a->n) /* the NULL that ended the list: what follows is execle's envp */
        (void)va_arg(*ap, char *);
    a->v[a->n] = NULL;
    return 0;
}

static int args_free(struct args *a, int rc)
{
    int e = errno;
    if (a->v != a->stack)
        munmap(a->v, (a->n + 1) * sizeof(char *));
    errno = e;
    return rc;
}

NVM_EXPORT int execl(const char *path, const char *arg, ...)
{
    struct args a;
    va_list ap;
    va_start(ap, arg);
    int rc = args_collect(&a, arg, &ap);
    va_end(ap);
    return rc < 0 ? -1 : args_free(&a, execv(path, a.v));
}

NVM_EXPORT int execlp(const char *file, const char *arg, ...)
{
    struct args a;
    va_list ap;
    va_start(ap, arg);
    int rc = args_collect(&a, arg, &ap);
    va_end(ap);
    return rc < 0 ? -1 : args_free(&a, execvp(file, a.v));
}

NVM_EXPORT int execle(const char *path, const char *arg, ...)
{
    struct args a;
    va_list ap;
    va_start(ap, arg);
    int rc = args_collect(&a, arg, &ap);
    char *const *envp = rc < 0 ? NULL : va_arg(ap, char *const *);
    va_end(ap);
    return rc < 0 ? -1 : args_free(&a, execve(path, a.v, envp));
}
