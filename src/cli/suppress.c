/* suppress.c -- suppression files: KIND:PATTERN rules that take findings out of the gate.
 *
 * The format, like the sanitizers' (reports/suppressions.md says the same for users):
 *
 *     # a comment: a line whose first non-blank character is '#'
 *     unflushed-write:legacy_log_append   a function name
 *     *:legacy_*.c                         any kind, a source file's base name
 *     leaked-token:libfoo.so*              a module's base name
 *     unflushed-write:app+0x1331           a frame: module (glob) + exact offset
 *
 * One rule per line; blank lines are ignored; blanks around KIND and PATTERN are not
 * part of them. KIND is a finding kind name or '*'. PATTERN is split from KIND at the
 * first ':' (C++ names keep theirs) and is a glob over the whole name: '*' matches any
 * run of characters ('/' included), '?' one; every other character is itself, so
 * "operator[]" or "f(char*)" need no escaping. Comments are whole lines only, so a
 * pattern may contain '#'.
 *
 * A rule suppresses a finding when some frame of the finding's own stack -- not its
 * related stacks -- has a function name, a source file (full path or base name) or a
 * module (full path or base name) that the pattern matches. A pattern that ends in
 * "+0x" and hex digits names a frame instead: one in a module the part before matches
 * (full path or base name), at exactly that file offset -- the one way to name a call
 * site in a program without symbols. Related stacks are left out
 * on purpose: "token freed at" or "token created at" is usually common set-up or
 * tear-down code, and a rule naming it would hide every bug of every writer.
 *
 * The first matching rule (files in command-line order, then line order) takes the
 * finding and counts the hit; the check prints the hits and the rules never used, as
 * ASan's print_suppressions does, so stale rules get noticed. A bad line (no ':', an
 * unknown kind, an empty pattern) is an error: a typo must not silently suppress
 * nothing, nor everything.
 *
 * Rules broader than they look are warned about, since each hides every finding it
 * matches, new bugs too: a rule that matched a frame by its module's name alone
 * (all of that kind in the module), and a generated rule that suppressed findings
 * from more distinct stacks than it was generated from. The generator (render_supp.c)
 * writes that number as a comment the loader reads, "# nvcheck-generated: stacks=N",
 * on the line before the rule.
 */
#include "check.h"

#include "kinds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p && (*p == '?' || *p == *s)) {
            p++;
            s++;
        } else if (star) {
            p = star + 1; /* let the last '*' swallow one more character */
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return !*p;
}

static char *trim(char *s)
{
    s += strspn(s, " \t");
    size_t n = strlen(s);
    while (n && strchr(" \t\r\n", s[n - 1]))
        s[--n] = 0;
    return s;
}

/* at_offset -- a pattern MODULE+0xHEX names a frame by module and offset. */
static void at_offset(struct cli_supp_rule *r)
{
    char *plus = strrchr(r->pattern, '+');
    size_t digits = plus ? strspn(plus + 3, "0123456789abcdefABCDEF") : 0;
    if (!plus || plus == r->pattern || strncmp(plus, "+0x", 3) || !digits || plus[3 + digits] ||
        digits > 16)
        return;
    r->at_offset = 1;
    r->module = cli_printf("%.*s", (int)(plus - r->pattern), r->pattern);
    r->offset = strtoull(plus + 3, NULL, 16);
}

/* generated -- N of a "# nvcheck-generated: stacks=N" line, or 0. */
static size_t generated(const char *line)
{
    static const char tag[] = "# nvcheck-generated: stacks=";
    char *end;
    if (strncmp(line, tag, sizeof tag - 1) || line[sizeof tag - 1] < '1' ||
        line[sizeof tag - 1] > '9')
        return 0;
    unsigned long long n = strtoull(line + sizeof tag - 1, &end, 10);
    return *end ? 0 : (size_t)n;
}

/* parse_line -- one rule from a non-blank, non-comment line; 0, or -1 having said why. */
static int parse_line(const char *path, int lineno, char *line, struct cli_supp_rule *r)
{
    char what[4096];
    snprintf(what, sizeof what, "%s:%d", path, lineno);
    char *colon = strchr(line, ':');
    if (!colon) {
        cli_error(what, "expected KIND:PATTERN, got '%.60s'", line);
        return -1;
    }
    *colon = 0;
    char *kind = trim(line), *pattern = trim(colon + 1);
    if (strcmp(kind, "*") && nv_kind_lookup(kind, strlen(kind)) < 0) {
        cli_error(what, "unknown finding kind '%.60s' (a kind name or '*'; see reports/kinds.md)",
                  kind);
        return -1;
    }
    if (!*pattern) {
        cli_error(what, "empty pattern after '%s:'", kind);
        return -1;
    }
    *r = (struct cli_supp_rule){.file = path, .line = lineno, .pattern = cli_strdup(pattern)};
    r->kind = strcmp(kind, "*") ? cli_strdup(kind) : NULL;
    at_offset(r);
    return 0;
}

static void append(struct cli_supps *s, const struct cli_supp_rule *r)
{
    struct cli_supp_rule *v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v) {
        cli_error("suppressions", "out of memory");
        exit(CLI_BAD_INPUT);
    }
    s->v = v;
    s->v[s->n++] = *r;
}

