/* render_sarif.c -- nvcheck report --format sarif: SARIF 2.1.0 for code-scanning tools.
 *
 * Written for what GitHub code scanning accepts and shows: one run; tool.driver.rules
 * holds a rule for every kind in findings.def (plus any kind a newer interposer wrote),
 * with descriptions and help, so ruleIndex can point at it; one result per merged group
 * (cli_group), whose location is the innermost frame that has a source file -- the
 * program's own call into the NV API, where the fix goes. Related stacks (flushed at,
 * token freed at, ...) become relatedLocations, linked from the message, since GitHub
 * shows related locations only through such links; every stack is also there in full as
 * a SARIF stack. A finding with no source file anywhere falls back to the module file
 * and a logical location (function, or module+offset).
 *
 * --source-root DIR: files under DIR become URIs relative to the %SRCROOT% base, which
 * run.originalUriBaseIds maps to DIR; GitHub needs repository-relative paths to place an
 * alert on a line. Files outside DIR (the C library, ...) stay absolute file:// URIs.
 *
 * partialFingerprints["nvcheckStack/v1"] is a 128-bit FNV-1a hash of cli_finding_key
 * without line numbers (kind + symbolised stacks), so an alert keeps its identity when
 * code elsewhere in the file moves; ":N" numbers results whose hash is equal (two bad
 * calls in one function), as GitHub's own primaryLocationLineHash does.
 *
 * --stable: no pids or addresses; hex numbers in messages masked (cli_stable_text);
 * unsymbolised frames named by module alone.
 */
#include "cli.h"

#include "kinds.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SRCROOT "%SRCROOT%"

struct sarif {
    const struct cli_render_opts *o;
    char *root;                       /* --source-root, absolute, normal (see normal); NULL: none */
    char *real;                       /* the same with symbolic links resolved; NULL if missing */
    const struct cli_finding **extra; /* one of each kind this nvcheck does not know */
    size_t nextra;
    json_t *prints; /* fingerprint -> how many results carry it so far */
};

/* text -- {"text": s}, a SARIF message. */
static json_t *text(const char *s)
{
    return json_pack("{s:o}", "text", cli_jstr_or_empty(s));
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ---- rules ---- */

/* camel -- "unflushed-write" -> "UnflushedWrite", the rule's readable name. */
static char *camel(const char *kind)
{
    char *s = cli_alloc(strlen(kind) + 1), *o = s;
    for (int up = 1; *kind; kind++) {
        if (*kind == '-' || *kind == '_') {
            up = 1;
            continue;
        }
        *o++ = up && *kind >= 'a' && *kind <= 'z' ? (char)(*kind - 'a' + 'A') : *kind;
        up = 0;
    }
    return s;
}

/* plain -- Markdown help as plain text: backticks dropped. */
static char *plain(const char *md)
{
    char *s = cli_alloc(strlen(md) + 1), *o = s;
    for (; *md; md++)
        if (*md != '`')
            *o++ = *md;
    return s;
}

/* sentence -- "bytes written ..." -> "Bytes written ....". */
static char *sentence(const char *doc)
{
    char *s = cli_printf("%s.", doc);
    if (s[0] >= 'a' && s[0] <= 'z')
        s[0] = (char)(s[0] - 'a' + 'A');
    return s;
}

static json_t *rule(const char *kind, int severity, const char *doc)
{
    const char *what = "A finding of a kind this version of nvcheck does not describe.";
    const char *fix = "See the documentation of the nvcheck that wrote the report.";
    int k = nv_kind_lookup(kind, strlen(kind));
    if (k >= 0)
        what = nv_kinds[k].what, fix = nv_kinds[k].fix;
    char *name = camel(kind), *shortd = doc ? sentence(doc)
                                            : cli_printf("A kind of finding this nvcheck does "
                                                         "not know: %s.",
                                                         kind);
    char *full = plain(what), *pfix = plain(fix);
    char *md = cli_printf("%s\n\n**Fix:** %s", what, fix);
    char *tx = cli_printf("%s\n\nFix: %s", full, pfix);
    const char *level = severity == NV_SEV_WARNING ? "warning" : "error";
    json_t *r = json_pack("{s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:{s:s}, s:{s:[s,s,s], s:s}}", "id",
                          cli_jstr_or_empty(kind), "name", cli_jstr_or_empty(name),
                          "shortDescription", text(shortd), "fullDescription", text(full), "help",
                          "text", cli_jstr_or_empty(tx), "markdown", cli_jstr_or_empty(md),
                          "defaultConfiguration", "level", level, "properties", "tags",
                          "correctness", "persistence", "nv-memory", "precision", "very-high");
    free(name), free(shortd), free(full), free(pfix), free(md), free(tx);
    return r;
}

/* rule_index -- where f's rule is: findings.def's order, then the kinds it lacks. */
static size_t rule_index(struct sarif *s, const struct cli_finding *f)
{
    if (f->kind_id >= 0)
        return (size_t)f->kind_id;
    size_t i = 0;
    while (i < s->nextra && strcmp(s->extra[i]->kind, f->kind))
        i++;
    if (i == s->nextra)
        s->extra[s->nextra++] = f;
    return NV_NKINDS + i;
}

static json_t *rules(struct sarif *s, const struct cli_groups *g)
{
    json_t *a = json_array();
    for (int k = 0; k < NV_NKINDS; k++)
        json_array_append_new(a, rule(nv_kinds[k].name, nv_kinds[k].severity, nv_kinds[k].doc));
    for (size_t i = 0; i < g->n; i++)
        rule_index(s, g->g[i].first);
    for (size_t i = 0; i < s->nextra; i++)
        json_array_append_new(a, rule(s->extra[i]->kind, s->extra[i]->severity, NULL));
    return a;
}

/* ---- locations ---- */

/* uri_path -- p percent-encoded for a URI: unreserved characters and '/' stay. */
static char *uri_path(const char *p)
{
    static const char hexd[] = "0123456789ABCDEF";
    char *s = cli_alloc(strlen(p) * 3 + 1), *o = s;
    for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~/", *c)) {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = hexd[*c >> 4];
            *o++ = hexd[*c & 15];
        }
    }
    return s;
}

