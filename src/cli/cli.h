/* cli.h -- the nvcheck CLI: reports in memory, and the pieces that read, symbolise,
 * merge and render them. */
#ifndef NVCLI_H
#define NVCLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes shared by every subcommand (DESIGN.md section 6). */
#define CLI_OK 0
#define CLI_FINDINGS 1 /* nvcheck check: something is above the bar */
#define CLI_BAD_INPUT 2

/* ---- the model: what raw reports say (reports/raw-report.schema.json) ---- */

struct cli_frame {
    const char *module; /* path, or NULL for an absolute address */
    const char *build_id;
    uint64_t offset;  /* file offset of the call instruction in module */
    uint64_t address; /* when module is NULL */
    /* filled by cli_symbolize */
    char *function; /* demangled; NULL when unknown */
    char *file;     /* source file as DWARF names it; NULL when unknown */
    int line;       /* 0 when unknown */
    int inlined;    /* this frame was inlined into the next one */
};

struct cli_stack {
    size_t n;
    struct cli_frame *f;
};

struct cli_related {
    char *role; /* "flushed-at", "token-freed-at", ... */
    struct cli_stack stack;
};

struct cli_report;

struct cli_finding {
    struct cli_report *report; /* the process it came from */
    char *kind;
    int kind_id;  /* enum nv_kind, or -1 for a kind this nvcheck does not know */
    int severity; /* enum nv_severity */
    char *message;
    int has_address;
    uint64_t address;
    int has_size;
    uint64_t size;
    int has_region;
    uint64_t region_base;
    int has_region_size;
    uint64_t region_size;
    int64_t region_offset;
    int has_token;
    uint64_t token;
    char *routine; /* NULL when not about one call's arguments */
    int has_thread;
    int64_t thread_id; /* -1: several threads */
    int64_t thread_tid;
    uint64_t count;
    int has_bytes;
    uint64_t bytes;
    size_t nranges;
    struct cli_range {
        uint64_t address;
        int has_size;
        uint64_t size;
    } * ranges;
    int ranges_truncated;
    struct cli_stack stack;
    size_t nrelated;
    struct cli_related *related;
};

struct cli_module {
    char *path;
    char *build_id; /* NULL when none */
    uint64_t base;
};

/* How a process ended: the raw report's "end". */
enum cli_end {
    CLI_END_UNKNOWN, /* no "end": a report of an older version */
    CLI_END_EXIT,    /* exit, _exit, _Exit, return from main */
    CLI_END_EXEC,    /* replaced by exec */
    CLI_END_SIGNAL   /* killed by a signal's default action */
};

struct cli_report {
    char *path; /* the file it was read from */
    char *version;
    char *run_id; /* set by nvcheck run (NVCHECK_RUN_ID); NULL otherwise */
    int64_t pid, ppid, start_time;
    size_t argc;
    char **argv;
    /* how it ended */
    int end_how;           /* enum cli_end */
    int has_exit_status;   /* CLI_END_EXIT and the report says with which status */
    int exit_status;       /* 0..255 */
    int end_signal;        /* CLI_END_SIGNAL: its number */
    char *end_signal_name; /* CLI_END_SIGNAL: "SIGSEGV"; NULL when the report has none */
    /* options in effect */
    int64_t stack_depth, max_findings;
    char *drain;
    size_t nkinds;
    char **kinds;
    size_t nmodules;
    struct cli_module *modules;
    size_t nfindings;
    struct cli_finding *findings;
    /* summary */
    int64_t errors, warnings, api_calls, threads, stacks, stacks_dropped;
    int64_t shadow_bytes, peak_shadow_bytes, dropped_occurrences;
    int truncated;
};

struct cli_set {
    size_t n;
    struct cli_report *r;
};

/* ---- reading (reader.c) ---- */

/* cli_load -- read one raw report and append it to set. On bad input (missing,
 * unreadable, truncated, not JSON, not a raw report, a newer schema, wrong types) it
 * prints one line "nvcheck: PATH: problem" and returns CLI_BAD_INPUT; set is then
 * unchanged. A file whose parsing would take more than 1 GiB ends the process after
 * that line, with exit status CLI_BAD_INPUT, as running out of memory does. */
int cli_load(struct cli_set *set, const char *path);
/* cli_load_buffer -- the same for a report already in memory; name is used in
 * messages and as the report's path. */
int cli_load_buffer(struct cli_set *set, const char *name, const void *data, size_t len);
/* cli_load_dir -- every *.json raw report in dir (sorted by name); with run_id, only
 * those that carry it, and a file that is not a report is named and skipped (the
 * directory may be shared). Returns CLI_OK or CLI_BAD_INPUT (said why). */
int cli_load_dir(struct cli_set *set, const char *dir, const char *run_id);
/* cli_load_path -- a report file, or a directory of them. */
int cli_load_path(struct cli_set *set, const char *path);
void cli_set_free(struct cli_set *set);

/* ---- symbolising (symbolize.c) ---- */

/* cli_symbolize -- fill function/file/line of every frame from DWARF (elfutils libdw),
 * C++ names demangled, inlined calls expanded into frames of their own. A module whose
 * file is missing or whose build-id differs from the one that ran is left as
 * module+offset, with one warning per module on stderr (unless quiet). */
void cli_symbolize(struct cli_set *set, int quiet);

/* ---- merging (merge.c) ---- */

