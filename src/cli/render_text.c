/* render_text.c -- nvcheck report --format text: one sanitizer-like block per finding.
 *
 * People read this next to ASan and Valgrind output, so it looks like them: a header
 * "severity: kind: message", the details (address, size, region and offset, thread),
 * the stack as "#N function file:line (module+0xoff)" lines, each related stack under
 * its own heading, then how many occurrences were merged. Blocks come in the order
 * cli_group gives (severity, kind, call site), so findings at one call site sit
 * together. --stable leaves out every run-dependent value (addresses, pids, tids,
 * module offsets; hex numbers inside messages become 0x...), so two runs of the same
 * build give the same bytes.
 */
#include "cli.h"

#include "kinds.h"

#include <stdlib.h>
#include <string.h>

/* ANSI colours, or empty strings when not on a terminal. */
struct pal {
    const char *sev[2], *bold, *func, *loc, *head, *dim, *off;
};

static const struct pal colour = {
    {"\033[1;31m", "\033[1;35m"},
    "\033[1m",
    "\033[34m",
    "\033[32m",
    "\033[36m",
    "\033[2m",
    "\033[0m",
};
static const struct pal plain = {{"", ""}, "", "", "", "", "", ""};

struct ctx {
    FILE *out;
    const struct cli_render_opts *o;
    const struct pal *p;
};

/* put -- s as printed text: control characters from a (possibly hand-made) report,
 * C1 ones included, become '?', so a report cannot move the cursor or split a line. */