/* normal -- an absolute path with "//", "/./" and "/../" resolved as text, without a
 * trailing '/' ("" for the root directory): DWARF paths often carry "..". */
static char *normal(const char *path)
{
    char *out = cli_alloc(strlen(path) + 1);
    size_t n = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t k = strcspn(p, "/");
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            while (n && out[--n] != '/')
                ;
        } else if (k && !(k == 1 && p[0] == '.')) {
            out[n++] = '/';
            memcpy(out + n, p, k);
            n += k;
        }
        out[n] = 0;
        p += k;
    }
    return out;
}

/* within -- what of path is below dir (both normal), or NULL. */
static const char *within(const char *dir, const char *path)
{
    size_t n = dir ? strlen(dir) : 0;
    return dir && !strncmp(path, dir, n) && path[n] == '/' && path[n + 1] ? path + n + 1 : NULL;
}

/* relative -- file relative to the source root (as given, or with symbolic links
 * resolved), or NULL when it is not inside. Caller frees. */
static char *relative(const struct sarif *s, const char *file)
{
    if (!s->root || file[0] != '/')
        return NULL;
    char *n = normal(file), *real = NULL;
    const char *r = within(s->root, n);
    if (!r)
        r = within(s->real, n);
    if (!r && (real = realpath(file, NULL)) != NULL)
        r = within(s->real, real);
    char *out = cli_strdup(r);
    free(n), free(real);
    return out;
}

/* artifact -- an artifactLocation for a file: relative to %SRCROOT% when inside the
 * source root, else a file:// URI; a relative path (DWARF without a compilation
 * directory) stays a relative reference. */
static json_t *artifact(const struct sarif *s, const char *file)
{
    char *rel = relative(s, file), *e = uri_path(rel ? rel : file), *u;
    json_t *a;
    if (rel)
        a = json_pack("{s:o, s:s}", "uri", cli_jstr_or_empty(e), "uriBaseId", SRCROOT);
    else if (file[0] == '/')
        u = cli_printf("file://%s", e), a = json_pack("{s:o}", "uri", cli_jstr_or_empty(u)),
        free(u);
    else
        a = json_pack("{s:o}", "uri", cli_jstr_or_empty(e));
    free(rel), free(e);
    return a;
}

