/* cmd_run.c -- nvcheck run: run a program under the checker, then sum up its findings.
 *
 * The program runs as our child with libnvcheck.so first in LD_PRELOAD, every
 * process of the run writing its own report into one directory, tagged with this
 * run's id (NVCHECK_RUN_ID): forked children inherit all of it and exec'd images load
 * the interposer again, so every process is covered, and reports of other runs that
 * share the directory are told apart. The interposer is told to be quiet: when the
 * program ends we read this run's reports and print one summary on stderr instead
 * of a line per process.
 *
 * The program is disturbed as little as a wrapper can: its stdin, stdout and stderr
 * are ours, its signal dispositions and mask are those we were given, and SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT sent to nvcheck are passed on -- except what the
 * terminal sends to the whole foreground process group, which the program got too.
 * Its exit status becomes ours unless findings fail the run (--fail-on): then
 * --error-exitcode, 66 by default (TSan's: a value programs rarely use, so CI can
 * tell the checker's verdict from the program's). A program killed by a signal is
 * said so, and the signal raised again on nvcheck so the shell sees it.
 *
 * Not waited for: descendants still running when the program ends (daemons); their
 * reports come later, outside this summary.
 *
 * The verdict never says "clean" over a finding it did not see. A report in the
 * directory that cannot be read is named and counted; so is a process that started
 * under the interposer and left no report (the roster, roster.c: SIGKILL, the OOM
 * killer, a report that could not be written, a daemon still running); and a run
 * that produced no report at all checked nothing. Each of these makes the exit status
 * 2 -- never the program's own -- unless findings fail the run (--error-exitcode);
 * an empty harvest is accepted with --allow-empty. Occurrences dropped past
 * max_findings count as findings of their kind.
 */
#include "cli.h"

#include "kinds.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_DIR "nvcheck-reports"
#define DEFAULT_EXITCODE 66
#define SHOWN 10 /* findings the summary shows in full */

static const char usage[] =
    "usage: nvcheck run [OPTIONS] [--] PROG [ARGS]\n"
    "\n"
    "Run PROG under the checker -- PROG, the processes it forks and the programs they\n"
    "exec -- then print a summary of the findings on stderr. PROG's input, output and\n"
    "signals are its own.\n"
    "\n"
    "  -o, --output DIR        write the reports there (default nvcheck-reports; created)\n"
    "      --options OPTS      interposer options, as in NVCHECK_OPTIONS\n"
    "                          (e.g. kinds=+redundant-flush:stack_depth=32)\n"
    "      --fail-on KINDS     findings that fail the run: errors (default), warnings\n"
    "                          (any finding), or a comma list of kinds\n"
    "      --error-exitcode N  exit status when some do (1..255, default 66)\n"
    "      --allow-empty       no report at all is no error (PROG's status, as when\n"
    "                          nothing was found)\n"
    "  -q, --quiet             no summary (only what cannot be read and processes\n"
    "                          without a report are named); the exit status tells\n"
    "  -h, --help              this help\n"
    "\n"
    "exit status: 66 (--error-exitcode) when findings fail the run; else 2 when a report\n"
    "cannot be read, a process left no report (each is named), or no process wrote one\n"
    "(unless --allow-empty); else PROG's own, or PROG's signal raised again when a\n"
    "signal killed it. 2 also when PROG cannot be run or the usage is wrong.\n";

/* ---- options ---- */

enum { OPT_OPTIONS = 256, OPT_FAIL_ON, OPT_EXITCODE, OPT_ALLOW_EMPTY };

static int exit_code(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v < 1 || v > 255)
        return cli_error("--error-exitcode", "'%s' is not a number from 1 to 255", s);
    *out = (int)v;
    return CLI_OK;
}