static void drop_from(struct cli_supps *s, size_t first)
{
    while (s->n > first) {
        struct cli_supp_rule *r = &s->v[--s->n];
        free(r->kind);
        free(r->pattern);
        free(r->module);
        for (size_t i = 0; i < r->nstacks; i++)
            free(r->stacks[i]);
        free(r->stacks);
    }
}

int cli_supp_load(struct cli_supps *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cli_error(path, "%s", strerror(errno));
    size_t first = s->n, cap = 0;
    char *buf = NULL;
    int lineno = 0, rc = CLI_OK;
    size_t stacks = 0; /* from the generator's comment, for the next rule */
    ssize_t len;
    while (rc == CLI_OK && (len = getline(&buf, &cap, f)) >= 0) {
        lineno++;
        if (memchr(buf, 0, (size_t)len)) {
            rc = cli_error(path, "not a text file (a NUL byte on line %d)", lineno);
            break;
        }
        char *line = trim(buf);
        struct cli_supp_rule r;
        if (*line == '#' && generated(line))
            stacks = generated(line);
        if (!*line || *line == '#')
            continue;
        if (parse_line(path, lineno, line, &r) < 0)
            rc = CLI_BAD_INPUT;
        else
            r.generated = stacks, append(s, &r);
        stacks = 0;
    }
    if (rc == CLI_OK && ferror(f))
        rc = cli_error(path, "%s", strerror(errno ? errno : EIO));
    free(buf);
    fclose(f);
    if (rc != CLI_OK)
        drop_from(s, first);
    return rc;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int name_matches(const char *pattern, const char *name)
{
    return name && (cli_glob(pattern, name) || cli_glob(pattern, base_name(name)));
}

/* frame_matches -- 0: no; 1: by function, file or module and offset; 2: by the
 * module's name alone. */
static int frame_matches(const struct cli_supp_rule *r, const struct cli_frame *fr)
{
    if (r->at_offset)
        return fr->module && fr->offset == r->offset && name_matches(r->module, fr->module);
    if ((fr->function && cli_glob(r->pattern, fr->function)) || name_matches(r->pattern, fr->file))
        return 1;
    return name_matches(r->pattern, fr->module) ? 2 : 0;
}

/* add_stack -- count f's stack among the distinct stacks r suppressed. */
static void add_stack(struct cli_supp_rule *r, const struct cli_finding *f)
{
    char *key = cli_stack_key(&f->stack, 1);
    for (size_t i = 0; i < r->nstacks; i++) {
        if (!strcmp(r->stacks[i], key)) {
            free(key);
            return;
        }
    }
    char **v = realloc(r->stacks, (r->nstacks + 1) * sizeof *v);
    if (!v) {
        cli_error("suppressions", "out of memory");
        exit(CLI_BAD_INPUT);
    }
    r->stacks = v;
    r->stacks[r->nstacks++] = key;
}

struct cli_supp_rule *cli_supp_match(struct cli_supps *s, const struct cli_finding *f)
{
    for (size_t i = 0; i < s->n; i++) {
        struct cli_supp_rule *r = &s->v[i];
        if (r->kind && strcmp(r->kind, f->kind))
            continue;
        int how = 0;
        for (size_t k = 0; k < f->stack.n && how != 1; k++) {
            int m = frame_matches(r, &f->stack.f[k]);
            how = m && (!how || m < how) ? m : how;
        }
        if (how) {
            r->hits++;
            r->module_hits += how == 2;
            add_stack(r, f);
            return r;
        }
    }
    return NULL;
}

/* rule_text -- "FILE:LINE: KIND:PATTERN", as a terminal may show it. */
static void rule_text(const struct cli_supp_rule *r, FILE *out)
{
    fputs("suppression ", out);
    cli_put_clean(out, r->file);
    fprintf(out, ":%d: %s:", r->line, r->kind ? r->kind : "*");
    cli_put_clean(out, r->pattern);
}

size_t cli_supp_warn(const struct cli_supps *s, FILE *out)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct cli_supp_rule *r = &s->v[i];
        const char *kind = r->kind ? r->kind : "finding";
        if (r->module_hits) {
            fputs("warning: ", out);
            rule_text(r, out);
            fprintf(out,
                    " names a module alone: it suppressed %zu finding%s, and will every %s in "
                    "that module; name a function, or a frame as MODULE+0xOFFSET\n",
                    r->module_hits, r->module_hits == 1 ? "" : "s", kind);
            n++;
        }
        if (r->generated && r->nstacks > r->generated) {
            fputs("warning: ", out);
            rule_text(r, out);
            fprintf(out,
                    " was generated from %zu stack%s and suppressed findings from %zu: a new "
                    "bug may hide behind it; review it\n",
                    r->generated, r->generated == 1 ? "" : "s", r->nstacks);
            n++;
        }
    }
    return n;
}

void cli_supp_free(struct cli_supps *s)
{
    drop_from(s, 0);
    free(s->v);
    s->v = NULL;
}