/* logical -- [{"name": function, or module+offset}] for a frame. */
static json_t *logical(const struct sarif *s, const struct cli_frame *f)
{
    char *name;
    if (f->function)
        name = cli_strdup(f->function);
    else if (f->module && s->o->stable)
        name = cli_strdup(base_name(f->module));
    else if (f->module)
        name = cli_printf("%s+0x%llx", base_name(f->module), (unsigned long long)f->offset);
    else
        name =
            s->o->stable ? cli_strdup("??") : cli_printf("0x%llx", (unsigned long long)f->address);
    json_t *a = json_pack("[{s:o, s:s}]", "name", cli_jstr_or_empty(name), "kind",
                          f->function ? "function" : "module");
    free(name);
    return a;
}

/* location -- a frame as a SARIF location: the source line when known, the module file
 * when only that is (absolute paths only: "linux-vdso.so.1" is no file), and always
 * the function or module+offset as a logical location. */
static json_t *location(const struct sarif *s, const struct cli_frame *f)
{
    json_t *l = json_object();
    if (f->file) {
        json_t *p = json_pack("{s:o}", "artifactLocation", artifact(s, f->file));
        if (f->line > 0)
            json_object_set_new(p, "region", json_pack("{s:i}", "startLine", f->line));
        json_object_set_new(l, "physicalLocation", p);
    } else if (f->module && f->module[0] == '/') {
        json_object_set_new(l, "physicalLocation",
                            json_pack("{s:o}", "artifactLocation", artifact(s, f->module)));
    }
    json_object_set_new(l, "logicalLocations", logical(s, f));
    return l;
}

/* primary -- where a stack's finding is shown: the innermost frame whose file is under
 * the source root, else the innermost frame with a source file, else the innermost one.
 * (With a stale binary its own frames have no lines but the C library's still do; the
 * repository is where the alert belongs.) */
static const struct cli_frame *primary(const struct sarif *s, const struct cli_stack *st)
{
    for (size_t i = 0; s->root && i < st->n; i++) {
        char *rel = st->f[i].file ? relative(s, st->f[i].file) : NULL;
        int inside = rel != NULL;
        free(rel);
        if (inside)
            return &st->f[i];
    }
    for (size_t i = 0; i < st->n; i++)
        if (st->f[i].file)
            return &st->f[i];
    return st->n ? &st->f[0] : NULL;
}

static json_t *stack(const struct sarif *s, const struct cli_stack *st, const char *what)
{
    json_t *frames = json_array();
    for (size_t i = 0; i < st->n; i++) {
        json_t *fr = json_pack("{s:o}", "location", location(s, &st->f[i]));
        if (st->f[i].module)
            json_object_set_new(fr, "module", cli_jstr_or_empty(st->f[i].module));
        json_array_append_new(frames, fr);
    }
    return json_pack("{s:o, s:o}", "message", text(what), "frames", frames);
}

/* ---- results ---- */

/* role_words -- "token-freed-at" -> "token freed", "previous-write" -> "previous write". */
static char *role_words(const char *role)
{
    char *w = cli_strdup(role);
    size_t n = strlen(w);
    if (n > 3 && !strcmp(w + n - 3, "-at"))
        w[n - 3] = 0;
    for (char *p = w; *p; p++)
        if (*p == '-')
            *p = ' ';
    return w;
}

/* link_escape -- s with '\', '[' and ']' escaped, as SARIF requires in a message that
 * embeds links. */
static char *link_escape(const char *s)
{
    char *e = cli_alloc(strlen(s) * 2 + 1), *o = e;
    for (; *s; s++) {
        if (*s == '\\' || *s == '[' || *s == ']')
            *o++ = '\\';
        *o++ = *s;
    }
    return e;
}

/* related -- the related stacks' source locations into out (ids from 1); returns the
 * message's tail linking to them: " (related: [token freed at x.c:79](1))" or "". */
static char *related(const struct sarif *s, const struct cli_finding *f, json_t *out)
{
    char *tail = cli_strdup("");
    for (size_t i = 0; i < f->nrelated; i++) {
        const struct cli_frame *p = primary(s, &f->related[i].stack);
        if (!p || !p->file)
            continue;
        char *w = role_words(f->related[i].role), *here = cli_printf("%s here", w);
        char *at = p->line > 0 ? cli_printf("%s at %s:%d", w, base_name(p->file), p->line)
                               : cli_printf("%s at %s", w, base_name(p->file));
        char *link = link_escape(at);
        json_t *l = location(s, p);
        json_object_set_new(l, "id", json_integer((json_int_t)json_array_size(out) + 1));
        json_object_set_new(l, "message", text(here));
        json_array_append_new(out, l);
        char *t = cli_printf("%s%s[%s](%zu)", tail, *tail ? ", " : " (related: ", link,
                             json_array_size(out));
        free(tail), free(w), free(here), free(at), free(link);
        tail = t;
    }
    if (*tail) {
        char *t = cli_printf("%s)", tail);
        free(tail);
        tail = t;
    }
    return tail;
}

