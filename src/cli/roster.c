/* roster.c -- the processes that started under nvcheck run, and those that left no report.
 *
 * A report says what a process found; nothing says that a process existed which wrote
 * none -- SIGKILL, the OOM killer, a report that could not be written -- and a harvest
 * without it looks clean. So under nvcheck run every process image that loads the
 * interposer keeps a marker beside the reports (preload/roster.c, which documents the
 * format): DIR/nvcheck.PID.IMAGE.pending, one line
 *
 *     STATE nvcheck-pending/1 PID IMAGE RUN_ID EXE
 *
 * STATE being 's' (started, has not used the API), 'u' (used it) or 'f' (had to write
 * its report and could not; a second line "reason: ..." says why). An image removes
 * its marker when it ends with nothing to report or once its report is published; at
 * an exec the marker stays and the report, which carries the same IMAGE
 * (process.image), answers for it.
 *
 * Judged after the reports are read: a marker whose image has a report is satisfied;
 * an 's' marker is a process that never used the API (gone, or not yet); a 'u' or 'f'
 * marker without a report is a lost process -- named, with the best reason known, and
 * counted: the gate can vouch for nothing it did. Lost markers stay on disk as
 * evidence; nvcheck run removes the others of its run (check and report only read).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAG "nvcheck-pending/1"
#define MAX_MARKER 16384 /* a line of names (PATH_MAX exe, 255-byte run id) and a reason */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* name_parts -- PID and IMAGE from "nvcheck.PID.IMAGE.pending"; 0, or -1. */
static int name_parts(const char *name, int64_t *pid, char *image)
{
    char *end;
    if (strncmp(name, "nvcheck.", 8) != 0 || name[8] < '1' || name[8] > '9')
        return -1;
    errno = 0;
    long long p = strtoll(name + 8, &end, 10);
    if (errno || *end != '.' || p <= 0 || p > INT32_MAX ||
        strspn(end + 1, "0123456789abcdef") != 16 || strcmp(end + 17, ".pending") != 0)
        return -1;
    *pid = p;
    memcpy(image, end + 1, 16);
    image[16] = 0;
    return 0;
}

/* slurp -- up to MAX_MARKER bytes of the regular file at path (opened without
 * blocking and without following a link: a FIFO planted there is never waited on). */
static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    char *buf = cli_alloc(MAX_MARKER + 1);
    size_t got = 0;
    ssize_t k;
    while (got < MAX_MARKER &&
           ((k = read(fd, buf + got, MAX_MARKER - got)) > 0 || (k < 0 && errno == EINTR)))
        got += k > 0 ? (size_t)k : 0;
    close(fd);
    buf[got] = 0;
    return buf;
}

/* field -- the next blank-separated field of *s, cut out in place; NULL at the end. */
static char *field(char **s)
{
    char *f = *s;
    if (!*f || *f == '\n')
        return NULL;
    size_t n = strcspn(f, " \n");
    *s = f + n + (f[n] == ' ');
    if (f[n] == ' ')
        f[n] = 0;
    return f;
}

int cli_marker_read(const char *path, struct cli_marker *m)
{
    memset(m, 0, sizeof *m);
    if (name_parts(base_name(path), &m->pid, m->image) < 0)
        return -1;
    char *text = slurp(path);
    if (!text)
        return -1;
    m->path = cli_strdup(path);
    if (strchr("suf", text[0]) && text[0])
        m->state = text[0];
    /* The line, checked against the name: a garbled one says nothing but the state. */
    char *s = text + 2, *nl = strchr(text, '\n');
    if (m->state && text[1] == ' ' && nl) {
        *nl = 0;
        char *tag = field(&s), *pid = field(&s), *image = field(&s), *run_id = field(&s);
        char num[24];
        snprintf(num, sizeof num, "%lld", (long long)m->pid);
        if (tag && !strcmp(tag, TAG) && pid && !strcmp(pid, num) && image &&
            !strcmp(image, m->image) && run_id) {
            m->run_id = cli_strdup(run_id);
            m->exe = cli_strdup(*s ? s : NULL);
        }
        if (!strncmp(nl + 1, "reason: ", 8)) {
            char *r = nl + 9;
            r[strcspn(r, "\n")] = 0;
            m->reason = cli_strdup(r);
        }
    }
    free(text);
    return 0;
}

