/* html_source.c -- source lines around a frame's line, for the HTML report.
 *
 * Read at render time, so the page needs nothing but itself later. Only what is safe
 * and cheap to read is shown: absolute paths (DWARF names joined to the compilation
 * directory; a relative name would be read relative to wherever nvcheck runs) of
 * readable regular files (opened non-blocking, checked with fstat: a FIFO or a device
 * never blocks or floods the report, and is named in one warning) of at most MAX_FILE bytes without
 * NUL bytes, at most MAX_FILES files and MAX_TOTAL bytes in all. Each file is read once. Lines are
 * cut at MAX_LINE bytes (at a character boundary). A source newer than the binary
 * that ran is flagged: its lines may have moved since the build.
 */
#include "html.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTEXT 3 /* lines shown before and after the frame's line */
#define MAX_FILE (4ul << 20)
#define MAX_TOTAL (256ul << 20)
#define MAX_FILES 4096
#define MAX_LINE 400

struct src {
    char *text;    /* NULL: cannot be shown */
    size_t *lines; /* offset of each line's first byte; lines[n] = end */
    size_t n;
    struct timespec mtime;
};

struct html_sources {
    json_t *index; /* path -> position in v */
    struct src *v;
    size_t n, cap, total;
};

struct html_sources *html_sources_new(void)
{
    struct html_sources *s = cli_alloc(sizeof *s);
    s->index = json_object();
    return s;
}

void html_sources_free(struct html_sources *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].text);
        free(s->v[i].lines);
    }
    free(s->v);
    json_decref(s->index);
    free(s);
}

/* slurp -- the whole regular file at path, or NULL. */
static char *slurp(struct html_sources *s, const char *path, size_t *len, struct timespec *mt)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        cli_warn("%s: not a regular file; its source lines are not shown", path);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= MAX_FILE &&
        s->total + (size_t)st.st_size <= MAX_TOTAL) {
        size_t cap = (size_t)st.st_size, got = 0;
        buf = cli_alloc(cap + 1);
        ssize_t k;
        while (got < cap && ((k = read(fd, buf + got, cap - got)) > 0 || (k < 0 && errno == EINTR)))
            got += k > 0 ? (size_t)k : 0;
        buf[got] = 0;
        *len = got;
        *mt = st.st_mtim;
        s->total += got;
        if (memchr(buf, 0, got)) { /* not a text file */
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    return buf;
}

/* load -- the file at path, read on first use. */
static struct src *load(struct html_sources *s, const char *path)
{
    json_t *at = json_object_get(s->index, path);
    if (at)
        return &s->v[json_integer_value(at)];
    if (s->n == MAX_FILES)
        return NULL;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        struct src *v = realloc(s->v, s->cap * sizeof *v);
        if (!v)
            exit(cli_error("report", "out of memory"));
        s->v = v;
    }
    struct src *f = &s->v[s->n];
    memset(f, 0, sizeof *f);
    json_object_set_new_nocheck(s->index, path, json_integer((json_int_t)s->n++));
    size_t len = 0;
    if (path[0] != '/' || !(f->text = slurp(s, path, &len, &f->mtime)))
        return f;
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += f->text[i] == '\n' && i + 1 < len;
    f->lines = cli_alloc((n + 1) * sizeof *f->lines);
    f->lines[0] = 0;
    for (size_t i = 0, k = 1; i < len; i++)
        if (f->text[i] == '\n' && i + 1 < len)
            f->lines[k++] = i + 1;
    f->lines[n] = len;
    f->n = len ? n : 0;
    return f;
}

/* line_text -- line i (0-based) without its newline or carriage return, cut at
 * MAX_LINE bytes on a UTF-8 character boundary. */
static json_t *line_text(const struct src *f, size_t i)
{
    size_t a = f->lines[i], b = f->lines[i + 1];
    while (b > a && (f->text[b - 1] == '\n' || f->text[b - 1] == '\r'))
        b--;
    int cut = b - a > MAX_LINE;
    if (cut) {
        b = a + MAX_LINE;
        while (b > a && ((unsigned char)f->text[b] & 0xc0) == 0x80)
            b--;
    }
    char *t = cli_printf("%.*s%s", (int)(b - a), f->text + a, cut ? " ..." : "");
    json_t *v = cli_jstr(t);
    free(t);
    return v;
}

/* newer -- the source was modified after the binary was. */
static int newer(const struct src *f, const char *module)
{
    struct stat st;
    if (!module || stat(module, &st) != 0)
        return 0;
    return f->mtime.tv_sec > st.st_mtim.tv_sec ||
           (f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec > st.st_mtim.tv_nsec);
}

json_t *html_snippet(struct html_sources *s, const char *file, int line, const char *module)
{
    if (!file || line <= 0)
        return NULL;
    struct src *f = load(s, file);
    if (!f || !f->text || (size_t)line > f->n)
        return NULL;
    size_t first = line > CONTEXT ? (size_t)line - CONTEXT : 1;
    size_t last = (size_t)line + CONTEXT <= f->n ? (size_t)line + CONTEXT : f->n;
    json_t *lines = json_array();
    for (size_t i = first; i <= last; i++)
        json_array_append_new(lines, line_text(f, i - 1));
    return json_pack("[Iob]", (json_int_t)first, lines, newer(f, module));
}
