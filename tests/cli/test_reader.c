/* test_reader.c -- loading reports stays linear: the work of appending reports to a
 * set, counted (cli_reader_work), not timed. */
#include "cli/cli.h"

#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINDINGS 3 /* per report */

/* report -- a raw report of pid with FINDINGS findings, as JSON text. Caller frees. */
static char *report(int pid)
{
    static const char finding[] =
        "{\"kind\":\"unflushed-write\",\"severity\":\"error\",\"message\":\"m\","
        "\"address\":\"0x1000\",\"size\":8,\"region\":null,\"count\":1,\"bytes\":8,"
        "\"ranges\":[],\"ranges_truncated\":false,\"stack\":[{\"module\":0,\"offset\":\"0x10\"}],"
        "\"related\":[]}";
    char *s = cli_printf(
        "{\"schema\":\"nvcheck-raw/1\",\"tool\":{\"name\":\"nvcheck\",\"version\":\"0\"},"
        "\"process\":{\"pid\":%d,\"ppid\":1,\"argv\":[\"app\"],\"start_time\":0},"
        "\"options\":{\"stack_depth\":16,\"kinds\":[],\"drain\":\"thread\",\"max_findings\":10},"
        "\"modules\":[{\"path\":\"/app\",\"build_id\":null,\"base\":\"0x0\"}],"
        "\"findings\":[%s,%s,%s],"
        "\"summary\":{\"errors\":3,\"warnings\":0,\"by_kind\":{},\"truncated\":false,"
        "\"dropped_occurrences\":0,\"threads\":1,\"stacks\":1,\"stacks_dropped\":0,"
        "\"shadow_bytes\":0,\"peak_shadow_bytes\":0}}",
        pid, finding, finding, finding);
    return s;
}

/* load -- n reports into set; the work it took. */
static size_t load(struct cli_set *set, int n)
{
    size_t before = cli_reader_work();
    for (int i = 0; i < n; i++) {
        char *s = report(i + 1), name[32];
        snprintf(name, sizeof name, "r%d.json", i);
        if (cli_load_buffer(set, name, s, strlen(s)) != CLI_OK)
            exit(1);
        free(s);
    }
    return cli_reader_work() - before;
}

int main(void)
{
    static const int sizes[] = {100, 1000, 10000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        struct cli_set set = {0};
        int n = sizes[k];
        size_t work = load(&set, n), findings = (size_t)n * FINDINGS;
        /* Each finding is pointed at its report once, and again each time the array
         * moves: doubling bounds the moves' share by twice the findings loaded (a
         * geometric sum). Re-pointing everything on every append was n^2/2 reports. */
        ok(work <= 3 * findings, "%d reports: %zu re-points for %zu findings (at most 3 times)", n,
           work, findings);
        int good = set.n == (size_t)n;
        for (size_t r = 0; good && r < set.n; r++)
            for (size_t i = 0; i < set.r[r].nfindings; i++)
                good &= set.r[r].findings[i].report == &set.r[r];
        ok(good, "%d reports: every finding points at its own report", n);
        cli_set_free(&set);
    }
    return done_testing();
}
