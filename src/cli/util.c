/* util.c -- messages and allocation for the CLI. */
#include "cli.h"

#include "kinds.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* utf8_len -- the length of the well-formed UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = *s >= 0xf0 && *s <= 0xf4 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc2 && *s < 0xe0 ? 2 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

size_t cli_text_unsafe(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    if (*s < 0x20 || *s == 0x7f)
        return 1;
    if (*s < 0x80)
        return 0;
    size_t n = utf8_len(s);
    if (n == 0)
        return 1;
    return n == 2 && s[0] == 0xc2 && s[1] < 0xa0 ? 2 : 0; /* U+0080..U+009F: C1 controls */
}

char *cli_clean(char *s)
{
    char *o = s;
    for (const char *p = s; *p;) {
        size_t bad = cli_text_unsafe(p);
        size_t n = bad ? bad : *(const unsigned char *)p < 0x80 ? 1 : utf8_len((const void *)p);
        if (bad)
            *o++ = '?';
        else
            memmove(o, p, n), o += n;
        p += n;
    }
    *o = 0;
    return s;
}

void cli_put_clean(FILE *out, const char *s)
{
    while (s && *s) {
        size_t bad = cli_text_unsafe(s);
        size_t n = bad ? bad : *(const unsigned char *)s < 0x80 ? 1 : utf8_len((const void *)s);
        if (bad)
            fputc('?', out);
        else
            fwrite(s, 1, n, out);
        s += n;
    }
}

/* say -- "nvcheck: " PREFIX, the message, a newline: one line however hostile the
 * names in it (file names, strings quoted from reports), for a terminal to show as
 * text. */
static void say(const char *prefix, const char *what, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    char *w = what ? cli_clean(cli_strdup(what)) : NULL;
    fprintf(stderr, "nvcheck: %s%s%s%s\n", prefix, w ? w : "", w ? ": " : "",
            msg ? cli_clean(msg) : fmt);
    free(w);
    free(msg);
}

int cli_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("", what, fmt, ap);
    va_end(ap);
    return CLI_BAD_INPUT;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("warning: ", NULL, fmt, ap);
    va_end(ap);
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

/* through_fd -- path names an open descriptor, itself or through links (/dev/stdout,
 * /proc/self/fd/1, /dev/fd/3): writing there means writing into what it is open on. */
static int through_fd(const char *path)
{
    char cur[PATH_MAX], next[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", path);
    for (int hop = 0; hop < 40; hop++) {
        if (!strncmp(cur, "/dev/fd/", 8) || (!strncmp(cur, "/proc/", 6) && strstr(cur, "/fd/")))
            return 1;
        ssize_t n = readlink(cur, next, sizeof next - 1);
        if (n < 0)
            return 0;
        next[n] = 0;
        char *slash = strrchr(cur, '/');
        if (next[0] == '/' || !slash)
            snprintf(cur, sizeof cur, "%s", next);
        else if ((size_t)(slash - cur) + 1 + (size_t)n < sizeof cur)
            memcpy(slash + 1, next, (size_t)n + 1);
        else
            return 0;
    }
    return 0;
}

/* stream_target -- what path names, for cli_out_open: 0 a regular file, a symbolic
 * link to one, or nothing (written atomically); 1 a character device or FIFO, itself or
 * behind a link (/dev/null, a pipe), or an open descriptor (/proc/self/fd/1): written
 * into in place, appended to a regular file -- renaming over it would replace the
 * node, the link or the file the shell opened; -1 anything else (said why). */
static int stream_target(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    if (S_ISDIR(st.st_mode))
        return cli_error(path, "cannot write: %s", strerror(EISDIR)), -1;
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || (S_ISREG(st.st_mode) && through_fd(path)))
        return 1;
    if (S_ISREG(st.st_mode))
        return 0;
    return cli_error(path, "cannot write: neither a regular file nor a device or FIFO"), -1;
}

int cli_out_open(struct cli_out *o, const char *path)
{
    o->path = o->tmp = NULL;
    o->failed = 0;
    if (!path || !strcmp(path, "-")) {
        o->f = stdout;
        return CLI_OK;
    }
    int stream = stream_target(path);
    if (stream < 0)
        return CLI_BAD_INPUT;
    o->path = cli_strdup(path);
    o->tmp = stream ? NULL : cli_printf("%s.tmp.%d", path, (int)getpid());
    int fd = stream ? open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC)
                    : open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    o->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!o->f) {
        int rc = cli_error(path, "cannot write: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        if (o->tmp && fd >= 0)
            unlink(o->tmp);
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
    else if (o->tmp && rename(o->tmp, o->path) != 0)
        rc = cli_error(o->path, "cannot write: %s", strerror(errno));
    if (rc != CLI_OK && o->tmp)
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

/* A JSON text as it is dumped, with DEL and the C1 controls (U+0080..U+009F) written
 * as \u escapes: jansson writes them raw, and a terminal takes U+009B for CSI. Their
 * bytes occur only inside strings (everything else in JSON is ASCII), where the
 * escape means the same character. */
struct c1esc {
    FILE *out;
    int held; /* a 0xC2 that may start a C1 control */
};

static int put_c1(const char *buf, size_t n, void *data)
{
    struct c1esc *e = data;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (e->held && b >= 0x80 && b < 0xa0) {
            fprintf(e->out, "\\u%04x", b);
            e->held = 0;
            continue;
        }
        if (e->held)
            fputc(0xc2, e->out);
        e->held = b == 0xc2;
        if (b == 0x7f)
            fputs("\\u007f", e->out);
        else if (!e->held)
            fputc(b, e->out);
    }
    return 0;
}

int cli_json_dumpf(const struct json_t *v, FILE *out, size_t flags)
{
    struct c1esc e = {out, 0};
    int rc = json_dump_callback(v, put_c1, &e, flags);
    if (e.held)
        fputc(0xc2, out);
    return rc;
}
