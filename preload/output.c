/* output.c -- where the report goes, and getting it there whole or not at all.
 *
 * Everything happens relative to the report directory's descriptor, taken at start
 * (reserve.c) and checked before use, or opened now when that one is gone. The report
 * is written into the unnamed file reserved at start (O_TMPFILE), or, when there is
 * none, into a temp file beside its final name created with O_CREAT|O_EXCL|O_NOFOLLOW
 * (a planted file or symlink is never followed or clobbered; its name is
 * <final>.tmp.<pid>, and if something already sits there, a random suffix is added
 * and tried again); then it is given its name: readers see a whole report or none.
 * On any failure -- no such directory, no permission, a full disk, a hard RLIMIT_FSIZE
 * (the SIGXFSZ that comes with it is swallowed, signals.c) -- the temp file is removed
 * and one line says what went wrong (failed(): the one place); the program runs on.
 *
 * The final name. A per-process name (%p, or a directory) never replaces anything:
 * linkat() fails rather than replace, and the next of name.1.json, name.2.json, ... is
 * tried (an exec'd image keeps its pid). A fixed name is what the user asked for:
 *   - nothing, or a regular file written before this process was created (a stale
 *     report): replaced atomically (renameat);
 *   - a regular file written since: kept, and this report takes the next free
 *     name.N.json, as a per-process name would. It is the report of an image this one
 *     was exec'd from, of a fork child or parent, or of another process alive
 *     meanwhile; replacing it would lose its findings without a word;
 *   - a symbolic link: the link itself is replaced, never followed -- unless it leads
 *     to something that is not a regular file (/dev/stdout is such a link): then it is
 *     left alone and one line says so, since replacing it would break what it names;
 *   - a character device or a FIFO (/dev/full, a pipe to a collector): written
 *     straight into, as a stream (a FIFO without a reader is not waited for);
 *   - anything else (a socket, a block device): left alone, one line.
 */
#include "output.h"

#include "engine/say.h"
#include "reserve.h"
#include "roster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* renameat(2) only: no stdio streams here */
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <x86intrin.h>

#define TEMP_TRIES 16
#define RECENT_SLACK_NS 50000000ll /* process start times come in clock ticks */

static __thread int writing __attribute__((tls_model("initial-exec")));
static struct nvc_out *volatile current; /* the report being written, for abandon */

/* failed -- the one way a report is given up: one line on stderr naming what could not
 * be written (name, or NULL when there is no name) and why. */
static void failed(const char *name, const char *why)
{
    if (name) {
        nv_say("cannot write report %s: %s", name, why);
        nvc_roster_failed_at(name, why); /* under nvcheck run, its verdict names us */
    } else {
        nv_say("cannot write report: %s", why);
        nvc_roster_failed(why);
    }
}

/* at -- the name of path (a message's name, t.path plus a suffix) inside the directory. */
static const char *at(const struct nvc_out *o, const char *path)
{
    return path + o->t.base;
}

/* expand -- tmpl with %p replaced by pid and %% by %; 1 when that made it per process,
 * 0 when not, -1 when it does not fit. */
static int expand(char *dst, size_t cap, const char *tmpl, const char *pid)
{
    size_t n = 0;
    int per_process = 0;
    for (const char *s = tmpl; *s; s++) {
        const char *piece = s;
        size_t len = 1;
        if (s[0] == '%' && s[1] == 'p')
            piece = pid, len = strlen(pid), s++, per_process = 1;
        else if (s[0] == '%' && s[1] == '%')
            s++;
        if (n + len >= cap)
            return -1;
        memcpy(dst + n, piece, len);
        n += len;
    }
    dst[n] = 0;
    return per_process;
}

