/* fuzz_report.c -- libFuzzer target: the CLI's raw-report reader on hostile bytes.
 *
 * Raw reports come from other processes and other machines, and sometimes from a disk
 * that filled up (truncated), a foreign tool (wrong types), or a hostile user (deep
 * nesting, huge numbers, invalid UTF-8). For each input, through the same entry point
 * `nvcheck report` and `nvcheck check` use (cli_load_buffer: what cli_load does once
 * the file is read):
 *   - a rejected input returns CLI_BAD_INPUT, leaves the set as it was, and says so in
 *     exactly one line "nvcheck: NAME: problem", in UTF-8 without control characters
 *     (text quoted from the input must not break the line or drive the terminal),
 *     which says "empty" exactly when the input is;
 *   - an accepted one says nothing, is added, and is then grouped (cli_group) and
 *     rendered in every format, plain and --stable, to /dev/null -- the rest of the
 *     CLI must cope with whatever the reader let through. It is loaded twice, so the
 *     set holds two processes to merge.
 * No crash, no undefined behaviour, no leak (ASan, UBSan, LeakSanitizer). The
 * symboliser stays off: module paths in the input name files on this machine. The
 * reader's parse budget (1 GiB, past which the process exits) is beyond inputs of a
 * few KB; fuzz.sh drives it with a real file.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz-input"

static FILE *devnull;
static FILE *real_stderr;
static char said[8192]; /* what the reader printed on stderr */
static unsigned long long accepted, rejected;

static void report_stats(void)
{
    fprintf(real_stderr,
            "fuzz-report: %llu inputs accepted and rendered, %llu rejected with one line; "
            "0 property violations\n",
            accepted, rejected);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    devnull = fopen("/dev/null", "w");
    real_stderr = stderr;
    if (!devnull) {
        perror("fuzz-report: /dev/null");
        exit(1);
    }
    cli_json_init();
    atexit(report_stats);
    return 0;
}

__attribute__((noreturn)) static void fail(const char *what)
{
    stderr = real_stderr;
    fprintf(stderr, "fuzz-report: PROPERTY VIOLATED: %s\nfuzz-report: it said: %s\n", what, said);
    abort();
}

/* load -- cli_load_buffer with stderr captured into `said`. */
static int load(struct cli_set *set, const uint8_t *data, size_t size)
{
    memset(said, 0, sizeof said);
    FILE *cap = fmemopen(said, sizeof said - 1, "w");
    if (!cap)
        abort();
    setvbuf(cap, NULL, _IONBF, 0);
    stderr = cap;
    int rc = cli_load_buffer(set, NAME, data, size);
    stderr = real_stderr;
    fclose(cap);
    return rc;
}

/* one_clean_line -- s is UTF-8 without control characters but its final newline. */
static int one_clean_line(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && !(*p == '\n' && !p[1])) || *p == 0x7f)
            return 0;
        if (*p < 0x80)
            continue;
        int n = *p >= 0xf0 && *p <= 0xf4  ? 3
                : *p >= 0xe0 && *p < 0xf0 ? 2
                : *p >= 0xc2 && *p < 0xe0 ? 1
                                          : -1;
        if (n < 0)
            return 0;
        while (n--)
            if ((*++p & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

static void render_all(const struct cli_set *set)
{
    struct cli_groups g = {0};
    cli_group(set, &g);
    for (int stable = 0; stable <= 1; stable++) {
        struct cli_render_opts o = {.stable = stable, .max_findings = stable ? 0 : 3};
        cli_render_text(devnull, set, &g, &o);
        cli_render_json(devnull, set, &g, &o);
        cli_render_sarif(devnull, set, &g, &o);
        cli_render_junit(devnull, set, &g, &o);
        cli_render_suppressions(devnull, set, &g, &o);
    }
    cli_groups_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cli_set set = {0};
    int rc = load(&set, data, size);
    if (rc != CLI_OK) {
        rejected++;
        const char *nl = strchr(said, '\n');
        if (rc != CLI_BAD_INPUT)
            fail("a rejected input did not return CLI_BAD_INPUT");
        if (set.n != 0 || set.r != NULL)
            fail("a rejected input was added to the set");
        if (strncmp(said, "nvcheck: " NAME ": ", strlen("nvcheck: " NAME ": ")) != 0)
            fail("the message does not start with \"nvcheck: NAME: \"");
        if (!nl || nl[1] != 0 || nl == said + strlen("nvcheck: " NAME ": "))
            fail("not exactly one line, with a problem named");
        if (!one_clean_line(said))
            fail("a control character or a byte that is not UTF-8 in the message");
        if (!strcmp(said, "nvcheck: " NAME ": empty, not a report\n") != (size == 0))
            fail("\"empty\" for an input that is not, or the other way round");
        return 0;
    }
    accepted++;
    if (said[0])
        fail("an accepted input printed something");
    if (set.n != 1 || load(&set, data, size) != CLI_OK || set.n != 2)
        fail("an accepted input was not accepted again");
    render_all(&set);
    cli_set_free(&set);
    return 0;
}
