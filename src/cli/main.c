/* main.c -- nvcheck: run programs under the checker, render reports, gate CI. */
#include "cli.h"

#include <string.h>

static const char usage[] =
    "usage: nvcheck COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Find persistence bugs in programs using the Windows NV memory API\n"
    "(RtlWriteNonVolatileMemory, ...) on Linux.\n"
    "\n"
    "commands:\n"
    "  run [OPTIONS] -- PROG [ARGS]   run PROG (and its children) under the checker\n"
    "  report [OPTIONS] REPORT...     render reports: text, json, sarif, junit\n"
    "  check [OPTIONS] REPORT...      CI gate: exit 1 when findings above the bar remain\n"
    "\n"
    "REPORT is a raw report file (nvcheck.PID.json) or a directory of them.\n"
    "'nvcheck COMMAND --help' describes each command; see also nvcheck(1).\n"
    "\n"
    "exit status: as described for each command; 2 means bad input or usage.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("nvcheck %s\n", PACKAGE_VERSION);
        return CLI_OK;
    }
    if (!strcmp(cmd, "run"))
        return cli_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return cli_cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return cli_cmd_check(argc - 1, argv + 1);
    cli_error(cmd, "unknown command (commands: run, report, check; see nvcheck --help)");
    return CLI_BAD_INPUT;
}
