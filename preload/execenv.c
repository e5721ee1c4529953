/* execenv.c -- what an exec'd image needs to be checked too: its environment, and a
 * word when it cannot be.
 *
 * The environment. Like valgrind's --trace-children, an exec'd image is always
 * checked: a program that clears its environment (execve with an envp of its own,
 * env -i, unsetenv("LD_PRELOAD") and execv) would otherwise run the new image
 * unchecked, silently. So every exec (exec.c) hands on an environment that has
 * libnvcheck.so in LD_PRELOAD -- the LD_PRELOAD entries this image was started with,
 * up to and including ours (an ASan runtime that must come first stays first), put in
 * front of whatever LD_PRELOAD the program gives -- and NVCHECK_OUTPUT,
 * NVCHECK_OPTIONS and NVCHECK_RUN_ID as this image had them, unless the program's
 * environment has them already (its own values win). Nothing is added when nothing
 * is missing. The new array is built on the caller's stack (a mapping when it does
 * not fit): exec may be called in a vfork child, or in a fork child of a threaded
 * program, where malloc is not to be touched.
 *
 * Secure execution. The loader ignores LD_PRELOAD for a binary whose exec changes the
 * process's ids (a setuid or setgid bit on a file system mounted without nosuid) or
 * gives it capabilities (a security.capability attribute, for a caller not already
 * root): that image cannot be checked. One line on stderr names it, quiet or not.
 */
#include "execenv.h"

#include "engine/say.h"
#include "runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h> /* ST_NOSUID, which statfs's f_flags use too */
#include <sys/xattr.h>
#include <unistd.h>

#define SELF "libnvcheck.so"
#define F_FLAGS_VALID 0x20 /* the kernel's ST_VALID: statfs's f_flags are filled in */

extern char **environ;

/* What this image was started with: "LD_PRELOAD=<entries up to ours>" and the
 * NVCHECK_* variables, "NAME=value" each, in one mapping made at load. */
enum { V_OUTPUT, V_OPTIONS, V_RUN_ID, NVARS };
static const char *const var_names[NVARS] = {"NVCHECK_OUTPUT", "NVCHECK_OPTIONS", "NVCHECK_RUN_ID"};
static char *preload_var; /* "LD_PRELOAD=..." */
static char *vars[NVARS]; /* NULL: this image had none */

/* is_self -- the LD_PRELOAD entry [s, s+n) names a libnvcheck.so. */
static int is_self(const char *s, size_t n)
{
    size_t k = sizeof SELF - 1;
    return n >= k && !memcmp(s + n - k, SELF, k) && (n == k || s[n - k - 1] == '/');
}

/* self_end -- where the entry naming us ends in an LD_PRELOAD value; NULL if none
 * does. The loader splits the value at blanks and colons. */
static const char *self_end(const char *v)
{
    while (v && *v) {
        size_t n = strcspn(v, " :");
        if (is_self(v, n))
            return v + n;
        v += n;
        v += strspn(v, " :");
    }
    return NULL;
}

void nvc_env_start(void)
{
    Dl_info di;
    const char *pre = getenv("LD_PRELOAD"), *end = self_end(pre);
    const char *self = dladdr((void *)nvc_env_start, &di) && di.dli_fname ? di.dli_fname : NULL;
    size_t plen = end ? (size_t)(end - pre) : self ? strlen(self) : 0, need = plen + 16;
    if (!plen)
        return; /* nothing to name ourselves by: exec'd images get what the program gives */
    for (int i = 0; i < NVARS; i++)
        need += getenv(var_names[i]) ? strlen(var_names[i]) + strlen(getenv(var_names[i])) + 2 : 0;
    char *p = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    preload_var = p;
    memcpy(p, "LD_PRELOAD=", 11);
    memcpy(p + 11, end ? pre : self, plen);
    p += 11 + plen;
    *p++ = 0;
    for (int i = 0; i < NVARS; i++) {
        const char *v = getenv(var_names[i]);
        if (!v)
            continue;
        vars[i] = p;
        p += nv_format(p, need - (size_t)(p - preload_var), "%s=%s", var_names[i], v) + 1;
    }
}

/* has -- entry e is NAME=... */
static int has(const char *e, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(e, name, n) && e[n] == '=';
}

