/* render_json.c -- nvcheck report --format json: the rendered report, "nvcheck/1".
 *
 * The shape is DESIGN.md section 5 (a contract: CI gates read it) plus extra fields;
 * reports/report.schema.json describes every field. One finding per group of merged
 * occurrences (cli_group), in its order: severity, kind, call site. Keys are written
 * in a fixed, deliberate order (DESIGN.md's first, extras after) and are always
 * present, null when they do not apply, so consumers need no existence checks (the one
 * exception: a frame outside every module has "address" instead of a module offset).
 *
 * --stable: the same build gives the same bytes on every run. These become null:
 * tool.version, findings[].pid, .pids, .address, .token, .region.base,
 * .thread.tid, every frame's offset and address, processes[].pid, .ppid and .report;
 * hex numbers of 0x10000 or more inside messages become "0x..." (cli_stable_text);
 * a merged finding shows the occurrence cli_group_stable_first picks by content (not
 * the lowest pid); processes are sorted by argv instead of pid. Findings are in
 * cli_group's order, which never depends on addresses.
 */
#include "cli.h"

#include "kinds.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *frame(const struct cli_frame *f, int stable)
{
    json_t *o = json_object();
    json_object_set_new(o, "function", cli_jstr(f->function));
    json_object_set_new(o, "file", cli_jstr(f->file));
    json_object_set_new(o, "line", f->line > 0 ? json_integer(f->line) : json_null());
    json_object_set_new(o, "module", cli_jstr(f->module));
    json_object_set_new(o, "offset", cli_jhex(f->module && !stable, f->offset));
    if (!f->module)
        json_object_set_new(o, "address", cli_jhex(!stable, f->address));
    json_object_set_new(o, "inlined", json_boolean(f->inlined));
    return o;
}

static json_t *stack(const struct cli_stack *s, int stable)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(a, frame(&s->f[i], stable));
    return a;
}

static json_t *region(const struct cli_finding *f, int stable)
{
    if (!f->has_region)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "base", cli_jhex(!stable, f->region_base));
    json_object_set_new(o, "size", cli_juint(f->has_region_size, f->region_size));
    json_object_set_new(o, "offset", json_integer(f->region_offset));
    return o;
}

static json_t *thread(const struct cli_finding *f, int stable)
{
    if (!f->has_thread)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "id", f->thread_id >= 0 ? json_integer(f->thread_id) : json_null());
    json_object_set_new(o, "tid",
                        f->thread_tid > 0 && !stable ? json_integer(f->thread_tid) : json_null());
    return o;
}

static json_t *related(const struct cli_finding *f, int stable)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->nrelated; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "role", cli_jstr(f->related[i].role));
        json_object_set_new(o, "stack", stack(&f->related[i].stack, stable));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *finding(const struct cli_group *g, int stable)
{
    const struct cli_finding *f = stable ? cli_group_stable_first(g) : g->first;
    json_t *o = json_object();
    char *msg = stable ? cli_stable_text(f->message) : cli_strdup(f->message);
    json_object_set_new(o, "kind", cli_jstr(f->kind));
    json_object_set_new(o, "severity", cli_jstr(nv_severity_name(f->severity)));
    json_object_set_new(o, "pid", stable ? json_null() : json_integer(f->report->pid));
    json_object_set_new(o, "address", cli_jhex(f->has_address && !stable, f->address));
    json_object_set_new(o, "size", cli_juint(f->has_size, f->size));
    json_object_set_new(o, "region", region(f, stable));
    json_object_set_new(o, "stack", stack(&f->stack, stable));
    json_object_set_new(o, "related", related(f, stable));
    json_object_set_new(o, "count", cli_juint(1, g->count));
    json_object_set_new(o, "message", cli_jstr(msg));
    json_object_set_new(o, "bytes", cli_juint(g->has_bytes, g->bytes));
    json_object_set_new(o, "token", cli_jhex(f->has_token && !stable, f->token));
    json_object_set_new(o, "routine", cli_jstr(f->routine));
    json_object_set_new(o, "thread", thread(f, stable));
    json_object_set_new(o, "pids", stable ? json_null() : cli_group_pids_json(g));
    free(msg);
    return o;
}

/* sat_add -- a + b for a count or byte total (non-negative), held at INT64_MAX: sums
 * of saturated sizes must not wrap negative. */
static json_int_t sat_add(json_int_t a, uint64_t b)
{
    return b > (uint64_t)(INT64_MAX - a) ? INT64_MAX : a + (json_int_t)b;
}