void cli_marker_free(struct cli_marker *m)
{
    free(m->path);
    free(m->run_id);
    free(m->exe);
    free(m->reason);
}

/* host_of -- the host part of a run id ("HOST-PID-TIME-RANDOM", run_setup.c); the
 * length of it, 0 when the id has no such shape. */
static size_t host_of(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    for (int dashes = 0; n > 0; n--)
        if (id[n - 1] == '-' && ++dashes == 3)
            return n - 1;
    return 0;
}

/* alive -- is the marker's process still there? 1 yes, 0 no, -1 cannot tell (its run
 * was on another machine: the reports were copied here). */
static int alive(const struct cli_marker *m)
{
    char host[256] = "";
    size_t n = host_of(m->run_id);
    gethostname(host, sizeof host - 1);
    if (m->run_id && (n != strlen(host) || strncmp(m->run_id, host, n)))
        return -1;
    return kill((pid_t)m->pid, 0) == 0 || errno == EPERM;
}

static int satisfied(const struct cli_set *set, const struct cli_marker *m)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct cli_report *r = &set->r[i];
        if (r->image[0]
                ? !strcmp(r->image, m->image)
                : r->pid == m->pid && (!m->run_id || (r->run_id && !strcmp(r->run_id, m->run_id))))
            return 1;
    }
    return 0;
}

/* why -- the best reason known that m's process left no report. Caller frees. */
static char *why(const struct cli_marker *m, const struct cli_judge *j)
{
    if (m->state == 'f')
        return cli_strdup(m->reason ? m->reason : "its report could not be written");
    int live = alive(m);
    if (live > 0 && j->prog)
        return cli_printf("still running when %s exited", j->prog);
    if (live > 0)
        return cli_strdup("still running: its report is not written yet");
    if (j->have_child && m->pid == j->child && WIFSIGNALED(j->child_status)) {
        int sig = WTERMSIG(j->child_status);
        const char *name = sigabbrev_np(sig);
        return cli_printf("killed by signal %d%s%s%s", sig, name ? " (SIG" : "", name ? name : "",
                          name ? ")" : "");
    }
    return cli_strdup("it ended without writing one (killed by SIGKILL -- the OOM killer sends "
                      "it -- or by something no handler sees)");
}

static int by_pid(const void *a, const void *b)
{
    const struct cli_lost *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return strcmp(x->image, y->image);
}

void cli_roster_judge(struct cli_set *set, const struct cli_judge *j)
{
    for (size_t i = 0; i < set->nmarkers; i++) {
        const struct cli_marker *m = &set->markers[i];
        int done = satisfied(set, m);
        if (m->state == 'f' || (m->state == 'u' && !done)) {
            struct cli_lost *v = realloc(set->lost, (set->nlost + 1) * sizeof *v);
            if (!v)
                exit(cli_error("roster", "out of memory"));
            set->lost = v;
            set->lost[set->nlost++] = (struct cli_lost){
                m->pid, cli_strdup(m->image), cli_strdup(m->exe), why(m, j), cli_strdup(m->path)};
        } else if (j->remove && (done || (m->state == 's' && alive(m) == 0))) {
            unlink(m->path); /* answered for, or never used the API and gone */
        }
    }
    if (set->nlost)
        qsort(set->lost, set->nlost, sizeof *set->lost, by_pid);
}

void cli_roster_say(const struct cli_set *set, FILE *out)
{
    for (size_t i = 0; i < set->nlost; i++) {
        const struct cli_lost *l = &set->lost[i];
        fprintf(out, "nvcheck: process %lld (", (long long)l->pid);
        cli_put_clean(out, l->exe ? l->exe : "?");
        fputs(") left no report: ", out);
        cli_put_clean(out, l->why);
        fputc('\n', out);
    }
}
