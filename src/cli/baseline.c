/* baseline.c -- the findings a code base already had, so that the gate fails on new ones.
 *
 * A team adopting nvcheck on an old code base records today's findings once and from
 * then on fails only on new bugs. A finding is "in the baseline" when its key is:
 * cli_finding_key(f, 0) -- the kind plus the symbolised stack and related stacks as
 * function@file (base name), without line numbers, so edits elsewhere in a file, a
 * rebuild, ASLR or another pid never turn an old finding into a new one; frames that
 * cannot be symbolised fall back to module base name + offset, as in the grouping.
 *
 * A baseline is a raw report, a directory of them, or a rendered JSON report (nvcheck
 * report --format json: the file a team would commit). For a rendered report the frames
 * are rebuilt from its fields (function, file, module, offset) and keyed by the very
 * same cli_finding_key, so both kinds of baseline give identical keys. Raw baselines are
 * symbolised on their own, against the binaries on disk now: the symboliser knows a
 * module by its path, and a baseline recorded from an older build of the same path must
 * meet the build-id check (and degrade to module+offset, with a warning) rather than be
 * read with the new build's line tables. So a raw baseline outlives no rebuild; the
 * rendered one, symbolised when it was made, does. A --stable rendering has no module
 * offsets: its unsymbolised frames cannot match, so commit a rendering without --stable
 * when binaries lack debug info.
 */
#include "check.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (512ul << 20) /* larger is not a report; cli_load says so */

static void add_key(struct cli_baseline *b, char *key)
{
    char **v = realloc(b->keys, (b->n + 1) * sizeof *v);
    if (!v) {
        cli_error("baseline", "out of memory");
        exit(CLI_BAD_INPUT);
    }
    b->keys = v;
    b->keys[b->n++] = key;
}

/* Reading a rendered report: the JSON path of the value at fault, for messages. */
struct rd {
    const char *file;
    char where[128];
};

static int bad(const struct rd *c, const char *member, const char *problem)
{
    const char *dot = *c->where && *member ? "." : "";
    return cli_error(c->file, "%s%s%s: %s", c->where, dot, member, problem);
}

/* opt_string -- member key: a string, or null/absent (NULL). */
static int opt_string(const struct rd *c, json_t *o, const char *key, char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return CLI_OK;
    if (!json_is_string(v))
        return bad(c, key, "expected a string or null");
    *out = cli_strdup(json_string_value(v));
    return CLI_OK;
}

static int read_frame(const struct rd *c, json_t *o, struct cli_frame *fr)
{
    char *module = NULL, *offset = NULL, *end = NULL;
    if (!json_is_object(o))
        return bad(c, "", "expected an object");
    int rc = opt_string(c, o, "function", &fr->function);
    if (rc == CLI_OK)
        rc = opt_string(c, o, "file", &fr->file);
    if (rc == CLI_OK)
        rc = opt_string(c, o, "module", &module);
    if (rc == CLI_OK)
        rc = opt_string(c, o, "offset", &offset);
    if (rc == CLI_OK && offset) {
        fr->offset = strtoull(offset, &end, 16);
        if (strncmp(offset, "0x", 2) || !offset[2] || *end)
            rc = bad(c, "offset", "expected a hex string like \"0x1a2b\"");
    }
    fr->module = module; /* freed by free_stack */
    free(offset);
    return rc;
}

