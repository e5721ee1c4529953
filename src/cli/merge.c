/* merge.c -- findings of many processes merged into groups, in a stable order.
 *
 * Two findings are the same when their kind and their symbolised stacks (and related
 * stacks) are: a loop that leaves a thousand records unflushed in each of four worker
 * processes is one group with count 4000, not four findings. Keys never contain
 * addresses, so the grouping and the order are the same from run to run. The grouping
 * key holds everything of a frame that a suppression rule can match -- function, the
 * source file's full path, the module's path (and offset, for a frame without
 * symbols) -- so that every member of a group is suppressed or none: the gate judges
 * a group by its first member, and the same source built into two programs must not
 * let a rule naming one program take the other's findings with it.
 */
#include "cli.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

/* Growing string buffer. */
struct buf {
    char *s;
    size_t n, cap;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) {
            cli_error("merge", "out of memory");
            exit(CLI_BAD_INPUT);
        }
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* system -- a frame in an operating-system library (the C library's start-up code,
 * the loader). Keys meant to last (lines == 0: baselines, SARIF fingerprints) leave
 * them out, so that a C library update on the CI machine does not make every known
 * finding look new. */
static int system_frame(const struct cli_frame *f)
{
    static const char *const dirs[] = {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"};
    for (size_t i = 0; f->module && i < sizeof dirs / sizeof *dirs; i++)
        if (!strncmp(f->module, dirs[i], strlen(dirs[i])))
            return 1;
    return 0;
}

static void stack_key(struct buf *b, const struct cli_stack *s, int lines)
{
    size_t own = 0;
    for (size_t i = 0; i < s->n; i++)
        own += !system_frame(&s->f[i]);
    int first = 1;
    for (size_t i = 0; i < s->n; i++) {
        const struct cli_frame *f = &s->f[i];
        if (!lines && own && system_frame(f))
            continue;
        if (!first)
            add(b, " ");
        first = 0;
        if (lines && (f->function || f->file)) { /* all that suppressions can match */
            add(b, "%s@%s:%d(%s)", f->function ? f->function : "?", f->file ? f->file : "?",
                f->line, f->module ? f->module : "");
        } else if (lines && f->module) {
            add(b, "%s+0x%llx", f->module, (unsigned long long)f->offset);
        } else if (f->function || f->file) {
            add(b, "%s@%s", f->function ? f->function : "?", f->file ? base_name(f->file) : "?");
        } else if (f->module) {
            add(b, "%s+0x%llx", base_name(f->module), (unsigned long long)f->offset);
        } else {
            add(b, "0x%llx", (unsigned long long)f->address);
        }
    }
    if (!b->s)
        add(b, "%s", "");
}

char *cli_stack_key(const struct cli_stack *s, int lines)
{
    struct buf b = {0};
    stack_key(&b, s, lines);
    return b.s;
}

char *cli_finding_key(const struct cli_finding *f, int lines)
{
    struct buf b = {0};
    add(&b, "%s|", f->kind);
    stack_key(&b, &f->stack, lines);
    for (size_t i = 0; i < f->nrelated; i++) {
        add(&b, "|%s:", f->related[i].role);
        stack_key(&b, &f->related[i].stack, lines);
    }
    return b.s;
}

struct item {
    const struct cli_finding *f;
    char *key;
};

static const struct cli_frame *top(const struct cli_finding *f)
{
    return f->stack.n ? &f->stack.f[0] : NULL;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* order -- severity, kind, innermost source location, then the key. */
static int order(const struct item *a, const struct item *b)
{
    if (a->f->severity != b->f->severity)
        return a->f->severity - b->f->severity;
    int c = cmp_str(a->f->kind, b->f->kind);
    if (c)
        return c;
    const struct cli_frame *x = top(a->f), *y = top(b->f);
    if (x && y) {
        if ((c = cmp_str(x->file, y->file)) != 0)
            return c;
        if (x->line != y->line)
            return x->line - y->line;
    }
    return strcmp(a->key, b->key);
}

static int cmp_items(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    int c = order(a, b);
    if (c)
        return c;
    /* Within a group: lowest pid, then lowest address first. */
    if (a->f->report->pid != b->f->report->pid)
        return a->f->report->pid < b->f->report->pid ? -1 : 1;
    if (a->f->address != b->f->address)
        return a->f->address < b->f->address ? -1 : 1;
    return 0;
}

/* sat_add -- a + b, at most INT64_MAX: totals stay representable as JSON integers
 * however large the counts in (possibly hand-made) reports are. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > INT64_MAX || b > INT64_MAX - a ? INT64_MAX : a + b;
}

void cli_group(const struct cli_set *set, struct cli_groups *out)
{
    size_t n = 0, k = 0;
    for (size_t r = 0; r < set->n; r++)
        n += set->r[r].nfindings;
    struct item *v = cli_alloc((n ? n : 1) * sizeof *v);
    for (size_t r = 0; r < set->n; r++)
        for (size_t i = 0; i < set->r[r].nfindings; i++, k++) {
            v[k].f = &set->r[r].findings[i];
            v[k].key = cli_finding_key(v[k].f, 1);
        }
    qsort(v, n, sizeof *v, cmp_items);
    out->n = 0;
    out->g = cli_alloc((n ? n : 1) * sizeof *out->g);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && !strcmp(v[j].key, v[i].key))
            j++;
        struct cli_group *g = &out->g[out->n++];
        g->first = v[i].f;
        g->nmembers = j - i;
        g->members = cli_alloc(g->nmembers * sizeof *g->members);
        g->has_bytes = 1;
        for (size_t m = i; m < j; m++) {
            g->members[m - i] = v[m].f;
            g->count = sat_add(g->count, v[m].f->count);
            g->bytes = sat_add(g->bytes, v[m].f->bytes);
            g->has_bytes &= v[m].f->has_bytes;
        }
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
}

void cli_groups_free(struct cli_groups *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->g[i].members);
    free(g->g);
    g->g = NULL;
    g->n = 0;
}

static int cmp_pid(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

size_t cli_group_pids(const struct cli_group *g, int64_t *pids)
{
    size_t n = 0;
    for (size_t i = 0; i < g->nmembers; i++)
        pids[i] = g->members[i]->report->pid;
    qsort(pids, g->nmembers, sizeof *pids, cmp_pid);
    for (size_t i = 0; i < g->nmembers; i++)
        if (i == 0 || pids[i] != pids[n - 1])
            pids[n++] = pids[i];
    return n;
}

json_t *cli_group_pids_json(const struct cli_group *g)
{
    int64_t *v = cli_alloc(g->nmembers * sizeof *v);
    size_t n = cli_group_pids(g, v);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    free(v);
    return a;
}

int cli_report_cmp_argv(const struct cli_report *a, const struct cli_report *b)
{
    for (size_t i = 0; i < a->argc && i < b->argc; i++) {
        int c = strcmp(a->argv[i], b->argv[i]);
        if (c)
            return c;
    }
    return (a->argc > b->argc) - (a->argc < b->argc);
}

/* by_content -- the order of cli_group_stable_first: nothing that differs between runs. */
static int by_content(const struct cli_finding *a, const struct cli_finding *b)
{
    if (a->has_region != b->has_region || a->region_offset != b->region_offset)
        return a->has_region != b->has_region ? b->has_region - a->has_region
                                              : (a->region_offset < b->region_offset ? -1 : 1);
    if (a->has_size != b->has_size || a->size != b->size)
        return a->has_size != b->has_size ? b->has_size - a->has_size
                                          : (a->size < b->size ? -1 : 1);
    char *x = cli_stable_text(a->message), *y = cli_stable_text(b->message);
    int c = cmp_str(x, y);
    free(x);
    free(y);
    for (size_t i = 0; !c && i < a->report->argc && i < b->report->argc; i++)
        c = strcmp(a->report->argv[i], b->report->argv[i]);
    return c ? c : (a->report->argc > b->report->argc) - (a->report->argc < b->report->argc);
}

const struct cli_finding *cli_group_stable_first(const struct cli_group *g)
{
    const struct cli_finding *best = g->members[0];
    for (size_t i = 1; i < g->nmembers; i++)
        if (by_content(g->members[i], best) < 0)
            best = g->members[i];
    return best;
}
