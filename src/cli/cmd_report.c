/* cmd_report.c -- nvcheck report: merge, symbolise and render raw reports.
 *
 * What cannot be read is bad input: every report is tried, each bad one named, and
 * nothing is rendered (exit 2). A directory without reports is bad input too, unless
 * --allow-empty says that is expected: then the empty harvest is rendered, and says
 * so. A process that started under the checker and left no report (roster.c) makes
 * the harvest partial: it is rendered, every format saying which processes are
 * missing, each is named on stderr, and the exit status is 2 -- what was rendered is
 * not all there was, and a CI step must not pass over that.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: nvcheck report [OPTIONS] REPORT...\n"
    "\n"
    "Merge the raw reports of one or more processes (files, or directories of\n"
    "nvcheck.*.json), symbolise their stacks offline from DWARF, and render them.\n"
    "\n"
    "  -f, --format FORMAT     text (default), json, sarif, junit, html (one\n"
    "                          self-contained page: tables, stacks with source, regions)\n"
    "  -o, --output FILE       write there (atomically) instead of standard output\n"
    "      --stable            leave out addresses and pids, sort: output can be diffed\n"
    "      --source-root DIR   sarif: file locations relative to DIR (repository root)\n"
    "      --gen-suppressions  print suppression rules matching these findings\n"
    "      --color WHEN        text: auto (on a terminal, unless NO_COLOR is set; the\n"
    "                          default), always, never\n"
    "      --max-findings N    text: show the first N findings, then how many more\n"
    "      --allow-empty       render a directory without reports (the output says so)\n"
    "  -q, --quiet             no warnings about missing or changed binaries\n"
    "  -h, --help              this help\n"
    "\n"
    "exit status: 0 rendered; 2 bad input (one line names the file and the problem;\n"
    "nothing is rendered), a directory without reports (unless --allow-empty), or a\n"
    "partial harvest: a process that started under the checker left no report (each\n"
    "is named; the output is written and says so).\n";

typedef int (*renderer)(FILE *, const struct cli_set *, const struct cli_groups *,
                        const struct cli_render_opts *);

static const struct {
    const char *name;
    renderer fn;
} formats[] = {
    {"text", cli_render_text},   {"json", cli_render_json}, {"sarif", cli_render_sarif},
    {"junit", cli_render_junit}, {"html", cli_render_html},
};

/* parse_count -- a non-negative decimal number, all of s. */
static int parse_count(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

struct opts {
    renderer fn;
    struct cli_render_opts ro;
    const char *output, *color;
    int quiet, allow_empty;
};

static int bad_option(char **argv, int c)
{
    const char *opt = argv[optind - 1];
    char shortopt[3] = {'-', (char)optopt, 0};
    if (optopt && strncmp(opt, "--", 2))
        opt = shortopt; /* in a cluster like -qz, name the letter */
    if (c == ':')
        return cli_error("report", "option '%s' needs a value (see nvcheck report --help)", opt);
    return cli_error("report", "unknown option '%s' (see nvcheck report --help)", opt);
}

/* parse -- the options into o; -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"stable", no_argument, NULL, 'S'},
        {"source-root", required_argument, NULL, 'R'},
        {"gen-suppressions", no_argument, NULL, 'G'},
        {"color", required_argument, NULL, 'C'},
        {"max-findings", required_argument, NULL, 'M'},
        {"allow-empty", no_argument, NULL, 'E'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->fn = NULL;
            for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
                if (!strcmp(optarg, formats[i].name))
                    o->fn = formats[i].fn;
            if (!o->fn)
                return cli_error("report", "unknown format '%s' (text, json, sarif, junit, html)",
                                 optarg);
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'S':
            o->ro.stable = 1;
            break;
        case 'R':
            o->ro.source_root = optarg;
            break;
        case 'G':
            o->fn = cli_render_suppressions;
            break;
        case 'C':
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                return cli_error("report", "--color: expected auto, always or never");
            o->color = optarg;
            break;
        case 'M':
            if (parse_count(optarg, &o->ro.max_findings) != 0)
                return cli_error("report", "--max-findings: expected a number, got '%s'", optarg);
            break;
        case 'E':
            o->allow_empty = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return CLI_OK;
        default:
            return bad_option(argv, c);
        }
    }
    if (optind == argc)
        return cli_error("report", "no reports given (see nvcheck report --help)");
    return -1;
}

/* render -- symbolise, merge and render set as o says. */
static int render(struct cli_set *set, struct opts *o)
{
    struct cli_groups groups = {0};
    struct cli_out out;
    cli_symbolize(set, o->quiet);
    cli_group(set, &groups);
    int rc = cli_out_open(&out, o->output);
    if (rc == CLI_OK) {
        const char *no_color = getenv("NO_COLOR");
        o->ro.color =
            !strcmp(o->color, "always") || (!strcmp(o->color, "auto") && out.f == stdout &&
                                            isatty(STDOUT_FILENO) && !(no_color && *no_color));
        rc = o->fn(out.f, set, &groups, &o->ro);
        out.failed = rc != CLI_OK;
        int rc2 = cli_out_close(&out);
        if (rc == CLI_OK)
            rc = rc2;
    }
    cli_groups_free(&groups);
    return rc;
}

int cli_cmd_report(int argc, char **argv)
{
    struct opts o = {.fn = cli_render_text, .color = "auto"};
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct cli_set set = {0};
    rc = CLI_OK;
    for (int i = optind; i < argc; i++)
        if (cli_load_path(&set, argv[i]) != CLI_OK)
            rc = CLI_BAD_INPUT;
    if (rc == CLI_OK && set.nempty && !o.allow_empty) /* nothing to render is a mistake */
        rc = cli_error(set.empty[0], "no reports (*.json) in this directory (--allow-empty to "
                                     "render an empty harvest)");
    if (rc == CLI_OK) {
        cli_roster_judge(&set, &(struct cli_judge){0});
        cli_roster_say(&set, stderr);
        rc = render(&set, &o);
        if (rc == CLI_OK && set.nlost)
            rc = CLI_BAD_INPUT;
    }
    cli_set_free(&set);
    return rc;
}
