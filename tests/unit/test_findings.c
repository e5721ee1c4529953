/* test_findings.c -- the kind table (src/common/kinds.c) and merged findings
 * (src/engine/findings.c). */
#include "engine/findings.h"
#include "tap.h"

#include <pthread.h>

/* The contract of DESIGN.md section 4, written out independently of findings.def. */
static const struct {
    int kind;
    const char *name;
    enum nv_severity sev;
    int on;
    int bytes; /* its sizes are bytes of something (not a refused argument): added up */
} want_kinds[] = {
    {NV_K_UNFLUSHED_WRITE, "unflushed-write", NV_SEV_ERROR, 1, 1},
    {NV_K_UNDRAINED_FLUSH, "undrained-flush", NV_SEV_ERROR, 1, 1},
    {NV_K_INVALID_TOKEN, "invalid-token", NV_SEV_ERROR, 1, 0},
    {NV_K_OUT_OF_REGION, "out-of-region", NV_SEV_ERROR, 1, 0},
    {NV_K_INVALID_ARGUMENT, "invalid-argument", NV_SEV_ERROR, 1, 0},
    {NV_K_REDUNDANT_FLUSH, "redundant-flush", NV_SEV_WARNING, 0, 1},
    {NV_K_OVERWRITTEN_UNFLUSHED, "overwritten-unflushed", NV_SEV_WARNING, 0, 1},
    {NV_K_LEAKED_TOKEN, "leaked-token", NV_SEV_WARNING, 1, 1},
};
#define NWANT (sizeof want_kinds / sizeof *want_kinds)

/* The same facts as findings.def states them. */
static const struct {
    const char *name;
    enum nv_severity sev;
    int on;
} def_kinds[] = {
#define NV_KIND(id, name, sev, on, doc, what, fix) {name, NV_SEV_##sev, on},
#include "findings.def"
#undef NV_KIND
};

static int lookup(const char *s)
{
    return nv_kind_lookup(s, strlen(s));
}

