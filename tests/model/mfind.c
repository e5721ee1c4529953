/* mfind.c -- the model's list of findings, merged as the report merges them.
 *
 * Findings are merged as the report merges them: same kind, call site, related
 * sites, flushing thread, region (named by its base), routine and problem make one
 * finding with a count, a byte total and the first eight ranges; the first
 * occurrence gives address, size, region size and message.
 */
#include "mfind.h"

#include <stdlib.h>
#include <string.h>

#define SITE_NAME(name) "site_" #name,
const char *const model_site_names[S_NSITES] = {"?", MODEL_SITES(SITE_NAME)};

enum { K_UNFLUSHED, K_UNDRAINED, K_TOKEN, K_REGION, K_ARG, K_REDUNDANT, K_OVERWRITTEN, K_LEAKED };
static const char *const kind_names[] = {
    "unflushed-write",  "undrained-flush", "invalid-token",         "out-of-region",
    "invalid-argument", "redundant-flush", "overwritten-unflushed", "leaked-token"};
enum { ROLE_NONE, ROLE_FLUSHED, ROLE_FREED, ROLE_CREATED, ROLE_PREVIOUS };
static const char *const role_names[] = {"", "flushed-at", "token-freed-at", "token-created-at",
                                         "previous-write"};
static const char *const routine_names[] = {"",
                                            "RtlGetNonVolatileToken",
                                            "RtlFreeNonVolatileToken",
                                            "RtlWriteNonVolatileMemory",
                                            "RtlFillNonVolatileMemory",
                                            "RtlFlushNonVolatileMemory",
                                            "RtlFlushNonVolatileMemoryRanges",
                                            "RtlDrainNonVolatileFlush"};

enum model_site model_store_site(int fill, ULONG flags)
{
    static const ULONG known[] = {0, 1, 2, 3, 0x101, 0x100, 0x102, 0x103};
    for (int i = 0; i < 8; i++)
        if (flags == known[i])
            return (enum model_site)((fill ? S_fill_0 : S_write_0) + i);
    return fill ? S_fill_bad : S_write_bad;
}

enum model_site model_flush_site(int ranges, ULONG flags)
{
    int base = ranges ? S_ranges_0 : S_flush_0;
    return (enum model_site)(base + (flags > 1 ? 2 : (int)flags));
}

/* ---- the list of findings ---- */

struct mkey { /* zeroed whole, compared as bytes */
    int kind, site, role[2], rsite[2], thread, detail, routine, has_region;
    uintptr_t rbase;
};

struct mfinding {
    struct mkey k;
    long seq;
    uintptr_t addr;
    uint64_t size, rsize, count, bytes;
    unsigned nr;
    uintptr_t ra[8];
    uint64_t rs[8];
    char msg[240];
};

static struct {
    long seq;
    struct mfinding *v;
    size_t n, cap;
    uint32_t *slot; /* index + 1 */
    size_t mask;
} F;

void mf_init(void)
{
    free(F.v);
    free(F.slot);
    memset(&F, 0, sizeof F);
}

void mf_seq(long seq)
{
    F.seq = seq;
}

static size_t hash(const struct mkey *k)
{
    const unsigned char *p = (const unsigned char *)k;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (size_t)(h ^ h >> 31);
}

static void grow(void)
{
    size_t cap = F.mask ? 2 * (F.mask + 1) : 1024;
    free(F.slot);
    F.slot = calloc(cap, sizeof *F.slot);
    F.mask = cap - 1;
    for (size_t i = 0; F.slot && i < F.n; i++) {
        size_t h = hash(&F.v[i].k) & F.mask;
        while (F.slot[h])
            h = (h + 1) & F.mask;
        F.slot[h] = (uint32_t)i + 1;
    }
    if (!F.slot)
        exit(99);
}

