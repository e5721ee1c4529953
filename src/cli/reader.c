/* reader.c -- raw reports (nvcheck-raw/1) from JSON files into the model.
 *
 * Reports come from other processes, other machines, older or newer nvchecks, and
 * sometimes from a disk that filled up. Every field is type-checked as it is read and
 * the first problem is reported as one line naming the file and the JSON path
 * ("nvcheck: r.json: findings[3].stack[0].offset: expected a hex string"); nothing is
 * added to the set unless the whole file is good.
 */
#include "cli.h"

#include "kinds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA "nvcheck-raw/1"
#define SCHEMA_PREFIX "nvcheck-raw/"
#define MAX_FILE (512ul << 20) /* a report this big is not one nvcheck wrote */

/* What parsing one file may allocate. A real report takes about 10 bytes of parsed
 * tree per byte of JSON (10,000 findings with 60-frame stacks: 26 MB of JSON, 0.27 GB
 * parsed), so reports of some 100 MB pass. Hostile JSON takes far more: 76 MB of
 * empty objects ("{},{},...") take 5.8 GB and 16 s before anything could say no, a
 * 500 MB file of them would not fit in memory. Budgeted, they stop within seconds.
 *
 * Past the budget the run ends (exit 2, one line), as it does when memory runs out
 * anywhere in the CLI (cli_alloc), instead of jansson being told "no memory": jansson
 * 2.14 overruns its heap when an allocation fails while it lexes a string (lex_save
 * ignores the failure; lex_scan_string then copies past the truncated text). Found by
 * tests/fuzz/fuzz_report.c. */
#define PARSE_BUDGET (1ul << 30)
static size_t parse_used;
static const char *parse_name; /* the file being parsed */

/* The path of the value being read, for messages: "findings[3].stack[0]". */
struct ctx {
    const char *file;
    char path[256];
    int failed;
};

/* clean -- make text quoted from the input fit in one line of a terminal: control
 * characters (a newline, an escape sequence, C1 ones) and bytes that are not UTF-8 (a
 * string cut at "%.40s") become '?'. Found by tests/fuzz/fuzz_report.c. */
static char *clean(char *s)
{
    return cli_clean(s);
}

static int bad(struct ctx *c, const char *what, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    clean(msg);
    if (!c->failed) {
        const char *sep = c->path[0] && what[0] ? "." : "";
        const char *colon = c->path[0] || what[0] ? ": " : "";
        cli_error(c->file, "%s%s%s%s%s", c->path, sep, what, colon, msg);
    }
    c->failed = 1;
    return -1;
}

/* append -- s to the path, cut at its end. */
static void path_add(struct ctx *c, size_t *len, const char *s, size_t n)
{
    if (n > sizeof c->path - 1 - *len)
        n = sizeof c->path - 1 - *len;
    memcpy(c->path + *len, s, n);
    *len += n;
    c->path[*len] = 0;
}

/* enter/leave -- descend into a member ("name") or element ("[i]"). Every value read
 * passes here: no printf (a fifth of loading thousands of reports was snprintf). */
static size_t enter(struct ctx *c, const char *name, long index)
{
    size_t start = strlen(c->path), len = start;
    if (len && (*name || index < 0))
        path_add(c, &len, ".", 1);
    path_add(c, &len, name, strlen(name));
    if (index >= 0) {
        char digits[24], *d = digits + sizeof digits;
        *--d = ']';
        do
            *--d = (char)('0' + index % 10);
        while ((index /= 10) > 0);
        *--d = '[';
        path_add(c, &len, d, (size_t)(digits + sizeof digits - d));
    }
    return start;
}

static void leave(struct ctx *c, size_t len)
{
    c->path[len] = 0;
}

static json_t *member(struct ctx *c, json_t *obj, const char *key, json_type type, int optional)
{
    json_t *v = json_object_get(obj, key);
    if (!v || (optional && json_is_null(v))) {
        if (!optional)
            bad(c, key, "missing");
        return NULL;
    }
    if (json_typeof(v) != type) {
        static const char *const names[] = {"an object", "an array", "a string", "an integer",
                                            "a number",  "true",     "false",    "null"};
        bad(c, key, "expected %s", names[type]);
        return NULL;
    }
    return v;
}