static void test_kinds(void)
{
    is_u(NV_NKINDS, NWANT, "eight kinds");
    is_u(sizeof def_kinds / sizeof *def_kinds, NV_NKINDS, "findings.def has NV_NKINDS entries");
    for (size_t i = 0; i < NWANT; i++) {
        int k = want_kinds[i].kind;
        is_u(k, i, "%s: enum value follows findings.def order", want_kinds[i].name);
        is_s(nv_kinds[k].name, want_kinds[i].name, "%s: name", want_kinds[i].name);
        is_s(nv_kinds[k].name, def_kinds[k].name, "%s: name as in findings.def",
             want_kinds[i].name);
        is_u(nv_kinds[k].severity, want_kinds[i].sev, "%s: severity", want_kinds[i].name);
        is_u(nv_kinds[k].severity, def_kinds[k].sev, "%s: severity as in findings.def",
             want_kinds[i].name);
        is_u(nv_kinds[k].on_by_default, want_kinds[i].on, "%s: on by default = %d",
             want_kinds[i].name, want_kinds[i].on);
        is_u(nv_kinds[k].on_by_default, def_kinds[k].on, "%s: on by default as in findings.def",
             want_kinds[i].name);
        ok(nv_kinds[k].doc && nv_kinds[k].doc[0], "%s: has a description", want_kinds[i].name);
        is_u(nve_kind_has_bytes((uint32_t)k), want_kinds[i].bytes, "%s: byte counts: %s",
             want_kinds[i].name, want_kinds[i].bytes ? "added up" : "none (refused sizes)");
        is_u(lookup(want_kinds[i].name), k, "lookup '%s'", want_kinds[i].name);
        is_s(nv_severity_name(nv_kinds[k].severity),
             want_kinds[i].sev == NV_SEV_ERROR ? "error" : "warning", "%s: severity name",
             want_kinds[i].name);
    }
    is_s(nv_severity_name(NV_SEV_ERROR), "error", "severity name: error");
    is_s(nv_severity_name(NV_SEV_WARNING), "warning", "severity name: warning");

    static const char *const bad[] = {
        "",
        "unflushed",
        "unflushed-writ",
        "unflushed-write-",
        "unflushed-writex",
        "xunflushed-write",
        "Unflushed-write",
        "UNFLUSHED-WRITE",
        "unflushed_write",
        " unflushed-write",
        "unflushed-write ",
        "leaked",
        "-",
        "all",
        "none",
        "default",
        "+leaked-token",
        "-leaked-token",
        "redundant-flush,leaked-token",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        is_u((uint64_t)(int64_t)lookup(bad[i]), (uint64_t)-1, "lookup '%s' is -1", bad[i]);

    /* The length, not a NUL, ends the name: lookups inside a longer list. */
    const char *list = "leaked-token,unflushed-write";
    is_u(nv_kind_lookup(list, 12), NV_K_LEAKED_TOKEN, "lookup by length: first item");
    is_u(nv_kind_lookup(list + 13, 15), NV_K_UNFLUSHED_WRITE, "lookup by length: second item");
    is_u((uint64_t)(int64_t)nv_kind_lookup(list, 11), (uint64_t)-1, "lookup of a proper prefix");
    is_u((uint64_t)(int64_t)nv_kind_lookup(list, 13), (uint64_t)-1,
         "lookup including the separator");
    is_u((uint64_t)(int64_t)nv_kind_lookup("unflushed-write", 0), (uint64_t)-1,
         "lookup with length 0");

    is_s(nve_role_name(NVE_ROLE_NONE), "none", "role name: none");
    is_s(nve_role_name(NVE_ROLE_FLUSHED_AT), "flushed-at", "role name: flushed-at");
    is_s(nve_role_name(NVE_ROLE_TOKEN_FREED_AT), "token-freed-at", "role name: token-freed-at");
    is_s(nve_role_name(NVE_ROLE_TOKEN_CREATED_AT), "token-created-at",
         "role name: token-created-at");
    is_s(nve_role_name(NVE_ROLE_PREVIOUS_WRITE), "previous-write", "role name: previous-write");
    is_s(nve_role_name((enum nve_role)99), "none", "role name: out of range");
}

/* ---- helpers ---- */

static struct nve_occurrence occ(uint32_t kind, uint32_t stack, uintptr_t addr, size_t size)
{
    struct nve_occurrence o;
    memset(&o, 0, sizeof o);
    o.key.kind = kind;
    o.key.stack = stack;
    o.addr = addr;
    o.size = size;
    return o;
}

#define MAXF 64
static struct nve_finding seen[MAXF];
static size_t nseen;

static void collect(const struct nve_finding *f, void *arg)
{
    (void)arg;
    if (nseen < MAXF)
        seen[nseen] = *f;
    nseen++;
}

static size_t gather(struct nve_findings *fs)
{
    nseen = 0;
    nve_findings_each(fs, collect, NULL);
    return nseen;
}

static void totals_zero(struct nve_findings *fs, const char *what)
{
    struct nve_findings_totals t;
    memset(&t, 0xa5, sizeof t);
    nve_findings_totals(fs, &t);
    int zero = t.errors == 0 && t.warnings == 0;
    for (int k = 0; k < NV_NKINDS; k++)
        zero = zero && !t.findings[k] && !t.occurrences[k] && !t.bytes[k] && !t.dropped[k];
    ok(zero, "%s: totals all zero", what);
}

/* ---- merging ---- */

static void test_merge(void)
{
    struct nve_findings *fs = nve_findings_new(100);
    ok(fs != NULL, "new");
    is_u(gather(fs), 0, "a new table is empty");
    totals_zero(fs, "new table");

    struct nve_occurrence a = occ(NV_K_UNFLUSHED_WRITE, 7, 0x2000, 64);
    a.key.has_region = 1;
    a.key.region_base = 0x1000;
    a.region_size = 8192;
    a.flags = 0x3;
    a.index = 5;
    a.what = "first";
    nve_findings_add(fs, &a);

    /* Same key, different everything else: merges, and the first occurrence stays. */
    struct nve_occurrence b = a;
    b.addr = 0x1800;
    b.size = 10;
    b.region_size = 1;
    b.flags = 0x100;
    b.index = 9;
    b.what = "second";
    nve_findings_add(fs, &b);
    struct nve_occurrence c = a;
    c.addr = 0x3000;
    c.size = 1000;
    nve_findings_add(fs, &c);

    is_u(gather(fs), 1, "same key: one finding");
    const struct nve_finding *f = &seen[0];
    is_u(f->count, 3, "count 3");
    is_u(f->bytes, 64 + 10 + 1000, "bytes added up");
    is_u(f->first.addr, 0x2000, "first: address of the first occurrence");
    is_u(f->first.size, 64, "first: size of the first occurrence");
    is_u(f->first.region_size, 8192, "first: region size of the first occurrence");
    is_u(f->first.flags, 0x3, "first: flags of the first occurrence");
    is_u(f->first.index, 5, "first: index of the first occurrence");
    is_s(f->first.what, "first", "first: what of the first occurrence");
    ok(memcmp(&f->first.key, &a.key, sizeof a.key) == 0, "first: the key");
    is_u(f->nranges, 3, "three ranges recorded");
    is_u(f->ranges[0].addr, 0x2000, "range 0 address");
    is_u(f->ranges[0].size, 64, "range 0 size");
    is_u(f->ranges[1].addr, 0x1800, "range 1 address");
    is_u(f->ranges[1].size, 10, "range 1 size");
    is_u(f->ranges[2].addr, 0x3000, "range 2 address");
    is_u(f->ranges[2].size, 1000, "range 2 size");

    struct nve_findings_totals t;
    nve_findings_totals(fs, &t);
    is_u(t.findings[NV_K_UNFLUSHED_WRITE], 1, "totals: one finding");
    is_u(t.occurrences[NV_K_UNFLUSHED_WRITE], 3, "totals: three occurrences");
    is_u(t.bytes[NV_K_UNFLUSHED_WRITE], 1074, "totals: bytes");
    is_u(t.errors, 1, "totals: one error");
    is_u(t.warnings, 0, "totals: no warnings");
    nve_findings_delete(fs);

    /* Ranges: the first NVE_RANGES are kept, later ones only counted. */
    fs = nve_findings_new(100);
    const unsigned n = NVE_RANGES + 5;
    uint64_t bytes = 0;
    for (unsigned i = 0; i < n; i++) {
        struct nve_occurrence o = occ(NV_K_UNDRAINED_FLUSH, 3, 0x10000 + 0x100 * i, i + 1);
        o.key.thread = 2;
        nve_findings_add(fs, &o);
        bytes += i + 1;
    }
    is_u(gather(fs), 1, "ranges: one finding");
    f = &seen[0];
    is_u(f->count, n, "ranges: count includes the unrecorded ones");
    is_u(f->bytes, bytes, "ranges: bytes include the unrecorded ones");
    is_u(f->nranges, NVE_RANGES, "ranges: capped at NVE_RANGES");
    int rok = 1;
    for (unsigned i = 0; i < NVE_RANGES; i++)
        rok = rok && f->ranges[i].addr == 0x10000 + 0x100 * i && f->ranges[i].size == i + 1;
    ok(rok, "ranges: the first NVE_RANGES occurrences, in order");
    is_u(f->first.addr, 0x10000, "ranges: first occurrence kept");
    nve_findings_delete(fs);
    nve_findings_delete(NULL); /* must be harmless */
    ok(1, "delete(NULL) is harmless");
}

/* ---- which key fields keep findings apart ---- */

static struct nve_occurrence base_occ(void)
{
    struct nve_occurrence o = occ(NV_K_UNDRAINED_FLUSH, 11, 0x5000, 8);
    o.key.rel_role[0] = NVE_ROLE_FLUSHED_AT;
    o.key.rel_stack[0] = 12;
    o.key.rel_role[1] = NVE_ROLE_TOKEN_FREED_AT;
    o.key.rel_stack[1] = 13;
    o.key.thread = 4;
    o.key.detail = 2;
    o.key.routine = 3;
    o.key.has_region = 1;
    o.key.region_base = 0x4000;
    return o;
}

static void test_keys(void)
{
    struct nve_findings *fs = nve_findings_new(1000);
    static const char *const field[] = {
        "kind",   "stack",  "rel_role[0]", "rel_stack[0]", "rel_role[1]", "rel_stack[1]",
        "thread", "detail", "routine",     "has_region",   "region_base",
    };
    enum { NFIELD = sizeof field / sizeof *field };
    struct nve_occurrence v[NFIELD];
    for (int i = 0; i < NFIELD; i++) {
        v[i] = base_occ();
        v[i].size = (size_t)(100 + i);
    }
    v[0].key.kind = NV_K_UNFLUSHED_WRITE;
    v[1].key.stack = 99;
    v[2].key.rel_role[0] = NVE_ROLE_PREVIOUS_WRITE;
    v[3].key.rel_stack[0] = 99;
    v[4].key.rel_role[1] = NVE_ROLE_TOKEN_CREATED_AT;
    v[5].key.rel_stack[1] = 99;
    v[6].key.thread = 5;
    v[7].key.detail = 3;
    v[8].key.routine = 4;
    v[9].key.has_region = 0;
    v[10].key.region_base = 0x4040;

    struct nve_occurrence b = base_occ();
    nve_findings_add(fs, &b);
    for (int i = 0; i < NFIELD; i++)
        nve_findings_add(fs, &v[i]);
    /* Fields outside the key do not separate: these merge into the base finding. */
    struct nve_occurrence m = base_occ();
    m.addr = 0x6000;
    m.size = 16;
    m.region_size = 777;
    m.flags = 0xffffffff;
    m.index = 42;
    m.what = "NvRanges";
    nve_findings_add(fs, &m);

    is_u(gather(fs), 1 + NFIELD, "each differing key field makes its own finding");
    is_u(seen[0].count, 2, "base finding: non-key fields merged");
    is_u(seen[0].bytes, 8 + 16, "base finding: bytes");
    is_u(seen[0].first.addr, 0x5000, "base finding: first address kept");
    ok(seen[0].first.what == NULL, "base finding: first what kept");
    for (int i = 0; i < NFIELD; i++) {
        const struct nve_finding *f = &seen[1 + i];
        ok(memcmp(&f->first.key, &v[i].key, sizeof v[i].key) == 0 && f->count == 1 &&
               f->bytes == (uint64_t)(100 + i),
           "different %s: separate finding, count 1", field[i]);
    }

    /* Adding each variant again merges with its own finding only. */
    for (int i = NFIELD; i-- > 0;)
        nve_findings_add(fs, &v[i]);
    is_u(gather(fs), 1 + NFIELD, "re-adding variants creates nothing new");
    int all2 = 1;
    for (int i = 0; i < NFIELD; i++)
        all2 = all2 && seen[1 + i].count == 2 && seen[1 + i].bytes == 2 * (uint64_t)(100 + i);
    ok(all2, "each variant merged with itself");

    struct nve_findings_totals t;
    nve_findings_totals(fs, &t);
    is_u(t.findings[NV_K_UNDRAINED_FLUSH], NFIELD, "totals: undrained-flush findings");
    is_u(t.findings[NV_K_UNFLUSHED_WRITE], 1, "totals: unflushed-write findings");
    is_u(t.occurrences[NV_K_UNDRAINED_FLUSH], 2 + 2 * (NFIELD - 1),
         "totals: undrained-flush occurrences");
    is_u(t.errors, 1 + NFIELD, "totals: all errors");
    nve_findings_delete(fs);
}

/* ---- the cap on distinct findings ---- */

static void test_cap(void)
{
    struct nve_findings *fs = nve_findings_new(3);
    struct nve_occurrence o1 = occ(NV_K_UNFLUSHED_WRITE, 1, 0x100, 1);
    struct nve_occurrence o2 = occ(NV_K_UNFLUSHED_WRITE, 2, 0x200, 2);
    struct nve_occurrence o3 = occ(NV_K_LEAKED_TOKEN, 3, 0x300, 4);
    struct nve_occurrence o4 = occ(NV_K_UNFLUSHED_WRITE, 4, 0x400, 8);
    struct nve_occurrence o5 = occ(NV_K_REDUNDANT_FLUSH, 5, 0x500, 16);
    nve_findings_add(fs, &o1);
    nve_findings_add(fs, &o2);
    nve_findings_add(fs, &o3);
    nve_findings_add(fs, &o4); /* over the cap */
    nve_findings_add(fs, &o4);
    nve_findings_add(fs, &o5);
    nve_findings_add(fs, &o1); /* existing keys still merge */
    nve_findings_add(fs, &o3);
    nve_findings_add(fs, &o3);

    is_u(gather(fs), 3, "cap: three findings kept");
    ok(seen[0].first.key.stack == 1 && seen[1].first.key.stack == 2 && seen[2].first.key.stack == 3,
       "cap: the first three keys are the ones kept");
    is_u(seen[0].count, 2, "cap: existing key merged past the cap");
    is_u(seen[1].count, 1, "cap: untouched key count");
    is_u(seen[2].count, 3, "cap: existing key merged twice past the cap");
    is_u(seen[2].bytes, 12, "cap: bytes of the merged key");

    struct nve_findings_totals t;
    nve_findings_totals(fs, &t);
    is_u(t.dropped[NV_K_UNFLUSHED_WRITE], 2, "cap: dropped unflushed-write occurrences");
    is_u(t.dropped[NV_K_REDUNDANT_FLUSH], 1, "cap: dropped redundant-flush occurrences");
    is_u(t.dropped[NV_K_LEAKED_TOKEN], 0, "cap: nothing of leaked-token dropped");
    is_u(t.findings[NV_K_UNFLUSHED_WRITE], 2, "cap: unflushed-write findings");
    is_u(t.occurrences[NV_K_UNFLUSHED_WRITE], 3, "cap: dropped occurrences are not counted");
    is_u(t.bytes[NV_K_UNFLUSHED_WRITE], 1 + 1 + 2, "cap: dropped bytes are not counted");
    is_u(t.findings[NV_K_REDUNDANT_FLUSH], 0, "cap: no redundant-flush finding");
    is_u(t.occurrences[NV_K_LEAKED_TOKEN], 3, "cap: leaked-token occurrences");
    is_u(t.errors, 2, "cap: errors count kept findings only");
    is_u(t.warnings, 1, "cap: warnings count kept findings only");

    /* Still the cap after more merging; the next distinct key is dropped too. */
    struct nve_occurrence o6 = occ(NV_K_INVALID_TOKEN, 6, 0, 0);
    nve_findings_add(fs, &o6);
    nve_findings_totals(fs, &t);
    is_u(t.dropped[NV_K_INVALID_TOKEN], 1, "cap: a later new key is dropped");
    is_u(gather(fs), 3, "cap: still three");
    nve_findings_delete(fs);

    /* A cap of one. */
    fs = nve_findings_new(1);
    nve_findings_add(fs, &o2);
    nve_findings_add(fs, &o1);
    nve_findings_add(fs, &o2);
    is_u(gather(fs), 1, "cap 1: one finding");
    is_u(seen[0].first.key.stack, 2, "cap 1: the first key");
    is_u(seen[0].count, 2, "cap 1: merged");
    nve_findings_totals(fs, &t);
    is_u(t.dropped[NV_K_UNFLUSHED_WRITE], 1, "cap 1: one dropped");
    nve_findings_delete(fs);
}

/* ---- totals over all kinds ---- */

static void test_totals(void)
{
    struct nve_findings *fs = nve_findings_new(1000);
    uint64_t occs[NV_NKINDS] = {0}, bytes[NV_NKINDS] = {0};
    uint32_t finds[NV_NKINDS] = {0};
    uint32_t errors = 0, warnings = 0;
    /* Kind k gets k+1 distinct stacks, stack s gets s+1 occurrences of 3 bytes each. */
    for (uint32_t k = 0; k < NV_NKINDS; k++) {
        for (uint32_t s = 0; s <= k; s++) {
            for (uint32_t r = 0; r <= s; r++) {
                struct nve_occurrence o = occ(k, 100 * k + s + 1, 0x1000 * r, 3 + k);
                nve_findings_add(fs, &o);
                occs[k]++;
                bytes[k] += want_kinds[k].bytes ? 3 + k : 0;
            }
            finds[k]++;
            if (want_kinds[k].sev == NV_SEV_ERROR)
                errors++;
            else
                warnings++;
        }
    }
    struct nve_findings_totals t;
    memset(&t, 0xff, sizeof t);
    nve_findings_totals(fs, &t);
    for (int k = 0; k < NV_NKINDS; k++) {
        is_u(t.findings[k], finds[k], "totals %s: findings", nv_kinds[k].name);
        is_u(t.occurrences[k], occs[k], "totals %s: occurrences", nv_kinds[k].name);
        is_u(t.bytes[k], bytes[k], "totals %s: bytes", nv_kinds[k].name);
        is_u(t.dropped[k], 0, "totals %s: nothing dropped", nv_kinds[k].name);
    }
    is_u(t.errors, errors, "totals: errors = findings of error kinds (%u)", errors);
    is_u(t.warnings, warnings, "totals: warnings = findings of warning kinds (%u)", warnings);
    is_u(errors, 1 + 2 + 3 + 4 + 5, "the five error kinds");
    is_u(warnings, 6 + 7 + 8, "the three warning kinds");
    nve_findings_delete(fs);
}

/* ---- first-seen order ---- */

static void count_calls(const struct nve_finding *f, void *arg)
{
    (void)f;
    ++*(int *)arg;
}

static void test_order(void)
{
    struct nve_findings *fs = nve_findings_new(100);
    static const uint32_t stacks[] = {50, 10, 30, 10, 20, 50, 40, 30, 10};
    static const uint32_t want[] = {50, 10, 30, 20, 40};
    static const uint64_t count[] = {2, 3, 2, 1, 1};
    for (size_t i = 0; i < sizeof stacks / sizeof *stacks; i++) {
        struct nve_occurrence o = occ(stacks[i] % 3, stacks[i], i, 1);
        nve_findings_add(fs, &o);
    }
    is_u(gather(fs), 5, "order: five findings");
    for (int i = 0; i < 5; i++) {
        is_u(seen[i].first.key.stack, want[i], "order: finding %d is stack %u", i, want[i]);
        is_u(seen[i].count, count[i], "order: finding %d count", i);
    }
    /* The callback gets its argument. */
    int calls = 0;
    nve_findings_each(fs, count_calls, &calls);
    is_u(calls, 5, "each passes its argument to every call");
    nve_findings_delete(fs);
}

/* ---- clear, and reuse after it ---- */

static void test_clear(void)
{
    struct nve_findings *fs = nve_findings_new(2);
    for (uint32_t i = 1; i <= 5; i++) {
        struct nve_occurrence o = occ(i % NV_NKINDS, i, 0, 1);
        nve_findings_add(fs, &o);
    }
    struct nve_findings_totals t;
    nve_findings_totals(fs, &t);
    ok(t.dropped[3] + t.dropped[4] + t.dropped[5] == 3, "clear: something was dropped before");
    nve_findings_clear(fs);
    is_u(gather(fs), 0, "clear: nothing left");
    totals_zero(fs, "clear");
    nve_findings_clear(fs); /* clearing an empty table */
    is_u(gather(fs), 0, "clear twice: nothing left");

    /* Reusable, with the cap counted afresh. */
    struct nve_occurrence a = occ(NV_K_LEAKED_TOKEN, 9, 0x10, 10);
    struct nve_occurrence b = occ(NV_K_UNFLUSHED_WRITE, 8, 0x20, 20);
    struct nve_occurrence c = occ(NV_K_UNFLUSHED_WRITE, 7, 0x30, 30);
    struct nve_occurrence old = occ(1, 1, 0, 1);
    nve_findings_add(fs, &a);
    nve_findings_add(fs, &b);
    nve_findings_add(fs, &c);
    nve_findings_add(fs, &a);
    nve_findings_add(fs, &old);
    is_u(gather(fs), 2, "reuse: two findings (cap 2)");
    is_u(seen[0].first.key.stack, 9, "reuse: first-seen order restarts");
    is_u(seen[0].count, 2, "reuse: merged");
    is_u(seen[0].bytes, 20, "reuse: bytes");
    is_u(seen[0].nranges, 2, "reuse: ranges start afresh");
    is_u(seen[1].first.key.stack, 8, "reuse: second finding");
    is_u(seen[1].count, 1, "reuse: old occurrences are forgotten");
    nve_findings_totals(fs, &t);
    is_u(t.dropped[NV_K_UNFLUSHED_WRITE], 1, "reuse: dropped counts afresh");
    is_u(t.dropped[1], 1, "reuse: a key from before the clear is new again (dropped at cap)");
    is_u(t.errors, 1, "reuse: errors");
    is_u(t.warnings, 1, "reuse: warnings");

    /* Many clear/fill cycles do not leak or corrupt. */
    int good = 1;
    for (int round = 0; round < 50; round++) {
        nve_findings_clear(fs);
        for (uint32_t i = 0; i < 4; i++) {
            struct nve_occurrence o = occ(0, (uint32_t)round * 10 + i % 2 + 1, i, 1);
            nve_findings_add(fs, &o);
        }
        good = good && gather(fs) == 2 && seen[0].count == 2 && seen[1].count == 2 &&
               seen[0].first.key.stack == (uint32_t)round * 10 + 1;
    }
    ok(good, "50 clear/fill cycles");
    nve_findings_delete(fs);
}

/* ---- mark and roll back (a failed exec takes back what its report added) ---- */

static void test_rollback(void)
{
    struct nve_findings *fs = nve_findings_new(3);
    struct nve_findings_mark m;
    struct nve_findings_totals t;
    struct nve_occurrence a = occ(NV_K_OVERWRITTEN_UNFLUSHED, 1, 0x10, 8);
    struct nve_occurrence b = occ(NV_K_UNFLUSHED_WRITE, 2, 0x20, 16);
    nve_findings_add(fs, &a);
    nve_findings_add(fs, &a);
    nve_findings_mark(fs, &m);
    nve_findings_add(fs, &a); /* merged into one from before the mark */
    nve_findings_add(fs, &b);
    for (uint32_t i = 3; i < 6; i++) { /* one more fits (the cap is 3), two are dropped */
        struct nve_occurrence o = occ(NV_K_LEAKED_TOKEN, i, 0x100 * i, 64);
        nve_findings_add(fs, &o);
    }
    is_u(gather(fs), 3, "rollback: three findings before it (the cap)");
    nve_findings_totals(fs, &t);
    is_u(t.dropped[NV_K_LEAKED_TOKEN], 2, "rollback: two occurrences dropped before it");
    nve_findings_rollback(fs, &m);
    is_u(gather(fs), 1, "rollback: only the finding from before the mark");
    is_u(seen[0].first.key.stack, 1, "rollback: that one");
    is_u(seen[0].count, 2, "rollback: its count as at the mark");
    is_u(seen[0].bytes, 16, "rollback: its bytes as at the mark");
    is_u(seen[0].nranges, 2, "rollback: its ranges as at the mark");
    nve_findings_totals(fs, &t);
    is_u(t.dropped[NV_K_LEAKED_TOKEN], 0, "rollback: the drops since the mark are gone");
    is_u(t.errors + t.warnings, 1, "rollback: one finding in the totals");
    nve_findings_add(fs, &b);
    nve_findings_add(fs, &b);
    is_u(gather(fs), 2, "after rollback: a new finding again, with room under the cap");
    is_u(seen[1].count, 2, "after rollback: counted afresh");
    nve_findings_mark(fs, &m);
    nve_findings_rollback(fs, &m);
    is_u(gather(fs), 2, "a rollback to a mark just made changes nothing");
    nve_findings_delete(fs);
}

/* ---- an occurrence of no known kind ---- */

static void test_bad_kind(void)
{
    struct nve_findings *fs = nve_findings_new(10);
    struct nve_occurrence good = occ(NV_K_LEAKED_TOKEN, 1, 0, 5);
    struct nve_occurrence bad = occ(NV_NKINDS, 1, 0, 5);
    struct nve_occurrence worse = occ(1000, 2, 0, 5);
    nve_findings_add(fs, &good);
    nve_findings_add(fs, &bad);
    nve_findings_add(fs, &worse);
    nve_findings_add(fs, &bad);
    is_u(gather(fs), 1, "unknown kinds: not kept");
    is_u(seen[0].first.key.kind, NV_K_LEAKED_TOKEN, "unknown kinds: the known one kept");
    /* The totals are indexed by kind: guard words around them catch a stray write. */
    struct {
        uint64_t before;
        struct nve_findings_totals t;
        uint64_t after[64];
    } g;
    memset(&g, 0x5a, sizeof g);
    nve_findings_totals(fs, &g.t);
    int intact = g.before == 0x5a5a5a5a5a5a5a5aull;
    for (int i = 0; i < 64; i++)
        intact = intact && g.after[i] == 0x5a5a5a5a5a5a5a5aull;
    ok(intact, "unknown kinds: totals write nothing outside their struct");
    ok(g.t.errors == 0 && g.t.warnings == 1 && g.t.occurrences[NV_K_LEAKED_TOKEN] == 1,
       "unknown kinds: totals count only the known one");
    nve_findings_delete(fs);

    /* Not even past the cap: nothing to count them under. */
    fs = nve_findings_new(1);
    nve_findings_add(fs, &good);
    nve_findings_add(fs, &worse);
    struct nve_findings_totals t;
    nve_findings_totals(fs, &t);
    uint64_t dropped = 0;
    for (int k = 0; k < NV_NKINDS; k++)
        dropped += t.dropped[k];
    is_u(dropped, 0, "unknown kinds past the cap: not counted as any kind's drop");
    nve_findings_delete(fs);
}

/* ---- the lock interface ---- */

static void test_locks(void)
{
    struct nve_findings *fs = nve_findings_new(10);
    nve_findings_lock(fs);
    nve_findings_unlock(fs);
    struct nve_occurrence o = occ(0, 1, 0, 1);
    nve_findings_add(fs, &o);
    nve_findings_lock(fs);
    nve_findings_reset_lock(fs); /* a fork child: the holder is gone */
    nve_findings_add(fs, &o);
    is_u(gather(fs), 1, "lock/unlock and reset_lock leave the table usable");
    is_u(seen[0].count, 2, "add after reset_lock merged");
    nve_findings_delete(fs);
}

/* ---- extreme sizes: saturation, and no sums of refused sizes (issue 9) ---- */

static void test_extremes(void)
{
    const uint64_t SAT = (uint64_t)INT64_MAX, P63 = 1ull << 63, P61 = 1ull << 61;
    is_u(NVE_SAT_MAX, SAT, "sat: the largest integer JSON readers take");
    is_u(nve_sat_add(1, 2), 3, "sat: 1 + 2");
    is_u(nve_sat_add(SAT - 1, 1), SAT, "sat: INT64_MAX - 1 + 1");
    is_u(nve_sat_add(SAT - 1, 2), SAT, "sat: INT64_MAX - 1 + 2 saturates");
    is_u(nve_sat_add(SAT, 0), SAT, "sat: INT64_MAX + 0");
    is_u(nve_sat_add(0, UINT64_MAX), SAT, "sat: 0 + UINT64_MAX");
    is_u(nve_sat_add(UINT64_MAX, UINT64_MAX), SAT, "sat: UINT64_MAX + UINT64_MAX");
    is_u(nve_sat_add(P63, 1), SAT, "sat: 2^63 (already beyond) + 1");
    is_u(nve_sat_add(3 * P61, 3 * P61), SAT, "sat: 3*2^61 + 3*2^61");
    is_u(nve_sat_add(P61, P61), 2 * P61, "sat: 2^61 + 2^61 exact");

    struct nve_findings *fs = nve_findings_new(100);
    /* A leaked token of 2^63+1 bytes, twice from one site: one finding, saturated. */
    struct nve_occurrence lk = occ(NV_K_LEAKED_TOKEN, 5, 0x10000, (size_t)(P63 + 1));
    nve_findings_add(fs, &lk);
    is_u(gather(fs), 1, "leaked 2^63+1: one finding");
    is_u(seen[0].bytes, SAT, "leaked 2^63+1: bytes saturate at once");
    nve_findings_add(fs, &lk);
    gather(fs);
    is_u(seen[0].count, 2, "leaked 2^63+1 twice: count 2");
    is_u(seen[0].bytes, SAT, "leaked 2^63+1 twice: bytes stay saturated (no wrap to 2)");
    is_u(seen[0].ranges[1].size, P63 + 1, "leaked 2^63+1: the range keeps its real size");
    /* Real sizes whose sum overflows only in the totals: 3*2^61 from three sites. */
    for (uint32_t i = 0; i < 3; i++) {
        struct nve_occurrence u = occ(NV_K_UNFLUSHED_WRITE, 20 + i, 0x1000 * i, (size_t)(3 * P61));
        nve_findings_add(fs, &u);
    }
    /* Refused sizes: a NULL destination with SIZE_MAX, out-of-region flushes of 2^63
     * and 3*2^61, forged tokens with huge sizes. */
    for (uint32_t i = 0; i < 4; i++) {
        struct nve_occurrence a = occ(NV_K_INVALID_ARGUMENT, 30, 0, SIZE_MAX);
        struct nve_occurrence r = occ(NV_K_OUT_OF_REGION, 31 + i % 2, 0x1000, i % 2 ? P63 : 3 * P61);
        struct nve_occurrence t = occ(NV_K_INVALID_TOKEN, 33, 0x1234, SIZE_MAX - i);
        nve_findings_add(fs, &a);
        nve_findings_add(fs, &r);
        nve_findings_add(fs, &t);
    }
    size_t n = gather(fs);
    is_u(n, 1 + 3 + 4, "extremes: 8 findings");
    for (size_t i = 1; i < n && i < MAXF; i++) {
        uint32_t k = seen[i].first.key.kind;
        if (k == NV_K_UNFLUSHED_WRITE)
            is_u(seen[i].bytes, 3 * P61, "unflushed 3*2^61: exact per finding");
        else
            is_u(seen[i].bytes, 0, "%s (count %llu): refused sizes are not added up",
                 nv_kinds[k].name, (unsigned long long)seen[i].count);
    }
    struct nve_findings_totals t;
    nve_findings_totals(fs, &t);
    is_u(t.bytes[NV_K_LEAKED_TOKEN], SAT, "totals: leaked-token bytes saturated");
    is_u(t.bytes[NV_K_UNFLUSHED_WRITE], SAT, "totals: 3 x 3*2^61 unflushed bytes saturated");
    is_u(t.occurrences[NV_K_UNFLUSHED_WRITE], 3, "totals: 3 unflushed occurrences");
    is_u(t.bytes[NV_K_INVALID_ARGUMENT], 0, "totals: invalid-argument has no bytes");
    is_u(t.bytes[NV_K_OUT_OF_REGION], 0, "totals: out-of-region has no bytes");
    is_u(t.bytes[NV_K_INVALID_TOKEN], 0, "totals: invalid-token has no bytes");
    is_u(t.occurrences[NV_K_OUT_OF_REGION], 4, "totals: 4 out-of-region occurrences");
    for (int k = 0; k < NV_NKINDS; k++)
        ok(t.bytes[k] <= SAT && t.occurrences[k] <= SAT && t.dropped[k] <= SAT,
           "totals %s: every figure within INT64_MAX", nv_kinds[k].name);
    nve_findings_delete(fs);
}

/* ---- many distinct findings ---- */

struct big_check {
    uint32_t next;
    int good;
};

static void big_visit(const struct nve_finding *f, void *arg)
{
    struct big_check *c = arg;
    uint32_t i = c->next++;
    if (f->first.key.stack != i + 1 || f->first.key.kind != i % NV_NKINDS ||
        f->first.key.region_base != (uintptr_t)i << 12 || f->count != 2 ||
        f->bytes != (want_kinds[i % NV_NKINDS].bytes ? 2 * (uint64_t)(i % 100 + 1) : 0) ||
        f->first.addr != (uintptr_t)i * 64 ||
        f->nranges != 2 || f->ranges[1].addr != (uintptr_t)i * 64 + 1)
        c->good = 0;
}

static void test_many(void)
{
    enum { N = 100000 };
    struct nve_findings *fs = nve_findings_new(1000000);
    for (uint32_t i = 0; i < N; i++) {
        struct nve_occurrence o = occ(i % NV_NKINDS, i + 1, (uintptr_t)i * 64, i % 100 + 1);
        o.key.has_region = 1;
        o.key.region_base = (uintptr_t)i << 12;
        nve_findings_add(fs, &o);
    }
    for (uint32_t i = N; i-- > 0;) {
        struct nve_occurrence o = occ(i % NV_NKINDS, i + 1, (uintptr_t)i * 64 + 1, i % 100 + 1);
        o.key.has_region = 1;
        o.key.region_base = (uintptr_t)i << 12;
        nve_findings_add(fs, &o);
    }
    struct big_check c = {0, 1};
    nve_findings_each(fs, big_visit, &c);
    is_u(c.next, N, "100000 distinct findings kept");
    ok(c.good, "100000 findings: merged pairwise, first-seen order, exact fields");
    struct nve_findings_totals t;
    nve_findings_totals(fs, &t);
    uint64_t nf = 0, no = 0, nd = 0;
    for (int k = 0; k < NV_NKINDS; k++)
        nf += t.findings[k], no += t.occurrences[k], nd += t.dropped[k];
    is_u(nf, N, "100000: totals findings");
    is_u(no, 2 * N, "100000: totals occurrences");
    is_u(nd, 0, "100000: nothing dropped");
    is_u(t.findings[0], N / NV_NKINDS, "100000: findings of kind 0");
    is_u(t.errors + t.warnings, N, "100000: errors + warnings");

    /* Clear and refill with the same keys: everything is new again. */
    nve_findings_clear(fs);
    for (uint32_t i = 0; i < N; i++) {
        struct nve_occurrence o = occ(i % NV_NKINDS, i + 1, (uintptr_t)i * 64, i % 100 + 1);
        o.key.has_region = 1;
        o.key.region_base = (uintptr_t)i << 12;
        nve_findings_add(fs, &o);
        o.addr++;
        nve_findings_add(fs, &o);
    }
    c.next = 0;
    c.good = 1;
    nve_findings_each(fs, big_visit, &c);
    is_u(c.next, N, "100000 after clear: all kept");
    ok(c.good, "100000 after clear: exact");
    nve_findings_delete(fs);

    /* The cap bites at exactly max_findings. */
    fs = nve_findings_new(5000);
    for (uint32_t i = 0; i < 20000; i++) {
        struct nve_occurrence o = occ(NV_K_OUT_OF_REGION, i + 1, 0, 1);
        nve_findings_add(fs, &o);
    }
    nve_findings_totals(fs, &t);
    is_u(t.findings[NV_K_OUT_OF_REGION], 5000, "cap 5000: 5000 kept");
    is_u(t.dropped[NV_K_OUT_OF_REGION], 15000, "cap 5000: 15000 dropped");
    is_u(t.occurrences[NV_K_OUT_OF_REGION], 5000, "cap 5000: 5000 occurrences");
    nve_findings_delete(fs);
}

/* ---- memory is given back ---- */

/* vsz -- the process's virtual size in bytes. */
static uint64_t vsz(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (uint64_t)pages * 4096;
}

static void fill(struct nve_findings *fs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct nve_occurrence o = occ(i % NV_NKINDS, i + 1, i, 1);
        nve_findings_add(fs, &o);
    }
}