/* add -- one occurrence: merged into its finding, or the first of a new one. */
static struct mfinding *add(const struct mkey *k, uintptr_t addr, uint64_t size)
{
    if (2 * (F.n + 1) > F.mask + 1)
        grow();
    size_t h = hash(k) & F.mask;
    while (F.slot[h] && memcmp(&F.v[F.slot[h] - 1].k, k, sizeof *k))
        h = (h + 1) & F.mask;
    struct mfinding *f;
    if (F.slot[h]) {
        f = &F.v[F.slot[h] - 1];
    } else {
        if (F.n == F.cap) {
            F.cap = F.cap ? 2 * F.cap : 4096;
            F.v = realloc(F.v, F.cap * sizeof *F.v);
            if (!F.v)
                exit(99);
        }
        f = &F.v[F.n++];
        memset(f, 0, sizeof *f);
        f->k = *k;
        f->seq = F.seq;
        f->addr = addr;
        f->size = size;
        F.slot[h] = (uint32_t)F.n;
    }
    f->count++;
    /* The sizes of refused calls count no bytes; real ones add up, saturating at the
     * largest integer JSON readers take (reports/kinds.md). */
    if (k->kind != K_TOKEN && k->kind != K_REGION && k->kind != K_ARG)
        f->bytes = size > INT64_MAX - f->bytes ? INT64_MAX : f->bytes + size;
    if (f->nr < 8) {
        f->ra[f->nr] = addr;
        f->rs[f->nr++] = size;
    }
    return f;
}

static void key(struct mkey *k, int kind, int site, int routine)
{
    memset(k, 0, sizeof *k);
    k->kind = kind;
    k->site = site;
    k->routine = routine;
}

static void relate(struct mkey *k, int role, int site)
{
    int i = k->role[0] ? 1 : 0;
    k->role[i] = role;
    k->rsite[i] = site;
}

static void region(struct mkey *k, const struct mtok *tk)
{
    k->has_region = 1;
    k->rbase = tk->base;
}

void mf_state(int ws, int fs, int thread, int freed_site, const struct mtok *tk, uintptr_t a,
              size_t n)
{
    struct mkey k;
    key(&k, thread ? K_UNDRAINED : K_UNFLUSHED, ws, 0);
    k.thread = thread;
    if (thread)
        relate(&k, ROLE_FLUSHED, fs);
    if (freed_site)
        relate(&k, ROLE_FREED, freed_site);
    if (tk)
        region(&k, tk);
    struct mfinding *f = add(&k, a, n);
    if (f->count == 1) /* a region is named by its base: the first token's size */
        f->rsize = tk ? tk->size : 0;
}

void mf_overwritten(int site, int routine, int prev_site, uintptr_t a, size_t n)
{
    struct mkey k;
    key(&k, K_OVERWRITTEN, site, routine);
    relate(&k, ROLE_PREVIOUS, prev_site);
    add(&k, a, n);
}

void mf_redundant(int site, int routine, uintptr_t a, size_t n)
{
    struct mkey k;
    key(&k, K_REDUNDANT, site, routine);
    add(&k, a, n);
}

/* mf_leaked -- leaks merge by the call that created them, whatever their regions
 * (reports/kinds.md); the finding's region is its first token's. */
static struct {
    uintptr_t *a;
    uint64_t *s;
    size_t n, cap;
} leaks; /* every leaked token: which comes first in the report is not specified */

void mf_leaked(const struct mtok *tk)
{
    if (leaks.n == leaks.cap) {
        leaks.cap = leaks.cap ? 2 * leaks.cap : 64;
        leaks.a = realloc(leaks.a, leaks.cap * sizeof *leaks.a);
        leaks.s = realloc(leaks.s, leaks.cap * sizeof *leaks.s);
        if (!leaks.a || !leaks.s)
            exit(99);
    }
    leaks.a[leaks.n] = tk->base;
    leaks.s[leaks.n++] = tk->size;
    struct mkey k;
    key(&k, K_LEAKED, S_get, 0);
    struct mfinding *f = add(&k, tk->base, tk->size);
    if (f->count == 1)
        f->rsize = tk->size;
}

