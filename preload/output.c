/* output.c -- where the report goes, and getting it there whole or not at all.
 *
 * The report is written into a temp file beside its final name, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW (a planted file or symlink is never followed or
 * clobbered; its name is <final>.tmp.<pid>, and if something already sits there, a
 * random suffix is added and tried again), then given its name: readers see a whole
 * report or none. On any failure -- no such directory, no permission, a full disk,
 * RLIMIT_FSIZE (the SIGXFSZ that comes with it is swallowed, signals.c) -- the temp
 * file is removed and one line says what went wrong; the program runs on.
 *
 * The final name. A per-process name (%p, or a directory) never replaces anything:
 * link() fails rather than replace, and the next of name.1.json, name.2.json, ... is
 * tried (an exec'd image keeps its pid). A fixed name is what the user asked for:
 *   - a regular file, or nothing: replaced atomically (rename);
 *   - a symbolic link: the link itself is replaced, never followed -- unless it leads
 *     to something that is not a regular file (/dev/stdout is such a link): then it is
 *     left alone and one line says so, since replacing it would break what it names;
 *   - a character device or a FIFO (/dev/full, a pipe to a collector): written
 *     straight into, as a stream (a FIFO without a reader is not waited for);
 *   - anything else (a socket, a block device): left alone, one line.
 */
#include "output.h"

#include "engine/say.h"
#include "roster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename(2) only: no stdio streams here */
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <x86intrin.h>

#define TEMP_TRIES 16

static __thread int writing __attribute__((tls_model("initial-exec")));
static char *volatile current_tmp; /* the temp file being written, for nvc_report_abandon */

int nvc_report_path(char *dst, size_t cap, const char *tmpl, pid_t pid)
{
    char pidstr[16];
    size_t n = 0;
    int per_process = 0;
    nv_format(pidstr, sizeof pidstr, "%d", (int)pid);
    if (!tmpl || !*tmpl)
        tmpl = "nvcheck.%p.json";
    for (const char *s = tmpl; *s; s++) {
        const char *piece = s;
        size_t len = 1;
        if (s[0] == '%' && s[1] == 'p')
            piece = pidstr, len = strlen(pidstr), s++, per_process = 1;
        else if (s[0] == '%' && s[1] == '%')
            s++;
        if (n + len >= cap)
            return -1;
        memcpy(dst + n, piece, len);
        n += len;
    }
    dst[n] = 0;
    struct stat st;
    if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
        size_t k = nv_format(dst + n, cap - n, "/nvcheck.%s.json", pidstr);
        if (n + k + 1 >= cap)
            return -1;
        per_process = 1;
    }
    return per_process;
}

int nvc_report_writing(void)
{
    return writing;
}

void nvc_report_abandon(void)
{
    char *t = current_tmp;
    if (t && *t)
        unlink(t);
}

/* special -- what a fixed final name holds: 0 a regular file, a symlink to one, or
 * nothing; 1 a stream to write straight into; -1 something to leave alone (why). */
static int special(const char *path, const char **why)
{
    struct stat l, t;
    if (lstat(path, &l) < 0 || S_ISREG(l.st_mode))
        return 0;
    if (S_ISLNK(l.st_mode)) {
        *why = "a symbolic link to something other than a regular file; left alone";
        return stat(path, &t) < 0 || S_ISREG(t.st_mode) ? 0 : -1;
    }
    if (S_ISCHR(l.st_mode) || S_ISFIFO(l.st_mode))
        return 1;
    *why = "neither a regular file nor a directory, device or FIFO; left alone";
    return -1;
}

static int open_stream(struct nvc_out *o)
{
    int fd = open(o->path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    o->tmp[0] = 0;
    return fd;
}

static int open_temp(struct nvc_out *o)
{
    int fd = -1;
    nv_format(o->tmp, sizeof o->tmp, "%s.tmp.%d", o->path, (int)getpid());
    for (int i = 0; i < TEMP_TRIES; i++) {
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0 || (errno != EEXIST && errno != ELOOP))
            break;
        unsigned long long r = __rdtsc();
        if (getrandom(&r, sizeof r, GRND_NONBLOCK) < 0)
            r ^= (unsigned long long)getpid() << 32;
        nv_format(o->tmp, sizeof o->tmp, "%s.tmp.%d.%llx", o->path, (int)getpid(), r);
    }
    return fd;
}

int nvc_out_open(struct nvc_out *o, const char *tmpl, pid_t pid)
{
    const char *why = NULL;
    o->fd = -1;
    o->per_process = nvc_report_path(o->path, sizeof o->path - 20, tmpl, pid);
    if (o->per_process < 0) {
        nv_say("report path from NVCHECK_OUTPUT is too long; no report written");
        nvc_roster_failed("the report path from NVCHECK_OUTPUT is too long");
        return -1;
    }
    int kind = o->per_process ? 0 : special(o->path, &why);
    if (kind < 0) {
        nv_say("cannot write report %s: %s", o->path, why);
        nvc_roster_failed_at(o->path, why);
        return -1;
    }
    o->fd = kind ? open_stream(o) : open_temp(o);
    if (o->fd < 0) {
        int e = errno;
        nv_say("cannot write report %s: %s", kind ? o->path : o->tmp, strerrordesc_np(e));
        nvc_roster_failed_at(kind ? o->path : o->tmp, strerrordesc_np(e));
        return -1;
    }
    current_tmp = o->tmp;
    writing = 1;
    return 0;
}

/* publish -- give the complete temp file its name (o->path; the name taken is left
 * there). A file system without hard links falls back to rename. 0 or an errno. */
static int publish(struct nvc_out *o)
{
    char stem[sizeof o->path];
    size_t len = strlen(o->path);
    if (!o->per_process)
        return rename(o->tmp, o->path) < 0 ? errno : 0;
    memcpy(stem, o->path, len + 1);
    const char *ext = len >= 5 && !strcmp(stem + len - 5, ".json") ? ".json" : "";
    stem[len - strlen(ext)] = 0;
    for (unsigned i = 1; i <= 1000; i++) {
        if (link(o->tmp, o->path) == 0)
            return unlink(o->tmp), 0;
        if (errno != EEXIST)
            return rename(o->tmp, o->path) < 0 ? errno : 0;
        if (nv_format(o->path, sizeof o->path, "%s.%u%s", stem, i, ext) + 1 >= sizeof o->path)
            break;
    }
    return EEXIST;
}

int nvc_out_close(struct nvc_out *o, int err)
{
    if (close(o->fd) < 0 && !err && errno != EINTR)
        err = errno;
    if (!err && o->tmp[0])
        err = publish(o);
    if (err && o->tmp[0])
        unlink(o->tmp);
    current_tmp = NULL;
    writing = 0;
    if (err) {
        nv_say("cannot write report %s: %s", o->path, strerrordesc_np(err));
        nvc_roster_failed_at(o->path, strerrordesc_np(err));
    }
    return err ? -1 : 0;
}
