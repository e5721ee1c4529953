/* render_supp.c -- nvcheck report --gen-suppressions: rules that suppress these findings.
 *
 * For each finding group, a comment line (kind, innermost location, message), then the
 * rule KIND:FUNCTION naming the innermost frame's function -- the program's own call
 * into the API -- or, when that frame has no name, its module's base name. Groups that
 * give the same rule share it (a rule listed twice would be reported unused the second
 * time). Fed back with nvcheck check --suppressions, the output suppresses exactly these
 * findings (suppress.c matches a rule against every frame of a finding's stack, so a
 * rule naming a function such as main, which many stacks pass through, suppresses more
 * in later runs: review before committing).
 *
 * Names are written so that suppress.c reads back the same name: characters it would
 * not keep (control characters; blanks at either end, which it trims) become '?', its
 * one-character wildcard, and '*' or '?' inside names match themselves anyway.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* pattern -- the name a rule for f names: the innermost frame's function, else its
 * module's base name; NULL when there is none. (Not the innermost frame that has a
 * name: in a stripped program that is libc's start-up code, which every stack passes
 * through, and the rule would suppress every finding of the kind.) */
static const char *pattern(const struct cli_finding *f)
{
    if (!f->stack.n)
        return NULL;
    const struct cli_frame *fr = &f->stack.f[0];
    if (fr->function && *fr->function)
        return fr->function;
    if (fr->module && *base_name(fr->module))
        return base_name(fr->module);
    return NULL;
}

/* rule -- "KIND:PATTERN" for f, made safe to read back; NULL when none. Caller frees. */
static char *rule(const struct cli_finding *f)
{
    const char *p = pattern(f);
    if (!p)
        return NULL;
    /* A kind this nvcheck does not know would be a bad line: '*' stands in. */
    char *r = cli_printf("%s:%s", f->kind_id >= 0 ? f->kind : "*", p);
    size_t start = strlen(r) - strlen(p), n = strlen(r);
    for (size_t i = start; i < n; i++)
        if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f ||
            ((i == start || i == n - 1) && (r[i] == ' ' || r[i] == '\t')))
            r[i] = '?';
    return r;
}

/* comment_text -- s with control characters made visible as '?': a newline in a comment
 * would start a line of its own. */
static void comment_text(FILE *out, const char *s)
{
    for (; s && *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

/* describe -- "# KIND at FUNCTION (FILE:LINE): MESSAGE" for the innermost frame, or
 * "at MODULE+0xOFFSET" when it has no source location (no offset with --stable). */
static void describe(FILE *out, const struct cli_finding *f, int stable)
{
    const struct cli_frame *at = f->stack.n ? &f->stack.f[0] : NULL;
    fputs("# ", out);
    comment_text(out, f->kind);
    if (at && at->file) {
        fputs(" at ", out);
        comment_text(out, at->function ? at->function : "?");
        fputs(" (", out);
        comment_text(out, at->file);
        fprintf(out, ":%d)", at->line);
    } else if (at && at->module) {
        fputs(" at ", out);
        comment_text(out, at->function ? at->function : base_name(at->module));
        if (!stable && !at->function)
            fprintf(out, "+0x%llx", (unsigned long long)at->offset);
    }
    char *msg = stable ? cli_stable_text(f->message) : cli_strdup(f->message);
    if (msg) {
        fputs(": ", out);
        comment_text(out, msg);
    }
    fputc('\n', out);
    free(msg);
}

int cli_render_suppressions(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                            const struct cli_render_opts *o)
{
    (void)set;
    char **rules = cli_alloc((g->n ? g->n : 1) * sizeof *rules);
    for (size_t i = 0; i < g->n; i++)
        rules[i] = rule(g->g[i].first);
    fprintf(out,
            "# nvcheck suppressions for %zu finding%s; use: nvcheck check --suppressions "
            "FILE\n",
            g->n, g->n == 1 ? "" : "s");
    for (size_t i = 0; i < g->n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = rules[i] && rules[j] && !strcmp(rules[i], rules[j]);
        if (seen)
            continue; /* listed with the first group that gave it */
        fputc('\n', out);
        for (size_t j = i; j < g->n; j++)
            if (j == i || (rules[i] && rules[j] && !strcmp(rules[i], rules[j])))
                describe(out, g->g[j].first, o->stable);
        fputs(rules[i] ? rules[i] : "# (no function or module name to suppress it by)", out);
        fputc('\n', out);
    }
    for (size_t i = 0; i < g->n; i++)
        free(rules[i]);
    free(rules);
    return CLI_OK;
}
