/* run_setup.c -- nvcheck run: what the program needs before it starts.
 *
 * Everything that can be found wrong is found here, before the program starts, so
 * that a mistake costs one line and exit status 2 and not a half-run program: the
 * program itself (looked up through PATH as execvp will), the interposer, the report
 * directory. Then the program's environment, built once for the child to set.
 *
 * Two of them would otherwise fail silently, the program running unchecked: an
 * interposer whose path holds a blank or a colon (nvcheck installed under "my tools/"),
 * which the loader splits into two names in LD_PRELOAD and loads neither; and a report
 * directory whose name leaves no room for the names the interposer makes in it (the
 * report, its temp file, the roster's marker): the interposer cannot hold it and the
 * reports would land in the program's working directory, or nowhere.
 */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* interposer -- the build tree's libnvcheck.so when we run from one (nvcheck sits at
 * its top), else the installed one. */
static char *interposer(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = 0;
        char *p = cli_printf("%s/.libs/libnvcheck.so", exe);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    if (access(NVCHECK_PKGLIBDIR "/libnvcheck.so", R_OK) == 0)
        return cli_strdup(NVCHECK_PKGLIBDIR "/libnvcheck.so");
    cli_error(NVCHECK_PKGLIBDIR "/libnvcheck.so", "%s (nvcheck is not installed completely)",
              strerror(errno));
    return NULL;
}

/* preloadable -- so as an LD_PRELOAD entry: the loader splits the list at blanks and
 * colons, so a path with one is replaced by its real path, if that has none; else
 * NULL, said why. Takes so. */
static char *preloadable(char *so)
{
    if (!so || !so[strcspn(so, " :")])
        return so;
    char *real = realpath(so, NULL);
    if (real && !real[strcspn(real, " :")])
        return free(so), real;
    cli_error(so, "the interposer's path holds a blank or ':', where the loader splits "
                  "LD_PRELOAD: nothing would be checked (install nvcheck under a path without "
                  "them)");
    free(real);
    free(so);
    return NULL;
}

/* make_dir -- dir and its missing parents; its absolute path (for the program,
 * which may change directory), or NULL when it cannot be made (said why). */
