/* test_regions.c -- the region registry (src/engine/regions.c): add, end, the parts of
 * a range no region covers, walking them in order; against a byte-map model, and with
 * 100,000 live regions. */
#include "engine/regions.h"
#include "tap.h"

#include <time.h>

#define SPACE 2048 /* the model's address space: addresses 0x10000 + [0, SPACE) */
#define ORG 0x10000u

/* add -- nve_regions_add of an Rtl token's region [lo, hi) named key. */
static int add(struct nve_regions *rs, uintptr_t lo, uintptr_t hi, uint64_t key)
{
    struct nve_region r = {lo, hi, NVE_FE_RTL_TOKEN, 7, 0, key};
    return nve_regions_add(rs, &r);
}

/* spans -- all of nve_regions_uncovered's answer for [lo, hi), cap at a time, as
 * "lo-hi lo-hi ..." (offsets from ORG). */
static const char *spans(struct nve_regions *rs, uintptr_t lo, uintptr_t hi, size_t cap)
{
    static char buf[65536];
    struct nve_span out[64];
    uintptr_t from = lo;
    size_t len = 0, rounds = 0;
    buf[0] = 0;
    while (from < hi && rounds++ < 100000) {
        size_t n = nve_regions_uncovered(rs, lo, hi, &from, out, cap);
        for (size_t i = 0; i < n && len + 40 < sizeof buf; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lu-%lu", len ? " " : "",
                                    (unsigned long)(out[i].lo - ORG),
                                    (unsigned long)(out[i].hi - ORG));
        if (n == 0 && from < hi)
            return "no progress";
    }
    return buf;
}

static void basics(void)
{
    struct nve_regions *rs = nve_regions_new();
    struct nve_region out;
    ok(rs != NULL, "a registry");
    is_s(nve_frontend_name(NVE_FE_RTL_TOKEN), "rtl-token", "the Rtl front end's name");
    is_s(spans(rs, ORG, ORG + 100, 4), "0-100", "empty: all of a range is uncovered");
    is_u(nve_regions_add(rs, &(struct nve_region){ORG, ORG, 1, 0, 0, 1}), -2,
         "an empty range is refused");
    is_u(nve_regions_add(rs, &(struct nve_region){ORG, ORG + 100, 1, 5, 0, 1}), 0, "add A");
    is_u(nve_regions_add(rs, &(struct nve_region){ORG, ORG + 100, 1, 5, 0, 1}), -2,
         "the same (lo, frontend, key) twice is refused");
    is_u(nve_regions_add(rs, &(struct nve_region){ORG, ORG + 50, 1, 6, 0, 2}), 0,
         "add B, the first half of A");
    is_u(nve_regions_count(rs), 2, "two live");
    is_s(spans(rs, ORG, ORG + 50, 4), "", "B's range: all covered (by A and B)");
    is_u(nve_regions_end(rs, 1, 2, ORG, 9, &out), 0, "end B");
    ok(out.lo == ORG && out.hi == ORG + 50 && out.created == 6 && out.ended == 9 && out.key == 2,
       "its record: range, created and ended stacks, key");
    is_s(spans(rs, ORG, ORG + 50, 4), "", "B's range once B ended: A still covers it");
    is_u(nve_regions_end(rs, 1, 2, ORG, 9, &out), -1, "end B again: no such region");
    is_u(nve_regions_end(rs, 1, 1, ORG + 1, 9, &out), -1, "end A at the wrong lo: none");
    is_u(nve_regions_end(rs, 1, 1, ORG, 3, NULL), 0, "end A");
    is_s(spans(rs, ORG, ORG + 50, 4), "0-50", "nothing left: B's range is uncovered");
    is_u(nve_regions_count(rs), 0, "none live");

    /* Holes, overlaps, adjacency; answers given a few at a time. */
    nve_regions_add(rs, &(struct nve_region){ORG + 10, ORG + 20, 1, 0, 0, 1});
    nve_regions_add(rs, &(struct nve_region){ORG + 15, ORG + 30, 1, 0, 0, 2});
    nve_regions_add(rs, &(struct nve_region){ORG + 30, ORG + 40, 1, 0, 0, 3});
    nve_regions_add(rs, &(struct nve_region){ORG + 50, ORG + 60, 1, 0, 0, 4});
    nve_regions_add(rs, &(struct nve_region){ORG + 70, ORG + 71, 1, 0, 0, 5});
    is_s(spans(rs, ORG, ORG + 100, 64), "0-10 40-50 60-70 71-100", "holes between regions");
    is_s(spans(rs, ORG, ORG + 100, 1), "0-10 40-50 60-70 71-100", "the same, one at a time");
    is_s(spans(rs, ORG + 12, ORG + 55, 2), "40-50", "a range starting and ending inside regions");
    is_s(spans(rs, ORG + 71, ORG + 72, 2), "71-72", "a byte just past a region");
    struct nve_regions_cursor c = {0};
    char order[128] = "";
    while (nve_regions_next(rs, &c, &out))
        snprintf(order + strlen(order), sizeof order - strlen(order), "%lu ",
                 (unsigned long)out.key);
    is_s(order, "1 2 3 4 5 ", "every region, in address order");
    nve_regions_delete(rs);
}

/* ---- against a model: which bytes some live region covers ---- */

static unsigned rnd_state = 12345;
static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) % n;
}

struct mreg {
    uintptr_t lo, hi;
    uint64_t key;
    int live;
};

