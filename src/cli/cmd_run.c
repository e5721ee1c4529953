/* cmd_run.c -- PLACEHOLDER until its owner lands it. */
#include "cli.h"

int cli_cmd_run(int argc, char **argv)
{
    (void)argc, (void)argv;
    return cli_error("run", "not built yet");
}
