/* reserve.c -- what writing the report needs, taken as the process starts.
 *
 * A program may do anything to its descriptors and limits before it exits: lower
 * RLIMIT_NOFILE to 0, or its hard limit to what it already has open; close every
 * descriptor it did not open and put its own files in their places; set RLIMIT_FSIZE
 * to one byte. The report must survive all of that. So this takes, each moved to a
 * high number, close-on-exec:
 *   - before main (a constructor that runs before the interposer's own): the report's
 *     directory (O_PATH) and /proc/self/maps (the module table of a report written
 *     from a fatal-signal handler, modules.c);
 *   - at the process's first API call (nvc_reserve_file, from nvc_enter): an unnamed
 *     file in that directory (O_TMPFILE). Writing the report then needs no new
 *     descriptor at all, and the file gets its name only once it is complete (linkat
 *     through /proc/self/fd, output.c), so a process killed meanwhile leaves nothing
 *     behind. None where the file system has none, or where the name is a device or
 *     FIFO (written into as a stream). Not at start: creating and freeing an inode
 *     costs 0.1-0.4 ms, which every sh, cat and make that never calls the API would
 *     pay; a program that uses up its descriptors before its first call is the price;
 *   - the identity (device, inode) of each: before use each is checked with fstat --
 *     a number the program closed and reused for a file of its own is never written,
 *     closed or trusted, and the writer falls back to opening what it needs then;
 *   - the command line, for a report written when /proc/self/cmdline cannot be
 *     opened.
 * For the write itself the soft NOFILE and FSIZE limits are raised to the hard ones
 * and put back after (nvc_limits_raise): a soft limit the program set is no reason to
 * lose its report; a hard one is, and then one line says so.
 *
 * A fork child makes its own reservation at its first call (the parent's unnamed file
 * is shared, its maps are the parent's, and its name may have the parent's pid in
 * it; what it inherited is its parent's to report, so it reports only if it calls);
 * an exec'd image, its own at its start; an image whose exec failed,
 * a new file at its next call (the first one became the report). The cost in every process the
 * interposer is loaded into: two descriptors (three with stderr's duplicate, say.c);
 * in one that calls the API, one more and an unnamed inode.
 */
#include "reserve.h"

#include "engine/say.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct {
    pid_t pid;           /* whose reservation this is; 0: none */
    struct nvc_target t; /* its directory among it */
    dev_t dir_dev, file_dev, maps_dev;
    ino_t dir_ino, file_ino, maps_ino;
    int file; /* the unnamed file, or -1 */
    int maps; /* /proc/self/maps, or -1 */
} res = {.file = -1, .maps = -1};

static struct {
    pid_t pid;
    int64_t ns;
} start; /* nvc_process_start_ns, read once per process */

static char cmdline[8192];
static size_t cmdline_len;

/* high -- fd moved to a high number (nv_fd_high), or left where it is. */
static int high(int fd)
{
    int h = nv_fd_high(fd);
    if (h < 0)
        return fd;
    close(fd);
    return h;
}

/* same -- fd is the file (dev, ino) still. */
static int same(int fd, dev_t dev, ino_t ino, struct stat *st)
{
    return fd >= 0 && fstat(fd, st) == 0 && st->st_dev == dev && st->st_ino == ino;
}

