/* cmd_check.c -- nvcheck check: the CI gate over raw reports.
 *
 * Every finding group lands in exactly one bucket, in this order: suppressed (by the
 * first matching rule), in the baseline, above the bar (--fail-on), below it. The exit
 * status is 1 when the "above" bucket is not empty. The output says what failed (the
 * text renderer's blocks), then one summary line, then the suppression statistics --
 * none of check's own lines carry addresses or pids, so CI logs can be diffed.
 *
 * A finding of a kind this nvcheck does not know (a newer interposer) is judged by its
 * severity: it is above a bar that takes in every known kind of that severity, as
 * "errors" and "warnings" do; a list of names cannot name it, so it is below that.
 *
 * The gate never says "clean" over something it could not look at. A report that
 * cannot be read is bad input (exit 2), as is a directory with nothing in it (a job
 * pointed at the wrong path: --allow-empty when that is expected) and a process the
 * roster says left no report (roster.c): the summary is printed, then exit 2.
 * Occurrences the interposer dropped past max_findings are known by kind alone: those
 * above the bar fail the gate, since no rule or baseline can say they are known, and
 * the summary says how many and that max_findings can be raised. A finding whose stack
 * could not be stored is never taken for one in the baseline.
 */
#include "check.h"

#include "kinds.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: nvcheck check [OPTIONS] REPORT...\n"
    "\n"
    "The CI gate: fail when the reports (files, or directories of nvcheck.*.json) hold\n"
    "findings above the bar once suppressed and baseline findings are taken out.\n"
    "\n"
    "      --fail-on BAR        errors (default: every error kind), warnings (every\n"
    "                           kind), or a comma list of kind names\n"
    "      --suppressions FILE  KIND:PATTERN rules, '#' comments (reports/suppressions.md;\n"
    "                           'nvcheck report --gen-suppressions' writes them); repeatable\n"
    "      --baseline REPORT    findings already in REPORT (a raw report, a directory of\n"
    "                           them, or 'nvcheck report --format json' output) pass,\n"
    "                           matched by kind and stack, never address; repeatable\n"
    "      --stable             finding blocks without addresses or pids\n"
    "      --allow-empty        a directory without reports is no error\n"
    "  -q, --quiet              no finding blocks, no warnings about missing binaries\n"
    "  -h, --help               this help\n"
    "\n"
    "Prints the findings that fail the gate, a summary line, each suppression rule used\n"
    "with its hit count, each rule never used, and a warning for each rule broader than\n"
    "it looks. Occurrences dropped past max_findings fail the gate when their kind is\n"
    "above the bar.\n"
    "\n"
    "exit status: 0 nothing above the bar; 1 findings above it; 2 bad input (one line\n"
    "names the file, or FILE:LINE of a suppression rule, and the problem): a report that\n"
    "cannot be read, a directory without reports (unless --allow-empty), or a process\n"
    "that started under the checker and left no report (each named).\n";

struct check {
    long mask;
    int quiet, stable, allow_empty;
    struct cli_supps supps;
    struct cli_baseline base;
    struct cli_set set;
    struct cli_groups groups;
    struct cli_groups failing; /* borrowed from groups */
    size_t below, suppressed, baselined;
    uint64_t dropped, dropped_below; /* occurrences past max_findings, above the bar or not */
    size_t dropping;                 /* processes that dropped some */
};

static int options(struct check *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"fail-on", required_argument, NULL, 'F'},  {"suppressions", required_argument, NULL, 'S'},
        {"baseline", required_argument, NULL, 'B'}, {"stable", no_argument, NULL, 's'},
        {"allow-empty", no_argument, NULL, 'E'},    {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {0},
    };
    int ch;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'F':
            if ((c->mask = cli_kinds_mask(optarg, "--fail-on")) < 0)
                return CLI_BAD_INPUT;
            break;
        case 'S':
            if (cli_supp_load(&c->supps, optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 'B':
            if (cli_baseline_load(&c->base, optarg) != CLI_OK)
                return CLI_BAD_INPUT;
            break;
        case 's':
            c->stable = 1;
            break;
        case 'E':
            c->allow_empty = 1;
            break;
        case 'q':
            c->quiet = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        case ':':
            return cli_error("check", "option '%s' needs an argument", argv[optind - 1]);
        default:
            if (optopt)
                return cli_error("check", "unknown option '-%c' (see nvcheck check --help)",
                                 optopt);
            return cli_error("check", "unknown option '%s' (see nvcheck check --help)",
                             argv[optind - 1]);
        }
    }
    if (optind == argc)
        return cli_error("check", "no reports given (see nvcheck check --help)");
    return CLI_OK;
}

/* load -- the reports (every one tried, each bad one named); symbolise them and the
 * baselines. A directory without reports is bad input unless --allow-empty. */
static int load(struct check *c, int argc, char **argv)
{
    int rc = CLI_OK;
    for (int i = optind; i < argc; i++)
        if (cli_load_path(&c->set, argv[i]) != CLI_OK)
            rc = CLI_BAD_INPUT;
    if (rc != CLI_OK)
        return rc;
    if (c->set.nempty && !c->allow_empty)
        return cli_error(c->set.empty[0], "no reports (*.json) in this directory: nothing was "
                                          "checked (--allow-empty if that is expected)");
    cli_roster_judge(&c->set, &(struct cli_judge){0});
    cli_symbolize(&c->set, c->quiet);
    cli_baseline_finish(&c->base, c->quiet);
    return CLI_OK;
}

/* above -- is a finding of this kind above the bar? */
static int above(const struct check *c, const struct cli_finding *f)
{
    if (f->kind_id >= 0)
        return (c->mask >> f->kind_id) & 1;
    for (int k = 0; k < NV_NKINDS; k++)
        if ((int)nv_kinds[k].severity == f->severity && !((c->mask >> k) & 1))
            return 0;
    return 1;
}

