/* cmd_report.c -- nvcheck report: merge, symbolise and render raw reports. */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: nvcheck report [OPTIONS] REPORT...\n"
    "\n"
    "Merge the raw reports of one or more processes (files, or directories of\n"
    "nvcheck.*.json), symbolise their stacks offline from DWARF, and render them.\n"
    "\n"
    "  -f, --format FORMAT     text (default), json, sarif, junit\n"
    "  -o, --output FILE       write there (atomically) instead of standard output\n"
    "      --stable            leave out addresses and pids, sort: output can be diffed\n"
    "      --source-root DIR   sarif: file locations relative to DIR (repository root)\n"
    "      --gen-suppressions  print suppression rules matching these findings\n"
    "      --color WHEN        text: auto (on a terminal; default), always, never\n"
    "  -q, --quiet             no warnings about missing or changed binaries\n"
    "  -h, --help              this help\n"
    "\n"
    "exit status: 0 rendered; 2 bad input (one line names the file and the problem).\n";

typedef int (*renderer)(FILE *, const struct cli_set *, const struct cli_groups *,
                        const struct cli_render_opts *);

static const struct {
    const char *name;
    renderer fn;
} formats[] = {
    {"text", cli_render_text},
    {"json", cli_render_json},
    {"sarif", cli_render_sarif},
    {"junit", cli_render_junit},
};

int cli_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"stable", no_argument, NULL, 'S'},
        {"source-root", required_argument, NULL, 'R'},
        {"gen-suppressions", no_argument, NULL, 'G'},
        {"color", required_argument, NULL, 'C'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct cli_render_opts ro = {0};
    renderer fn = cli_render_text;
    const char *output = NULL, *color = "auto";
    int quiet = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+f:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fn = NULL;
            for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
                if (!strcmp(optarg, formats[i].name))
                    fn = formats[i].fn;
            if (!fn)
                return cli_error("report", "unknown format '%s' (text, json, sarif, junit)",
                                 optarg);
            break;
        case 'o':
            output = optarg;
            break;
        case 'S':
            ro.stable = 1;
            break;
        case 'R':
            ro.source_root = optarg;
            break;
        case 'G':
            fn = cli_render_suppressions;
            break;
        case 'C':
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                return cli_error("report", "--color: expected auto, always or never");
            color = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return CLI_OK;
        default:
            return cli_error("report", "unknown option '%s' (see nvcheck report --help)",
                             argv[optind - 1]);
        }
    }
    if (optind == argc)
        return cli_error("report", "no reports given (see nvcheck report --help)");
    struct cli_set set = {0};
    int rc = CLI_OK;
    for (int i = optind; i < argc && rc == CLI_OK; i++)
        rc = cli_load_path(&set, argv[i]);
    if (rc == CLI_OK) {
        struct cli_groups groups = {0};
        struct cli_out out;
        cli_symbolize(&set, quiet);
        cli_group(&set, &groups);
        rc = cli_out_open(&out, output);
        if (rc == CLI_OK) {
            ro.color = !strcmp(color, "always") ||
                       (!strcmp(color, "auto") && out.f == stdout && isatty(STDOUT_FILENO));
            rc = fn(out.f, &set, &groups, &ro);
            out.failed = rc != CLI_OK;
            int rc2 = cli_out_close(&out);
            if (rc == CLI_OK)
                rc = rc2;
        }
        cli_groups_free(&groups);
    }
    cli_set_free(&set);
    return rc;
}