void nvc_env_fix(struct nvc_env *e, char *const *envp)
{
    char *const none[] = {NULL};
    size_t n = 0, at = SIZE_MAX, add = 0;
    int want[NVARS];
    e->envp = envp;
    e->map = NULL;
    if (!preload_var || __atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) == NVC_DISABLED)
        return;
    if (!envp)
        envp = none; /* the kernel takes NULL as empty */
    for (int i = 0; i < NVARS; i++)
        want[i] = vars[i] != NULL;
    for (; envp[n]; n++) {
        if (has(envp[n], "LD_PRELOAD"))
            at = n;
        for (int i = 0; i < NVARS; i++)
            want[i] = want[i] && !has(envp[n], var_names[i]);
    }
    int fix_preload = at == SIZE_MAX || !self_end(envp[at] + 11);
    for (int i = 0; i < NVARS; i++)
        add += (size_t)want[i];
    if (!fix_preload && !add)
        return;
    size_t theirs = at == SIZE_MAX ? 0 : strlen(envp[at] + 11);
    size_t vlen = strlen(preload_var) + 1 + theirs + 1;
    size_t size = (n + NVARS + 2) * sizeof(char *) + vlen;
    char **v = (char **)(((uintptr_t)e->buf + 7) & ~(uintptr_t)7);
    if (size + 8 > sizeof e->buf) {
        v = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (v == MAP_FAILED)
            return;
        e->map = v;
        e->maplen = size;
    }
    char *pv = (char *)(v + n + NVARS + 2);
    size_t k = 0;
    if (fix_preload) {
        size_t len = strlen(preload_var);
        memcpy(pv, preload_var, len + 1);
        if (theirs) {
            pv[len] = ':';
            memcpy(pv + len + 1, envp[at] + 11, theirs + 1);
        }
    }
    for (size_t i = 0; i < n; i++)
        v[k++] = i == at && fix_preload ? pv : envp[i];
    if (fix_preload && at == SIZE_MAX)
        v[k++] = pv;
    for (int i = 0; i < NVARS; i++)
        if (want[i])
            v[k++] = vars[i];
    v[k] = NULL;
    e->envp = v;
}

void nvc_env_done(struct nvc_env *e)
{
    int err = errno;
    if (e->map)
        munmap(e->map, e->maplen);
    e->map = NULL;
    errno = err;
}

/* ---- secure execution ---- */

/* secure -- exec'ing the file open at fd changes ids or grants capabilities. */
static int secure(int fd)
{
    struct stat st;
    struct statfs fs;
    char proc[64];
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (fstatfs(fd, &fs) == 0 && (fs.f_flags & F_FLAGS_VALID) && (fs.f_flags & ST_NOSUID))
        return 0; /* the bits and attributes are ignored there */
    if ((st.st_mode & S_ISUID) && st.st_uid != getuid())
        return 1;
    if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && st.st_gid != getgid())
        return 1;
    nv_format(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return getuid() != 0 && getxattr(proc, "security.capability", NULL, 0) > 0;
}

void nvc_exec_warn(int dirfd, const char *path, int flags)
{
    char name[512];
    int err = errno;
    if (__atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) == NVC_DISABLED || !preload_var)
        return;
    int empty = (flags & AT_EMPTY_PATH) && path && !*path;
    int fd = empty  ? dirfd
             : path ? openat(dirfd, path,
                             O_PATH | O_CLOEXEC | (flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0))
                    : -1;
    if (fd >= 0 && secure(fd)) {
        if (empty) {
            char proc[64];
            nv_format(proc, sizeof proc, "/proc/self/fd/%d", fd);
            ssize_t k = readlink(proc, name, sizeof name - 1);
            name[k > 0 ? k : 0] = 0;
        }
        nv_say("%s runs in secure-execution mode (setuid, setgid or file capabilities): the "
               "loader ignores LD_PRELOAD for it, so it is not checked",
               empty ? (name[0] ? name : "the program exec'd") : path);
    }
    if (fd >= 0 && !empty)
        close(fd);
    errno = err;
}

void nvc_exec_warn_search(const char *file)
{
    char cand[4096];
    if (!file || !*file)
        return;
    if (strchr(file, '/')) {
        nvc_exec_warn(AT_FDCWD, file, 0);
        return;
    }
    const char *path = getenv("PATH");
    int err = errno;
    for (const char *d = path ? path : "/bin:/usr/bin";; d++) {
        size_t n = strcspn(d, ":"), f = strlen(file);
        struct stat st;
        if (n + f + 3 > sizeof cand) /* too long to be run: execvp goes on too */
            goto next;
        memcpy(cand, n ? d : ".", n ? n : 1); /* an empty entry: the working directory */
        cand[n ? n : 1] = '/';
        memcpy(cand + (n ? n : 1) + 1, file, f + 1);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
            nvc_exec_warn(AT_FDCWD, cand, 0);
            break;
        }
    next:
        d += n;
        if (!*d)
            break;
    }
    errno = err;
}