static char *str(struct ctx *c, json_t *obj, const char *key, int optional)
{
    json_t *v = member(c, obj, key, JSON_STRING, optional);
    return v ? cli_strdup(json_string_value(v)) : NULL;
}

static int64_t num(struct ctx *c, json_t *obj, const char *key, int optional, int *has)
{
    json_t *v = member(c, obj, key, JSON_INTEGER, optional);
    if (has)
        *has = v != NULL;
    return v ? (int64_t)json_integer_value(v) : 0;
}

/* unum -- a size or a count: an integer that cannot be negative. */
static uint64_t unum(struct ctx *c, json_t *obj, const char *key, int optional, int *has)
{
    int64_t v = num(c, obj, key, optional, has);
    if (v < 0) {
        bad(c, key, "expected a non-negative integer, got %lld", (long long)v);
        return 0;
    }
    return (uint64_t)v;
}

static uint64_t hex(struct ctx *c, json_t *obj, const char *key, int optional, int *has)
{
    json_t *v = member(c, obj, key, JSON_STRING, optional);
    if (has)
        *has = 0;
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 16);
    if (strncmp(s, "0x", 2) != 0 || !s[2] || *end || errno) {
        bad(c, key, "expected a hex string like \"0x1a2b\", got \"%.40s\"", s);
        return 0;
    }
    if (has)
        *has = 1;
    return x;
}

static void read_stack(struct ctx *c, json_t *arr, const struct cli_report *r, struct cli_stack *s)
{
    size_t i;
    json_t *f;
    s->n = json_array_size(arr);
    s->f = cli_alloc((s->n ? s->n : 1) * sizeof *s->f);
    json_array_foreach(arr, i, f)
    {
        size_t mark = enter(c, "", (long)i);
        struct cli_frame *fr = &s->f[i];
        if (!json_is_object(f)) {
            bad(c, "", "expected an object");
        } else if (json_object_get(f, "module")) {
            int64_t m = num(c, f, "module", 0, NULL);
            if (!c->failed && (m < 0 || (size_t)m >= r->nmodules))
                bad(c, "module", "no module %lld in the module table", (long long)m);
            else if (!c->failed) {
                fr->module = r->modules[m].path;
                fr->build_id = r->modules[m].build_id;
            }
            fr->offset = hex(c, f, "offset", 0, NULL);
        } else {
            fr->address = hex(c, f, "address", 0, NULL);
        }
        leave(c, mark);
        if (c->failed)
            return;
    }
}