/* fingerprint -- FNV-1a (128 bits) of the kind and symbolised stacks without line
 * numbers, then ":N" for the Nth result with that hash. */
static char *fingerprint(struct sarif *s, const struct cli_finding *f)
{
    char *key = cli_finding_key(f, 0), hex[40];
    unsigned __int128 h = (unsigned __int128)0x6c62272e07bb0142ULL << 64 | 0x62b821756295c58dULL;
    const unsigned __int128 prime = (unsigned __int128)1 << 88 | 0x13b;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * prime;
    free(key);
    snprintf(hex, sizeof hex, "%016llx%016llx", (unsigned long long)(h >> 64),
             (unsigned long long)h);
    json_int_t n = json_integer_value(json_object_get(s->prints, hex)) + 1;
    json_object_set_new(s->prints, hex, json_integer(n));
    return cli_printf("%s:%lld", hex, (long long)n);
}

/* properties -- count, bytes, size, region offset, processes (and, unless --stable,
 * pids and the address). */
static json_t *properties(const struct sarif *s, const struct cli_group *g)
{
    const struct cli_finding *f = g->first;
    json_t *p = json_pack("{s:o}", "count", cli_juint(1, g->count));
    if (g->has_bytes)
        json_object_set_new(p, "bytes", cli_juint(1, g->bytes));
    if (f->has_size)
        json_object_set_new(p, "size", cli_juint(1, f->size));
    if (f->has_region)
        json_object_set_new(p, "regionOffset", json_integer(f->region_offset));
    json_t *pids = cli_group_pids_json(g);
    json_object_set_new(p, "processes", json_integer((json_int_t)json_array_size(pids)));
    if (!s->o->stable) {
        json_object_set_new(p, "pids", json_incref(pids));
        if (f->has_address) {
            char b[24];
            snprintf(b, sizeof b, "0x%llx", (unsigned long long)f->address);
            json_object_set_new(p, "address", json_string(b));
        }
    }
    json_decref(pids);
    return p;
}

static json_t *result(struct sarif *s, const struct cli_group *g)
{
    const struct cli_finding *f = g->first;
    json_t *rel = json_array(), *stacks = json_array();
    char *msg = s->o->stable ? cli_stable_text(f->message) : cli_strdup(f->message);
    char *tail = related(s, f, rel), *esc = *tail ? link_escape(msg ? msg : "") : NULL;
    char *full = cli_printf("%s%s", esc ? esc : msg ? msg : f->kind, tail);
    const struct cli_frame *p = primary(s, &f->stack);
    json_t *r =
        json_pack("{s:o, s:I, s:s, s:o}", "ruleId", cli_jstr_or_empty(f->kind), "ruleIndex",
                  (json_int_t)rule_index(s, f), "level",
                  f->severity == NV_SEV_WARNING ? "warning" : "error", "message", text(full));
    json_object_set_new(
        r, "locations",
        json_pack("[o]", p ? location(s, p) : json_pack("{s:o}", "message", text("no stack"))));
    if (json_array_size(rel))
        json_object_set_new(r, "relatedLocations", json_incref(rel));
    json_array_append_new(stacks, stack(s, &f->stack, "call stack"));
    for (size_t i = 0; i < f->nrelated; i++) {
        char *w = role_words(f->related[i].role), *at = cli_printf("%s at", w);
        json_array_append_new(stacks, stack(s, &f->related[i].stack, at));
        free(w), free(at);
    }
    char *fp = fingerprint(s, f);
    json_object_set_new(r, "stacks", stacks);
    json_object_set_new(r, "partialFingerprints", json_pack("{s:s}", "nvcheckStack/v1", fp));
    if (g->count >= 1)
        json_object_set_new(r, "occurrenceCount", cli_juint(1, g->count));
    json_object_set_new(r, "properties", properties(s, g));
    json_decref(rel);
    free(msg), free(tail), free(esc), free(full), free(fp);
    return r;
}

/* ---- the run ---- */

/* note -- a toolExecutionNotification. */
static json_t *note(const char *level, const char *msg)
{
    return json_pack("{s:s, s:o}", "level", level, "message", text(msg));
}