int nvc_target_resolve(struct nvc_target *t, const char *tmpl, pid_t pid)
{
    char pidstr[16];
    size_t cap = sizeof t->path - 32; /* room for ".tmp.PID.RANDOM" and ".N.json" */
    nv_format(pidstr, sizeof pidstr, "%d", (int)pid);
    t->dirfd = -1;
    t->err = 0;
    t->per_process = expand(t->path, cap, tmpl && *tmpl ? tmpl : "nvcheck.%p.json", pidstr);
    if (t->per_process < 0)
        return -1;
    size_t n = strlen(t->path);
    int fd = open(t->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) { /* a directory: nvcheck.PID.json inside it */
        if (n + nv_format(t->path + n, cap - n, "/nvcheck.%s.json", pidstr) + 1 >= cap) {
            close(fd);
            return -1;
        }
        t->dirfd = fd;
        t->base = n + 1;
        t->per_process = 1;
        return 0;
    }
    char *slash = strrchr(t->path, '/');
    t->base = slash ? (size_t)(slash - t->path) + 1 : 0;
    if (slash == t->path) {
        t->dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    } else if (slash) {
        *slash = 0;
        t->dirfd = open(t->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        *slash = '/';
    } else {
        t->dirfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    t->err = t->dirfd < 0 ? errno : 0;
    return 0;
}

int nvc_report_writing(void)
{
    return writing;
}

void nvc_report_abandon(void)
{
    struct nvc_out *o = current;
    if (o && o->tmp_exists)
        unlinkat(o->t.dirfd, at(o, o->tmp), 0);
}

/* special -- what a fixed final name holds: 0 a regular file, a symlink to one, or
 * nothing; 1 a stream to write straight into; -1 something to leave alone (why). */
static int special(const struct nvc_out *o, const char **why)
{
    struct stat l, t;
    const char *name = at(o, o->t.path);
    if (fstatat(o->t.dirfd, name, &l, AT_SYMLINK_NOFOLLOW) < 0 || S_ISREG(l.st_mode))
        return 0;
    if (S_ISLNK(l.st_mode)) {
        *why = "a symbolic link to something other than a regular file; left alone";
        return fstatat(o->t.dirfd, name, &t, 0) < 0 || S_ISREG(t.st_mode) ? 0 : -1;
    }
    if (S_ISCHR(l.st_mode) || S_ISFIFO(l.st_mode))
        return 1;
    *why = "neither a regular file nor a directory, device or FIFO; left alone";
    return -1;
}

/* descend -- a fixed name that has become a directory since start gets
 * nvcheck.PID.json inside it, as at start. -1 (errno) when it cannot be opened. */
static int descend(struct nvc_out *o, pid_t pid)
{
    struct stat st;
    struct nvc_target *t = &o->t;
    size_t n = strlen(t->path);
    if (t->per_process || fstatat(t->dirfd, at(o, t->path), &st, 0) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    if (n + 32 >= sizeof t->path - 32)
        return errno = ENAMETOOLONG, -1;
    int fd = openat(t->dirfd, at(o, t->path), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (o->own_dir)
        close(t->dirfd);
    t->dirfd = fd;
    o->own_dir = 1;
    nv_format(t->path + n, sizeof t->path - n, "/nvcheck.%d.json", (int)pid);
    t->base = n + 1;
    t->per_process = 1;
    return 0;
}

static int open_stream(struct nvc_out *o)
{
    int fd = openat(o->t.dirfd, at(o, o->t.path),
                    O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    o->stream = 1;
    return fd;
}

/* temp_name -- the next temp name to try: <final>.tmp.<pid>, then with a random suffix. */
static void temp_name(struct nvc_out *o, int attempt)
{
    if (attempt == 0) {
        nv_format(o->tmp, sizeof o->tmp, "%s.tmp.%d", o->t.path, (int)getpid());
        return;
    }
    unsigned long long r = __rdtsc();
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) < 0)
        r ^= (unsigned long long)getpid() << 32;
    nv_format(o->tmp, sizeof o->tmp, "%s.tmp.%d.%llx", o->t.path, (int)getpid(), r);
}

static int open_temp(struct nvc_out *o)
{
    int fd = -1;
    for (int i = 0; i < TEMP_TRIES; i++) {
        temp_name(o, i);
        fd = openat(o->t.dirfd, at(o, o->tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0644);
        if (fd >= 0 || (errno != EEXIST && errno != ELOOP))
            break;
    }
    o->tmp_exists = fd >= 0;
    return fd;
}

/* open_file -- the unnamed file reserved at start, or a new temp file. */
static int open_file(struct nvc_out *o)
{
    int fd = nvc_reserved_file();
    if (fd >= 0) {
        o->unnamed = 1;
        temp_name(o, 0); /* for messages, and the name it takes on the way (fixed names) */
        return fd;
    }
    return open_temp(o);
}

int nvc_out_open(struct nvc_out *o, const char *tmpl, pid_t pid)
{
    const char *why = NULL;
    o->fd = -1;
    o->own_dir = o->stream = o->unnamed = o->tmp_exists = 0;
    o->tmp[0] = 0;
    if (o->kept == 0)
        o->kept = -1; /* a fresh (static, zeroed) struct: none kept */
    if (nvc_reserved_target(&o->t, pid) < 0) {
        if (nvc_target_resolve(&o->t, tmpl, pid) < 0) {
            failed(NULL, "the name NVCHECK_OUTPUT makes is too long");
            return -1;
        }
        o->own_dir = o->t.dirfd >= 0;
    }
    if (o->t.dirfd < 0 || descend(o, pid) < 0) {
        int e = o->t.dirfd < 0 ? o->t.err : errno;
        temp_name(o, 0);
        failed(o->tmp, strerrordesc_np(e));
        return nvc_out_close(o, -1), -1;
    }
    int kind = o->t.per_process ? 0 : special(o, &why);
    if (kind < 0) {
        failed(o->t.path, why);
        return nvc_out_close(o, -1), -1;
    }
    o->fd = kind ? open_stream(o) : open_file(o);
    if (o->fd < 0) {
        failed(kind ? o->t.path : o->tmp, strerrordesc_np(errno));
        return nvc_out_close(o, -1), -1;
    }
    current = o;
    writing = 1;
    return 0;
}

/* link_from -- give the file its name `to` (inside the directory): the unnamed file
 * through /proc/self/fd, a temp file by its name. 0 or -1 (errno). */
static int link_from(struct nvc_out *o, const char *to)
{
    if (o->unnamed) {
        char proc[40];
        nv_format(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
        return linkat(AT_FDCWD, proc, o->t.dirfd, to, AT_SYMLINK_FOLLOW);
    }
    return linkat(o->t.dirfd, at(o, o->tmp), o->t.dirfd, to, 0);
}

/* recent -- the fixed name holds a regular file written since this process was
 * created (see the header). */
static int recent(const struct nvc_out *o)
{
    struct stat st;
    int64_t start = nvc_process_start_ns();
    if (start <= 0 || fstatat(o->t.dirfd, at(o, o->t.path), &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(st.st_mode))
        return 0;
    return st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec >= start - RECENT_SLACK_NS;
}

/* replace -- a fixed name: renamed over, by way of a temp name for the unnamed file.
 * 0, or -1 with *name what failed. */
static int replace(struct nvc_out *o, const char **name)
{
    *name = o->tmp;
    for (int i = 0; o->unnamed && !o->tmp_exists; i++) {
        if (link_from(o, at(o, o->tmp)) == 0)
            o->tmp_exists = 1;
        else if ((errno != EEXIST && errno != ELOOP) || i + 1 >= TEMP_TRIES)
            return -1;
        else
            temp_name(o, i + 1);
    }
    *name = o->t.path;
    if (renameat(o->t.dirfd, at(o, o->tmp), o->t.dirfd, at(o, o->t.path)) < 0)
        return -1;
    o->tmp_exists = 0;
    return 0;
}

/* publish -- give the complete file its name (o->t.path; the name taken is left
 * there). 0, or -1 with errno set and *name what failed. */
static int publish(struct nvc_out *o, const char **name)
{
    char stem[sizeof o->t.path];
    char *path = o->t.path;
    size_t len = strlen(path);
    if (!o->t.per_process && !recent(o))
        return replace(o, name);
    *name = path;
    memcpy(stem, path, len + 1);
    const char *ext = len >= 5 && !strcmp(stem + len - 5, ".json") ? ".json" : "";
    stem[len - strlen(ext)] = 0;
    for (unsigned i = 1; i <= 1000; i++) {
        if (link_from(o, at(o, path)) == 0) {
            if (o->tmp_exists && unlinkat(o->t.dirfd, at(o, o->tmp), 0) == 0)
                o->tmp_exists = 0;
            return 0;
        }
        if (errno != EEXIST)
            break;
        if (nv_format(path, sizeof o->t.path, "%s.%u%s", stem, i, ext) + 1 >= sizeof o->t.path)
            return errno = EEXIST, -1;
    }
    if (errno == EEXIST || o->unnamed)
        return -1;
    /* A file system without hard links: rename, which here replaces nothing only if
     * nothing is there -- the name was free a moment ago. */
    if (renameat(o->t.dirfd, at(o, o->tmp), o->t.dirfd, at(o, path)) < 0)
        return -1;
    o->tmp_exists = 0;
    return 0;
}

/* drop_kept -- close the directory kept by the last publication, if it still is that. */
static void drop_kept(struct nvc_out *o)
{
    struct stat st;
    if (o->kept >= 0 && fstat(o->kept, &st) == 0 && st.st_dev == o->kept_st.st_dev &&
        st.st_ino == o->kept_st.st_ino)
        close(o->kept);
    o->kept = -1;
}

int nvc_out_close(struct nvc_out *o, int err)
{
    const char *name = o->t.path;
    int e = 0; /* an errno to say, when err > 0 or publication failed */
    if (err > 0)
        e = err;
    /* A temp file is closed first (a late write error shows there); the unnamed one
     * only once linked, since the link goes through its descriptor. */
    if (o->fd >= 0 && !o->unnamed && close(o->fd) < 0 && !e && errno != EINTR)
        e = errno;
    if (!err && !e && !o->stream && publish(o, &name) < 0)
        e = errno;
    if (o->fd >= 0 && o->unnamed && close(o->fd) < 0 && !e && errno != EINTR) {
        e = errno;
        unlinkat(o->t.dirfd, at(o, o->t.path), 0); /* published, but perhaps not whole */
    }
    if (o->tmp_exists)
        unlinkat(o->t.dirfd, at(o, o->tmp), 0);
    o->tmp_exists = 0;
    /* The directory it went to, should it be taken back (a failed exec). */
    drop_kept(o);
    o->kept = !err && !e && !o->stream ? fcntl(o->t.dirfd, F_DUPFD_CLOEXEC, 900) : -1;
    if (o->kept >= 0 && fstat(o->kept, &o->kept_st) < 0)
        drop_kept(o);
    if (o->own_dir)
        close(o->t.dirfd);
    o->own_dir = 0;
    o->fd = -1;
    current = NULL;
    writing = 0;
    if (e)
        failed(name, strerrordesc_np(e));
    return err || e ? -1 : 0;
}

/* nvc_out_remove -- remove the report o published last (o->t.path, the name it took,
 * in the directory kept for this). 0, or -1. */
int nvc_out_remove(struct nvc_out *o)
{
    struct stat st;
    if (o->kept < 0 || fstat(o->kept, &st) < 0 || st.st_dev != o->kept_st.st_dev ||
        st.st_ino != o->kept_st.st_ino)
        return o->kept = -1, -1; /* gone, or the program's now: not ours to use */
    int rc = unlinkat(o->kept, at(o, o->t.path), 0);
    drop_kept(o);
    return rc;
}