/* parse -- CLI_OK, CLI_BAD_INPUT (said why), or -1 when --help was printed. */
static int parse(struct run *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"options", required_argument, NULL, OPT_OPTIONS},
        {"fail-on", required_argument, NULL, OPT_FAIL_ON},
        {"error-exitcode", required_argument, NULL, OPT_EXITCODE},
        {"allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    char shortopt[3] = "-?";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            r->dir = optarg;
            break;
        case OPT_OPTIONS:
            r->options = optarg;
            break;
        case OPT_FAIL_ON:
            r->fail_on = optarg;
            break;
        case OPT_EXITCODE:
            if (exit_code(optarg, &r->exitcode) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case OPT_ALLOW_EMPTY:
            r->allow_empty = 1;
            break;
        case 'q':
            r->quiet = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        case ':':
            return cli_error("run", "option '%s' needs a value", argv[optind - 1]);
        default:
            shortopt[1] = (char)optopt;
            return cli_error("run", "unknown option '%s' (see nvcheck run --help)",
                             optopt ? shortopt : argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_error("run", "no program given (usage: nvcheck run [OPTIONS] -- PROG [ARGS])");
    if ((r->fail_mask = cli_kinds_mask(r->fail_on, "--fail-on")) < 0)
        return CLI_BAD_INPUT;
    r->argv = argv + optind;
    return CLI_OK;
}

/* ---- running it ---- */

static const int passed_on[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NPASSED (sizeof passed_on / sizeof *passed_on)

static volatile sig_atomic_t child; /* the program, while it can be signalled */

static void pass_on(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (si->si_code != SI_KERNEL && child > 0) /* SI_KERNEL: from the terminal, to all */
        kill(child, sig);
}

static void handlers(struct sigaction *saved, int install)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = pass_on;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    for (size_t i = 0; i < NPASSED; i++) {
        if (!install)
            sigaction(passed_on[i], &saved[i], NULL);
        else if (sigaction(passed_on[i], NULL, &saved[i]) == 0 && saved[i].sa_handler != SIG_IGN)
            sigaction(passed_on[i], &sa, NULL); /* an ignored signal stays ignored */
    }
}

/* exec_program -- in the child: the caller's signal mask, our environment, exec. A
 * failure goes to the parent through the pipe (closed by a successful exec). */
static void exec_program(const struct run *r, const sigset_t *mask, int fd)
{
    sigprocmask(SIG_SETMASK, mask, NULL);
    setenv("LD_PRELOAD", r->env_preload, 1);
    setenv("NVCHECK_OUTPUT", r->env_output, 1);
    setenv("NVCHECK_OPTIONS", r->env_options, 1);
    setenv("NVCHECK_RUN_ID", r->run_id, 1);
    execvp(r->prog, r->argv);
    int e = errno;
    ssize_t n = write(fd, &e, sizeof e);
    (void)n;
    _exit(127);
}

/* run_program -- start it, pass signals on until it ends; its wait status, or -1
 * when it could not be started (said why). */
static int run_program(const struct run *r, pid_t *started)
{
    struct sigaction saved[NPASSED];
    sigset_t block, mask;
    int fds[2], e, st = 0;
    sigemptyset(&block);
    for (size_t i = 0; i < NPASSED; i++)
        sigaddset(&block, passed_on[i]);
    if (pipe2(fds, O_CLOEXEC) < 0)
        return cli_error("run", "pipe: %s", strerror(errno)), -1;
    sigprocmask(SIG_BLOCK, &block, &mask); /* held until we pass them on */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        exec_program(r, &mask, fds[1]);
    int fork_errno = errno;
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        sigprocmask(SIG_SETMASK, &mask, NULL);
        return cli_error("run", "fork: %s", strerror(fork_errno)), -1;
    }
    child = *started = pid;
    handlers(saved, 1);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    ssize_t n = read(fds[0], &e, sizeof e);
    close(fds[0]);
    siginfo_t si;
    while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    child = 0; /* a zombie: its pid is not reused before we reap it */
    handlers(saved, 0);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof e)
        return cli_error(r->argv[0], "%s", strerror(e)), -1;
    return st;
}

