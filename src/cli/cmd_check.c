/* cmd_check.c -- PLACEHOLDER until its owner lands it. */
#include "cli.h"

int cli_cmd_check(int argc, char **argv)
{
    (void)argc, (void)argv;
    return cli_error("check", "not built yet");
}