static void model(void)
{
    enum { N = 300, OPS = 20000 };
    static struct mreg m[N];
    struct nve_regions *rs = nve_regions_new();
    size_t bad = 0, queries = 0, live = 0;
    for (int op = 0; op < OPS; op++) {
        int i = (int)rnd(N);
        if (!m[i].live) {
            m[i].lo = ORG + rnd(SPACE - 1);
            m[i].hi = m[i].lo + 1 + rnd(rnd(4) ? 64 : 600);
            if (m[i].hi > ORG + SPACE)
                m[i].hi = ORG + SPACE;
            m[i].key = (uint64_t)op << 16 | (uint64_t)i;
            bad += nve_regions_add(rs, &(struct nve_region){m[i].lo, m[i].hi, 1, 0, 0, m[i].key}) != 0;
            m[i].live = 1;
            live++;
        } else {
            bad += nve_regions_end(rs, 1, m[i].key, m[i].lo, 0, NULL) != 0;
            m[i].live = 0;
            live--;
        }
        /* A query of a random range: the model's answer, by byte. */
        uintptr_t lo = ORG + rnd(SPACE), hi = lo + 1 + rnd(300);
        if (hi > ORG + SPACE)
            hi = ORG + SPACE;
        static char cov[SPACE];
        memset(cov, 0, sizeof cov);
        for (int k = 0; k < N; k++)
            for (uintptr_t a = m[k].lo; m[k].live && a < m[k].hi; a++)
                cov[a - ORG] = 1;
        char want[8192] = "";
        size_t wl = 0;
        for (uintptr_t a = lo; a < hi;) {
            if (cov[a - ORG]) {
                a++;
                continue;
            }
            uintptr_t b = a;
            while (b < hi && !cov[b - ORG])
                b++;
            wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%lu-%lu", wl ? " " : "",
                                   (unsigned long)(a - ORG), (unsigned long)(b - ORG));
            a = b;
        }
        const char *got = spans(rs, lo, hi, 1 + rnd(3));
        queries++;
        if (strcmp(got, want)) {
            if (bad++ < 5)
                printf("# [%lu, %lu): got '%s', want '%s'\n", (unsigned long)(lo - ORG),
                       (unsigned long)(hi - ORG), got, want);
        }
    }
    is_u(nve_regions_count(rs), live, "model: the live count agrees");
    /* The walk: every live region once, in (lo, key) order. */
    struct nve_regions_cursor c = {0};
    struct nve_region out;
    uintptr_t last_lo = 0;
    uint64_t last_key = 0;
    size_t seen = 0, disorder = 0;
    while (nve_regions_next(rs, &c, &out)) {
        disorder += seen && (out.lo < last_lo || (out.lo == last_lo && out.key <= last_key));
        last_lo = out.lo;
        last_key = out.key;
        seen++;
    }
    is_u(seen, live, "model: the walk sees every live region once");
    is_u(disorder, 0, "model: in order");
    is_u(bad, 0, "model: %zu random adds, ends and queries agree with a byte map", queries);
    nve_regions_delete(rs);
}

/* ---- 100,000 live regions ---- */

static double secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void many(void)
{
    enum { N = 100000 };
    struct nve_regions *rs = nve_regions_new();
    size_t bad = 0;
    double t0 = secs();
    /* One big region, and 100,000 small ones inside it, added in a scrambled order. */
    bad += add(rs, 1u << 30, (1u << 30) + (uintptr_t)N * 64, 1) != 0;
    for (uint64_t k = 0; k < N; k++) {
        uint64_t i = (k * 7919) % N;
        bad += add(rs, (1u << 30) + i * 64, (1u << 30) + i * 64 + 64, 2 + i) != 0;
    }
    double t1 = secs();
    is_u(nve_regions_count(rs), N + 1, "100,001 live regions");
    /* Each small one ends: the big one still covers it. */
    struct nve_span out[4];
    for (uint64_t i = 0; i < N; i++) {
        uintptr_t lo = (1u << 30) + i * 64, from = lo;
        bad += nve_regions_end(rs, 1, 2 + i, lo, 0, NULL) != 0;
        bad += nve_regions_uncovered(rs, lo, lo + 64, &from, out, 4) != 0 || from != lo + 64;
    }
    double t2 = secs();
    /* Disjoint again: each end leaves its own bytes uncovered. */
    nve_regions_end(rs, 1, 1, 1u << 30, 0, NULL);
    for (uint64_t i = 0; i < N; i++)
        bad += add(rs, (1u << 30) + i * 128, (1u << 30) + i * 128 + 64, i) != 0;
    for (uint64_t k = 0; k < N; k++) {
        uint64_t i = (k * 7919) % N;
        uintptr_t lo = (1u << 30) + i * 128, from = lo;
        bad += nve_regions_end(rs, 1, i, lo, 0, NULL) != 0;
        size_t n = nve_regions_uncovered(rs, lo, lo + 64, &from, out, 4);
        bad += n != 1 || out[0].lo != lo || out[0].hi != lo + 64;
    }
    double t3 = secs();
    is_u(bad, 0, "100,000 regions inside another end covered; 100,000 disjoint ones end uncovered");
    is_u(nve_regions_count(rs), 0, "none left");
    printf("# 100,001 adds %.0f ns each; end + query %.0f ns (nested), %.0f ns (disjoint)\n",
           (t1 - t0) / (N + 1) * 1e9, (t2 - t1) / N * 1e9, (t3 - t2) / N * 1e9 / 2);
    nve_regions_delete(rs);
}

int main(void)
{
    basics();
    model();
    many();
    return done_testing();
}