/* read_start_ns -- field 22 of /proc/self/stat (clock ticks after boot), as wall time. */
static int64_t read_start_ns(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the name in parentheses may hold anything */
    int field = 2;
    for (p = p ? p + 1 : buf + n; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    uint64_t ticks = 0;
    while (*p >= '0' && *p <= '9')
        ticks = ticks * 10 + (uint64_t)(*p++ - '0');
    long hz = sysconf(_SC_CLK_TCK);
    struct timespec real, boot;
    if (field != 22 || hz <= 0 || clock_gettime(CLOCK_REALTIME, &real) < 0 ||
        clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
        return 0;
    int64_t booted = (real.tv_sec - boot.tv_sec) * 1000000000ll + (real.tv_nsec - boot.tv_nsec);
    return booted + (int64_t)(ticks * (1000000000ull / (uint64_t)hz));
}

/* wants_file -- an unnamed file will be what the report is written into: the name is
 * not a device, FIFO or socket (those are written into, or left alone). */
static int wants_file(const struct nvc_target *t)
{
    struct stat st;
    if (t->per_process || fstatat(t->dirfd, t->path + t->base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 1;
    return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode);
}

/* unnamed_file -- an O_TMPFILE in dirfd, at a high number, that /proc/self/fd can give
 * a name (linkat, output.c); -1 when the file system or /proc do not allow it. */
static int unnamed_file(int dirfd)
{
    char proc[40];
    struct stat a, b;
    int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    fd = high(fd);
    nv_format(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (fstat(fd, &a) < 0 || stat(proc, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        close(fd);
        return -1;
    }
    res.file_dev = a.st_dev;
    res.file_ino = a.st_ino;
    return fd;
}

/* open_maps -- /proc/self/maps at a high number, its identity kept; -1 if none. */
static int open_maps(void)
{
    struct stat st;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    fd = high(fd);
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -1;
    }
    res.maps_dev = st.st_dev;
    res.maps_ino = st.st_ino;
    return fd;
}

/* reserve -- take, for pid, what its report needs from the start: the directory and
 * /proc/self/maps (see the header). Nothing on failure: the writer then opens what it
 * needs when it writes, and says why if it cannot. */
static void reserve(pid_t pid)
{
    struct stat st;
    struct nvc_target t;
    res.file = -1;
    res.t.dirfd = -1;
    res.maps = open_maps();
    if (nvc_target_resolve(&t, nvc.output, pid) == 0 && t.dirfd >= 0) {
        t.dirfd = high(t.dirfd);
        if (fstat(t.dirfd, &st) == 0) {
            res.t = t;
            res.dir_dev = st.st_dev;
            res.dir_ino = st.st_ino;
        } else {
            close(t.dirfd);
        }
    }
    res.pid = pid;
}

/* let_go -- what another process reserved (this is its fork child): closed only where
 * the numbers still hold it, never used. */
static void let_go(void)
{
    struct stat st;
    if (same(res.file, res.file_dev, res.file_ino, &st))
        close(res.file);
    if (same(res.t.dirfd, res.dir_dev, res.dir_ino, &st))
        close(res.t.dirfd);
    if (same(res.maps, res.maps_dev, res.maps_ino, &st))
        close(res.maps);
    res.file = res.maps = res.t.dirfd = -1;
}

static int taking; /* a thread is in nvc_reserve_file */

void nvc_reserve_file(void)
{
    struct stat st;
    struct nvc_limits lim;
    if (__atomic_exchange_n(&taking, 1, __ATOMIC_ACQUIRE))
        return; /* another thread's first call is at it */
    int saved = errno;
    pid_t pid = getpid();
    nvc_limits_raise(&lim); /* the program may have lowered them already */
    if (res.pid != pid) {   /* a fork child, or a call before our constructor */
        let_go();
        reserve(pid);
    }
    int have = same(res.file, res.file_dev, res.file_ino, &st) && st.st_nlink == 0;
    if (!have && res.t.dirfd >= 0 && wants_file(&res.t))
        res.file = unnamed_file(res.t.dirfd);
    nvc_limits_restore(&lim);
    errno = saved;
    __atomic_store_n(&taking, 0, __ATOMIC_RELEASE);
}

int nvc_reserved_target(struct nvc_target *t, pid_t pid)
{
    struct stat st;
    /* A directory removed since (no links left) may have been made anew at its name:
     * then the name decides, as it would have without the reservation. */
    if (!res.pid || res.pid != pid || pid != getpid() ||
        !same(res.t.dirfd, res.dir_dev, res.dir_ino, &st) || !S_ISDIR(st.st_mode) ||
        st.st_nlink == 0)
        return -1;
    *t = res.t;
    return 0;
}

int nvc_reserved_file(void)
{
    struct stat st;
    int fd = res.file;
    res.file = -1; /* taken, whatever follows: it is used once */
    if (fd < 0 || res.pid != getpid() || !same(fd, res.file_dev, res.file_ino, &st))
        return -1; /* not ours (any more): never touched */
    if (st.st_nlink != 0 || (st.st_size && ftruncate(fd, 0) < 0) || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int nvc_reserved_maps(void)
{
    struct stat st;
    if (!res.pid || res.pid != getpid() || !same(res.maps, res.maps_dev, res.maps_ino, &st))
        return -1;
    return res.maps;
}

/* Read when first needed (a fixed name about to be replaced), not at start: an exec
 * keeps the process's creation time, and most processes never need it. */
int64_t nvc_process_start_ns(void)
{
    pid_t pid = getpid();
    if (start.pid != pid || !start.ns) {
        start.ns = read_start_ns();
        start.pid = pid;
    }
    return start.ns;
}

const char *nvc_start_cmdline(size_t *len)
{
    *len = cmdline_len;
    return cmdline;
}

/* ---- limits ---- */

static void raise_one(int resource, struct rlimit *saved, int *raised)
{
    struct rlimit up;
    *raised = 0;
    if (prlimit(0, resource, NULL, saved) < 0 || saved->rlim_cur >= saved->rlim_max)
        return;
    up.rlim_cur = up.rlim_max = saved->rlim_max;
    *raised = prlimit(0, resource, &up, NULL) == 0;
}

void nvc_limits_raise(struct nvc_limits *l)
{
    int saved = errno;
    raise_one(RLIMIT_NOFILE, &l->nofile, &l->nofile_raised);
    raise_one(RLIMIT_FSIZE, &l->fsize, &l->fsize_raised);
    errno = saved;
}

void nvc_limits_restore(const struct nvc_limits *l)
{
    int saved = errno;
    if (l->nofile_raised)
        prlimit(0, RLIMIT_NOFILE, &l->nofile, NULL);
    if (l->fsize_raised)
        prlimit(0, RLIMIT_FSIZE, &l->fsize, NULL);
    errno = saved;
}

/* ---- start ---- */

static void keep_cmdline(int argc, char **argv)
{
    for (int i = 0; argv && i < argc && argv[i]; i++) {
        size_t n = strlen(argv[i]) + 1;
        if (cmdline_len + n > sizeof cmdline)
            break;
        memcpy(cmdline + cmdline_len, argv[i], n);
        cmdline_len += n;
    }
}

/* at_fork_child -- whatever another thread of the parent was taking is not the child's. */
static void at_fork_child(void)
{
    taking = 0;
}

/* Before the interposer's own constructor (priority 101 < the default): stderr as it
 * is now, then the checker started, then the reservation for its output (unless an
 * API call from another library's constructor made it already). glibc gives
 * constructors argc and argv. */
__attribute__((constructor(101))) static void reserve_at_start(int argc, char **argv)
{
    int saved = errno;
    nv_say_init();
    keep_cmdline(argc, argv);
    nvc_init();
    if (__atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) == NVC_READY) {
        if (res.pid != getpid())
            reserve(getpid());
        pthread_atfork(NULL, NULL, at_fork_child);
    }
    errno = saved;
}
