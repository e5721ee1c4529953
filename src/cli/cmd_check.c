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
    "  -q, --quiet              no finding blocks, no warnings about missing binaries\n"
    "  -h, --help               this help\n"
    "\n"
    "Prints the findings that fail the gate, a summary line, each suppression rule used\n"
    "with its hit count, and each rule never used.\n"
    "\n"
    "exit status: 0 nothing above the bar; 1 findings above it; 2 bad input (one line\n"
    "names the file, or FILE:LINE of a suppression rule, and the problem).\n";

struct check {
    long mask;
    int quiet, stable;
    struct cli_supps supps;
    struct cli_baseline base;
    struct cli_set set;
    struct cli_groups groups;
    struct cli_groups failing; /* borrowed from groups */
    size_t below, suppressed, baselined;
};

static int options(struct check *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"fail-on", required_argument, NULL, 'F'},
        {"suppressions", required_argument, NULL, 'S'},
        {"baseline", required_argument, NULL, 'B'},
        {"stable", no_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
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

/* load -- the reports; symbolise them and the baselines. */
static int load(struct check *c, int argc, char **argv)
{
    for (int i = optind; i < argc; i++)
        if (cli_load_path(&c->set, argv[i]) != CLI_OK)
            return CLI_BAD_INPUT;
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
        char *key = cli_finding_key(g->first, 0);
        int known = cli_baseline_has(&c->base, key);
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
        fprintf(out, "%s%zu %s", i ? ", " : " (", j - i, kind);
        i = j;
    }
    fprintf(out, "%s, %zu below it; %zu suppressed; %zu in the baseline\n", c->failing.n ? ")" : "",
            c->below, c->suppressed, c->baselined);
    for (size_t i = 0; i < c->supps.n; i++) {
        const struct cli_supp_rule *r = &c->supps.v[i];
        if (r->hits)
            fprintf(out, "suppression %s:%d: %s:%s: %zu finding%s suppressed\n", r->file, r->line,
                    r->kind ? r->kind : "*", r->pattern, r->hits, plural(r->hits));
    }
    for (size_t i = 0; i < c->supps.n; i++) {
        const struct cli_supp_rule *r = &c->supps.v[i];
        if (!r->hits)
            fprintf(out, "unused suppression %s:%d: %s:%s\n", r->file, r->line,
                    r->kind ? r->kind : "*", r->pattern);
    }
}

static int gate(struct check *c)
{
    sort_out(c);
    if (c->failing.n && !c->quiet) {
        struct cli_render_opts ro = {.stable = c->stable, .color = isatty(STDOUT_FILENO)};
        if (cli_render_text(stdout, &c->set, &c->failing, &ro) != CLI_OK)
            return CLI_BAD_INPUT;
        putchar('\n');
    }
    summary(c, stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_error("standard output", "%s", strerror(errno ? errno : EIO));
    return c->failing.n ? CLI_FINDINGS : CLI_OK;
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