/* ---- the summary ---- */

static int fails(const struct run *r, int kind_id, int severity)
{
    return kind_id >= 0 ? (int)((r->fail_mask >> kind_id) & 1) : severity == NV_SEV_ERROR;
}

static const char *plural(size_t n, const char *many)
{
    return n == 1 ? "" : many;
}

/* by_kind -- "findings by kind: unflushed-write 2, leaked-token 1" (groups come
 * ordered by severity, then kind). */
static void by_kind(const struct cli_groups *g)
{
    fputs("nvcheck: findings by kind:", stderr);
    for (size_t i = 0, n; i < g->n; i += n) {
        const char *kind = g->g[i].first->kind;
        for (n = 1; i + n < g->n && !strcmp(g->g[i + n].first->kind, kind); n++)
            ;
        fprintf(stderr, "%s ", i ? "," : "");
        cli_put_clean(stderr, kind);
        fprintf(stderr, " %zu", n);
    }
    fputc('\n', stderr);
}

/* The harvest, judged. */
struct verdict {
    size_t failing;   /* finding groups above the bar */
    uint64_t dropped; /* occurrences past max_findings of kinds above the bar */
    size_t procs;     /* distinct pids among the reports */
    int incomplete;   /* unreadable reports or lost processes */
    int empty;        /* no report and nothing lost */
};

/* judge -- the verdict on set; with -q there are no groups (nothing is symbolised or
 * shown), and findings count one by one. */
static void judge(const struct run *r, const struct cli_set *set, const struct cli_groups *g,
                  struct verdict *v)
{
    for (size_t i = 0; i < g->n; i++)
        v->failing += fails(r, g->g[i].first->kind_id, g->g[i].first->severity);
    for (size_t i = 0; r->quiet && i < set->n; i++)
        for (size_t j = 0; j < set->r[i].nfindings; j++)
            v->failing += fails(r, set->r[i].findings[j].kind_id, set->r[i].findings[j].severity);
    for (size_t i = 0; i < set->n; i++)
        for (size_t k = 0; k < set->r[i].nby_kind; k++)
            if (fails(r, set->r[i].by_kind[k].kind_id, NV_SEV_ERROR))
                v->dropped += set->r[i].by_kind[k].dropped;
    int64_t *pids = cli_alloc((set->n ? set->n : 1) * sizeof *pids);
    for (size_t i = 0, k; i < set->n; i++) {
        for (k = 0; k < v->procs && pids[k] != set->r[i].pid; k++)
            ;
        if (k == v->procs)
            pids[v->procs++] = set->r[i].pid;
    }
    free(pids);
    v->incomplete = set->unreadable || set->nlost;
    v->empty = !set->n && !v->incomplete;
}

/* gaps -- "1 report unreadable; 2 processes left no report", each after sep. */
static void gaps(const struct cli_set *set, const char *sep)
{
    if (set->unreadable)
        fprintf(stderr, "%s%zu report%s unreadable", sep, set->unreadable,
                plural(set->unreadable, "s"));
    if (set->nlost)
        fprintf(stderr, "%s%zu process%s left no report", set->unreadable ? "; " : sep, set->nlost,
                plural(set->nlost, "es"));
}