static void test_memory(void)
{
    /* Warm up once, then 10 cycles must not grow the address space: each cycle maps
     * about 10 MiB of entries and a 128 KiB bucket table (mapped on its own). */
    struct nve_findings *fs = nve_findings_new(100000);
    fill(fs, 20000);
    nve_findings_delete(fs);
    uint64_t before = vsz();
    for (int i = 0; i < 10; i++) {
        fs = nve_findings_new(100000);
        fill(fs, 20000);
        nve_findings_delete(fs);
    }
    uint64_t after = vsz();
    ok(before && after < before + (512u << 10),
       "new/fill/delete x10: memory given back (%+lld KiB)",
       ((long long)after - (long long)before) / 1024);

    fs = nve_findings_new(100000);
    fill(fs, 20000);
    nve_findings_clear(fs);
    before = vsz();
    for (int i = 0; i < 10; i++) {
        fill(fs, 20000);
        nve_findings_clear(fs);
    }
    after = vsz();
    ok(before && after < before + (512u << 10), "fill/clear x10: memory given back (%+lld KiB)",
       ((long long)after - (long long)before) / 1024);
    nve_findings_delete(fs);
}

/* ---- concurrent adds ---- */

enum { NTHREADS = 4, PER_THREAD = 40000, SHARED_KEYS = 1000, OWN_KEYS = 10 };