static void read_finding(struct ctx *c, json_t *o, struct cli_report *r, struct cli_finding *f)
{
    json_t *v;
    f->report = r;
    f->kind = str(c, o, "kind", 0);
    f->kind_id = f->kind ? nv_kind_lookup(f->kind, strlen(f->kind)) : -1;
    char *sev = str(c, o, "severity", 0);
    if (sev && strcmp(sev, "error") && strcmp(sev, "warning"))
        bad(c, "severity", "expected \"error\" or \"warning\", got \"%.20s\"", sev);
    f->severity = sev && !strcmp(sev, "warning") ? NV_SEV_WARNING : NV_SEV_ERROR;
    free(sev);
    f->message = str(c, o, "message", 0);
    f->address = hex(c, o, "address", 1, &f->has_address);
    f->size = unum(c, o, "size", 1, &f->has_size);
    f->token = hex(c, o, "token", 1, &f->has_token);
    f->routine = str(c, o, "routine", 1);
    if ((v = member(c, o, "region", JSON_OBJECT, 1)) != NULL) {
        size_t mark = enter(c, "region", -1);
        f->has_region = 1;
        f->region_base = hex(c, v, "base", 0, NULL);
        f->region_size = unum(c, v, "size", 1, &f->has_region_size);
        f->region_offset = num(c, v, "offset", 0, NULL);
        leave(c, mark);
    }
    if ((v = member(c, o, "thread", JSON_OBJECT, 1)) != NULL) {
        int has_id;
        f->has_thread = 1;
        f->thread_id = num(c, v, "id", 1, &has_id);
        if (!has_id)
            f->thread_id = -1;
        f->thread_tid = num(c, v, "tid", 1, NULL);
    }
    f->count = unum(c, o, "count", 0, NULL);
    f->bytes = unum(c, o, "bytes", 1, &f->has_bytes);
    if ((v = member(c, o, "ranges", JSON_ARRAY, 1)) != NULL) {
        size_t i;
        json_t *rg;
        f->nranges = json_array_size(v);
        f->ranges = cli_alloc((f->nranges ? f->nranges : 1) * sizeof *f->ranges);
        json_array_foreach(v, i, rg)
        {
            size_t mark = enter(c, "ranges", (long)i);
            if (!json_is_object(rg)) {
                bad(c, "", "expected an object");
            } else {
                f->ranges[i].address = hex(c, rg, "address", 0, NULL);
                f->ranges[i].size = unum(c, rg, "size", 1, &f->ranges[i].has_size);
            }
            leave(c, mark);
        }
    }
    json_t *t = json_object_get(o, "ranges_truncated");
    f->ranges_truncated = json_is_true(t);
    if ((v = member(c, o, "stack", JSON_ARRAY, 0)) != NULL) {
        size_t mark = enter(c, "stack", -1);
        read_stack(c, v, r, &f->stack);
        leave(c, mark);
    }
    if ((v = member(c, o, "related", JSON_ARRAY, 0)) != NULL) {
        size_t i;
        json_t *rel;
        f->nrelated = json_array_size(v);
        f->related = cli_alloc((f->nrelated ? f->nrelated : 1) * sizeof *f->related);
        json_array_foreach(v, i, rel)
        {
            size_t mark = enter(c, "related", (long)i);
            if (!json_is_object(rel)) {
                bad(c, "", "expected an object");
            } else {
                json_t *st;
                f->related[i].role = str(c, rel, "role", 0);
                if ((st = member(c, rel, "stack", JSON_ARRAY, 0)) != NULL) {
                    size_t m2 = enter(c, "stack", -1);
                    read_stack(c, st, r, &f->related[i].stack);
                    leave(c, m2);
                }
            }
            leave(c, mark);
        }
    }
}

/* read_end -- "end": how the process ended. Optional (older versions wrote none);
 * when there, every member is checked like any other. */
static void read_end(struct ctx *c, json_t *o, struct cli_report *r)
{
    static const char *const hows[] = {
        [CLI_END_EXIT] = "exit", [CLI_END_EXEC] = "exec", [CLI_END_SIGNAL] = "signal"};
    int has_signal;
    char *how = str(c, o, "how", 0);
    int64_t status = num(c, o, "status", 1, &r->has_exit_status);
    int64_t sig = num(c, o, "signal", 1, &has_signal);
    r->end_signal_name = str(c, o, "signal_name", 1);
    for (int k = CLI_END_EXIT; how && k <= CLI_END_SIGNAL; k++)
        if (!strcmp(how, hows[k]))
            r->end_how = k;
    if (how && r->end_how == CLI_END_UNKNOWN)
        bad(c, "how", "expected \"exit\", \"exec\" or \"signal\", got \"%.20s\"", how);
    free(how);
    if (r->has_exit_status && (status < 0 || status > 255))
        bad(c, "status", "expected an exit status (0 to 255), got %lld", (long long)status);
    if (has_signal && (sig < 1 || sig > 127))
        bad(c, "signal", "expected a signal number (1 to 127), got %lld", (long long)sig);
    r->exit_status = (int)status;
    r->has_exit_status &= r->end_how == CLI_END_EXIT;
    r->end_signal = r->end_how == CLI_END_SIGNAL ? (int)sig : 0;
}

static void free_stack(struct cli_stack *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->f[i].function);
        free(s->f[i].file);
    }
    free(s->f);
}

