/* render_supp.c -- nvcheck report --gen-suppressions: rules that suppress these findings.
 *
 * For each finding group, a comment line (kind, innermost location, message), then a
 * rule as specific as the finding: KIND:FUNCTION naming the innermost frame's function
 * -- the program's own call into the API -- or, when that frame has no name (a
 * stripped program), KIND:MODULE+0xOFFSET naming that very call site. Never a module
 * alone: "unflushed-write:app" would suppress every unflushed write in the program,
 * the next build's new bugs too. A frame with neither (a bare address) gets a comment
 * saying why there is no rule. Groups that give the same rule share it (a rule listed
 * twice would be reported unused the second time), and the line before the rule,
 * "# nvcheck-generated: stacks=N", records from how many distinct stacks it was made:
 * nvcheck check warns when the rule later suppresses findings from more (suppress.c
 * matches a rule against every frame of a finding's stack, so a rule naming a function
 * such as main, which many stacks pass through, suppresses more in later runs).
 *
 * Names are written so that suppress.c reads back the same name: bytes it would not
 * keep or a terminal must not see (control characters, C1 ones included, bytes that
 * are not UTF-8; blanks at either end, which it trims) become '?', its one-character
 * wildcard, one per byte; '*' or '?' inside names match themselves anyway.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* rule -- "KIND:PATTERN" for f, made safe to read back; NULL when there is none: the
 * innermost frame's function, else its module's base name + its offset. (Not the
 * innermost frame that has a name: in a stripped program that is libc's start-up code,
 * which every stack passes through.) Caller frees. */
static char *rule(const struct cli_finding *f)
{
    const struct cli_frame *fr = f->stack.n ? &f->stack.f[0] : NULL;
    /* A kind this nvcheck does not know would be a bad line: '*' stands in. */
    const char *kind = f->kind_id >= 0 ? f->kind : "*";
    char *r;
    if (fr && fr->function && *fr->function)
        r = cli_printf("%s:%s", kind, fr->function);
    else if (fr && fr->module && *base_name(fr->module))
        r = cli_printf("%s:%s+0x%llx", kind, base_name(fr->module), (unsigned long long)fr->offset);
    else
        return NULL;
    size_t start = strlen(kind) + 1, n = strlen(r);
    for (size_t i = start; i < n;) {
        size_t bad = cli_text_unsafe(r + i), k = bad ? bad : 1;
        for (size_t j = 0; j < k; j++)
            if (bad || ((i + j == start || i + j == n - 1) && (r[i] == ' ' || r[i] == '\t')))
                r[i + j] = '?';
        i += k;
    }
    return r;
}

/* comment_text -- s with control characters made visible as '?': a newline in a comment
 * would start a line of its own. */
static void comment_text(FILE *out, const char *s)
{
    cli_put_clean(out, s);
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
        char **stacks = cli_alloc(g->n * sizeof *stacks);
        size_t nstacks = 0;
        for (size_t j = i; j < g->n; j++) {
            if (j != i && !(rules[i] && rules[j] && !strcmp(rules[i], rules[j])))
                continue;
            describe(out, g->g[j].first, o->stable);
            char *key = cli_stack_key(&g->g[j].first->stack, 1);
            size_t k = 0;
            while (k < nstacks && strcmp(stacks[k], key))
                k++;
            if (k < nstacks)
                free(key);
            else
                stacks[nstacks++] = key;
        }
        if (rules[i])
            fprintf(out, "# nvcheck-generated: stacks=%zu\n%s\n", nstacks, rules[i]);
        else
            fputs("# (no rule: the call site has no function or module to name it by)\n", out);
        for (size_t k = 0; k < nstacks; k++)
            free(stacks[k]);
        free(stacks);
    }
    for (size_t i = 0; i < g->n; i++)
        free(rules[i]);
    free(rules);
    return CLI_OK;
}
