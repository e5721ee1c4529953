/* gen.c -- random API sequences: which routine, with what arguments, on which thread.
 *
 * Each sequence draws from its own generator, seeded by (seed, sequence number), so
 * MODEL_FIRST=k MODEL_SEQUENCES=1 replays sequence k alone. Ranges are biased towards
 * the places where the model has edges -- line and 4 KiB chunk boundaries, region
 * ends, the range of the call before -- and lengths towards a few lines, so calls
 * overlap each other, partly flush lines, and cross chunks. About one call in six
 * has a bad argument: a forged, NULL, default or freed token, a NULL or wrapping
 * pointer, a range outside the region, unknown or contradictory flags, a NULL,
 * wrapping or impossibly long NV_MEMORY_RANGE array (arrays are misaligned at times
 * too). Bad calls never touch memory, so any address will do for them; good ones
 * stay inside the sequence's slot, which the default token may flush all of.
 */
#include "gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN
#define DEFAULT_TOKEN ((uintptr_t)FLUSH_NV_MEMORY_DEFAULT_TOKEN)
#define MAX_OLD 8
#define MAX_RANGES 6

static unsigned char src_buf[BIG_SLOT + 64]; /* what writes copy from */
/* NV_MEMORY_RANGE arrays, a ring: an array must outlive the queue of calls. */
static _Alignas(16) unsigned char range_buf[128][(MAX_RANGES + 1) * sizeof(NV_MEMORY_RANGE)];
static unsigned range_next;

struct gen {
    struct caller x; /* x.t: the thread making the next call */
    uint64_t rng;
    uintptr_t slot;
    size_t slot_len;
    struct mtok main, sec;    /* the sequence's token, and a second one */
    struct mtok old[MAX_OLD]; /* freed tokens */
    int nold;
    uintptr_t last; /* where the last call worked */
};

/* The token argument of one call, and the range good arguments stay in. */
struct tokarg {
    uintptr_t val;
    struct mtok *tk;
    uintptr_t rb;
    size_t rs;
};