static void free_report(struct cli_report *r)
{
    free(r->path);
    free(r->version);
    free(r->run_id);
    free(r->end_signal_name);
    for (size_t i = 0; i < r->argc; i++)
        free(r->argv[i]);
    free(r->argv);
    free(r->drain);
    for (size_t i = 0; i < r->nkinds; i++)
        free(r->kinds[i]);
    free(r->kinds);
    for (size_t i = 0; i < r->nfindings; i++) {
        struct cli_finding *f = &r->findings[i];
        free(f->kind);
        free(f->message);
        free(f->routine);
        free(f->ranges);
        free_stack(&f->stack);
        for (size_t k = 0; k < f->nrelated; k++) {
            free(f->related[k].role);
            free_stack(&f->related[k].stack);
        }
        free(f->related);
    }
    free(r->findings);
    for (size_t i = 0; i < r->nby_kind; i++)
        free(r->by_kind[i].kind);
    free(r->by_kind);
    for (size_t i = 0; i < r->nmodules; i++) {
        free(r->modules[i].path);
        free(r->modules[i].build_id);
    }
    free(r->modules);
}

static void read_strings(struct ctx *c, json_t *arr, const char *key, size_t *n, char ***out)
{
    size_t i;
    json_t *v;
    *n = json_array_size(arr);
    *out = cli_alloc((*n ? *n : 1) * sizeof **out);
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) {
            size_t mark = enter(c, key, (long)i);
            bad(c, "", "expected a string");
            leave(c, mark);
            return;
        }
        (*out)[i] = cli_strdup(json_string_value(v));
    }
}

/* read_image -- process.image: the roster's 16 hex digits for this image (optional:
 * older reports, and reports written outside nvcheck run, have none). */
static void read_image(struct ctx *c, json_t *o, struct cli_report *r)
{
    json_t *v = member(c, o, "image", JSON_STRING, 1);
    const char *s = v ? json_string_value(v) : NULL;
    if (s && (strlen(s) != 16 || strspn(s, "0123456789abcdef") != 16))
        bad(c, "image", "expected 16 lowercase hex digits, got \"%.40s\"", s);
    else if (s)
        memcpy(r->image, s, 17);
}

/* read_by_kind -- summary.by_kind: per kind, the findings and occurrences counted and
 * the occurrences dropped past max_findings. What is dropped has no stack and no
 * address: only its kind is known, which is all the gate needs. */
static void read_by_kind(struct ctx *c, json_t *o, struct cli_report *r)
{
    const char *key;
    json_t *v;
    r->by_kind = cli_alloc((json_object_size(o) + 1) * sizeof *r->by_kind);
    json_object_foreach(o, key, v)
    {
        size_t mark = enter(c, "by_kind", -1);
        struct cli_kind_total *k = &r->by_kind[r->nby_kind++];
        k->kind = cli_strdup(key);
        k->kind_id = nv_kind_lookup(key, strlen(key));
        if (!json_is_object(v)) {
            bad(c, key, "expected an object");
        } else {
            size_t m2 = enter(c, key, -1);
            k->findings = unum(c, v, "findings", 1, NULL);
            k->occurrences = unum(c, v, "occurrences", 1, NULL);
            k->dropped = unum(c, v, "dropped", 1, NULL);
            leave(c, m2);
        }
        leave(c, mark);
        if (c->failed)
            return;
    }
}