/* A finding as rendered: occurrences with the same kind and symbolised stacks,
 * across processes, merged into one group. */
struct cli_group {
    const struct cli_finding *first; /* the representative (lowest pid, then address) */
    size_t nmembers;
    const struct cli_finding **members;
    uint64_t count; /* sum of the members' counts */
    uint64_t bytes;
    int has_bytes;
};

struct cli_groups {
    size_t n;
    struct cli_group *g;
};

/* cli_group -- merge the findings of set into groups, ordered by severity, kind,
 * then innermost source location (stable across runs). */
void cli_group(const struct cli_set *set, struct cli_groups *out);
void cli_groups_free(struct cli_groups *g);
/* cli_group_pids -- the distinct pids of g's members, ascending, into pids (room for
 * g->nmembers); returns how many. */
size_t cli_group_pids(const struct cli_group *g, int64_t *pids);
/* cli_group_pids_json -- the same, as a JSON array. */
struct json_t *cli_group_pids_json(const struct cli_group *g);
/* cli_report_cmp_argv -- order two processes by their argument vectors (--stable
 * output sorts by what ran, never by pid). */
int cli_report_cmp_argv(const struct cli_report *a, const struct cli_report *b);
/* cli_group_stable_first -- for --stable output, the member to show: chosen by what
 * it says (region offset, size, message without addresses, argv), not by pid or
 * address, so that the same run gives the same choice every time. */
const struct cli_finding *cli_group_stable_first(const struct cli_group *g);

/* cli_stack_key -- a text key for a stack that does not depend on addresses: frames
 * as function@file[:line] (file by base name) where known, else module+offset.
 * lines: include line numbers (grouping one run's findings); without them the key
 * survives edits elsewhere in the file and updates of system libraries, whose
 * frames it leaves out (baselines, SARIF fingerprints). Caller frees. */
char *cli_stack_key(const struct cli_stack *s, int lines);
/* cli_finding_key -- kind + the stack's key + related stacks' keys. Caller frees. */
char *cli_finding_key(const struct cli_finding *f, int lines);

/* ---- rendering ---- */

struct cli_render_opts {
    int stable;              /* no addresses or pids; sorted (diffable) */
    int color;               /* ANSI colour (text only; a TTY) */
    const char *source_root; /* SARIF: make file URIs relative to this directory */
    size_t max_findings;     /* text: cap, then "N more" (0: no cap) */
};

int cli_render_text(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                    const struct cli_render_opts *o);
int cli_render_json(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                    const struct cli_render_opts *o);
int cli_render_sarif(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                     const struct cli_render_opts *o);
int cli_render_junit(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                     const struct cli_render_opts *o);
/* cli_render_html -- one self-contained page (render_html.c). */
int cli_render_html(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                    const struct cli_render_opts *o);
/* cli_render_suppressions -- suppression rules matching the current findings. */
int cli_render_suppressions(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                            const struct cli_render_opts *o);

/* ---- subcommands ---- */

int cli_cmd_run(int argc, char **argv);
int cli_cmd_report(int argc, char **argv);
int cli_cmd_check(int argc, char **argv);

/* ---- small helpers (util.c) ---- */

/* cli_error -- "nvcheck: WHAT: problem" on stderr; returns CLI_BAD_INPUT. */
int cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *cli_alloc(size_t n);       /* calloc or exit 2 with a message */
char *cli_strdup(const char *s); /* NULL stays NULL */
char *cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_stable_text -- s with every hex number of 0x10000 or more replaced by "0x...", for
 * --stable output: addresses and token handles change from run to run, flag values
 * (0x40) do not, and nothing can be mapped below 0x10000 (vm.mmap_min_addr). Caller
 * frees; NULL stays NULL. */
char *cli_stable_text(const char *s);
/* cli_kinds_mask -- parse "errors", "warnings", "all", or a comma list of kinds into a
 * bit mask; -1 with a message naming the bad item. */
long cli_kinds_mask(const char *spec, const char *what);
/* JSON output (jansson): cli_json_init makes allocation failures exit 2 like
 * cli_alloc, so no value can go missing silently; cli_jstr is a string value (null
 * for NULL; bytes that are not UTF-8 -- DWARF names can be anything -- become '?'). */
void cli_json_init(void);
struct json_t;
struct json_t *cli_jstr(const char *s);
struct json_t *cli_jstr_or_empty(const char *s); /* "" for NULL */
/* cli_juint -- x as a JSON integer (clamped to INT64_MAX), null when !has;
 * cli_jhex -- x as a "0x..." string, null when !has. */
struct json_t *cli_juint(int has, uint64_t x);
struct json_t *cli_jhex(int has, uint64_t x);
/* cli_jend -- how r ended: {"how": "exit"|"exec"|"signal", "status", "signal",
 * "signal_name"}, each null where it does not apply or is not known; null when the
 * report does not say (an older version wrote it). */
struct json_t *cli_jend(const struct cli_report *r);
/* cli_out_open/close -- write path atomically (a temp file beside it, renamed when
 * complete); "-" or NULL is standard output. close returns CLI_OK or CLI_BAD_INPUT
 * (said why; the temp file is removed). */
struct cli_out {
    FILE *f;
    char *path, *tmp;
    int failed; /* set before close: discard the temp file instead */
};
int cli_out_open(struct cli_out *o, const char *path);
int cli_out_close(struct cli_out *o);

#endif