/* invocations -- one; a note for each report that hit the interposer's cap on
 * findings, so an incomplete picture is never taken for a complete one; an error for
 * each process that left no report, which makes the execution unsuccessful (its
 * findings are missing); a note for a directory that held no report (nothing was
 * checked there). */
static json_t *invocations(const struct sarif *s, const struct cli_set *set)
{
    json_t *notes = json_array();
    for (size_t i = 0; i < set->n; i++) {
        const struct cli_report *r = &set->r[i];
        if (!r->truncated)
            continue;
        const char *who = s->o->stable && r->argc ? base_name(r->argv[0]) : r->path;
        char *m = cli_printf("%s: incomplete: the process kept at most %lld findings and "
                             "dropped %lld more occurrences (raise max_findings to see them)",
                             who, (long long)r->max_findings, (long long)r->dropped_occurrences);
        json_array_append_new(notes, note("warning", m));
        free(m);
    }
    for (size_t i = 0; i < set->nlost; i++) {
        const struct cli_lost *l = &set->lost[i];
        char *m = s->o->stable ? cli_printf("process (%s) left no report: %s: its findings are "
                                            "missing",
                                            l->exe ? base_name(l->exe) : "?", l->why)
                               : cli_printf("process %lld (%s) left no report: %s: its findings "
                                            "are missing",
                                            (long long)l->pid, l->exe ? l->exe : "?", l->why);
        json_array_append_new(notes, note("error", m));
        free(m);
    }
    for (size_t i = 0; i < set->nempty; i++) {
        char *m = cli_printf("no reports in %s: nothing was checked there", set->empty[i]);
        json_array_append_new(notes, note("note", m));
        free(m);
    }
    json_t *inv = json_pack("{s:b}", "executionSuccessful", set->nlost == 0);
    if (json_array_size(notes))
        json_object_set_new(inv, "toolExecutionNotifications", json_incref(notes));
    json_decref(notes);
    return json_pack("[o]", inv);
}

/* set_root -- the source root, absolute and normal, and with links resolved. */
static void set_root(struct sarif *s, const char *dir)
{
    char *cwd = dir[0] == '/' ? NULL : getcwd(NULL, 0);
    char *a = cwd ? cli_printf("%s/%s", cwd, dir) : cli_strdup(dir);
    s->root = normal(a);
    s->real = realpath(a, NULL);
    free(cwd), free(a);
}

static json_t *run(struct sarif *s, const struct cli_set *set, const struct cli_groups *g)
{
    json_t *driver = json_pack("{s:s}", "name", "nvcheck");
    if (!s->o->stable)
        json_object_set_new(driver, "version", json_string(PACKAGE_VERSION));
    if (PACKAGE_URL[0])
        json_object_set_new(driver, "informationUri", json_string(PACKAGE_URL));
    json_object_set_new(driver, "rules", rules(s, g));
    json_t *results = json_array();
    for (size_t i = 0; i < g->n; i++)
        json_array_append_new(results, result(s, &g->g[i]));
    json_t *r = json_pack("{s:{s:o}}", "tool", "driver", driver);
    if (s->root) {
        char *e = uri_path(s->root), *u = cli_printf("file://%s/", e);
        json_object_set_new(r, "originalUriBaseIds",
                            json_pack("{s:{s:o}}", SRCROOT, "uri", cli_jstr_or_empty(u)));
        free(e), free(u);
    }
    json_object_set_new(r, "invocations", invocations(s, set));
    json_object_set_new(r, "results", results);
    return r;
}

int cli_render_sarif(FILE *out, const struct cli_set *set, const struct cli_groups *g,
                     const struct cli_render_opts *o)
{
    struct sarif s = {o, NULL, NULL, NULL, 0, json_object()};
    cli_json_init();
    if (o->source_root)
        set_root(&s, o->source_root);
    s.extra = cli_alloc((g->n ? g->n : 1) * sizeof *s.extra);
    json_t *doc = json_pack("{s:s, s:s, s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0",
                            "runs", run(&s, set, g));
    int rc = CLI_OK;
    if (cli_json_dumpf(doc, out, JSON_INDENT(2)) != 0 || fputc('\n', out) == EOF)
        rc = cli_error("sarif", "cannot write the output");
    json_decref(doc);
    json_decref(s.prints);
    free(s.root);
    free(s.real);
    free(s.extra);
    return rc;
}