static void read_report(struct ctx *c, json_t *root, struct cli_report *r)
{
    json_t *v, *o;
    size_t i, mark;
    if ((o = member(c, root, "tool", JSON_OBJECT, 0)) != NULL) {
        mark = enter(c, "tool", -1);
        r->version = str(c, o, "version", 0);
        leave(c, mark);
    }
    r->run_id = str(c, root, "run_id", 1);
    if ((o = member(c, root, "process", JSON_OBJECT, 0)) != NULL) {
        mark = enter(c, "process", -1);
        r->pid = num(c, o, "pid", 0, NULL);
        r->ppid = num(c, o, "ppid", 0, NULL);
        r->start_time = num(c, o, "start_time", 0, NULL);
        if ((v = member(c, o, "argv", JSON_ARRAY, 0)) != NULL)
            read_strings(c, v, "argv", &r->argc, &r->argv);
        read_image(c, o, r);
        leave(c, mark);
    }
    if ((o = member(c, root, "end", JSON_OBJECT, 1)) != NULL) {
        mark = enter(c, "end", -1);
        read_end(c, o, r);
        leave(c, mark);
    }
    if ((o = member(c, root, "options", JSON_OBJECT, 0)) != NULL) {
        mark = enter(c, "options", -1);
        r->stack_depth = num(c, o, "stack_depth", 0, NULL);
        r->max_findings = num(c, o, "max_findings", 0, NULL);
        r->drain = str(c, o, "drain", 0);
        if ((v = member(c, o, "kinds", JSON_ARRAY, 0)) != NULL)
            read_strings(c, v, "kinds", &r->nkinds, &r->kinds);
        leave(c, mark);
    }
    if ((v = member(c, root, "modules", JSON_ARRAY, 0)) != NULL) {
        r->nmodules = json_array_size(v);
        r->modules = cli_alloc((r->nmodules ? r->nmodules : 1) * sizeof *r->modules);
        json_array_foreach(v, i, o)
        {
            mark = enter(c, "modules", (long)i);
            if (!json_is_object(o)) {
                bad(c, "", "expected an object");
            } else {
                r->modules[i].path = str(c, o, "path", 0);
                r->modules[i].build_id = str(c, o, "build_id", 1);
                r->modules[i].base = hex(c, o, "base", 0, NULL);
            }
            leave(c, mark);
        }
    }
    if (c->failed)
        return; /* findings refer to modules */
    if ((v = member(c, root, "findings", JSON_ARRAY, 0)) != NULL) {
        r->nfindings = json_array_size(v);
        r->findings = cli_alloc((r->nfindings ? r->nfindings : 1) * sizeof *r->findings);
        json_array_foreach(v, i, o)
        {
            mark = enter(c, "findings", (long)i);
            if (!json_is_object(o))
                bad(c, "", "expected an object");
            else
                read_finding(c, o, r, &r->findings[i]);
            leave(c, mark);
            if (c->failed)
                return;
        }
    }
    if ((o = member(c, root, "summary", JSON_OBJECT, 0)) != NULL) {
        mark = enter(c, "summary", -1);
        r->errors = num(c, o, "errors", 0, NULL);
        r->warnings = num(c, o, "warnings", 0, NULL);
        r->api_calls = num(c, o, "api_calls", 1, NULL); /* before 0.1: always there */
        r->threads = num(c, o, "threads", 0, NULL);
        r->stacks = num(c, o, "stacks", 0, NULL);
        r->stacks_dropped = num(c, o, "stacks_dropped", 0, NULL);
        r->shadow_bytes = num(c, o, "shadow_bytes", 0, NULL);
        r->peak_shadow_bytes = num(c, o, "peak_shadow_bytes", 0, NULL);
        r->dropped_occurrences = num(c, o, "dropped_occurrences", 0, NULL);
        r->untracked_writes = num(c, o, "untracked_writes", 1, NULL);
        r->truncated = json_is_true(json_object_get(o, "truncated"));
        if ((v = member(c, o, "by_kind", JSON_OBJECT, 1)) != NULL)
            read_by_kind(c, v, r);
        leave(c, mark);
    }
}

/* schema_check -- is root a raw report this nvcheck can read? */
static int schema_check(struct ctx *c, json_t *root)
{
    if (!json_is_object(root))
        return bad(c, "", "not an nvcheck report (the top level is not an object)");
    json_t *s = json_object_get(root, "schema");
    if (!json_is_string(s))
        return bad(c, "", "not an nvcheck raw report (no \"schema\" member)");
    const char *v = json_string_value(s);
    if (!strcmp(v, SCHEMA))
        return 0;
    if (!strcmp(v, "nvcheck/1"))
        return bad(c, "", "a rendered report (nvcheck/1); give the raw nvcheck.PID.json files");
    if (!strncmp(v, SCHEMA_PREFIX, strlen(SCHEMA_PREFIX)))
        return bad(c, "", "written by a newer nvcheck (schema %.40s); this one reads %s", v,
                   SCHEMA);
    return bad(c, "", "not an nvcheck raw report (schema \"%.40s\")", v);
}

