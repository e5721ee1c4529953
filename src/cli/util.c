/* util.c -- messages and allocation for the CLI. */
#include "cli.h"

#include "kinds.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

int cli_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "nvcheck: %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_BAD_INPUT;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("nvcheck: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void *cli_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "nvcheck: out of memory\n");
        exit(CLI_BAD_INPUT);
    }
    return p;
}

char *cli_strdup(const char *s)
{
    if (!s)
        return NULL;
    char *p = cli_alloc(strlen(s) + 1);
    return strcpy(p, s);
}

char *cli_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = cli_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *cli_stable_text(const char *s)
{
    if (!s)
        return NULL;
    /* "0x..." is never longer than the 0x10000 or more it replaces */
    char *out = cli_alloc(strlen(s) + 1), *o = out;
    for (const char *p = s; *p;) {
        size_t n = 0, zeros = 0;
        if (p[0] == '0' && p[1] == 'x' && (p == s || !isalnum((unsigned char)p[-1]))) {
            n = strspn(p + 2, "0123456789abcdefABCDEF");
            zeros = strspn(p + 2, "0");
        }
        if (n > zeros && n - zeros >= 5) {
            o = stpcpy(o, "0x...");
            p += 2 + n;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

long cli_kinds_mask(const char *spec, const char *what)
{
    long mask = 0;
    const char *s = spec;
    while (*s) {
        size_t n = strcspn(s, ",");
        int k = nv_kind_lookup(s, n);
        if (k >= 0) {
            mask |= 1L << k;
        } else if (n == 6 && !strncmp(s, "errors", n)) {
            for (k = 0; k < NV_NKINDS; k++)
                if (nv_kinds[k].severity == NV_SEV_ERROR)
                    mask |= 1L << k;
        } else if (n == 8 && !strncmp(s, "warnings", n)) {
            for (k = 0; k < NV_NKINDS; k++)
                mask |= 1L << k; /* warnings and above: everything */
        } else if (n == 3 && !strncmp(s, "all", n)) {
            mask |= (1L << NV_NKINDS) - 1;
        } else {
            char known[512] = "errors, warnings, all";
            for (k = 0; k < NV_NKINDS; k++)
                snprintf(known + strlen(known), sizeof known - strlen(known), ", %s",
                         nv_kinds[k].name);
            cli_error(what, "unknown finding kind '%.*s' (known: %s)", (int)n, s, known);
            return -1;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    if (!mask) {
        cli_error(what, "no finding kinds given");
        return -1;
    }
    return mask;
}

int cli_out_open(struct cli_out *o, const char *path)
{
    o->path = o->tmp = NULL;
    o->failed = 0;
    if (!path || !strcmp(path, "-")) {
        o->f = stdout;
        return CLI_OK;
    }
    o->path = cli_strdup(path);
    o->tmp = cli_printf("%s.tmp.%d", path, (int)getpid());
    o->f = fopen(o->tmp, "wx");
    if (!o->f) {
        int rc = cli_error(path, "cannot write: %s", strerror(errno));
        free(o->path);
        free(o->tmp);
        return rc;
    }
    return CLI_OK;
}

int cli_out_close(struct cli_out *o)
{
    int rc = CLI_OK;
    if (o->f == stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            rc = cli_error("standard output", "%s", strerror(errno));
        return rc;
    }
    int bad = ferror(o->f);
    if (o->failed)
        fclose(o->f), rc = CLI_BAD_INPUT;
    else if (fclose(o->f) != 0 || bad)
        rc = cli_error(o->path, "cannot write: %s", strerror(errno ? errno : EIO));
    else if (rename(o->tmp, o->path) != 0)
        rc = cli_error(o->path, "cannot write: %s", strerror(errno));
    if (rc != CLI_OK)
        unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    return rc;
}

static void *must_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("nvcheck: out of memory\n", stderr);
        exit(CLI_BAD_INPUT);
    }
    return p;
}

void cli_json_init(void)
{
    json_set_alloc_funcs(must_malloc, free);
}

json_t *cli_jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    if (v)
        return v;
    char *t = cli_strdup(s);
    for (char *p = t; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(t);
    free(t);
    return v;
}

json_t *cli_jstr_or_empty(const char *s)
{
    return cli_jstr(s ? s : "");
}

json_t *cli_juint(int has, uint64_t x)
{
    return has ? json_integer(x > INT64_MAX ? INT64_MAX : (json_int_t)x) : json_null();
}

json_t *cli_jhex(int has, uint64_t x)
{
    char b[24];
    if (!has)
        return json_null();
    snprintf(b, sizeof b, "0x%llx", (unsigned long long)x);
    return json_string(b);
}

json_t *cli_jend(const struct cli_report *r)
{
    static const char *const how[] = {
        [CLI_END_EXIT] = "exit", [CLI_END_EXEC] = "exec", [CLI_END_SIGNAL] = "signal"};
    if (r->end_how == CLI_END_UNKNOWN)
        return json_null();
    int sig = r->end_how == CLI_END_SIGNAL;
    json_t *o = json_object();
    json_object_set_new(o, "how", json_string(how[r->end_how]));
    json_object_set_new(o, "status",
                        r->has_exit_status ? json_integer(r->exit_status) : json_null());
    json_object_set_new(o, "signal", sig ? json_integer(r->end_signal) : json_null());
    json_object_set_new(o, "signal_name", sig ? cli_jstr(r->end_signal_name) : json_null());
    return o;
}