/* summary -- findings (groups) by severity, and per kind in the order they come. */
static json_t *summary(const struct cli_set *set, const struct cli_groups *g)
{
    json_t *o = json_object(), *by_kind = json_object();
    json_int_t errors = 0, warnings = 0, occurrences = 0, dropped = 0;
    int truncated = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct cli_finding *f = g->g[i].first;
        json_t *k = json_object_get(by_kind, f->kind);
        if (!k) {
            k = json_object();
            json_object_set_new(k, "findings", json_integer(0));
            json_object_set_new(k, "occurrences", json_integer(0));
            json_object_set_new(k, "bytes", json_integer(0));
            json_object_set_new(by_kind, f->kind, k);
        }
        json_t *b = json_object_get(k, "bytes");
        json_integer_set(json_object_get(k, "findings"),
                         json_integer_value(json_object_get(k, "findings")) + 1);
        json_t *occ = json_object_get(k, "occurrences");
        json_integer_set(occ, sat_add(json_integer_value(occ), g->g[i].count));
        if (g->g[i].has_bytes && json_is_integer(b))
            json_integer_set(b, sat_add(json_integer_value(b), g->g[i].bytes));
        else
            json_object_set_new(k, "bytes", json_null());
        f->severity == NV_SEV_WARNING ? warnings++ : errors++;
        occurrences = sat_add(occurrences, g->g[i].count);
    }
    for (size_t i = 0; i < set->n; i++) {
        truncated |= set->r[i].truncated;
        dropped = sat_add(dropped, (uint64_t)set->r[i].dropped_occurrences);
    }
    json_object_set_new(o, "errors", json_integer(errors));
    json_object_set_new(o, "warnings", json_integer(warnings));
    json_object_set_new(o, "findings", json_integer((json_int_t)g->n));
    json_object_set_new(o, "occurrences", json_integer(occurrences));
    json_object_set_new(o, "processes", json_integer((json_int_t)set->n));
    json_object_set_new(o, "truncated", json_boolean(truncated));
    json_object_set_new(o, "dropped_occurrences", json_integer(dropped));
    json_object_set_new(o, "by_kind", by_kind);
    return o;
}

static int by_argv(const void *a, const void *b)
{
    return cli_report_cmp_argv(*(const struct cli_report *const *)a,
                               *(const struct cli_report *const *)b);
}

static int by_pid(const void *a, const void *b)
{
    const struct cli_report *x = *(const struct cli_report *const *)a;
    const struct cli_report *y = *(const struct cli_report *const *)b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static json_t *processes(const struct cli_set *set, int stable)
{
    const struct cli_report **v = cli_alloc(set->n * sizeof *v);
    json_t *a = json_array();
    for (size_t i = 0; i < set->n; i++)
        v[i] = &set->r[i];
    qsort(v, set->n, sizeof *v, stable ? by_argv : by_pid);
    for (size_t i = 0; i < set->n; i++) {
        json_t *o = json_object(), *argv = json_array();
        for (size_t k = 0; k < v[i]->argc; k++)
            json_array_append_new(argv, cli_jstr(v[i]->argv[k]));
        json_object_set_new(o, "pid", stable ? json_null() : json_integer(v[i]->pid));
        json_object_set_new(o, "ppid", stable ? json_null() : json_integer(v[i]->ppid));
        json_object_set_new(o, "argv", argv);
        json_object_set_new(o, "report", stable ? json_null() : cli_jstr(v[i]->path));
        json_object_set_new(o, "truncated", json_boolean(v[i]->truncated));
        json_object_set_new(o, "end", cli_jend(v[i]));
        json_array_append_new(a, o);
    }
    free(v);
    return a;
}

/* harvest -- what the reports do not cover: lost processes, empty directories. */
static json_t *harvest(const struct cli_set *set, int stable)
{
    json_t *lost = json_array(), *empty = json_array();
    for (size_t i = 0; i < set->nlost; i++) {
        const struct cli_lost *l = &set->lost[i];
        json_t *o = json_object();
        json_object_set_new(o, "pid", stable ? json_null() : json_integer(l->pid));
        json_object_set_new(o, "image", cli_jstr(l->image));
        json_object_set_new(o, "exe", cli_jstr(l->exe));
        json_object_set_new(o, "why", cli_jstr(l->why));
        json_array_append_new(lost, o);
    }
    for (size_t i = 0; i < set->nempty; i++)
        json_array_append_new(empty, cli_jstr(set->empty[i]));
    return json_pack("{s:o, s:o}", "lost", lost, "empty", empty);
}

int cli_render_json(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                    const struct cli_render_opts *o)
{
    cli_json_init();
    json_t *root = json_object(), *tool = json_object(), *findings = json_array();
    json_object_set_new(root, "schema", json_string("nvcheck/1"));
    json_object_set_new(root, "findings", findings);
    json_object_set_new(root, "summary", summary(set, g));
    json_object_set_new(tool, "name", json_string("nvcheck"));
    json_object_set_new(tool, "version", o->stable ? json_null() : json_string(PACKAGE_VERSION));
    json_object_set_new(root, "tool", tool);
    json_object_set_new(root, "processes", processes(set, o->stable));
    json_object_set_new(root, "harvest", harvest(set, o->stable));
    for (size_t i = 0; i < g->n; i++)
        json_array_append_new(findings, finding(&g->g[i], o->stable));
    int rc = cli_json_dumpf(root, out, JSON_INDENT(2));
    json_decref(root);
    if (rc != 0 || fputc('\n', out) == EOF)
        return cli_error("report", "cannot write the JSON report");
    return CLI_OK;
}