/* mf_bad -- the finding for a call that failed check d (first occurrence: msg). */
void mf_bad(int site, int routine, int d, const struct mtok *tk, uintptr_t addr, uint64_t size,
            const char *msg)
{
    struct mkey k;
    int kind = d == D_OOR ? K_REGION : d <= D_DEFAULT ? K_TOKEN : K_ARG;
    key(&k, kind, site, routine);
    k.detail = d;
    if (d == D_FREED)
        relate(&k, ROLE_FREED, S_free);
    if (d == D_OOR) {
        relate(&k, ROLE_CREATED, S_get);
        region(&k, tk);
    }
    struct mfinding *m = add(&k, addr, kind == K_TOKEN ? 0 : size);
    if (m->count == 1) {
        m->rsize = d == D_OOR ? tk->size : 0;
        snprintf(m->msg, sizeof m->msg, "%s", msg);
    }
}

const char *mf_routine_name(int routine)
{
    return routine_names[routine];
}

/* ---- the list, as JSON lines ---- */

static void size_or_null(FILE *o, uint64_t v)
{
    if (v <= INT64_MAX)
        fprintf(o, "%llu", (unsigned long long)v);
    else
        fputs("null", o);
}

static void write_one(FILE *o, const struct mfinding *f)
{
    const struct mkey *k = &f->k;
    int tokenish = k->kind == K_TOKEN;
    fprintf(o, "{\"seq\":%ld,\"kind\":\"%s\",\"site\":\"%s\"", f->seq, kind_names[k->kind],
            model_site_names[k->site]);
    if (tokenish) {
        fprintf(o, ",\"address\":null,\"size\":null,\"token\":\"0x%lx\"", (unsigned long)f->addr);
    } else {
        fprintf(o, ",\"address\":\"0x%lx\",\"size\":", (unsigned long)f->addr);
        size_or_null(o, f->size);
    }
    if (k->has_region || k->kind == K_LEAKED) {
        uintptr_t base = k->has_region ? k->rbase : f->addr;
        fprintf(o, ",\"region\":{\"base\":\"0x%lx\",\"size\":", (unsigned long)base);
        size_or_null(o, f->rsize);
        /* address - base, saturated at the ends of int64 (reports/kinds.md) */
        long long off = f->addr >= base
                            ? (f->addr - base > INT64_MAX ? INT64_MAX : (long long)(f->addr - base))
                            : (base - f->addr > INT64_MAX ? INT64_MIN : -(long long)(base - f->addr));
        fprintf(o, ",\"offset\":%lld}", off);
    } else {
        fputs(",\"region\":null", o);
    }
    if (k->routine)
        fprintf(o, ",\"routine\":\"%s\"", routine_names[k->routine]);
    if (k->thread == MF_ANY_THREAD)
        fputs(",\"thread\":null", o);
    else if (k->thread)
        fprintf(o, ",\"thread\":%d", k->thread);
    fprintf(o, ",\"count\":%llu,\"bytes\":", (unsigned long long)f->count);
    if (k->kind == K_TOKEN || k->kind == K_REGION || k->kind == K_ARG)
        fputs("null", o);
    else
        size_or_null(o, f->bytes);
    fputs(",\"ranges\":[", o);
    for (unsigned i = 0; i < f->nr && !tokenish; i++) {
        fprintf(o, "%s[\"0x%lx\",", i ? "," : "", (unsigned long)f->ra[i]);
        size_or_null(o, f->rs[i]);
        fputs("]", o);
    }
    fprintf(o, "],\"ranges_truncated\":%s,\"related\":[", f->count > f->nr ? "true" : "false");
    for (int i = 0; i < 2 && k->role[i]; i++)
        fprintf(o, "%s[\"%s\",\"%s\"]", i ? "," : "", role_names[k->role[i]],
                model_site_names[k->rsite[i]]);
    fputs("]", o);
    for (size_t i = 0; k->kind == K_LEAKED && i < leaks.n; i++)
        fprintf(o, "%s[\"0x%lx\",%llu]%s", i ? "," : ",\"tokens\":[", (unsigned long)leaks.a[i],
                (unsigned long long)leaks.s[i], i + 1 == leaks.n ? "]" : "");
    if (f->msg[0])
        fprintf(o, ",\"message\":\"%s\"", f->msg); /* no quotes or backslashes in them */
    fputs("}\n", o);
}

long model_write_findings(FILE *o)
{
    for (size_t i = 0; i < F.n; i++)
        write_one(o, &F.v[i]);
    return (long)F.n;
}
