/* exec.c -- the exec family: the image about to be replaced reports first.
 *
 * exec ends a program image as surely as exit does, but runs no destructor: without
 * these wrappers, whatever a program left unflushed before exec'ing would never be
 * reported. Each one does what exit does (nvc_exec_begin: the report written), then
 * calls the real function with an environment that loads the interposer into the new
 * image again (execenv.c: even when the program cleared it) and says when the loader
 * will not (a secure-execution binary). The new image reports under the same pid,
 * under a name of its own (report.c). If exec fails, the program goes on as if it
 * had not been called (ends.c: the report is taken back, the state is untouched).
 *
 * Every way in: execve, execvpe, execv, execvp, fexecve, execveat, the execl family
 * (through the ones above), and syscall() with SYS_execve or SYS_execveat; syscall()
 * with SYS_exit_group ends the process like _exit (ends.c). Other system calls pass
 * through unchanged.
 *
 * posix_spawn is left alone: it makes a new process, which reports by itself. The
 * real functions are looked up at load: dlsym takes loader locks and may allocate,
 * not something to do in a vfork child, which may only exec or _exit.
 */
#include "runtime.h"

#include "execenv.h"
#include "nvmem/export.h"
#include "rawsys.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

typedef int (*exec_fn)(const char *, char *const[], char *const[]); /* execve, execvpe */
typedef int (*fexec_fn)(int, char *const[], char *const[]);
typedef int (*execat_fn)(int, const char *, char *const[], char *const[], int);

enum { R_EXECVE, R_EXECVPE, R_FEXECVE, R_EXECVEAT, NREAL };
static const char *const real_names[NREAL] = {"execve", "execvpe", "fexecve", "execveat"};
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
    nvc_env_start();
}

/* How an exec is made: which function (or system call), and its arguments. */
enum how { H_EXECVE, H_EXECVPE, H_FEXECVE, H_EXECVEAT, H_SYS_EXECVE, H_SYS_EXECVEAT };

struct exec_call {
    enum how how;
    int fd; /* fexecve, execveat */
    const char *path;
    char *const *argv, *const *envp;
    int flags; /* execveat */
};

/* call -- make the exec with environment envp; returns only when it failed. */
static long call(const struct exec_call *c, char *const *envp)
{
    long rc;
    void *fn = c->how < H_SYS_EXECVE ? real((int)c->how) : NULL;
    switch (c->how) {
    case H_EXECVE:
    case H_EXECVPE:
        return fn ? ((exec_fn)fn)(c->path, c->argv, envp) : -1;
    case H_FEXECVE:
        return fn ? ((fexec_fn)fn)(c->fd, c->argv, envp) : -1;
    case H_EXECVEAT:
        return fn ? ((execat_fn)fn)(c->fd, c->path, c->argv, envp, c->flags) : -1;
    case H_SYS_EXECVE:
        rc = NVC_SYS3(SYS_execve, c->path, c->argv, envp);
        break;
    default:
        rc = nvc_rawsys(SYS_execveat, c->fd, (long)c->path, (long)c->argv, (long)envp, c->flags, 0);
        break;
    }
    if (rc < 0 && rc > -4096) {
        errno = (int)-rc;
        return -1;
    }
    return rc;
}

/* exec -- report, exec; if exec returns, the program goes on and so does checking. */
static long exec(const struct exec_call *c)
{
    struct nvc_env env;
    if (c->how == H_EXECVPE)
        nvc_exec_warn_search(c->path);
    else if (c->how == H_FEXECVE)
        nvc_exec_warn(c->fd, "", AT_EMPTY_PATH);
    else
        nvc_exec_warn(c->how == H_EXECVEAT || c->how == H_SYS_EXECVEAT ? c->fd : AT_FDCWD, c->path,
                      c->flags);
    nvc_env_fix(&env, c->envp);
    int swept = nvc_exec_begin();
    long rc = call(c, env.envp);
    int e = errno;
    nvc_env_done(&env);
    if (swept)
        nvc_exec_failed();
    errno = e;
    return rc;
}

NVM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    struct exec_call c = {.how = H_EXECVE, .path = path, .argv = argv, .envp = envp};
    return (int)exec(&c);
}

NVM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    struct exec_call c = {.how = H_EXECVPE, .path = file, .argv = argv, .envp = envp};
    return (int)exec(&c);
}

/* execv and execvp are execve and execvpe with this image's environment, in glibc
 * too: so that a program's unsetenv("LD_PRELOAD") is mended like any envp. */
NVM_EXPORT int execv(const char *path, char *const argv[])
{
    struct exec_call c = {.how = H_EXECVE, .path = path, .argv = argv, .envp = environ};
    return (int)exec(&c);
}

NVM_EXPORT int execvp(const char *file, char *const argv[])
{
    struct exec_call c = {.how = H_EXECVPE, .path = file, .argv = argv, .envp = environ};
    return (int)exec(&c);
}

NVM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    struct exec_call c = {.how = H_FEXECVE, .fd = fd, .argv = argv, .envp = envp};
    return (int)exec(&c);
}

NVM_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                        int flags)
{
    struct exec_call c = {
        .how = H_EXECVEAT, .fd = dirfd, .path = path, .argv = argv, .envp = envp, .flags = flags};
    return (int)exec(&c);
}

/* syscall -- exec and exit_group made as raw system calls are ends too; anything else
 * goes to the kernel unchanged (errno as the C library's syscall sets it). */
NVM_EXPORT long syscall(long nr, ...)
{
    long a[6];
    va_list ap;
    va_start(ap, nr);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_execve || nr == SYS_execveat) {
        struct exec_call c = {.how = H_SYS_EXECVE,
                              .path = (const char *)a[0],
                              .argv = (char *const *)a[1],
                              .envp = (char *const *)a[2]};
        if (nr == SYS_execveat)
            c = (struct exec_call){.how = H_SYS_EXECVEAT,
                                   .fd = (int)a[0],
                                   .path = (const char *)a[1],
                                   .argv = (char *const *)a[2],
                                   .envp = (char *const *)a[3],
                                   .flags = (int)a[4]};
        return exec(&c);
    }
    if (nr == SYS_exit_group)
        nvc_exit_now((int)a[0]);
    long rc = nvc_rawsys(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (rc < 0 && rc > -4096) {
        errno = (int)-rc;
        return -1;
    }
    return rc;
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