static void *budget_malloc(size_t n)
{
    if (parse_used >= PARSE_BUDGET || n > PARSE_BUDGET - parse_used) {
        cli_error(parse_name, "too large for a report (reading it needs more than %lu MiB)",
                  PARSE_BUDGET >> 20);
        exit(CLI_BAD_INPUT);
    }
    void *p = malloc(n);
    if (!p) {
        fputs("nvcheck: out of memory\n", stderr);
        exit(CLI_BAD_INPUT);
    }
    parse_used += malloc_usable_size(p);
    return p;
}

static void budget_free(void *p)
{
    size_t n = malloc_usable_size(p);
    parse_used -= n < parse_used ? n : parse_used;
    free(p);
}

/* parse -- a JSON document from in (or data[0..len)), within the memory budget. */
static json_t *parse(const char *name, FILE *in, const void *data, size_t len, json_error_t *je)
{
    json_malloc_t saved_malloc;
    json_free_t saved_free;
    json_get_alloc_funcs(&saved_malloc, &saved_free);
    json_set_alloc_funcs(budget_malloc, budget_free);
    parse_used = 0;
    parse_name = name;
    json_t *root = in ? json_loadf(in, JSON_REJECT_DUPLICATES, je)
                      : json_loadb(data, len, JSON_REJECT_DUPLICATES, je);
    json_set_alloc_funcs(saved_malloc, saved_free);
    return root;
}

/* parse_error -- the one line for a file jansson could not parse. */
static int parse_error(const char *name, json_error_t *je)
{
    /* Nothing read and nothing there: a byte that is not UTF-8 also stops at 0. */
    if (je->position == 0 && strstr(je->text, "end of file"))
        return cli_error(name, "empty, not a report");
    return cli_error(name, "not valid JSON (line %d, column %d: %s)", je->line, je->column,
                     clean(je->text));
}

/* Finding pointers re-pointed at their report, for cli_reader_work. */
static size_t repointed;

size_t cli_reader_work(void)
{
    return repointed;
}

/* append -- r (whole) as the set's next report. The array grows by doubling, and
 * findings are re-pointed at their report only when it moves: loading n reports costs
 * O(n) in all (it re-pointed every finding of every report on each append: 10,000
 * reports took 12 s). */
static int append(struct cli_set *set, const struct cli_report *r)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 16;
        struct cli_report *v = realloc(set->r, cap * sizeof *v);
        if (!v)
            return -1;
        if (v != set->r)
            for (size_t k = 0; k < set->n; k++)
                for (size_t i = 0; i < v[k].nfindings; i++, repointed++)
                    v[k].findings[i].report = &v[k];
        set->r = v;
        set->cap = cap;
    }
    struct cli_report *at = &set->r[set->n++];
    *at = *r;
    for (size_t i = 0; i < at->nfindings; i++, repointed++)
        at->findings[i].report = at;
    return 0;
}

/* adopt -- check a parsed document (consumed) and append it to set as a report.
 * *foreign (when given) tells a JSON document that is no raw report at all. */
static int adopt(struct cli_set *set, const char *name, json_t *root, int *foreign)
{
    struct ctx c = {.file = name};
    struct cli_report r = {0};
    r.path = cli_strdup(name);
    if (schema_check(&c, root) == 0)
        read_report(&c, root, &r);
    else if (foreign)
        *foreign = !json_is_string(json_object_get(root, "schema")) ||
                   strncmp(json_string_value(json_object_get(root, "schema")), SCHEMA_PREFIX,
                           strlen(SCHEMA_PREFIX)) != 0;
    json_decref(root);
    if (c.failed) {
        free_report(&r);
        set->unreadable++;
        return CLI_BAD_INPUT;
    }
    if (append(set, &r) < 0) {
        free_report(&r);
        set->unreadable++;
        return cli_error(name, "out of memory");
    }
    return CLI_OK;
}