static uint64_t next(struct gen *g) /* splitmix64 */
{
    uint64_t z = (g->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rnd(struct gen *g, uint64_t n)
{
    return n ? next(g) % n : 0;
}

static int chance(struct gen *g, int pct)
{
    return rnd(g, 100) < (uint64_t)pct;
}

/* ---- arguments ---- */

/* point -- an address in [b, b+s), often on an edge. */
static uintptr_t point(struct gen *g, uintptr_t b, size_t s)
{
    uintptr_t p;
    switch (rnd(g, 6)) {
    case 0:
        p = g->last + rnd(g, 9) - 4; /* where the last call was */
        break;
    case 1:
        p = ((b + rnd(g, s)) & ~(uintptr_t)63) + rnd(g, 5) - 2; /* a line edge */
        break;
    case 2:
        p = ((b + rnd(g, s)) & ~(uintptr_t)4095) + rnd(g, 5) - 2; /* a chunk edge */
        break;
    case 3:
        p = chance(g, 50) ? b + rnd(g, 3) : b + s - 1 - rnd(g, 3); /* a region end */
        break;
    default:
        p = b + rnd(g, s);
        break;
    }
    return p >= b && p < b + s ? p : b + rnd(g, s);
}

/* length -- how much from a, staying inside [b, b+s). */
static size_t length(struct gen *g, uintptr_t a, uintptr_t b, size_t s)
{
    size_t max = b + s - a, n;
    uint64_t r = rnd(g, 10);
    n = r < 5 ? 1 + rnd(g, 80) : r < 8 ? 1 + rnd(g, 700) : r < 9 ? 1 + rnd(g, max) : max;
    return n < max ? n : max;
}

static uintptr_t forged(struct gen *g)
{
    switch (rnd(g, 5)) {
    case 0:
        return 0;
    case 1:
        return 1 + rnd(g, 4096);
    case 2:
        return g->main.base; /* a pointer, not a token */
    case 3:
        return g->main.handle ^ (1ull << 63);
    default:
        return next(g) & 0x7fffffffffffull;
    }
}

/* token -- mostly a live token; bad_pct percent of the time the default token, a
 * freed one or a forged value. The default token may flush the whole slot. */
static struct tokarg token(struct gen *g, int bad_pct)
{
    struct tokarg a = {g->main.handle, &g->main, g->main.base, g->main.size};
    if (g->sec.live && chance(g, 30))
        a = (struct tokarg){g->sec.handle, &g->sec, g->sec.base, g->sec.size};
    if (!chance(g, bad_pct))
        return a;
    uint64_t r = rnd(g, 4);
    if (r == 0) {
        a.val = DEFAULT_TOKEN;
        a.tk = NULL;
        if (chance(g, 30))
            a.rb = g->slot, a.rs = g->slot_len;
    } else if (r == 1 && g->nold) {
        a.tk = &g->old[rnd(g, (uint64_t)g->nold)];
        a.val = a.tk->handle;
    } else {
        a.val = forged(g);
        a.tk = NULL;
    }
    return a;
}

static ULONG store_flags(struct gen *g)
{
    static const ULONG good[] = {0, FL, NT, FL | NT, FL | ND};
    static const ULONG contradictory[] = {ND, NT | ND, FL | NT | ND};
    if (!chance(g, 8))
        return good[rnd(g, 5)];
    if (chance(g, 50))
        return contradictory[rnd(g, 3)];
    unsigned bit = (unsigned)rnd(g, 32);
    if (bit == 0 || bit == 1 || bit == 8)
        bit = 2 + (unsigned)rnd(g, 6);
    return (1u << bit) | (chance(g, 50) ? good[rnd(g, 5)] : 0);
}

static ULONG flush_flags(struct gen *g)
{
    if (!chance(g, 6))
        return chance(g, 50) ? FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN : 0;
    return (ULONG)(2u << rnd(g, 31)) | (ULONG)rnd(g, 2);
}

/* bad_range -- make [*a, *a+*n) bad: NULL, wrapping, partly outside the region, or
 * huge. Only NULL and wrapping for the default token (it accepts any address). */
static void bad_range(struct gen *g, const struct tokarg *ta, uintptr_t *a, size_t *n)
{
    uint64_t r = rnd(g, ta->val == DEFAULT_TOKEN ? 2 : 5);
    if (r == 0) {
        *a = 0;
        *n = *n ? *n : 1;
    } else if (r == 1) {
        *a = UINTPTR_MAX - rnd(g, 64);
        *n = 64 + rnd(g, 4096);
    } else if (r == 2) {
        *a = ta->rb - 1 - rnd(g, 200);
        *n = *n ? *n : 1;
    } else if (r == 3) {
        *n = ta->rb + ta->rs - *a + 1 + rnd(g, 300);
    } else {
        *n = chance(g, 50) ? (1ull << 40) + rnd(g, 99) : (1ull << 63) + rnd(g, 99);
    }
}

/* ---- calls ---- */

static void store(struct gen *g, int fill)
{
    struct tokarg ta = token(g, 5);
    ULONG flags = store_flags(g);
    uintptr_t dst = point(g, ta.rb, ta.rs);
    size_t n = chance(g, 3) ? 0 : length(g, dst, ta.rb, ta.rs);
    const unsigned char *src = src_buf + rnd(g, 64);
    if (chance(g, 6)) {
        if (!fill && chance(g, 30))
            src = chance(g, 50) ? NULL : (const unsigned char *)(UINTPTR_MAX - rnd(g, 64));
        else
            bad_range(g, &ta, &dst, &n);
        if (n < 64 && (uintptr_t)src > UINTPTR_MAX - 64)
            n = 64;
    }
    if (call_store(&g->x, fill, ta.val, ta.tk, dst, src, n, flags) == STATUS_SUCCESS && n)
        g->last = dst + (chance(g, 50) ? 0 : n);
}

static void flush(struct gen *g)
{
    struct tokarg ta = token(g, 5);
    ULONG flags = flush_flags(g);
    uintptr_t buf = point(g, ta.rb, ta.rs);
    size_t n = chance(g, 3) ? 0 : length(g, buf, ta.rb, ta.rs);
    if (chance(g, 5))
        bad_range(g, &ta, &buf, &n);
    call_flush(&g->x, ta.val, ta.tk, buf, n, flags);
}

/* ranges -- up to MAX_RANGES elements, overlapping at will, the array misaligned
 * now and then; rarely a NULL, wrapping or impossibly long array. */
static void ranges(struct gen *g)
{
    struct tokarg ta = token(g, 5);
    ULONG flags = flush_flags(g);
    size_t nr = rnd(g, MAX_RANGES + 1);
    unsigned char *arr = range_buf[range_next++ % 128] + (chance(g, 30) ? 1 + rnd(g, 15) : 0);
    for (size_t i = 0; i < nr; i++) {
        uintptr_t a = point(g, ta.rb, ta.rs);
        size_t n = length(g, a, ta.rb, ta.rs);
        if (chance(g, 8))
            n = 0, a = chance(g, 50) ? 0 : next(g);
        else if (chance(g, 4))
            bad_range(g, &ta, &a, &n);
        NV_MEMORY_RANGE r = {(PVOID)a, n};
        memcpy(arr + i * sizeof r, &r, sizeof r);
    }
    uintptr_t p = (uintptr_t)arr;
    if (chance(g, 4)) {
        uint64_t r = rnd(g, 3);
        nr = nr ? nr : 1 + rnd(g, MAX_RANGES);
        if (r == 0)
            p = 0;
        else if (r == 1)
            p = UINTPTR_MAX - rnd(g, nr * sizeof(NV_MEMORY_RANGE));
        else
            nr = SIZE_MAX / sizeof(NV_MEMORY_RANGE) + 1 + rnd(g, 1000);
    }
    call_ranges(&g->x, ta.val, ta.tk, (const void *)p, nr, flags);
}

static void drain(struct gen *g)
{
    struct tokarg ta = token(g, 10);
    call_drain(&g->x, ta.val, ta.tk);
}

static void bad_get(struct gen *g)
{
    struct mtok tk;
    uintptr_t b = g->slot + rnd(g, GEN_SLOT / 2);
    size_t s = 1 + rnd(g, 4096);
    switch (rnd(g, 4)) {
    case 0:
        call_get(&g->x, b, s, 1, &tk);
        break;
    case 1:
        call_get(&g->x, chance(g, 50) ? 0 : b, 0, 0, &tk);
        break;
    case 2:
        call_get(&g->x, 0, s, 0, &tk);
        break;
    default:
        call_get(&g->x, UINTPTR_MAX - rnd(g, 100), 100 + rnd(g, 1000), 0, &tk);
        break;
    }
}

/* free_token -- free it; a freed token is kept to be passed again later. */
static void free_token(struct gen *g, uintptr_t val, struct mtok *tk)
{
    if (call_free(&g->x, val, tk) == STATUS_SUCCESS && tk)
        g->old[g->nold < MAX_OLD ? g->nold++ : (int)rnd(g, MAX_OLD)] = *tk;
}

/* bad_free -- the default token, a forged one, or a second free. */
static void bad_free(struct gen *g)
{
    uint64_t r = rnd(g, 3);
    if (r == 0 && g->nold) {
        struct mtok *tk = &g->old[rnd(g, (uint64_t)g->nold)];
        free_token(g, tk->handle, tk);
    } else {
        free_token(g, r == 1 ? DEFAULT_TOKEN : forged(g), NULL);
    }
}

/* second -- get a second token (over part of the region, or reaching past it), or
 * free the one there is. */
static void second(struct gen *g)
{
    if (g->sec.live) {
        free_token(g, g->sec.handle, &g->sec);
        return;
    }
    uintptr_t b = point(g, g->main.base, g->main.size) - rnd(g, 200);
    size_t s = 1 + rnd(g, chance(g, 50) ? 256 : 8192);
    if (b < g->slot)
        b = g->slot;
    if (b + s > g->slot + g->slot_len)
        s = g->slot + g->slot_len - b;
    call_get(&g->x, b, s, 0, &g->sec);
}

static void one_call(struct gen *g)
{
    if (chance(g, 30))
        g->x.t = 1 + (int)rnd(g, MODEL_THREADS);
    uint64_t r = rnd(g, 100);
    if (r < 28)
        store(g, 0);
    else if (r < 42)
        store(g, 1);
    else if (r < 60)
        flush(g);
    else if (r < 72)
        ranges(g);
    else if (r < 85)
        drain(g);
    else if (r < 92)
        second(g);
    else if (r < 95)
        bad_get(g);
    else if (r < 97)
        bad_free(g);
    else
        store(g, (int)rnd(g, 2));
}

/* region_size -- mostly a few lines or a page, sometimes several chunks, rarely
 * more chunks than the engine walks one by one. */
static size_t region_size(struct gen *g)
{
    uint64_t r = rnd(g, 1000);
    return r < 400   ? 1 + rnd(g, 256)
           : r < 750 ? 257 + rnd(g, 3840)
           : r < 950 ? 4097 + rnd(g, 16384)
           : r < 985 ? 20481 + rnd(g, 40000)
                     : (256u << 10) + rnd(g, 768u << 10);
}

static void sequence(struct gen *g, struct mtok *prev)
{
    size_t rs = region_size(g);
    g->slot = g->x.c->map + (uintptr_t)(g->x.seq - g->x.c->first) * GEN_SLOT;
    g->slot_len = GEN_SLOT;
    if (rs > GEN_SLOT / 2) {
        g->slot = map_big_slot();
        g->slot_len = BIG_SLOT;
    }
    model_seq_begin(g->x.seq, g->slot, g->slot_len);
    g->x.t = 1 + (int)rnd(g, MODEL_THREADS);
    g->nold = 0;
    if (prev->handle)
        g->old[g->nold++] = *prev;
    memset(&g->sec, 0, sizeof g->sec);
    if (chance(g, 10))
        bad_get(g);
    call_get(&g->x, g->slot + 256 + rnd(g, g->slot_len - rs - 512), rs, 0, &g->main);
    if (!g->main.live)
        return; /* counted as a mismatch already */
    g->last = g->main.base;
    for (long k = 3 + (long)rnd(g, 50); k > 0; k--)
        one_call(g);
    if (g->sec.live)
        free_token(g, g->sec.handle, &g->sec);
    if (chance(g, 5))
        bad_free(g);
    int leak = chance(g, 1);
    memset(prev, 0, sizeof *prev);
    if (!leak) {
        free_token(g, g->main.handle, &g->main);
        *prev = g->main;
        if (chance(g, 10))
            drain(g); /* maybe with the freed token */
    }
    call_sync();
    model_seq_end(leak ? &g->main : NULL);
    madvise((void *)g->slot, g->slot_len, MADV_DONTNEED);
}

struct gen_stats gen_run(const struct gen_config *c)
{
    struct gen_stats st = {0};
    struct mtok prev = {0};
    for (size_t i = 0; i < sizeof src_buf; i++)
        src_buf[i] = (unsigned char)(i * 7 + 1);
    for (long s = c->first; s < c->first + c->n; s++) {
        struct gen g = {.x = {c, &st, s, 1}};
        g.rng = c->seed * 0x9E3779B97F4A7C15ull ^ (uint64_t)s * 0xD1B54A32D192ED03ull;
        sequence(&g, &prev);
        st.seqs++;
    }
    return st;
}
