/* options.c -- the interposer's options, parsed from NVCHECK_OPTIONS.
 *
 * Sanitizer style: NVCHECK_OPTIONS="stack_depth=8:kinds=+redundant-flush:drain=global".
 * Parsed in place (no copies, no malloc) before the program's main runs. A bad item
 * never stops the program: it is named in one line on stderr and the default stays.
 */
#include "options.h"

#include "kinds.h"
#include "say.h"

#include <string.h>

enum type { UINT, BOOL, DRAIN, KINDS };

static const struct opt {
    const char *name;
    enum type type;
    uint32_t def, min, max;
    size_t off;
} opts[] = {
#define NV_OPTION(name, type, def, min, max, help)                                                 \
    {#name, type, def, min, max, offsetof(struct nvc_options, name)},
#include "options.def"
#undef NV_OPTION
};

#define NOPTS (sizeof opts / sizeof *opts)

static uint32_t default_kinds(void)
{
    uint32_t m = 0;
    for (int k = 0; k < NV_NKINDS; k++)
        if (nv_kinds[k].on_by_default)
            m |= 1u << k;
    return m;
}

void nvc_options_defaults(struct nvc_options *o)
{
    for (size_t i = 0; i < NOPTS; i++)
        *(uint32_t *)((char *)o + opts[i].off) = opts[i].def;
    o->kinds = default_kinds();
}

static int eq(const char *s, unsigned n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

int nvc_kinds_parse(uint32_t *mask, const char *s, unsigned len, const char **bad,
                    unsigned *bad_len)
{
    uint32_t m = *mask;
    for (unsigned i = 0; i < len;) {
        unsigned j = i;
        while (j < len && s[j] != ',')
            j++;
        const char *item = s + i;
        unsigned n = j - i;
        int off = 0;
        if (n && (*item == '+' || *item == '-'))
            off = *item == '-', item++, n--;
        int k = nv_kind_lookup(item, n);
        if (k >= 0)
            m = off ? m & ~(1u << k) : m | (1u << k);
        else if (eq(item, n, "all") && !off)
            m = (1u << NV_NKINDS) - 1;
        else if (eq(item, n, "none") && !off)
            m = 0;
        else if (eq(item, n, "default") && !off)
            m = default_kinds();
        else if (n || j < len) {
            *bad = s + i;
            *bad_len = j - i;
            return -1;
        }
        i = j + 1;
    }
    *mask = m;
    return 0;
}

/* cut -- a NUL-terminated copy of s[0..n) for messages, shortened to fit. */
static const char *cut(char *dst, unsigned cap, const char *s, unsigned n)
{
    unsigned k = n < cap - 1 ? n : cap - 1;
    memcpy(dst, s, k);
    dst[k] = 0;
    return dst;
}

/* set -- apply one value; 0, or -1 with a complaint in why. */
static int set(struct nvc_options *o, const struct opt *p, const char *v, unsigned n, char *why,
               unsigned cap)
{
    uint32_t *dst = (uint32_t *)((char *)o + p->off);
    char shown[64];
    const char *bad;
    unsigned bad_len, i;
    uint64_t x = 0;
    switch (p->type) {
    case UINT:
    case BOOL:
        for (i = 0; i < n && i < 12 && v[i] >= '0' && v[i] <= '9'; i++)
            x = x * 10 + (uint64_t)(v[i] - '0');
        if (n && i == n && x >= p->min && x <= p->max) {
            *dst = (uint32_t)x;
            return 0;
        }
        nv_format(why, cap, "%s=%s: expected %s %u..%u", p->name, cut(shown, sizeof shown, v, n),
                  p->type == BOOL ? "a flag" : "a number", p->min, p->max);
        return -1;
    case DRAIN:
        if (eq(v, n, "thread") || eq(v, n, "global")) {
            *dst = eq(v, n, "global");
            return 0;
        }
        nv_format(why, cap, "%s=%s: expected thread or global", p->name,
                  cut(shown, sizeof shown, v, n));
        return -1;
    case KINDS:
        if (nvc_kinds_parse(dst, v, n, &bad, &bad_len) == 0)
            return 0;
        nv_format(why, cap, "%s: unknown kind '%s'", p->name,
                  cut(shown, sizeof shown, bad, bad_len));
        return -1;
    }
    return -1;
}

/* append -- add "; msg" to the error line. */
static void append(char *err, unsigned cap, const char *msg)
{
    size_t n = strlen(err);
    if (n)
        n += nv_format(err + n, cap - n, "; ");
    nv_format(err + n, cap - n, "%s", msg);
}

void nvc_options_parse(struct nvc_options *o, const char *s, char *err, unsigned cap)
{
    err[0] = 0;
    if (!s)
        return;
    while (*s) {
        while (*s == ':' || *s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        const char *item = s;
        while (*s && *s != ':' && *s != ' ' && *s != '\t' && *s != '\n')
            s++;
        unsigned n = (unsigned)(s - item), k = 0;
        while (k < n && item[k] != '=')
            k++;
        char why[160], shown[64];
        const struct opt *p = NULL;
        for (size_t i = 0; i < NOPTS && !p; i++)
            if (eq(item, k, opts[i].name))
                p = &opts[i];
        if (!p) {
            nv_format(why, sizeof why, "unknown option '%s'", cut(shown, sizeof shown, item, k));
            append(err, cap, why);
        } else if (k == n) {
            nv_format(why, sizeof why, "%s: expected %s=VALUE", p->name, p->name);
            append(err, cap, why);
        } else if (set(o, p, item + k + 1, n - k - 1, why, sizeof why) < 0) {
            append(err, cap, why);
        }
    }
    if (err[0]) {
        size_t n = strlen(err);
        n += nv_format(err + n, cap - n, " (known:");
        for (size_t i = 0; i < NOPTS; i++)
            n += nv_format(err + n, cap - n, " %s", opts[i].name);
        nv_format(err + n, cap - n, ")");
    }
}