static struct nve_findings *cfs;
static pthread_barrier_t start;

static void *adder(void *arg)
{
    uint32_t t = (uint32_t)(uintptr_t)arg;
    pthread_barrier_wait(&start);
    for (uint32_t i = 0; i < PER_THREAD; i++) {
        struct nve_occurrence o;
        if (i % 2 == 0) /* shared by all threads */
            o = occ(NV_K_UNFLUSHED_WRITE, (i / 2 + t * 7) % SHARED_KEYS + 1, i, 1);
        else { /* this thread's own */
            o = occ(NV_K_UNDRAINED_FLUSH, (i / 2) % OWN_KEYS + 1, i, 2);
            o.key.thread = t + 1;
        }
        nve_findings_add(cfs, &o);
    }
    return NULL;
}

struct conc_check {
    uint32_t shared, own;
    int good;
};

static void conc_visit(const struct nve_finding *f, void *arg)
{
    struct conc_check *c = arg;
    if (f->first.key.kind == NV_K_UNFLUSHED_WRITE) {
        c->shared++;
        if (f->count != NTHREADS * (PER_THREAD / 2 / SHARED_KEYS) || f->bytes != f->count)
            c->good = 0;
    } else {
        c->own++;
        if (f->count != PER_THREAD / 2 / OWN_KEYS || f->bytes != 2 * f->count)
            c->good = 0;
    }
}