static int read_stack(struct rd *c, json_t *arr, struct cli_stack *s)
{
    if (!json_is_array(arr))
        return bad(c, "stack", "expected an array");
    size_t i, len = strlen(c->where);
    json_t *o;
    s->n = json_array_size(arr);
    s->f = cli_alloc((s->n ? s->n : 1) * sizeof *s->f);
    json_array_foreach(arr, i, o)
    {
        snprintf(c->where + len, sizeof c->where - len, ".stack[%zu]", i);
        int rc = read_frame(c, o, &s->f[i]);
        c->where[len] = 0;
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

static void free_stack(struct cli_stack *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free((char *)s->f[i].module);
        free(s->f[i].function);
        free(s->f[i].file);
    }
    free(s->f);
}

static int read_related(struct rd *c, json_t *arr, struct cli_finding *f)
{
    if (!arr || json_is_null(arr))
        return CLI_OK;
    if (!json_is_array(arr))
        return bad(c, "related", "expected an array");
    size_t i, len = strlen(c->where);
    json_t *o;
    f->related = cli_alloc((json_array_size(arr) + 1) * sizeof *f->related);
    json_array_foreach(arr, i, o)
    {
        struct cli_related *r = &f->related[f->nrelated++];
        snprintf(c->where + len, sizeof c->where - len, ".related[%zu]", i);
        json_t *role = json_object_get(o, "role");
        int rc = json_is_string(role) ? read_stack(c, json_object_get(o, "stack"), &r->stack)
                                      : bad(c, "role", "expected a string");
        r->role = cli_strdup(json_string_value(role));
        c->where[len] = 0;
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

/* rendered_key -- the key of one finding of a rendered report, or NULL (said why). */
static char *rendered_key(struct rd *c, json_t *o)
{
    struct cli_finding f = {0};
    json_t *kind = json_object_get(o, "kind");
    int rc = !json_is_object(o)      ? bad(c, "", "expected an object")
             : !json_is_string(kind) ? bad(c, "kind", "expected a string")
                                     : read_stack(c, json_object_get(o, "stack"), &f.stack);
    if (rc == CLI_OK)
        rc = read_related(c, json_object_get(o, "related"), &f);
    f.kind = (char *)(json_is_string(kind) ? json_string_value(kind) : "");
    char *key = rc == CLI_OK ? cli_finding_key(&f, 0) : NULL;
    free_stack(&f.stack);
    for (size_t i = 0; i < f.nrelated; i++) {
        free(f.related[i].role);
        free_stack(&f.related[i].stack);
    }
    free(f.related);
    return key;
}

static int load_rendered(struct cli_baseline *b, const char *path, json_t *root)
{
    struct rd c = {.file = path};
    json_t *arr = json_object_get(root, "findings"), *o;
    if (!json_is_array(arr))
        return bad(&c, "findings", "expected an array");
    size_t i, first = b->n;
    json_array_foreach(arr, i, o)
    {
        snprintf(c.where, sizeof c.where, "findings[%zu]", i);
        char *key = rendered_key(&c, o);
        if (!key) {
            while (b->n > first)
                free(b->keys[--b->n]);
            return CLI_BAD_INPUT;
        }
        add_key(b, key);
    }
    return CLI_OK;
}

int cli_baseline_load(struct cli_baseline *b, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_load_dir(&b->raw, path, NULL);
    json_t *root = NULL;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= MAX_FILE)
        root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    json_t *schema = json_object_get(root, "schema");
    int rc;
    if (json_is_string(schema) && !strcmp(json_string_value(schema), "nvcheck/1"))
        rc = load_rendered(b, path, root);
    else
        rc = cli_load(&b->raw, path); /* a raw report, or the reader's message why not */
    json_decref(root);
    return rc;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cli_baseline_finish(struct cli_baseline *b, int quiet)
{
    cli_symbolize(&b->raw, quiet);
    for (size_t r = 0; r < b->raw.n; r++)
        for (size_t i = 0; i < b->raw.r[r].nfindings; i++)
            add_key(b, cli_finding_key(&b->raw.r[r].findings[i], 0));
    if (b->n)
        qsort(b->keys, b->n, sizeof *b->keys, cmp_keys);
}

int cli_baseline_has(const struct cli_baseline *b, const char *key)
{
    return b->n && bsearch(&key, b->keys, b->n, sizeof *b->keys, cmp_keys) != NULL;
}

void cli_baseline_free(struct cli_baseline *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->keys[i]);
    free(b->keys);
    b->keys = NULL;
    b->n = 0;
    cli_set_free(&b->raw);
}
