/* suppress.c -- suppression files: KIND:PATTERN rules that take findings out of the gate.
 *
 * The format, like the sanitizers' (reports/suppressions.md says the same for users):
 *
 *     # a comment: a line whose first non-blank character is '#'
 *     unflushed-write:legacy_log_append   a function name
 *     *:legacy_*.c                         any kind, a source file's base name
 *     leaked-token:libfoo.so*              a module's base name
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
 * module (full path or base name) that the pattern matches. Related stacks are left out
 * on purpose: "token freed at" or "token created at" is usually common set-up or
 * tear-down code, and a rule naming it would hide every bug of every writer.
 *
 * The first matching rule (files in command-line order, then line order) takes the
 * finding and counts the hit; the check prints the hits and the rules never used, as
 * ASan's print_suppressions does, so stale rules get noticed. A bad line (no ':', an
 * unknown kind, an empty pattern) is an error: a typo must not silently suppress
 * nothing, nor everything.
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
        s->n--;
        free(s->v[s->n].kind);
        free(s->v[s->n].pattern);
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
    ssize_t len;
    while (rc == CLI_OK && (len = getline(&buf, &cap, f)) >= 0) {
        lineno++;
        if (memchr(buf, 0, (size_t)len)) {
            rc = cli_error(path, "not a text file (a NUL byte on line %d)", lineno);
            break;
        }
        char *line = trim(buf);
        struct cli_supp_rule r;
        if (!*line || *line == '#')
            continue;
        if (parse_line(path, lineno, line, &r) < 0)
            rc = CLI_BAD_INPUT;
        else
            append(s, &r);
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

static int frame_matches(const char *pattern, const struct cli_frame *fr)
{
    return (fr->function && cli_glob(pattern, fr->function)) || name_matches(pattern, fr->file) ||
           name_matches(pattern, fr->module);
}

struct cli_supp_rule *cli_supp_match(struct cli_supps *s, const struct cli_finding *f)
{
    for (size_t i = 0; i < s->n; i++) {
        struct cli_supp_rule *r = &s->v[i];
        if (r->kind && strcmp(r->kind, f->kind))
            continue;
        for (size_t k = 0; k < f->stack.n; k++) {
            if (frame_matches(r->pattern, &f->stack.f[k])) {
                r->hits++;
                return r;
            }
        }
    }
    return NULL;
}

void cli_supp_free(struct cli_supps *s)
{
    drop_from(s, 0);
    free(s->v);
    s->v = NULL;
}
