/* roster.c -- under nvcheck run, a marker file per process image: who started, who
 * used the API, who could not write a report.
 *
 * A report says what a process found; a process killed by SIGKILL (the OOM killer),
 * or one whose report could not be written, says nothing, and without a trace of it
 * nvcheck run would sum up a partial harvest as a clean one. So, when NVCHECK_RUN_ID
 * is set, every process image that loads the interposer -- in its constructor; a fork
 * child in the atfork child handler; not a vfork child, whose memory is its parent's
 * -- creates a marker beside its report (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0644):
 *
 *     DIR/nvcheck.PID.IMAGE.pending
 *
 * DIR being the directory part of the expanded report path and IMAGE 16 lowercase hex
 * digits unique per image (getrandom; rdtsc ^ pid without it), also written into the
 * report as process.image. It holds one line,
 *
 *     STATE nvcheck-pending/1 PID IMAGE RUN_ID EXE\n
 *
 * (EXE from /proc/self/exe, RUN_ID with blanks, both with control characters, as '?'),
 * whose first byte, STATE, is rewritten in place with pwrite:
 *   s  started, has not used the API;
 *   u  used the API -- once, on the image's first use; a fork child that inherited
 *      outstanding state it must report starts as 'u';
 *   f  it had to write its report and could not; a second line "reason: TEXT\n"
 *      follows (best effort; the first reason wins).
 * At the image's end: nothing to report, the marker is removed; reported at exit,
 * _exit or a fatal signal, it is removed once the report is published; reported at
 * exec, it stays (the report, of the same image, answers for it -- nvcheck run removes
 * both kinds of answered marker); 'f' always stays; SIGKILL leaves it as it was. An
 * exec that fails goes on as a new image, with a new marker. nvcheck run reads them
 * after the program exits (src/cli/roster.c): a 'u' or 'f' marker without a report is
 * a process lost, named and counted.
 *
 * Everything here runs in the program, some of it from fatal-signal paths: system
 * calls and fixed buffers only (no malloc, no stdio, async-signal-safe). The
 * descriptor is kept for the image's life, moved to a high number the program is
 * unlikely to close; before every write it is checked (fstat: same device and inode)
 * and, if the program closed it or put a file of its own at that number, the marker
 * is opened again by its name -- nothing is ever written into the program's files
 * (short of a thread closing ours and opening one of its own at that number between
 * the check and the write). If the marker cannot be made: one line on stderr, and the
 * program runs as it would.
 */
#include "roster.h"

#include "engine/say.h"
#include "engine/shadow.h"
#include "output.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <x86intrin.h>

#define TAG "nvcheck-pending/1"
#define HIGH_FD 987 /* where the descriptor goes, when RLIMIT_NOFILE allows */

static struct {
    int on;    /* this image has a marker */
    int fd;    /* its descriptor (checked before use) */
    dev_t dev; /* what the descriptor must be */
    ino_t ino;
    int used, failed;    /* 'u', 'f' written (atomic) */
    int published;       /* a report of this image is published */
    int unlinked;        /* removed at exec, nothing to report: made again if exec fails */
    size_t line_len;     /* where the reason goes */
    char image[17];      /* "" outside a run */
    char path[PATH_MAX]; /* the marker */
    char line[PATH_MAX + 512];
} ro = {.fd = -1};

const char *nvc_roster_image(void)
{
    return ro.image;
}

/* new_image -- a fresh id for this image. */
static void new_image(void)
{
    unsigned long long x;
    if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x)
        x = __rdtsc() ^ ((unsigned long long)getpid() << 40) ^ (unsigned long long)getpid();
    for (int i = 0; i < 16; i++)
        ro.image[i] = "0123456789abcdef"[(x >> (60 - 4 * i)) & 15];
    ro.image[16] = 0;
}

/* put -- append s to dst[*n] (cap bytes), unsafe characters as '?'; blanks too when
 * no_blank. */
static void put(char *dst, size_t cap, size_t *n, const char *s, int no_blank)
{
    for (; *s && *n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        dst[(*n)++] = c < 0x20 || c == 0x7f || (no_blank && c == ' ') ? '?' : (char)c;
    }
    dst[*n] = 0;
}