/* open_report -- path opened for reading. In a directory (listed: !named) only a
 * regular file: it is opened without blocking and checked with fstat, so a FIFO or a
 * device named *.json there is refused, never waited on or read forever. A path the
 * user named may be a FIFO or a device (a stream of their choosing). NULL after
 * saying why. */
static FILE *open_report(const char *path, int named)
{
    struct stat st;
    if (named && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_error(path, "is a directory"), NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (named ? 0 : O_NONBLOCK));
    if (fd < 0)
        return cli_error(path, "%s", strerror(errno)), NULL;
    const char *problem = NULL;
    if (fstat(fd, &st) < 0)
        problem = strerror(errno);
    else if (S_ISDIR(st.st_mode))
        problem = "is a directory";
    else if (!named && !S_ISREG(st.st_mode))
        problem = S_ISFIFO(st.st_mode) ? "a FIFO, not a report file; not read"
                                       : "not a regular file; not read";
    if (!problem && S_ISREG(st.st_mode) && (size_t)st.st_size > MAX_FILE) {
        cli_error(path, "too large for a report (%lld bytes; the limit is %lu MiB)",
                  (long long)st.st_size, MAX_FILE >> 20);
        close(fd);
        return NULL;
    }
    if (problem) {
        cli_error(path, "%s", problem);
        close(fd);
        return NULL;
    }
    if (!named)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *in = fdopen(fd, "r");
    if (!in) {
        cli_error(path, "%s", strerror(errno));
        close(fd);
    }
    return in;
}

/* load -- cli_load; named as for open_report, *foreign as for adopt. */
/* slurp -- a regular file's bytes, read at once (jansson's own reading takes a stdio
 * call per byte: half the time of loading thousands of reports); NULL for a stream, or
 * with *err set when reading fails. */
