/* html_data.c -- the data of nvcheck report --format html: one JSON object that the
 * viewer (src/cli/html/viewer.js, embedded in the same page) renders.
 *
 * Shape (read only by that viewer; deduplicated so that 10,000 findings stay small):
 *   tool {name, version}, stable,
 *   summary {errors, warnings, findings, occurrences, processes, truncated,
 *            dropped_occurrences, by_kind [[kind, severity, findings, occurrences]...]}
 *   processes [{pid, ppid, argv, run_id, start_time, end, report, findings,
 *               truncated, dropped_occurrences, stacks_dropped, max_findings}]
 *   frames    [[function, file, line, module, offset, inlined, snippet]...]: offset is
 *             the address when module is null; snippet indexes snippets, or -1
 *   snippets  [[first line number, [text...], source newer than the binary]...]
 *   stacks    [[frame index...]...]
 *   findings  [{kind, severity, message, count, bytes, size, address, token, routine,
 *               region {base, size, offset}, thread, tid, procs, pids, stack,
 *               related [[role, stack index]...]}...] in cli_group's order
 *   regions   [{proc, base, size, ranges [[offset, size, finding index]...]}...]: every
 *             occurrence's ranges (region offsets), regions in order of first finding
 * procs are positions in processes. "end" is how the process ended, as in the JSON
 * report (cli_jend): {how, status, signal, signal_name}, or null when not recorded.
 *
 * --stable: the same input gives the same bytes, and nothing run-dependent: pids,
 * ppids, addresses, tokens, region bases, tids, module offsets, report paths, run ids
 * and start times are null, messages go through cli_stable_text, a merged finding
 * shows cli_group_stable_first, and processes are ordered by argv.
 */
#include "html.h"

#include "kinds.h"

#include <stdlib.h>
#include <string.h>

struct ctx {
    const struct cli_set *set;
    int stable;
    json_t *frames, *snippets, *stacks, *regions;
    json_t *frame_ix, *snippet_ix, *stack_ix, *region_ix; /* key -> index */
    struct html_sources *src;
    size_t *proc; /* report index -> position in processes */
};

/* intern -- the index of key in ix, adding value (stolen) to arr when new. */
static json_int_t intern(json_t *ix, json_t *arr, char *key, json_t *(*make)(void *), void *arg)
{
    json_t *at = json_object_get(ix, key);
    if (!at) {
        at = json_integer((json_int_t)json_array_size(arr));
        json_array_append_new(arr, make(arg));
        json_object_set_new_nocheck(ix, key, at);
    }
    free(key);
    return json_integer_value(at);
}

struct snip_arg {
    struct ctx *c;
    const struct cli_frame *f;
};

static json_t *make_snippet(void *p)
{
    struct snip_arg *a = p;
    json_t *s = html_snippet(a->c->src, a->f->file, a->f->line, a->f->module);
    return s ? s : json_null();
}

static json_t *make_frame(void *p)
{
    struct snip_arg *a = p;
    const struct cli_frame *f = a->f;
    json_int_t snip = -1;
    if (f->file && f->line > 0) {
        char *key = cli_printf("%d\x1f%s", f->line, f->file);
        snip = intern(a->c->snippet_ix, a->c->snippets, key, make_snippet, a);
        if (json_is_null(json_array_get(a->c->snippets, (size_t)snip)))
            snip = -1;
    }
    uint64_t where = f->module ? f->offset : f->address;
    return json_pack("[ooooobI]", cli_jstr(f->function), cli_jstr(f->file),
                     f->line > 0 ? json_integer(f->line) : json_null(), cli_jstr(f->module),
                     cli_jhex(!a->c->stable, where), f->inlined, snip);
}

static json_int_t frame_index(struct ctx *c, const struct cli_frame *f)
{
    const char *none = "\x1e"; /* NULL, as opposed to "" */
    uint64_t where = c->stable ? 0 : f->module ? f->offset : f->address;
    char *key = cli_printf("%s\x1f%s\x1f%d\x1f%s\x1f%llx\x1f%d", f->function ? f->function : none,
                           f->file ? f->file : none, f->line, f->module ? f->module : none,
                           (unsigned long long)where, f->inlined);
    struct snip_arg a = {c, f};
    return intern(c->frame_ix, c->frames, key, make_frame, &a);
}

static json_t *steal(void *p)
{
    return p;
}

static json_int_t stack_index(struct ctx *c, const struct cli_stack *s)
{
    json_t *a = json_array();
    char *key = cli_alloc(s->n * 21 + 1), *k = key;
    for (size_t i = 0; i < s->n; i++) {
        json_int_t fi = frame_index(c, &s->f[i]);
        json_array_append_new(a, json_integer(fi));
        k += sprintf(k, "%lld,", (long long)fi);
    }
    size_t before = json_array_size(c->stacks);
    json_int_t at = intern(c->stack_ix, c->stacks, key, steal, a);
    if (json_array_size(c->stacks) == before)
        json_decref(a); /* seen before */
    return at;
}

static json_t *region(const struct cli_finding *f, int stable)
{
    if (!f->has_region)
        return json_null();
    return json_pack("{sosos I}", "base", cli_jhex(!stable, f->region_base), "size",
                     cli_juint(f->has_region_size, f->region_size), "offset",
                     (json_int_t)f->region_offset);
}

struct region_arg {
    struct ctx *c;
    const struct cli_finding *f;
};

static json_t *make_region(void *p)
{
    struct region_arg *a = p;
    const struct cli_finding *f = a->f;
    return json_pack("{sIsosos[]}", "proc", (json_int_t)a->c->proc[f->report - a->c->set->r],
                     "base", cli_jhex(!a->c->stable, f->region_base), "size",
                     cli_juint(f->has_region_size, f->region_size), "ranges");
}