static char *make_dir(const char *dir)
{
    char *p = cli_strdup(dir);
    int err = 0;
    for (char *s = p;; s++) {
        if ((*s == '/' && s != p) || !*s) {
            char c = *s;
            *s = 0;
            err = mkdir(p, 0777) < 0 && errno != EEXIST ? errno : 0;
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        err = ENOTDIR;
    else if (!err && (p = realpath(dir, NULL)) != NULL)
        return p;
    else if (!err)
        err = errno;
    cli_error(dir, "cannot make the report directory: %s", strerror(err));
    return NULL;
}

/* executable -- p is a file we may execute; errno says why not. */
static int executable(const char *p)
{
    struct stat st;
    if (stat(p, &st) < 0)
        return 0;
    if (S_ISDIR(st.st_mode))
        return errno = EACCES, 0;
    return access(p, X_OK) == 0;
}

/* find_program -- PROG as execvp would find it (a name without '/' through PATH),
 * so that a missing program is said before anything starts. */
static char *find_program(const char *prog)
{
    if (strchr(prog, '/'))
        return executable(prog) ? cli_strdup(prog) : NULL;
    const char *path = getenv("PATH");
    int eacces = 0;
    for (const char *s = path ? path : "/bin:/usr/bin"; *prog;) {
        size_t n = strcspn(s, ":");
        char *p = cli_printf("%.*s/%s", (int)n, n ? s : ".", prog);
        if (executable(p))
            return p;
        eacces |= errno == EACCES;
        free(p);
        if (!s[n])
            break;
        s += n + 1;
    }
    errno = eacces ? EACCES : ENOENT;
    return NULL;
}

/* warn_setuid -- the loader ignores LD_PRELOAD in a program that gains privileges at
 * exec (secure-execution mode): say that nothing of it will be checked. */
static void warn_setuid(const char *prog, const char *path)
{
    struct stat st;
    struct statvfs fs;
    if (stat(path, &st) < 0 || (statvfs(path, &fs) == 0 && (fs.f_flag & ST_NOSUID)))
        return;
    int uid = (st.st_mode & S_ISUID) && st.st_uid != geteuid();
    int gid = (st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getegid();
    if (uid || gid)
        cli_warn("%s is set-%s-ID: the dynamic loader ignores LD_PRELOAD for it, so its "
                 "own calls are not checked",
                 prog, uid ? "user" : "group");
}

/* preload_list -- LD_PRELOAD for the program: ours before the caller's entries, except
 * sanitizer runtimes the caller put first (ASan refuses to start when it is not the
 * first library loaded). Entries are separated by blanks or colons. */
static char *preload_list(const char *so, const char *old)
{
    static const char *const first[] = {"libasan.", "libhwasan.", "libtsan.",
                                        "liblsan.", "libubsan.",  "libclang_rt."};
    const char *rest = old;
    for (;;) {
        const char *e = rest + strspn(rest, " :");
        size_t n = strcspn(e, " :"), i = 0, b = n;
        while (b > 0 && e[b - 1] != '/')
            b--;
        while (i < sizeof first / sizeof *first && strncmp(e + b, first[i], strlen(first[i])))
            i++;
        if (!n || i == sizeof first / sizeof *first)
            break;
        rest = e + n;
    }
    const char *tail = rest + strspn(rest, " :");
    return cli_printf("%.*s%s%s%s%s", (int)(rest - old), old, rest > old ? " " : "", so,
                      *tail ? " " : "", tail);
}

static char *make_run_id(void)
{
    char host[64] = "";
    unsigned rnd;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    gethostname(host, sizeof host - 1);
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
        rnd = (unsigned)ts.tv_nsec;
    return cli_printf("%s-%d-%lld-%08x", host, (int)getpid(), (long long)ts.tv_sec, rnd);
}

/* Room the interposer needs after the directory's name, within PATH_MAX: the temp
 * file "/nvcheck.PID.N.json.tmp.PID.RANDOM" (preload/output.c), the marker
 * "/nvcheck.PID.IMAGE.pending" (preload/roster.c), pids of up to 10 digits. */
#define NAME_ROOM 64
/* What NVCHECK_OUTPUT may hold (preload/runtime.c: char output[4096]). */
#define OUTPUT_MAX 4095

/* room -- dir leaves the interposer room for its names; else said why. */
static int room(const char *dir, const char *output)
{
    if (strlen(dir) + NAME_ROOM < PATH_MAX && strlen(output) <= OUTPUT_MAX)
        return CLI_OK;
    return cli_error(dir,
                     "the report directory's name is too long (%zu bytes): the "
                     "interposer needs it under %d to name reports in it; choose a "
                     "shorter --output",
                     strlen(dir), PATH_MAX - NAME_ROOM);
}

int run_setup(struct run *r)
{
    char *so, *dir, *p;
    if (!(r->prog = find_program(r->argv[0])))
        return cli_error(r->argv[0], "%s", strerror(errno));
    warn_setuid(r->argv[0], r->prog);
    if (!(so = preloadable(interposer())))
        return CLI_BAD_INPUT;
    if (!(dir = make_dir(r->dir)))
        return free(so), CLI_BAD_INPUT;
    const char *pre = getenv("LD_PRELOAD"), *opts = getenv("NVCHECK_OPTIONS");
    r->env_preload = preload_list(so, pre ? pre : "");
    /* NVCHECK_OUTPUT expands %p and %%: a '%' of the directory's name is doubled. */
    r->env_output = p = cli_alloc(2 * strlen(dir) + sizeof "/nvcheck.%p.json");
    for (const char *s = dir; *s; s++) {
        *p++ = *s;
        if (*s == '%')
            *p++ = '%';
    }
    strcpy(p, "/nvcheck.%p.json");
    if (room(dir, r->env_output) != CLI_OK)
        return free(so), free(dir), CLI_BAD_INPUT;
    /* Later items win: the caller's, then --options; quiet, as we sum up. */
    r->env_options = cli_printf("%s%s%s%squiet=1", opts ? opts : "", opts && *opts ? ":" : "",
                                r->options ? r->options : "", r->options && *r->options ? ":" : "");
    r->run_id = make_run_id();
    free(so);
    free(dir);
    return CLI_OK;
}

void run_free(struct run *r)
{
    free(r->prog);
    free(r->run_id);
    free(r->env_preload);
    free(r->env_output);
    free(r->env_options);
}
