/* say.c -- formatting without stdio or malloc, and one-line messages on stderr.
 *
 * The interposer may speak from a signal handler, from a fork child, or while the
 * program holds its stdio locks; printf is safe in none of those. This covers the
 * handful of conversions the engine needs.
 *
 * Which stderr. A program may close fd 2 and open a data file in its place; a line
 * written to "fd 2" would then land in its data. So the interposer calls nv_say_init
 * as it starts: the identity of fd 2 (device, inode, file type) is kept, and each line
 * goes to fd 2 only while it is still that file; else to a duplicate taken at start
 * (high number, close-on-exec), if that too is still the same file; else nowhere.
 * The duplicate is taken for files and devices only: one of a pipe, a socket or a
 * terminal would hold it open after the program closed its stderr -- a daemon closes
 * it so that whoever reads the pipe sees end-of-file, or the terminal can hang up --
 * so for those a changed fd 2 means nowhere. Without nv_say_init (the CLI, the unit
 * tests) lines go to fd 2.
 */
#include "say.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct out {
    char *p;
    size_t n, cap;
};

static void put(struct out *o, char c)
{
    if (o->n + 1 < o->cap)
        o->p[o->n++] = c;
}

static void put_str(struct out *o, const char *s)
{
    for (s = s ? s : "(null)"; *s; s++)
        put(o, *s);
}

static void put_num(struct out *o, unsigned long long v, unsigned base)
{
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (k)
        put(o, tmp[--k]);
}

size_t nv_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct out o = {buf, 0, cap};
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        int l = 0, z = 0;
        while (*fmt == 'l')
            l++, fmt++;
        if (*fmt == 'z')
            z = 1, fmt++;
        unsigned long long u;
        switch (*fmt) {
        case 's':
            put_str(&o, va_arg(ap, const char *));
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = l ? (l > 1 ? va_arg(ap, long long) : va_arg(ap, long)) : va_arg(ap, int);
            if (v < 0)
                put(&o, '-');
            put_num(&o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, 10);
            break;
        }
        case 'u':
        case 'x':
            u = z   ? va_arg(ap, size_t)
                : l ? (l > 1 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long))
                    : va_arg(ap, unsigned);
            put_num(&o, u, *fmt == 'x' ? 16 : 10);
            break;
        case 'p':
            put_str(&o, "0x");
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16);
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            goto done; /* unknown conversion: stop rather than misread va_args */
        }
    }
done:
    if (cap)
        buf[o.n] = 0;
    return o.n;
}

size_t nv_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = nv_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

int nv_fd_high(int fd)
{
    struct rlimit rl;
    rlim_t lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    /* The top eighth of the soft limit, but no higher than 1000: the kernel sizes a
     * process's descriptor table by its highest number. */
    int at = lim > 1024 ? 1000 : lim >= 16 ? (int)(lim - lim / 8) : 3;
    return fcntl(fd, F_DUPFD_CLOEXEC, at);
}

static struct {
    int init;      /* nv_say_init ran */
    int dup;       /* a duplicate of that stderr, or -1 */
    dev_t dev;     /* its identity ... */
    ino_t ino;     /* ... */
    unsigned type; /* ... S_IFMT bits; 0: there was no stderr */
} err = {0, -1, 0, 0, 0};

/* is_err -- fd is the stderr the process started with. */
static int is_err(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == err.dev && st.st_ino == err.ino &&
           (st.st_mode & S_IFMT) == err.type;
}

void nv_say_init(void)
{
    struct stat st;
    int saved = errno;
    if (err.dup >= 0 && is_err(err.dup)) /* called again: a fresh start */
        close(err.dup);
    err.init = 1;
    err.dup = -1;
    err.type = 0;
    if (fstat(2, &st) < 0)
        return; /* none: never write to whatever becomes fd 2 */
    err.dev = st.st_dev;
    err.ino = st.st_ino;
    err.type = st.st_mode & S_IFMT;
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(2)))
        err.dup = nv_fd_high(2);
    errno = saved;
}

/* say_fd -- where a line goes now; -1: nowhere (see the header). */
static int say_fd(void)
{
    if (!err.init)
        return 2;
    if (!err.type)
        return -1;
    if (is_err(2))
        return 2;
    return err.dup >= 0 && is_err(err.dup) ? err.dup : -1;
}

static __thread int saying __attribute__((tls_model("initial-exec")));

int nv_saying(void)
{
    return saying;
}

void nv_say(const char *fmt, ...)
{
    char line[512] = "nvcheck: ";
    size_t n = 9;
    va_list ap;
    va_start(ap, fmt);
    n += nv_vformat(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    int saved = errno; /* never disturb the program's errno */
    int fd = say_fd();
    saying = 1;
    while (fd >= 0 && write(fd, line, n) < 0 && errno == EINTR)
        ;
    saying = 0;
    errno = saved;
}