static char *slurp(FILE *in, size_t *len, int *err)
{
    struct stat st;
    *err = 0;
    if (fstat(fileno(in), &st) < 0 || !S_ISREG(st.st_mode))
        return NULL;
    size_t cap = (size_t)st.st_size + 1, n = 0, k;
    char *buf = cli_alloc(cap + 1);
    while ((k = fread(buf + n, 1, cap - n, in)) > 0)
        if ((n += k) == cap && cap <= MAX_FILE) { /* it grew meanwhile */
            char *v = realloc(buf, 2 * cap + 1);
            if (!v)
                exit(cli_error("report", "out of memory"));
            buf = v, cap *= 2;
        }
    if (ferror(in) || n > MAX_FILE) {
        *err = ferror(in) ? errno : EFBIG;
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int load(struct cli_set *set, const char *path, int named, int *foreign)
{
    FILE *in = open_report(path, named);
    if (!in)
        return set->unreadable++, CLI_BAD_INPUT;
    json_error_t je;
    size_t len = 0;
    int read_error;
    char *text = slurp(in, &len, &read_error);
    json_t *root = text || read_error ? parse(path, NULL, text ? text : "", len, &je)
                                      : parse(path, in, NULL, 0, &je);
    if (!text && !read_error)
        read_error = ferror(in) ? errno : 0;
    free(text);
    fclose(in);
    if (!root) {
        set->unreadable++;
        if (read_error)
            return cli_error(path, "cannot read it: %s", strerror(read_error));
        return parse_error(path, &je);
    }
    return adopt(set, path, root, foreign);
}

int cli_load(struct cli_set *set, const char *path)
{
    return load(set, path, 1, NULL);
}

int cli_load_buffer(struct cli_set *set, const char *name, const void *data, size_t len)
{
    if (len > MAX_FILE) {
        set->unreadable++;
        return cli_error(name, "too large for a report (%zu bytes; the limit is %lu MiB)", len,
                         MAX_FILE >> 20);
    }
    json_error_t je;
    json_t *root = parse(name, NULL, data, len, &je);
    if (!root) {
        set->unreadable++;
        return parse_error(name, &je);
    }
    return adopt(set, name, root, NULL);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

/* list -- the names in dir that end with suffix (not hidden ones), sorted, as paths;
 * NULL-terminated, in *n. NULL when dir cannot be read (said). */
static char **list(const char *dir, const char *suffix, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return cli_error(dir, "%s", strerror(errno)), NULL;
    char **names = cli_alloc(16 * sizeof *names);
    size_t cap = 16;
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix))
            continue;
        if (*n + 1 == cap) {
            char **v = realloc(names, 2 * cap * sizeof *v);
            if (!v)
                exit(cli_error(dir, "out of memory"));
            names = v, cap *= 2;
        }
        names[(*n)++] = cli_printf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    names[*n] = NULL;
    qsort(names, *n, sizeof *names, by_name);
    return names;
}

static void free_names(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

/* ours -- a run's own: an id that says so, or (marker being written) none yet. */
static int ours(const char *id, const char *run_id, int unknown_is_ours)
{
    return !run_id || (id ? !strcmp(id, run_id) : unknown_is_ours);
}

int cli_load_dir(struct cli_set *set, const char *dir, const char *run_id)
{
    size_t nm, nr, reports = set->n, bad = set->unreadable, used = 0;
    char **markers = list(dir, ".pending", &nm);
    if (!markers)
        return set->unreadable++, CLI_BAD_INPUT;
    for (size_t i = 0; i < nm; i++) {
        struct cli_marker m;
        if (cli_marker_read(markers[i], &m) != 0)
            continue;
        /* A marker whose state is known but whose line is not (a full disk) may be
         * this run's: counted, never passed over. */
        if (!ours(m.run_id, run_id, m.state == 'u' || m.state == 'f')) {
            cli_marker_free(&m);
            continue;
        }
        struct cli_marker *v = realloc(set->markers, (set->nmarkers + 1) * sizeof *v);
        if (!v)
            exit(cli_error(dir, "out of memory"));
        set->markers = v;
        set->markers[set->nmarkers++] = m;
        used += m.state == 'u' || m.state == 'f';
    }
    free_names(markers);
    char **names = list(dir, ".json", &nr);
    if (!names)
        return set->unreadable++, CLI_BAD_INPUT;
    for (size_t i = 0; i < nr; i++) {
        size_t before = set->n;
        int foreign = 0;
        if (load(set, names[i], 0, run_id ? &foreign : NULL) != CLI_OK && foreign) {
            set->unreadable--; /* not the interposer's: said, and passed over */
        } else if (set->n > before && !ours(set->r[before].run_id, run_id, 0)) {
            free_report(&set->r[before]); /* another run's report */
            set->n--;
        }
    }
    free_names(names);
    if (set->n == reports && !used && set->unreadable == bad) {
        char **v = realloc(set->empty, (set->nempty + 1) * sizeof *v);
        if (!v)
            exit(cli_error(dir, "out of memory"));
        set->empty = v;
        set->empty[set->nempty++] = cli_strdup(dir);
    }
    return set->unreadable == bad ? CLI_OK : CLI_BAD_INPUT;
}

int cli_load_path(struct cli_set *set, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_load_dir(set, path, NULL);
    return cli_load(set, path);
}

void cli_set_free(struct cli_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free_report(&set->r[i]);
    free(set->r);
    for (size_t i = 0; i < set->nmarkers; i++)
        cli_marker_free(&set->markers[i]);
    free(set->markers);
    for (size_t i = 0; i < set->nlost; i++) {
        free(set->lost[i].image);
        free(set->lost[i].exe);
        free(set->lost[i].why);
        free(set->lost[i].marker);
    }
    free(set->lost);
    for (size_t i = 0; i < set->nempty; i++)
        free(set->empty[i]);
    free(set->empty);
    memset(set, 0, sizeof *set);
}
