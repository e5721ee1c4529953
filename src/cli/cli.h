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
    int64_t untracked_writes;
    int truncated;
    /* summary.by_kind: what the interposer counted per kind */
    size_t nby_kind;
    struct cli_kind_total {
        char *kind;
        int kind_id; /* enum nv_kind, or -1 */
        uint64_t findings, occurrences;
        uint64_t dropped; /* occurrences past max_findings: nothing known but the kind */
    } * by_kind;
    char image[17]; /* process.image (the roster's id of this image); "" when absent */
};

/* A marker of the roster (preload/roster.c): DIR/nvcheck.PID.IMAGE.pending, left by a
 * process image that started under nvcheck run. */
struct cli_marker {
    char *path;
    int64_t pid;
    char image[17];
    char state;   /* 's' started, 'u' used the API, 'f' could not write its report; 0: unknown */
    char *run_id; /* NULL when the marker does not say (yet) */
    char *exe;
    char *reason; /* 'f': what the interposer said */
};

/* A process that started under the interposer and left no report. */
struct cli_lost {
    int64_t pid;
    char *image, *exe, *why, *marker;
};

/* What was read: the reports, and what the harvest lacks. */
struct cli_set {
    size_t n, cap;
    struct cli_report *r;
    size_t unreadable; /* report files that could not be read (each said as it was) */
    size_t nmarkers;
    struct cli_marker *markers; /* of the directories read */
    size_t nlost;
    struct cli_lost *lost; /* judged from the markers (cli_roster_judge) */
    size_t nempty;
    char **empty; /* directories that held no report and no lost process */
};

/* ---- reading (reader.c) ---- */

/* cli_load -- read one raw report and append it to set. On bad input (missing,
 * unreadable, truncated, not JSON, not a raw report, a newer schema, wrong types) it
 * prints one line "nvcheck: PATH: problem", counts the file in set->unreadable and
 * returns CLI_BAD_INPUT; no report is added. A file whose parsing would take more than
 * 1 GiB ends the process after that line, with exit status CLI_BAD_INPUT, as running
 * out of memory does. A path named on the command line may be a FIFO or a device (a
 * stream the user chose); in a directory only regular files are opened. */
int cli_load(struct cli_set *set, const char *path);
/* cli_load_buffer -- the same for a report already in memory; name is used in
 * messages and as the report's path. */
int cli_load_buffer(struct cli_set *set, const char *name, const void *data, size_t len);
/* cli_load_dir -- every *.json raw report in dir (sorted by name), and the roster's
 * markers (*.pending, read first: a process that publishes its report meanwhile is
 * seen one way or the other). Every file is tried: each that cannot be read is named
 * and counted, and the result is CLI_BAD_INPUT when there was one. With run_id: only
 * that run's reports and markers; a JSON document that is not a raw report (never
 * written by the interposer) is named and skipped. A directory that gave no report and
 * no marker of a process that used the API is added to set->empty. */
int cli_load_dir(struct cli_set *set, const char *dir, const char *run_id);
/* cli_load_path -- a report file, or a directory of them. */
int cli_load_path(struct cli_set *set, const char *path);
/* cli_reader_work -- finding pointers re-pointed while reports were appended, so far:
 * tests check that loading stays linear (reader.c). */
size_t cli_reader_work(void);
void cli_set_free(struct cli_set *set);

/* ---- the roster (roster.c): processes that started and left no report ---- */

/* cli_marker_read -- the marker at path; 0, or -1 when it is none (its name is not
 * nvcheck.PID.IMAGE.pending, or it is not a regular file we may read). */
int cli_marker_read(const char *path, struct cli_marker *m);
void cli_marker_free(struct cli_marker *m);
/* How to judge: what nvcheck run knows of the program it started. */
struct cli_judge {
    int remove;       /* remove the markers that are answered for (nvcheck run) */
    const char *prog; /* the program that was run (its exit ends what run waits for) */
    int have_child;
    int64_t child;    /* its pid ... */
    int child_status; /* ... and wait status */
};
/* cli_roster_judge -- set->lost from set->markers and the reports read. */
void cli_roster_judge(struct cli_set *set, const struct cli_judge *j);
/* cli_roster_say -- "nvcheck: process PID (EXE) left no report: WHY", each. */
void cli_roster_say(const struct cli_set *set, FILE *out);

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

/* cli_stack_key -- a text key for a stack that does not depend on addresses.
 * lines: for grouping one run's findings -- frames as function@file:line(module), file
 * and module by full path, or module+offset, everything a suppression can match.
 * Without: frames as function@file (file by base name) where known, else module base
 * name+offset; the key survives edits elsewhere in the file and updates of system
 * libraries, whose frames it leaves out (baselines, SARIF fingerprints). Caller frees. */
char *cli_stack_key(const struct cli_stack *s, int lines);
/* cli_finding_key -- kind + the stack's key + related stacks' keys. Caller frees. */
char *cli_finding_key(const struct cli_finding *f, int lines);

/* ---- rendering ---- */

struct cli_render_opts {
    int stable;              /* no addresses or pids; sorted (diffable) */
    int color;               /* ANSI colour (text only; a TTY) */
    const char *source_root; /* SARIF: make file URIs relative to this directory */
    size_t max_findings;     /* text: cap, then "N more" (0: no cap) */
    int harvest_said;        /* text: the caller names lost processes and empty
                                directories itself (run, check); no notes for them */
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

/* cli_error -- "nvcheck: WHAT: problem" on stderr; returns CLI_BAD_INPUT. Like
 * cli_warn, it prints the line cleaned as cli_clean does: names from the file system
 * and text quoted from reports cannot reach the terminal as control sequences. */
int cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_text_unsafe -- how many bytes at s must not reach a terminal as they are: a C0
 * control, DEL, a C1 control (U+0080..U+009F, encoded or as a lone byte), a byte that
 * is not UTF-8; 0 when s starts with a printable character. */
size_t cli_text_unsafe(const char *s);
/* cli_clean -- s, in place, with each such character (or stray byte) made '?'. */
char *cli_clean(char *s);
/* cli_put_clean -- s to out the same way (NULL prints nothing). */
void cli_put_clean(FILE *out, const char *s);
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
/* cli_json_dumpf -- json_dumpf, with DEL and C1 controls as \u escapes. */
int cli_json_dumpf(const struct json_t *v, FILE *out, size_t flags);
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
 * complete); "-" or NULL is standard output; a character device or a FIFO (or a link
 * to one), or an open descriptor (/dev/stdout, /proc/self/fd/N, even when it is open
 * on a regular file: appended to) is written into in place, as a stream. close
 * returns CLI_OK or CLI_BAD_INPUT (said why; the temp file is removed). */
struct cli_out {
    FILE *f;
    char *path, *tmp; /* tmp: NULL for a stream */
    int failed;       /* set before close: discard the temp file instead */
};
int cli_out_open(struct cli_out *o, const char *path);
int cli_out_close(struct cli_out *o);

#endif