/* add_ranges -- every occurrence's ranges of finding i into its region's picture. */
static void add_ranges(struct ctx *c, const struct cli_group *g, size_t i)
{
    for (size_t m = 0; m < g->nmembers; m++) {
        const struct cli_finding *f = g->members[m];
        if (!f->has_region)
            continue;
        struct region_arg a = {c, f};
        char *key = cli_printf("%zu:%llx", (size_t)(f->report - c->set->r),
                               (unsigned long long)f->region_base);
        json_t *r = json_array_get(c->regions,
                                   (size_t)intern(c->region_ix, c->regions, key, make_region, &a));
        json_t *ranges = json_object_get(r, "ranges");
        if (!f->nranges) {
            uint64_t size = f->has_size && f->size ? f->size : 1;
            json_array_append_new(ranges, json_pack("[IoI]", (json_int_t)f->region_offset,
                                                    cli_juint(1, size), (json_int_t)i));
        }
        for (size_t k = 0; k < f->nranges; k++) {
            const struct cli_range *x = &f->ranges[k];
            uint64_t size = x->has_size && x->size ? x->size : 1;
            json_array_append_new(ranges,
                                  json_pack("[IoI]", (json_int_t)(x->address - f->region_base),
                                            cli_juint(1, size), (json_int_t)i));
        }
    }
}

/* procs -- the positions of g's processes, ascending. */
static json_t *procs(struct ctx *c, const struct cli_group *g)
{
    unsigned char *seen = cli_alloc(c->set->n);
    json_t *a = json_array();
    for (size_t m = 0; m < g->nmembers; m++)
        seen[c->proc[g->members[m]->report - c->set->r]] = 1;
    for (size_t p = 0; p < c->set->n; p++)
        if (seen[p])
            json_array_append_new(a, json_integer((json_int_t)p));
    free(seen);
    return a;
}

static json_t *thread(const struct cli_finding *f)
{
    if (!f->has_thread)
        return json_null();
    if (f->thread_id < 0)
        return json_string("several threads");
    char b[32];
    snprintf(b, sizeof b, "T%lld", (long long)f->thread_id);
    return json_string(b);
}

static json_t *finding(struct ctx *c, const struct cli_group *g)
{
    const struct cli_finding *f = c->stable ? cli_group_stable_first(g) : g->first;
    char *msg = c->stable ? cli_stable_text(f->message) : cli_strdup(f->message);
    json_t *o = json_object(), *rel = json_array();
    for (size_t i = 0; i < f->nrelated; i++)
        json_array_append_new(rel, json_pack("[oI]", cli_jstr(f->related[i].role),
                                             stack_index(c, &f->related[i].stack)));
    json_object_set_new(o, "kind", cli_jstr(f->kind));
    json_object_set_new(o, "severity", json_string(nv_severity_name(f->severity)));
    json_object_set_new(o, "message", cli_jstr(msg));
    json_object_set_new(o, "count", cli_juint(1, g->count));
    json_object_set_new(o, "bytes", cli_juint(g->has_bytes, g->bytes));
    json_object_set_new(o, "size", cli_juint(f->has_size, f->size));
    json_object_set_new(o, "address", cli_jhex(f->has_address && !c->stable, f->address));
    json_object_set_new(o, "token", cli_jhex(f->has_token && !c->stable, f->token));
    json_object_set_new(o, "routine", cli_jstr(f->routine));
    json_object_set_new(o, "region", region(f, c->stable));
    json_object_set_new(o, "thread", thread(f));
    json_object_set_new(
        o, "tid",
        cli_juint(f->has_thread && f->thread_tid > 0 && !c->stable, (uint64_t)f->thread_tid));
    json_object_set_new(o, "procs", procs(c, g));
    json_object_set_new(o, "pids", c->stable ? json_null() : cli_group_pids_json(g));
    json_object_set_new(o, "stack", json_integer(stack_index(c, &f->stack)));
    json_object_set_new(o, "related", rel);
    free(msg);
    return o;
}

json_t *html_data(const struct cli_set *set, const struct cli_groups *g,
                  const struct cli_render_opts *o)
{
    struct ctx c = {.set = set, .stable = o->stable};
    json_t *root = json_object(), *findings = json_array();
    c.frames = json_array(), c.snippets = json_array(), c.stacks = json_array();
    c.regions = json_array();
    c.frame_ix = json_object(), c.snippet_ix = json_object(), c.stack_ix = json_object();
    c.region_ix = json_object();
    c.src = html_sources_new();
    c.proc = cli_alloc((set->n ? set->n : 1) * sizeof *c.proc);
    json_t *processes = html_processes(set, o->stable, c.proc);
    for (size_t i = 0; i < g->n; i++) {
        json_array_append_new(findings, finding(&c, &g->g[i]));
        add_ranges(&c, &g->g[i], i);
    }
    json_object_set_new(root, "schema", json_string("nvcheck-html/1"));
    json_object_set_new(root, "tool",
                        json_pack("{ssso}", "name", "nvcheck", "version",
                                  o->stable ? json_null() : json_string(PACKAGE_VERSION)));
    json_object_set_new(root, "stable", json_boolean(o->stable));
    json_object_set_new(root, "summary", html_summary(set, g));
    json_object_set_new(root, "processes", processes);
    json_object_set_new(root, "findings", findings);
    json_object_set_new(root, "regions", c.regions);
    json_object_set_new(root, "stacks", c.stacks);
    json_object_set_new(root, "frames", c.frames);
    json_object_set_new(root, "snippets", c.snippets);
    json_decref(c.frame_ix);
    json_decref(c.snippet_ix);
    json_decref(c.stack_ix);
    json_decref(c.region_ix);
    html_sources_free(c.src);
    free(c.proc);
    return root;
}