static void summary(const struct run *r, struct cli_set *set, const struct cli_groups *g,
                    const struct verdict *v)
{
    struct cli_render_opts ro = {
        .max_findings = SHOWN, .color = isatty(STDERR_FILENO), .harvest_said = 1};
    if (g->n)
        by_kind(g);
    if (set->n)
        cli_render_text(stderr, set, g, &ro);
    cli_roster_say(set, stderr);
    fputs("nvcheck: ", stderr);
    if (!v->empty)
        fprintf(stderr, "%zu report%s in ", set->n, plural(set->n, "s"));
    else
        fputs("no reports in ", stderr);
    cli_put_clean(stderr, r->dir);
    if (!v->empty)
        fprintf(stderr, ", from %zu process%s", v->procs, plural(v->procs, "es"));
    else
        fputs(": no process called the NV memory API and exited", stderr);
    gaps(set, "; ");
    fputc('\n', stderr);
    if (v->failing || v->dropped) {
        fprintf(stderr, "nvcheck: %zu finding%s", v->failing, plural(v->failing, "s"));
        if (v->dropped)
            fprintf(stderr, " and %llu dropped occurrence%s", (unsigned long long)v->dropped,
                    plural(v->dropped, "s"));
        fprintf(stderr, " above the bar (--fail-on %s): exit status %d\n", r->fail_on, r->exitcode);
    } else if (v->incomplete) {
        fputs("nvcheck: the harvest is incomplete", stderr);
        gaps(set, " (");
        fputs("): exit status 2\n", stderr);
    } else if (v->empty && !r->allow_empty) {
        fputs("nvcheck: nothing was checked: exit status 2 (--allow-empty if that is "
              "expected)\n",
              stderr);
    }
}

/* verdict -- read this run's reports and markers, sum up; our exit status, or -SIGNAL
 * to raise. */
static int verdict(const struct run *r, pid_t pid, int st)
{
    struct cli_set set = {0};
    struct cli_groups g = {0};
    struct verdict v = {0};
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    if (sig && !r->quiet) {
        const char *name = sigabbrev_np(sig);
        fprintf(stderr, "nvcheck: ");
        cli_put_clean(stderr, r->argv[0]);
        fprintf(stderr, " killed by signal %d%s%s%s\n", sig, name ? " (SIG" : "", name ? name : "",
                name ? ")" : "");
    }
    cli_load_dir(&set, r->dir, r->run_id); /* says what it cannot read, even with -q */
    cli_roster_judge(
        &set,
        &(struct cli_judge){
            .remove = 1, .prog = r->argv[0], .have_child = 1, .child = pid, .child_status = st});
    if (!r->quiet) {
        cli_symbolize(&set, 0);
        cli_group(&set, &g);
    }
    judge(r, &set, &g, &v);
    if (!r->quiet)
        summary(r, &set, &g, &v);
    else
        cli_roster_say(&set, stderr); /* what is missing is said, as bad input is */
    cli_groups_free(&g);
    cli_set_free(&set);
    if (v.failing || v.dropped)
        return r->exitcode;
    if (v.incomplete || (v.empty && !r->allow_empty))
        return CLI_BAD_INPUT;
    return sig ? -sig : WEXITSTATUS(st);
}

/* The C++ runtime's emergency exception pool (libstdc++, for demangling): freed at a
 * normal exit when valgrind asks, not at death by a signal -- so free it first. */
extern void _ZN9__gnu_cxx9__freeresEv(void) __attribute__((weak));

/* die_of -- end nvcheck by the signal that ended the program (no core: the program
 * dumped its own, if any). */
static int die_of(int sig)
{
    struct rlimit none = {0, 0};
    sigset_t s;
    if (_ZN9__gnu_cxx9__freeresEv)
        _ZN9__gnu_cxx9__freeresEv();
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    return 128 + sig; /* still here: not a signal that terminates */
}

int cli_cmd_run(int argc, char **argv)
{
    struct run r = {.dir = DEFAULT_DIR, .fail_on = "errors", .exitcode = DEFAULT_EXITCODE};
    int rc = parse(&r, argc, argv);
    if (rc < 0)
        return CLI_OK;
    if (rc == CLI_OK)
        rc = run_setup(&r);
    if (rc == CLI_OK) {
        pid_t pid = 0;
        int st = run_program(&r, &pid);
        rc = st < 0 ? CLI_BAD_INPUT : verdict(&r, pid, st);
    }
    run_free(&r);
    return rc < 0 ? die_of(-rc) : rc;
}