/* marker_path -- ro.path: beside the report this image would write. 0, or -1. */
static int marker_path(void)
{
    static struct nvc_target t; /* 4 KiB of name: static */
    pid_t pid = getpid();
    if (nvc_target_resolve(&t, nvc.output, pid) < 0)
        return -1;
    if (t.dirfd >= 0)
        close(t.dirfd); /* only its name is needed here */
    const char *rep = t.path;
    char *slash = strrchr(rep, '/');
    size_t n = 0, dir = slash ? (size_t)(slash - rep) : 0;
    if (rep[0] != '/') { /* relative: to where we are now, as the program may move */
        if (!getcwd(ro.path, sizeof ro.path))
            return -1;
        n = strlen(ro.path);
        if (n + 1 < sizeof ro.path && dir)
            ro.path[n++] = '/';
    }
    if (n + dir + 64 >= sizeof ro.path)
        return -1;
    memcpy(ro.path + n, rep, dir);
    n += dir;
    nv_format(ro.path + n, sizeof ro.path - n, "/nvcheck.%d.%s.pending", (int)pid, ro.image);
    return 0;
}

/* high -- fd moved to a number the program is unlikely to close (or fd as it is). */
static int high(int fd)
{
    struct rlimit rl;
    int want = HIGH_FD;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= (rlim_t)HIGH_FD)
        want = (int)(rl.rlim_cur / 2);
    if (want <= fd)
        return fd;
    int h = fcntl(fd, F_DUPFD_CLOEXEC, want);
    if (h < 0)
        return fd;
    close(fd);
    return h;
}

/* marker_write -- pwrite, within RLIMIT_FSIZE: past it the kernel raises SIGXFSZ, whose
 * default action kills the program (which may have lowered the limit, or inherited a
 * low one). So the soft limit is raised for the write, within the hard one, and put
 * back; beyond the hard limit nothing is written. */
static ssize_t marker_write(int fd, const void *buf, size_t n, off_t off)
{
    struct rlimit rl, raised;
    int changed = 0;
    rlim_t end = (rlim_t)off + n;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && end > rl.rlim_cur) {
        if (rl.rlim_max != RLIM_INFINITY && end > rl.rlim_max)
            return -1;
        raised = rl;
        raised.rlim_cur = end;
        if (setrlimit(RLIMIT_FSIZE, &raised) < 0)
            return -1;
        changed = 1;
    }
    ssize_t k = pwrite(fd, buf, n, off);
    int e = errno;
    if (changed)
        setrlimit(RLIMIT_FSIZE, &rl);
    errno = e;
    return k;
}

/* marker_fd -- the marker's descriptor, checked to be it; opened again by name when
 * the program closed ours or put something of its own there. -1 when gone. */
static int marker_fd(void)
{
    struct stat st;
    if (ro.fd >= 0 && fstat(ro.fd, &st) == 0 && st.st_dev == ro.dev && st.st_ino == ro.ino)
        return ro.fd;
    ro.fd = -1; /* never ours to close any more */
    int fd = open(ro.path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || st.st_dev != ro.dev || st.st_ino != ro.ino) {
        close(fd);
        return -1;
    }
    return ro.fd = high(fd);
}

/* drop_fd -- close the descriptor, if it still is the marker's. */
static void drop_fd(void)
{
    struct stat st;
    if (ro.fd >= 0 && fstat(ro.fd, &st) == 0 && st.st_dev == ro.dev && st.st_ino == ro.ino)
        close(ro.fd);
    ro.fd = -1;
}