static void put(FILE *out, const char *s)
{
    cli_put_clean(out, s);
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static void frame_line(const struct ctx *c, size_t i, const struct cli_frame *f)
{
    const struct pal *p = c->p;
    fprintf(c->out, "    #%zu", i);
    if (f->function) {
        fprintf(c->out, " %s", p->func);
        put(c->out, f->function);
        fputs(p->off, c->out);
    }
    if (f->file) {
        fprintf(c->out, " %s", p->loc);
        put(c->out, f->file);
        if (f->line > 0)
            fprintf(c->out, ":%d", f->line);
        fputs(p->off, c->out);
    }
    if (f->module) {
        fprintf(c->out, " %s(", p->dim);
        put(c->out, f->module);
        if (!c->o->stable)
            fprintf(c->out, "+0x%llx", (unsigned long long)f->offset);
        fprintf(c->out, ")%s", p->off);
    } else if (!f->function && !f->file)
        fprintf(c->out, c->o->stable ? " ??" : " 0x%llx", (unsigned long long)f->address);
    fputs(f->inlined ? " [inlined]\n" : "\n", c->out);
}

static void stack_lines(const struct ctx *c, const struct cli_stack *s)
{
    if (!s->n)
        fputs("    (no stack recorded)\n", c->out);
    for (size_t i = 0; i < s->n; i++)
        frame_line(c, i, &s->f[i]);
}

/* role_heading -- "token-freed-at" -> "token freed at:", "previous-write" ->
 * "previous write at:"; any role a newer nvcheck adds reads the same way. */
static void role_heading(const struct ctx *c, const char *role)
{
    size_t n = strlen(role);
    char *h = cli_strdup(role);
    for (char *q = h; *q; q++)
        *q = *q == '-' ? ' ' : *q;
    fprintf(c->out, "  %s", c->p->head);
    put(c->out, h);
    free(h);
    if (n < 3 || strcmp(role + n - 3, "-at"))
        fputs(" at", c->out);
    fprintf(c->out, ":%s\n", c->p->off);
}

/* item -- start the next item of the details line: "  " before the first, ", " after. */
static FILE *item(const struct ctx *c, int *n)
{
    fputs((*n)++ ? ", " : "  ", c->out);
    return c->out;
}

/* details -- address, size, token, region and thread, on one line (if any). */
static void details(const struct ctx *c, const struct cli_finding *f)
{
    int stable = c->o->stable, n = 0;
    if (f->has_address && !stable)
        fprintf(item(c, &n), "address 0x%llx", (unsigned long long)f->address);
    if (f->has_size)
        fprintf(item(c, &n), "size %llu", (unsigned long long)f->size);
    if (f->has_token) {
        char raw[32];
        snprintf(raw, sizeof raw, "0x%llx", (unsigned long long)f->token);
        char *tok = stable ? cli_stable_text(raw) : cli_strdup(raw);
        fprintf(item(c, &n), "token %s", tok);
        free(tok);
    }
    if (f->has_region) {
        fputs("region ", item(c, &n));
        if (!stable)
            fprintf(c->out, "0x%llx ", (unsigned long long)f->region_base);
        if (f->has_region_size)
            fprintf(c->out, "(%llu bytes) ", (unsigned long long)f->region_size);
        fprintf(c->out, "offset %lld", (long long)f->region_offset);
    }
    if (f->has_thread && f->thread_id >= 0)
        fprintf(item(c, &n), "thread T%lld", (long long)f->thread_id);
    else if (f->has_thread)
        fputs("flushed by several threads", item(c, &n));
    if (f->has_thread && f->thread_tid > 0 && !stable)
        fprintf(c->out, " (tid %lld)", (long long)f->thread_tid);
    if (n)
        fputc('\n', c->out);
}

/* ranges -- the merged occurrences' first ranges, when there is more than one. */
static void ranges(const struct ctx *c, const struct cli_finding *f)
{
    if (c->o->stable || f->nranges < 2)
        return;
    fputs("  ranges:", c->out);
    for (size_t i = 0; i < f->nranges; i++) {
        fprintf(c->out, " 0x%llx", (unsigned long long)f->ranges[i].address);
        if (f->ranges[i].has_size)
            fprintf(c->out, "+%llu", (unsigned long long)f->ranges[i].size);
    }
    fputs(f->ranges_truncated ? " ...\n" : "\n", c->out);
}

/* merged -- "merged: 6 occurrences in 2 processes (pids 10, 11), 384 bytes in total". */
static void merged(const struct ctx *c, const struct cli_group *g)
{
    if (g->count <= 1 && g->nmembers <= 1)
        return;
    int64_t *pids = cli_alloc(g->nmembers * sizeof *pids);
    size_t np = cli_group_pids(g, pids);
    fprintf(c->out, "  merged: %llu occurrence%s", (unsigned long long)g->count, plural(g->count));
    if (np > 1)
        fprintf(c->out, " in %zu processes", np);
    if (!c->o->stable) {
        fprintf(c->out, " (pid%s", plural(np));
        for (size_t i = 0; i < np && i < 8; i++)
            fprintf(c->out, "%s %lld", i ? "," : "", (long long)pids[i]);
        fputs(np > 8 ? ", ...)" : ")", c->out);
    }
    if (g->has_bytes)
        fprintf(c->out, ", %llu bytes in total", (unsigned long long)g->bytes);
    fputc('\n', c->out);
    free(pids);
}

static void block(const struct ctx *c, const struct cli_group *g)
{
    const struct cli_finding *f = c->o->stable ? cli_group_stable_first(g) : g->first;
    int sev = f->severity == NV_SEV_WARNING;
    char *msg = c->o->stable ? cli_stable_text(f->message) : cli_strdup(f->message);
    fprintf(c->out, "\n%s%s%s: %s", c->p->sev[sev], nv_severity_name(f->severity), c->p->off,
            c->p->bold);
    put(c->out, f->kind);
    fprintf(c->out, "%s: ", c->p->off);
    put(c->out, msg);
    fputc('\n', c->out);
    free(msg);
    details(c, f);
    stack_lines(c, &f->stack);
    for (size_t i = 0; i < f->nrelated; i++) {
        role_heading(c, f->related[i].role);
        stack_lines(c, &f->related[i].stack);
    }
    ranges(c, f);
    merged(c, g);
}

/* header -- the totals. */
static void header(const struct ctx *c, const struct cli_set *set, const struct cli_groups *g)
{
    size_t errors = 0, warnings = 0, programs = 0;
    for (size_t i = 0; i < g->n; i++)
        g->g[i].first->severity == NV_SEV_WARNING ? warnings++ : errors++;
    for (size_t i = 0; i < set->n; i++) {
        const char *a = set->r[i].argc ? set->r[i].argv[0] : "";
        size_t k = 0;
        while (k < i && strcmp(a, set->r[k].argc ? set->r[k].argv[0] : ""))
            k++;
        programs += k == i;
    }
    fprintf(c->out, "%snvcheck: %zu error%s, %zu warning%s in %zu process%s (%zu program%s)%s\n",
            c->p->bold, errors, plural(errors), warnings, plural(warnings), set->n,
            set->n == 1 ? "" : "es", programs, plural(programs), c->p->off);
}

/* dropped_kinds -- " (5 unflushed-write, 2 out-of-region)": what r dropped, by kind. */
static void dropped_kinds(const struct ctx *c, const struct cli_report *r)
{
    int n = 0;
    for (size_t k = 0; k < r->nby_kind; k++) {
        if (!r->by_kind[k].dropped)
            continue;
        fprintf(c->out, "%s%llu ", n++ ? ", " : " (", (unsigned long long)r->by_kind[k].dropped);
        put(c->out, r->by_kind[k].kind);
    }
    if (n)
        fputc(')', c->out);
}

/* notes -- one line for every process that hit the interposer's caps: its findings
 * are incomplete, and people must not take the silence for a clean bill. So for the
 * gaps of the harvest: processes that left no report, directories that held none. */
static void notes(const struct ctx *c, const struct cli_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct cli_report *r = &set->r[i];
        if (!r->truncated)
            continue;
        fputs("nvcheck: note: ", c->out);
        if (!c->o->stable) {
            fprintf(c->out, "pid %lld (", (long long)r->pid);
            put(c->out, r->path);
            fputs("): ", c->out);
        }
        fputs("incomplete:", c->out);
        if (r->dropped_occurrences > 0) {
            fprintf(c->out, " %lld occurrence%s beyond max_findings=%lld dropped",
                    (long long)r->dropped_occurrences, plural((uint64_t)r->dropped_occurrences),
                    (long long)r->max_findings);
            dropped_kinds(c, r);
            fputs(": raise max_findings to see them;", c->out);
        }
        if (r->stacks_dropped > 0)
            fprintf(c->out, " %lld stack%s not stored (the stack store was full);",
                    (long long)r->stacks_dropped, plural((uint64_t)r->stacks_dropped));
        if (r->untracked_writes > 0)
            fprintf(c->out, " %lld write%s not tracked (max_shadow_mb reached);",
                    (long long)r->untracked_writes, plural((uint64_t)r->untracked_writes));
        fputs(" findings may be missing\n", c->out);
    }
    for (size_t i = 0; i < set->nlost && !c->o->harvest_said; i++) {
        const struct cli_lost *l = &set->lost[i];
        fputs("nvcheck: note: process ", c->out);
        if (!c->o->stable)
            fprintf(c->out, "%lld ", (long long)l->pid);
        fputc('(', c->out);
        put(c->out, l->exe ? l->exe : "?");
        fputs(") left no report: ", c->out);
        put(c->out, l->why);
        fputs("; its findings are missing\n", c->out);
    }
    for (size_t i = 0; i < set->nempty && !c->o->harvest_said; i++) {
        fputs("nvcheck: note: no reports in ", c->out);
        put(c->out, set->empty[i]);
        fputs(": nothing was checked there\n", c->out);
    }
}

int cli_render_text(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                    const struct cli_render_opts *o)
{
    struct ctx c = {out, o, o->color ? &colour : &plain};
    size_t shown = o->max_findings && o->max_findings < g->n ? o->max_findings : g->n;
    header(&c, set, g);
    notes(&c, set);
    for (size_t i = 0; i < shown; i++)
        block(&c, &g->g[i]);
    if (shown < g->n)
        fprintf(out, "\n... %zu more finding%s not shown\n", g->n - shown, plural(g->n - shown));
    return CLI_OK;
}
