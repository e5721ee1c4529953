/* say.c -- formatting without stdio or malloc, and one-line messages on stderr.
 *
 * The interposer may speak from a signal handler, from a fork child, or while the
 * program holds its stdio locks; printf is safe in none of those. This covers the
 * handful of conversions the engine needs.
 */
#include "say.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

struct out {
    char *p;
    size_t n, cap;
};

static void put(struct out *o, char c)
{
    if (o->n + 1 < o->cap)
        o->p[o->n++] = c;
}

static void put_str(struct out *o, const char *s)
{
    for (s = s ? s : "(null)"; *s; s++)
        put(o, *s);
}

static void put_num(struct out *o, unsigned long long v, unsigned base)
{
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (k)
        put(o, tmp[--k]);
}

size_t nv_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct out o = {buf, 0, cap};
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        int l = 0, z = 0;
        while (*fmt == 'l')
            l++, fmt++;
        if (*fmt == 'z')
            z = 1, fmt++;
        unsigned long long u;
        switch (*fmt) {
        case 's':
            put_str(&o, va_arg(ap, const char *));
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = l ? (l > 1 ? va_arg(ap, long long) : va_arg(ap, long)) : va_arg(ap, int);
            if (v < 0)
                put(&o, '-');
            put_num(&o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, 10);
            break;
        }
        case 'u':
        case 'x':
            u = z   ? va_arg(ap, size_t)
                : l ? (l > 1 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long))
                    : va_arg(ap, unsigned);
            put_num(&o, u, *fmt == 'x' ? 16 : 10);
            break;
        case 'p':
            put_str(&o, "0x");
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16);
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            goto done; /* unknown conversion: stop rather than misread va_args */
        }
    }
done:
    if (cap)
        buf[o.n] = 0;
    return o.n;
}

size_t nv_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = nv_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

static __thread int saying __attribute__((tls_model("initial-exec")));

int nv_saying(void)
{
    return saying;
}

void nv_say(const char *fmt, ...)
{
    char line[512] = "nvcheck: ";
    size_t n = 9;
    va_list ap;
    va_start(ap, fmt);
    n += nv_vformat(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    int saved = errno; /* never disturb the program's errno */
    saying = 1;
    while (write(2, line, n) < 0 && errno == EINTR)
        ;
    saying = 0;
    errno = saved;
}
