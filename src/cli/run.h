/* run.h -- nvcheck run's state, shared by cmd_run.c and run_setup.c. */
#ifndef NVCLI_RUN_H
#define NVCLI_RUN_H

#include "cli.h"

struct run {
    const char *dir, *options, *fail_on;
    long fail_mask;
    int exitcode, quiet, allow_empty;
    char **argv; /* PROG ARGS */
    char *prog;  /* PROG as found through PATH */
    char *run_id;
    char *env_preload, *env_output, *env_options; /* for the program */
};

/* run_setup -- find the program and the interposer, make the report directory,
 * build the program's environment. CLI_OK, or CLI_BAD_INPUT (said why). */
int run_setup(struct run *r);
void run_free(struct run *r);

#endif