/* above_kind -- the same for what is known by kind alone (dropped occurrences); an
 * unknown kind counts as an error. */
static int above_kind(const struct check *c, const struct cli_kind_total *k)
{
    struct cli_finding f = {.kind_id = k->kind_id, .severity = NV_SEV_ERROR};
    return above(c, &f);
}

/* count_dropped -- the occurrences past max_findings, above the bar and below it. */
static void count_dropped(struct check *c)
{
    for (size_t i = 0; i < c->set.n; i++) {
        const struct cli_report *r = &c->set.r[i];
        uint64_t any = 0;
        for (size_t k = 0; k < r->nby_kind; k++) {
            uint64_t d = r->by_kind[k].dropped;
            if (above_kind(c, &r->by_kind[k]))
                c->dropped += d;
            else
                c->dropped_below += d;
            any += d;
        }
        c->dropping += any > 0;
    }
}

static void sort_out(struct check *c)
{
    cli_group(&c->set, &c->groups);
    c->failing.g = cli_alloc((c->groups.n ? c->groups.n : 1) * sizeof *c->failing.g);
    for (size_t i = 0; i < c->groups.n; i++) {
        const struct cli_group *g = &c->groups.g[i];
        if (cli_supp_match(&c->supps, g->first)) {
            c->suppressed++;
            continue;
        }
        /* An empty stack (the stack store was full) is nothing a baseline can know. */
        char *key = g->first->stack.n ? cli_finding_key(g->first, 0) : NULL;
        int known = key && cli_baseline_has(&c->base, key);
        free(key);
        if (known)
            c->baselined++;
        else if (above(c, g->first))
            c->failing.g[c->failing.n++] = *g;
        else
            c->below++;
    }
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* summary -- "nvcheck check: 2 findings above the bar (1 out-of-region, 1 ...), ..." */
static void summary(const struct check *c, FILE *out)
{
    fprintf(out, "nvcheck check: %zu finding%s above the bar", c->failing.n, plural(c->failing.n));
    for (size_t i = 0; i < c->failing.n;) {
        const char *kind = c->failing.g[i].first->kind;
        size_t j = i;
        while (j < c->failing.n && !strcmp(c->failing.g[j].first->kind, kind))
            j++; /* groups come ordered by severity, then kind */
        fprintf(out, "%s%zu ", i ? ", " : " (", j - i);
        cli_put_clean(out, kind);
        i = j;
    }
    fprintf(out, "%s, %zu below it; %zu suppressed; %zu in the baseline\n", c->failing.n ? ")" : "",
            c->below, c->suppressed, c->baselined);
    if (c->dropped || c->dropped_below)
        fprintf(out,
                "nvcheck check: %llu more occurrence%s above the bar and %llu below it were "
                "dropped: %zu process%s reached max_findings (raise it: NVCHECK_OPTIONS or nvcheck "
                "run --options max_findings=N)%s\n",
                (unsigned long long)c->dropped, plural(c->dropped),
                (unsigned long long)c->dropped_below, c->dropping, c->dropping == 1 ? "" : "es",
                c->dropped ? "; they fail the gate" : "");
    if (c->set.nlost)
        fprintf(out, "nvcheck check: %zu process%s left no report: exit status 2\n", c->set.nlost,
                c->set.nlost == 1 ? "" : "es");
    for (size_t i = 0; i < c->supps.n; i++) {
        const struct cli_supp_rule *r = &c->supps.v[i];
        if (!r->hits)
            continue;
        fputs("suppression ", out);
        cli_put_clean(out, r->file);
        fprintf(out, ":%d: %s:", r->line, r->kind ? r->kind : "*");
        cli_put_clean(out, r->pattern);
        fprintf(out, ": %zu finding%s suppressed\n", r->hits, plural(r->hits));
    }
    for (size_t i = 0; i < c->supps.n; i++) {
        const struct cli_supp_rule *r = &c->supps.v[i];
        if (r->hits)
            continue;
        fputs("unused suppression ", out);
        cli_put_clean(out, r->file);
        fprintf(out, ":%d: %s:", r->line, r->kind ? r->kind : "*");
        cli_put_clean(out, r->pattern);
        fputc('\n', out);
    }
    cli_supp_warn(&c->supps, out);
}

static int gate(struct check *c)
{
    sort_out(c);
    count_dropped(c);
    cli_roster_say(&c->set, stderr);
    if (c->failing.n && !c->quiet) {
        struct cli_render_opts ro = {.stable = c->stable, .color = isatty(STDOUT_FILENO)};
        if (cli_render_text(stdout, &c->set, &c->failing, &ro) != CLI_OK)
            return CLI_BAD_INPUT;
        putchar('\n');
    }
    summary(c, stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_error("standard output", "%s", strerror(errno ? errno : EIO));
    if (c->set.nlost)
        return CLI_BAD_INPUT;
    return c->failing.n || c->dropped ? CLI_FINDINGS : CLI_OK;
}

int cli_cmd_check(int argc, char **argv)
{
    struct check c = {.mask = cli_kinds_mask("errors", "--fail-on")};
    int rc = options(&c, argc, argv);
    if (rc == CLI_OK)
        rc = load(&c, argc, argv);
    if (rc == CLI_OK)
        rc = gate(&c);
    free(c.failing.g);
    cli_groups_free(&c.groups);
    cli_baseline_free(&c.base);
    cli_supp_free(&c.supps);
    cli_set_free(&c.set);
    return rc < 0 ? CLI_OK : rc;
}