/* make_marker -- create ro.path with its line in state. 0, or -1 after one line. */
static int make_marker(char state)
{
    static char exe[PATH_MAX];
    struct stat st;
    int fd = open(ro.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        nv_say("cannot make %s: %s; nvcheck run cannot tell if this process ends without a "
               "report",
               ro.path, strerrordesc_np(errno));
        return -1;
    }
    fd = high(fd);
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    size_t n =
        nv_format(ro.line, sizeof ro.line, "%c %s %d %s ", state, TAG, (int)getpid(), ro.image);
    put(ro.line, sizeof ro.line, &n, nvc.run_id, 1);
    put(ro.line, sizeof ro.line, &n, " ", 0);
    put(ro.line, sizeof ro.line - 1, &n, k > 0 ? exe : "?", 0);
    ro.line[n++] = '\n';
    ro.line_len = n;
    if (fstat(fd, &st) < 0 || marker_write(fd, ro.line, n, 0) != (ssize_t)n) {
        nv_say("cannot write %s: %s; nvcheck run cannot tell if this process ends without a "
               "report",
               ro.path, strerrordesc_np(errno));
        unlink(ro.path);
        close(fd);
        return -1;
    }
    ro.dev = st.st_dev;
    ro.ino = st.st_ino;
    ro.fd = fd;
    ro.on = 1;
    return 0;
}

/* begin -- a marker for this image, in state (a new image id first). */
static void begin(char state)
{
    ro.on = ro.used = ro.failed = ro.published = ro.unlinked = 0;
    ro.fd = -1;
    new_image();
    if (marker_path() < 0) {
        nv_say("the report directory's name is too long for the marker; nvcheck run cannot "
               "tell if this process ends without a report");
        return;
    }
    if (make_marker(state) == 0)
        ro.used = state == 'u';
}

/* set_state -- the marker's first byte; best effort (one that cannot be written stays
 * as it was). */
static void set_state(char c)
{
    int fd = marker_fd();
    ssize_t k = fd >= 0 ? marker_write(fd, &c, 1, 0) : -1;
    (void)k;
}

void nvc_roster_start(void)
{
    if (nvc.run_id[0])
        begin('s');
}

void nvc_roster_fork_child(int checked, int inherited)
{
    if (!ro.image[0])
        return; /* not under nvcheck run */
    drop_fd();  /* the parent's marker is the parent's */
    ro.on = 0;
    ro.image[0] = 0;
    struct nve_stats st = {0};
    if (checked && inherited && nvc.shadow)
        nve_stats(nvc.shadow, &st);
    if (checked)
        begin(st.chunks > 0 ? 'u' : 's');
}

void nvc_roster_used(void)
{
    if (!ro.on || __atomic_exchange_n(&ro.used, 1, __ATOMIC_RELAXED) ||
        __atomic_load_n(&ro.failed, __ATOMIC_RELAXED))
        return;
    set_state('u');
}

void nvc_roster_failed(const char *reason)
{
    char buf[600];
    size_t n = 0;
    if (!ro.on || __atomic_exchange_n(&ro.failed, 1, __ATOMIC_RELAXED))
        return;
    put(buf, sizeof buf - 1, &n, "reason: ", 0);
    put(buf, sizeof buf - 1, &n, reason ? reason : "?", 0);
    buf[n++] = '\n';
    int fd = marker_fd(); /* the reason first: a reader that sees 'f' finds it */
    ssize_t k = fd >= 0 ? marker_write(fd, buf, n, (off_t)ro.line_len) : -1;
    (void)k;
    set_state('f');
}

void nvc_roster_failed_at(const char *path, const char *why)
{
    char buf[560];
    nv_format(buf, sizeof buf, "cannot write %s: %s", path, why);
    nvc_roster_failed(buf);
}

void nvc_roster_published(void)
{
    ro.published = 1;
}

void nvc_roster_end(int exec)
{
    if (!ro.on || __atomic_load_n(&ro.failed, __ATOMIC_RELAXED))
        return; /* none, or evidence that stays */
    if (exec && ro.published)
        return; /* the report, of this image, answers for it */
    unlink(ro.path);
    if (exec) {
        ro.unlinked = 1; /* the descriptor closes with the exec */
        return;
    }
    drop_fd();
    ro.on = 0;
}

void nvc_roster_exec_failed(void)
{
    if (!ro.on || !ro.unlinked) {
        /* The exec's report was taken back (ends.c): the marker answers for this same
         * image again, which goes on, with its findings and its state. */
        ro.published = 0;
        return;
    }
    drop_fd(); /* removed at exec, nothing to report then: make it again */
    begin(__atomic_load_n(&nvc.used, __ATOMIC_RELAXED) ? 'u' : 's');
}