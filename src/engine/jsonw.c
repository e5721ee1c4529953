/* jsonw.c -- a streaming JSON writer over a file descriptor.
 *
 * The one report writer of the interposer. It runs at token free, at exit, in a
 * fork child, and (for abnormal ends) from a fatal-signal handler, where malloc and
 * stdio -- and so jansson -- are off limits; it needs neither, only write(2) and a
 * 16 KiB buffer in the struct. Objects and arrays nested at most two deep start
 * each member on a new line, deeper ones stay on one line: a finding per line.
 * Strings are escaped, and bytes that are not valid UTF-8 become U+FFFD, so the
 * output is always valid JSON whatever paths or names it carries.
 *
 * Integers. JSON has no limit, but its readers do: jansson (the CLI, the tests)
 * refuses the whole document over one integer beyond a signed 64-bit one ("too big
 * integer"). jw_u64 is the one place an unsigned value becomes JSON, and writes null
 * for one above INT64_MAX; every signed 64-bit value fits. Callers with real counts
 * saturate them below that (findings.h, NVE_SAT_MAX) so they stay integers.
 */
#include "jsonw.h"

#include "say.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define PRETTY_DEPTH 2

static void flush(struct jw *w)
{
    size_t off = 0;
    while (off < w->n && !w->err) {
        ssize_t k = write(w->fd, w->buf + off, w->n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            w->err = k < 0 ? errno : EIO;
        else
            off += (size_t)k;
    }
    w->n = 0;
}

static void out(struct jw *w, const char *s, size_t n)
{
    while (n) {
        if (w->n == sizeof w->buf)
            flush(w);
        size_t k = sizeof w->buf - w->n < n ? sizeof w->buf - w->n : n;
        memcpy(w->buf + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
    }
}

static void outs(struct jw *w, const char *s)
{
    out(w, s, strlen(s));
}

void jw_init(struct jw *w, int fd)
{
    w->fd = fd;
    w->err = 0;
    w->depth = 0;
    w->after_key = 0;
    w->n = 0;
    w->first[0] = 1;
}

static void newline(struct jw *w, int depth)
{
    static const char spaces[] = "                                ";
    out(w, "\n", 1);
    out(w, spaces, (size_t)(depth < 16 ? depth : 16) * 2);
}

/* item -- the separator before a value (or key) at the current depth. */
static void item(struct jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth])
        out(w, ",", 1);
    w->first[w->depth] = 0;
    if (w->depth > 0 && w->depth <= PRETTY_DEPTH)
        newline(w, w->depth);
}

static void open_(struct jw *w, const char *c)
{
    item(w);
    outs(w, c);
    if (w->depth < JW_MAX_DEPTH - 1)
        w->depth++;
    w->first[w->depth] = 1;
}

static void close_(struct jw *w, const char *c)
{
    int empty = w->first[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (!empty && w->depth < PRETTY_DEPTH)
        newline(w, w->depth);
    outs(w, c);
    if (w->depth == 0)
        out(w, "\n", 1); /* the document ends with a newline */
}

void jw_obj(struct jw *w)
{
    open_(w, "{");
}

void jw_end_obj(struct jw *w)
{
    close_(w, "}");
}

void jw_arr(struct jw *w)
{
    open_(w, "[");
}

void jw_end_arr(struct jw *w)
{
    close_(w, "]");
}

/* utf8_len -- length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    else if ((s[0] & 0xE0) == 0xC0)
        len = 2, cp = s[0] & 0x1F;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, cp = s[0] & 0x0F;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void escaped(struct jw *w, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    while (n) {
        unsigned char c = *s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            out(w, esc, 2);
        } else if (c < 0x20) {
            nv_format(esc, sizeof esc, "\\u%x%x%x%x", 0, 0, c >> 4, c & 15);
            out(w, esc, 6);
        } else {
            size_t k = utf8_len(s, n);
            if (k) {
                out(w, (const char *)s, k);
                s += k, n -= k;
                continue;
            }
            outs(w, "\\ufffd");
        }
        s++, n--;
    }
}

void jw_key(struct jw *w, const char *k)
{
    item(w);
    out(w, "\"", 1);
    escaped(w, k);
    out(w, "\":", 2);
    w->after_key = 1;
}

void jw_str(struct jw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    item(w);
    out(w, "\"", 1);
    escaped(w, s);
    out(w, "\"", 1);
}

static void scalar(struct jw *w, const char *fmt, ...)
{
    char tmp[32];
    va_list ap;
    va_start(ap, fmt);
    size_t n = nv_vformat(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    item(w);
    out(w, tmp, n);
}

void jw_u64(struct jw *w, uint64_t v)
{
    if (v > (uint64_t)INT64_MAX)
        jw_null(w); /* no reader would take it: see the header */
    else
        scalar(w, "%llu", (unsigned long long)v);
}

void jw_i64(struct jw *w, int64_t v)
{
    scalar(w, "%lld", (long long)v);
}

void jw_hex(struct jw *w, uint64_t v)
{
    scalar(w, "\"0x%llx\"", (unsigned long long)v);
}

void jw_bool(struct jw *w, int v)
{
    scalar(w, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    scalar(w, "null");
}

void jw_str_begin(struct jw *w)
{
    item(w);
    out(w, "\"", 1);
}

void jw_str_add(struct jw *w, const char *s)
{
    escaped(w, s ? s : "");
}

void jw_str_fmt(struct jw *w, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    nv_vformat(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    escaped(w, tmp);
}

void jw_str_end(struct jw *w)
{
    out(w, "\"", 1);
}

int jw_finish(struct jw *w)
{
    flush(w);
    return w->err;
}