static void test_concurrent(void)
{
    pthread_t th[NTHREADS];
    cfs = nve_findings_new(100000);
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (uintptr_t t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, adder, (void *)t);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);

    struct conc_check c = {0, 0, 1};
    nve_findings_each(cfs, conc_visit, &c);
    is_u(c.shared, SHARED_KEYS, "4 threads: shared keys merged into one finding each");
    is_u(c.own, NTHREADS * OWN_KEYS, "4 threads: per-thread keys kept apart");
    ok(c.good, "4 threads: every count and byte total exact");
    struct nve_findings_totals t;
    nve_findings_totals(cfs, &t);
    is_u(t.occurrences[NV_K_UNFLUSHED_WRITE] + t.occurrences[NV_K_UNDRAINED_FLUSH],
         NTHREADS * PER_THREAD, "4 threads: no occurrence lost");
    is_u(t.errors, SHARED_KEYS + NTHREADS * OWN_KEYS, "4 threads: errors");
    nve_findings_delete(cfs);

    /* Concurrent adds against a small cap: kept + dropped = all, kept = cap. */
    cfs = nve_findings_new(500);
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (uintptr_t t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, adder, (void *)t);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);
    nve_findings_totals(cfs, &t);
    uint64_t kept = 0, occs = 0, dropped = 0;
    for (int k = 0; k < NV_NKINDS; k++)
        kept += t.findings[k], occs += t.occurrences[k], dropped += t.dropped[k];
    is_u(kept, 500, "4 threads, cap 500: exactly 500 kept");
    is_u(occs + dropped, NTHREADS * PER_THREAD, "4 threads, cap 500: kept + dropped = all");
    nve_findings_delete(cfs);
}

int main(void)
{
    test_kinds();
    test_merge();
    test_keys();
    test_cap();
    test_totals();
    test_order();
    test_clear();
    test_rollback();
    test_bad_kind();
    test_locks();
    test_extremes();
    test_many();
    test_memory();
    test_concurrent();
    return done_testing();
}
