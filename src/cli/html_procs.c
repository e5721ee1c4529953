/* html_procs.c -- the HTML report's header data: the processes that ran (program,
 * arguments, pids, run id, start time, how each ended, caps hit) and the totals. */
#include "html.h"

#include "kinds.h"

#include <stdlib.h>
#include <string.h>

static json_t *process(const struct cli_report *r, int stable)
{
    json_t *o = json_object(), *argv = json_array();
    for (size_t k = 0; k < r->argc; k++)
        json_array_append_new(argv, cli_jstr(r->argv[k]));
    json_object_set_new(o, "pid", stable ? json_null() : json_integer(r->pid));
    json_object_set_new(o, "ppid", stable ? json_null() : json_integer(r->ppid));
    json_object_set_new(o, "argv", argv);
    json_object_set_new(o, "run_id", stable ? json_null() : cli_jstr(r->run_id));
    json_object_set_new(o, "start_time",
                        stable || r->start_time <= 0 ? json_null() : json_integer(r->start_time));
    json_object_set_new(o, "end", cli_jend(r));
    json_object_set_new(o, "report", stable ? json_null() : cli_jstr(r->path));
    json_object_set_new(o, "findings", json_integer((json_int_t)r->nfindings));
    json_object_set_new(o, "truncated", json_boolean(r->truncated));
    json_object_set_new(o, "dropped_occurrences", json_integer(r->dropped_occurrences));
    json_object_set_new(o, "stacks_dropped", json_integer(r->stacks_dropped));
    json_object_set_new(o, "max_findings", json_integer(r->max_findings));
    return o;
}

static int stable_order; /* for the qsort comparators: by argv, else by pid */

/* by_order -- by pid (or argv), then by position in the set: a total order. */
static int by_order(const void *pa, const void *pb)
{
    const struct cli_report *a = *(const struct cli_report *const *)pa;
    const struct cli_report *b = *(const struct cli_report *const *)pb;
    int c = stable_order ? cli_report_cmp_argv(a, b) : (a->pid > b->pid) - (a->pid < b->pid);
    return c ? c : (a > b) - (a < b);
}

json_t *html_processes(const struct cli_set *set, int stable, size_t *pos)
{
    const struct cli_report **v = cli_alloc((set->n ? set->n : 1) * sizeof *v);
    json_t *a = json_array();
    for (size_t i = 0; i < set->n; i++)
        v[i] = &set->r[i];
    stable_order = stable;
    qsort(v, set->n, sizeof *v, by_order);
    for (size_t i = 0; i < set->n; i++) {
        pos[v[i] - set->r] = i;
        json_array_append_new(a, process(v[i], stable));
    }
    free(v);
    return a;
}

static json_int_t sat_add(json_int_t a, json_int_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

json_t *html_summary(const struct cli_set *set, const struct cli_groups *g)
{
    json_t *by_kind = json_array(), *ix = json_object();
    json_int_t errors = 0, warnings = 0, occurrences = 0, dropped = 0;
    int truncated = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct cli_finding *f = g->g[i].first;
        json_int_t n = (json_int_t)(g->g[i].count > INT64_MAX ? INT64_MAX : g->g[i].count);
        json_t *at = json_object_get(ix, f->kind), *k;
        if (!at) {
            at = json_integer((json_int_t)json_array_size(by_kind));
            json_object_set_new_nocheck(ix, f->kind, at);
            json_array_append_new(by_kind, json_pack("[ooII]", cli_jstr(f->kind),
                                                     json_string(nv_severity_name(f->severity)),
                                                     (json_int_t)0, (json_int_t)0));
        }
        k = json_array_get(by_kind, (size_t)json_integer_value(at));
        json_array_set_new(k, 2, json_integer(json_integer_value(json_array_get(k, 2)) + 1));
        json_array_set_new(k, 3,
                           json_integer(sat_add(json_integer_value(json_array_get(k, 3)), n)));
        f->severity == NV_SEV_WARNING ? warnings++ : errors++;
        occurrences = sat_add(occurrences, n);
    }
    for (size_t i = 0; i < set->n; i++) {
        truncated |= set->r[i].truncated;
        dropped += set->r[i].dropped_occurrences;
    }
    json_decref(ix);
    return json_pack("{sIsIsIsIsIsbsIso}", "errors", errors, "warnings", warnings, "findings",
                     (json_int_t)g->n, "occurrences", occurrences, "processes", (json_int_t)set->n,
                     "truncated", truncated, "dropped_occurrences", dropped, "by_kind", by_kind);
}
