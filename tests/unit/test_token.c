/* test_token.c -- the token table (src/nvmem/token.c): issue, look up, free, reuse, threads. */
#include "nvmem.h"
#include "nvmem/ops.h"
#include "nvmem/token.h"
#include "tap.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEF ((void *)FLUSH_NV_MEMORY_DEFAULT_TOKEN)

/* White box (token.c): a handle is TAG << 48 | gen << 20 | slot, and freed slots are
 * reused oldest-first once more than REUSE_AFTER of them wait (or the table is full). */
#define IDX_BITS 20
#define IDX_MASK (((uintptr_t)1 << IDX_BITS) - 1)
#define GEN_SHIFT IDX_BITS
#define REUSE_AFTER 1024

static const char *st_name(enum nvm_tok_status s)
{
    return s == NVM_TOK_LIVE ? "LIVE" : s == NVM_TOK_FREED ? "FREED" : s == NVM_TOK_UNKNOWN ? "UNKNOWN" : "?";
}

/* is_st(got, want, "name", ...) -- token status equality, printing both names */
#define is_st(got, want, ...)                                                       \
    do {                                                                           \
        enum nvm_tok_status gs_ = (got), ws_ = (want);                             \
        if (!ok(gs_ == ws_, __VA_ARGS__))                                          \
            printf("#   got:  %s\n#   want: %s\n", st_name(gs_), st_name(ws_));    \
    } while (0)

/* ---- a model of the slot policy, checked on every issue while single-threaded ---- */

static uint32_t *fifo;        /* freed slots, oldest first (ring of NVM_MAX_TOKENS) */
static size_t fifo_head, fifo_tail;
static uint32_t used_model;   /* slots ever handed out */
static void **last_handle;    /* per slot: the newest handle issued for it */
static int model_on = 1;
static size_t policy_bad, policy_checked;
static size_t live_now;       /* tokens this program holds */
static uint32_t note_seq;     /* the notes issue() and release() leave: 1, 2, 3... */
static uint32_t *created_note; /* per slot: the created note its newest token got */

static int issue(uintptr_t base, size_t size, void **h, struct nvm_tok *t)
{
    memset(t, 0xA5, sizeof *t);
    uint32_t note = ++note_seq;
    int r = nvm_token_new(base, size, note, h, t);
    if (r != 0)
        return r;
    live_now++;
    if (t->slot < NVM_MAX_TOKENS)
        created_note[t->slot] = note;
    if (!model_on)
        return r;
    size_t nfree = fifo_tail - fifo_head;
    uint32_t want;
    if (nfree > REUSE_AFTER || (used_model == NVM_MAX_TOKENS && nfree))
        want = fifo[fifo_head++ % NVM_MAX_TOKENS];
    else
        want = used_model++;
    policy_checked++;
    if (t->slot != want || (last_handle[want] && last_handle[want] == *h)) {
        if (policy_bad++ == 0)
            printf("# slot policy: issue %zu got slot %u, model says %u\n", policy_checked,
                   t->slot, want);
    }
    if (t->slot < NVM_MAX_TOKENS)
        last_handle[t->slot] = *h;
    return r;
}

static enum nvm_tok_status release(void *h, struct nvm_tok *t)
{
    memset(t, 0xA5, sizeof *t);
    enum nvm_tok_status s = nvm_token_free(h, ++note_seq, t);
    if (s == NVM_TOK_LIVE) {
        live_now--;
        if (model_on)
            fifo[fifo_tail++ % NVM_MAX_TOKENS] = t->slot;
    }
    return s;
}

/* stale -- what a lookup of a freed handle must say: FREED until its slot is reused. */
static enum nvm_tok_status stale(void *h, uint32_t slot)
{
    return last_handle[slot] == h ? NVM_TOK_FREED : NVM_TOK_UNKNOWN;
}

static void check_policy(const char *when)
{
    is_u(policy_bad, 0, "%s: every slot follows the reuse policy (%zu issues)", when, policy_checked);
}

/* ---- each_live ---- */

struct visit {
    size_t count, bad;
    uintptr_t base0, step;
    size_t n;
    const uint32_t *slots;
    unsigned char *seen;
};

static void visit_fn(const struct nvm_tok *t, uint32_t created, void *arg)
{
    struct visit *v = arg;
    v->count++;
    if (!v->seen)
        return;
    size_t i = (t->base - v->base0) / v->step;
    if (t->base < v->base0 || (t->base - v->base0) % v->step || i >= v->n || v->seen[i] ||
        t->size != i + 1 || t->slot != v->slots[i] || created != created_note[t->slot]) {
        v->bad++;
        return;
    }
    v->seen[i] = 1;
}

static size_t count_live(void)
{
    struct visit v = {0};
    nvm_token_each_live(visit_fn, &v);
    return v.count;
}

/* ---- basics ---- */

static void test_roundtrip(void)
{
    void *h, *h2;
    struct nvm_tok t, t2, o;
    is_u(count_live(), 0, "no live tokens at start");
    is_u(issue(0x10000, 4096, &h, &t), 0, "new: succeeds");
    ok(h != NULL, "new: handle is not NULL");
    ok(h != DEF, "new: handle is not the default token");
    is_u(t.base, 0x10000, "new: out.base");
    is_u(t.size, 4096, "new: out.size");
    is_u(t.slot, 0, "new: the first token takes slot 0");
    is_u(issue(0x20000, 100, &h2, &t2), 0, "new: second");
    ok(h2 != h, "new: second handle differs");
    is_u(t2.slot, 1, "new: the second token takes slot 1");

    memset(&o, 0xA5, sizeof o);
    is_st(nvm_token_lookup(h, &o), NVM_TOK_LIVE, "lookup: live");
    is_u(o.base, 0x10000, "lookup: base");
    is_u(o.size, 4096, "lookup: size");
    is_u(o.slot, t.slot, "lookup: slot");
    is_st(nvm_token_lookup(h2, &o), NVM_TOK_LIVE, "lookup: second live");
    is_u(o.base, 0x20000, "lookup: second base");
    is_u(o.size, 100, "lookup: second size");
    is_u(o.slot, 1, "lookup: second slot");
    is_u(count_live(), 2, "each_live: two");
    uint32_t cn = 0xdead, fn = 0xdead;
    ok(nvm_token_notes(h, &cn, &fn) == 0 && cn == created_note[t.slot] && fn == 0,
       "notes: a live token has its created note, freed 0 (%u, %u)", cn, fn);

    /* the table stores what it is given; validating is ops.c's job */
    void *h3;
    struct nvm_tok t3;
    is_u(issue(0, SIZE_MAX, &h3, &t3), 0, "new: base 0, SIZE_MAX");
    is_st(nvm_token_lookup(h3, &o), NVM_TOK_LIVE, "lookup: base 0, SIZE_MAX");
    is_u(o.base, 0, "lookup: base 0 kept");
    is_u(o.size, SIZE_MAX, "lookup: SIZE_MAX kept");

    is_st(release(h, &o), NVM_TOK_LIVE, "free: live");
    uint32_t freed_note = note_seq;
    ok(nvm_token_notes(h, &cn, &fn) == 0 && cn == created_note[t.slot] && fn == freed_note,
       "notes: a freed token has both notes (%u, %u)", cn, fn);
    is_u(o.base, 0x10000, "free: out.base");
    is_u(o.size, 4096, "free: out.size");
    is_u(o.slot, t.slot, "free: out.slot");
    memset(&o, 0xA5, sizeof o);
    is_st(nvm_token_lookup(h, &o), NVM_TOK_FREED, "lookup after free: FREED");
    is_u(o.slot, t.slot, "lookup after free: names the slot");
    memset(&o, 0xA5, sizeof o);
    is_st(release(h, &o), NVM_TOK_FREED, "double free: FREED");
    is_u(o.slot, t.slot, "double free: names the slot");
    is_st(release(h, &o), NVM_TOK_FREED, "triple free: still FREED");
    ok(nvm_token_notes(h, &cn, &fn) == 0 && fn == freed_note,
       "notes: a failed free leaves the freed note alone (%u)", fn);
    is_st(nvm_token_lookup(h2, &o), NVM_TOK_LIVE, "the other token is still live");
    is_u(o.base, 0x20000, "the other token keeps its base");
    is_u(count_live(), 2, "each_live: two after one free");
    is_st(release(h2, &o), NVM_TOK_LIVE, "free: second");
    is_st(release(h3, &o), NVM_TOK_LIVE, "free: third");
    is_u(count_live(), 0, "each_live: none");
    check_policy("round trip");
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_forged(void)
{
    void *h;
    struct nvm_tok t, o;
    int local;
    issue(0x30000, 512, &h, &t);
    uintptr_t hv = (uintptr_t)h;
    uint32_t gen = (uint32_t)(hv >> GEN_SHIFT) & ((1u << 28) - 1);
    printf("# handle %#lx: slot %u gen %u\n", (unsigned long)hv, t.slot, gen);
    is_u(hv & IDX_MASK, t.slot, "handle encodes its slot (white box)");

    void *malloced = malloc(16);
    struct {
        void *h;
        const char *name;
    } cases[] = {
        {NULL, "NULL"},
        {(void *)1, "(void *)1"},
        {DEF, "the default token"},
        {&local, "a stack pointer"},
        {malloced, "a heap pointer"},
        {(void *)(uintptr_t)&test_forged, "a function pointer"},
        {(void *)(hv | IDX_MASK), "slot index 2^20-1"},
        {(void *)((hv & ~IDX_MASK) | used_model), "first slot never issued"},
        {(void *)((hv & ~IDX_MASK) | (used_model + 1)), "second slot never issued"},
        {(void *)((hv & ~(((uintptr_t)1 << 48) - 1)) | used_model), "generation 0, slot never issued"},
        {(void *)(hv & ~(((uintptr_t)1 << 48) - 1 - IDX_MASK)), "generation 0, live slot"},
        {(void *)(hv + ((uintptr_t)1 << GEN_SHIFT)), "next generation"},
        {(void *)(hv - ((uintptr_t)1 << GEN_SHIFT)), "previous generation"},
        {(void *)(hv | ((uintptr_t)1 << (GEN_SHIFT + 27))), "top generation bit"},
        {(void *)(hv ^ ((uintptr_t)1 << 48)), "tag bit 48 flipped"},
        {(void *)(hv ^ ((uintptr_t)1 << 63)), "tag bit 63 flipped"},
        {(void *)(hv & (((uintptr_t)1 << 48) - 1)), "tag cleared"},
        {(void *)(hv | ~(((uintptr_t)1 << 48) - 1)), "tag all ones"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        is_st(nvm_token_lookup(cases[i].h, &o), NVM_TOK_UNKNOWN, "lookup forged: %s", cases[i].name);
        is_st(release(cases[i].h, &o), NVM_TOK_UNKNOWN, "free forged: %s", cases[i].name);
        uint32_t cn, fn;
        is_u(nvm_token_notes(cases[i].h, &cn, &fn), (uint64_t)-1, "notes forged: %s",
             cases[i].name);
    }
    free(malloced);

    size_t bad = 0, badfree = 0;
    for (int i = 0; i < 100000; i++) {
        void *r = (void *)(uintptr_t)next_rand();
        bad += nvm_token_lookup(r, &o) != NVM_TOK_UNKNOWN;
        if (i % 10 == 0)
            badfree += release(r, &o) != NVM_TOK_UNKNOWN;
    }
    is_u(bad, 0, "lookup: 100000 random values are UNKNOWN");
    is_u(badfree, 0, "free: 10000 random values are UNKNOWN");

    /* tagged, a real slot index, a generation far beyond any issued */
    bad = badfree = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = next_rand();
        uintptr_t g = ((uintptr_t)1 << 20) + (x >> 40) % ((1u << 28) - (1u << 20));
        void *r = (void *)((hv & ~(((uintptr_t)1 << 48) - 1)) | g << GEN_SHIFT |
                           (uintptr_t)(x % used_model));
        bad += nvm_token_lookup(r, &o) != NVM_TOK_UNKNOWN;
        if (i % 10 == 0)
            badfree += release(r, &o) != NVM_TOK_UNKNOWN;
    }
    is_u(bad, 0, "lookup: 100000 tagged forgeries are UNKNOWN");
    is_u(badfree, 0, "free: 10000 tagged forgeries are UNKNOWN");

    memset(&o, 0, sizeof o);
    is_st(nvm_token_lookup(h, &o), NVM_TOK_LIVE, "the real token survived the forgeries");
    is_u(o.base, 0x30000, "the real token keeps its base");
    is_u(o.size, 512, "the real token keeps its size");
    is_st(release(h, &o), NVM_TOK_LIVE, "free the real token");
    check_policy("forgeries");
}

/* ---- reuse: a stale handle never comes back to life ---- */

static void test_reuse(void)
{
    void *x, *y;
    struct nvm_tok xt, yt, o;
    enum { NGRACE = 1000 };
    static void *grace[NGRACE];
    static uint32_t grace_slot[NGRACE];

    issue(0xA0000, 64, &x, &xt);
    is_st(release(x, &o), NVM_TOK_LIVE, "reuse: free x");
    size_t waiting = fifo_tail - fifo_head;
    printf("# %zu freed slots waiting, x in slot %u\n", waiting, xt.slot);
    ok(waiting + NGRACE <= REUSE_AFTER, "reuse: grace test starts with few freed slots waiting");

    /* while no more than REUSE_AFTER slots wait, new tokens take fresh slots */
    size_t took_x = 0, fresh = 0;
    for (int i = 0; i < NGRACE; i++) {
        uint32_t expect_fresh = used_model;
        issue(0x1000000 + (uintptr_t)i * 64, 64, &grace[i], &o);
        grace_slot[i] = o.slot;
        took_x += o.slot == xt.slot;
        fresh += o.slot == expect_fresh;
    }
    is_u(took_x, 0, "reuse: x's slot not reused while <= %d wait", REUSE_AFTER);
    is_u(fresh, NGRACE, "reuse: %d new tokens all took fresh slots", NGRACE);
    is_st(nvm_token_lookup(x, &o), NVM_TOK_FREED, "reuse: x still FREED after the grace period");
    is_u(o.slot, xt.slot, "reuse: FREED names x's slot");

    for (int i = 0; i < NGRACE; i++)
        release(grace[i], &o);

    /* issue and free until x's slot comes back */
    int n = 0, found = 0;
    for (; n < 5000; n++) {
        issue(0x2000000 + (uintptr_t)n * 64, (size_t)n + 1, &y, &yt);
        if (yt.slot == xt.slot) {
            found = 1;
            break;
        }
        release(y, &o);
    }
    ok(found, "reuse: x's slot reused after %d more tokens", n);
    check_policy("reuse");
    if (!found)
        return;
    ok(y != x, "reuse: the new handle for x's slot differs from x");
    is_st(nvm_token_lookup(y, &o), NVM_TOK_LIVE, "reuse: the new token is live");
    is_u(o.base, 0x2000000 + (uintptr_t)n * 64, "reuse: the new token's base");
    is_u(o.size, (size_t)n + 1, "reuse: the new token's size");
    is_u(o.slot, xt.slot, "reuse: the new token's slot");
    is_st(nvm_token_lookup(x, &o), NVM_TOK_UNKNOWN, "reuse: stale x is UNKNOWN once its slot is reused");
    uint32_t cn = 0xdead, fn = 0xdead;
    is_u(nvm_token_notes(x, &cn, &fn), (uint64_t)-1,
         "reuse: stale x has no notes once its slot is reused");
    ok(nvm_token_notes(y, &cn, &fn) == 0 && cn == created_note[yt.slot] && fn == 0,
       "reuse: the new token has its own created note and no freed note (%u, %u)", cn, fn);
    is_st(release(x, &o), NVM_TOK_UNKNOWN, "reuse: freeing stale x is UNKNOWN");
    is_st(nvm_token_lookup(y, &o), NVM_TOK_LIVE, "reuse: freeing stale x left the new token live");
    size_t wrong = 0;
    for (int i = 0; i < NGRACE; i++)
        wrong += nvm_token_lookup(grace[i], &o) != NVM_TOK_FREED || o.slot != grace_slot[i];
    is_u(wrong, 0, "reuse: the %d newer stale handles are FREED (slots not reused yet)", NGRACE);
    is_st(release(y, &o), NVM_TOK_LIVE, "reuse: free the new token");

    /* churn: 3000 more issue/free pairs; then every stale handle says FREED or UNKNOWN
     * exactly as its slot was or was not reused, and none is LIVE */
    enum { NCHURN = 3000 };
    static void *churn[NCHURN];
    static uint32_t churn_slot[NCHURN];
    size_t reused = 0;
    for (int i = 0; i < NCHURN; i++) {
        uint32_t before = used_model;
        issue(0x3000000 + (uintptr_t)i * 64, 64, &churn[i], &o);
        churn_slot[i] = o.slot;
        reused += o.slot < before;
        release(churn[i], &o);
    }
    ok(reused > 0, "churn: slots were reused (%zu of %d)", reused, NCHURN);
    size_t live = 0, mismatch = 0, unknown = 0;
    for (int i = 0; i < NCHURN; i++) {
        enum nvm_tok_status s = nvm_token_lookup(churn[i], &o);
        live += s == NVM_TOK_LIVE;
        unknown += s == NVM_TOK_UNKNOWN;
        mismatch += s != stale(churn[i], churn_slot[i]);
    }
    is_u(live, 0, "churn: no stale handle is LIVE");
    ok(unknown > 0, "churn: some stale handles had their slots reused (%zu)", unknown);
    is_u(mismatch, 0, "churn: FREED exactly until the slot is reused");
    live = 0;
    for (int i = 0; i < NGRACE; i++)
        live += nvm_token_lookup(grace[i], &o) == NVM_TOK_LIVE;
    is_u(live, 0, "churn: no grace-period handle came back to life");
    is_u(count_live(), 0, "churn: nothing left live");
    check_policy("churn");
}

/* ---- 100000 live tokens ---- */

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void test_many(void)
{
    enum { N = 100000 };
    const uintptr_t B0 = (uintptr_t)0x7000000000ull, STEP = 8192;
    void **h = malloc(N * sizeof *h);
    uintptr_t *sorted = malloc(N * sizeof *sorted);
    uint32_t *slot = malloc(N * sizeof *slot);
    unsigned char *seen = calloc(NVM_MAX_TOKENS, 1);
    struct nvm_tok o;

    size_t failed = 0, special = 0;
    for (size_t i = 0; i < N; i++) {
        failed += issue(B0 + i * STEP, i + 1, &h[i], &o) != 0;
        slot[i] = o.slot;
        special += h[i] == NULL || h[i] == DEF;
        sorted[i] = (uintptr_t)h[i];
    }
    is_u(failed, 0, "many: %d tokens issued", N);
    is_u(special, 0, "many: no handle is NULL or the default token");
    qsort(sorted, N, sizeof *sorted, cmp_ptr);
    size_t dup = 0;
    for (size_t i = 1; i < N; i++)
        dup += sorted[i] == sorted[i - 1];
    is_u(dup, 0, "many: handles are distinct");
    dup = 0;
    for (size_t i = 0; i < N; i++) {
        if (slot[i] >= NVM_MAX_TOKENS || seen[slot[i]])
            dup++;
        else
            seen[slot[i]] = 1;
    }
    is_u(dup, 0, "many: slots are distinct");
    size_t wrong = 0;
    for (size_t i = 0; i < N; i++) {
        memset(&o, 0xA5, sizeof o);
        wrong += nvm_token_lookup(h[i], &o) != NVM_TOK_LIVE || o.base != B0 + i * STEP ||
                 o.size != i + 1 || o.slot != slot[i];
    }
    is_u(wrong, 0, "many: every lookup LIVE with its own base, size, slot");

    memset(seen, 0, N);
    struct visit v = {0, 0, B0, STEP, N, slot, seen};
    nvm_token_each_live(visit_fn, &v);
    is_u(v.count, N, "many: each_live visits %d tokens", N);
    is_u(v.bad, 0, "many: each_live sees each exactly once, with its base, size, slot");

    wrong = 0;
    for (size_t i = 0; i < N; i++) {
        memset(&o, 0xA5, sizeof o);
        wrong += release(h[i], &o) != NVM_TOK_LIVE || o.base != B0 + i * STEP ||
                 o.size != i + 1 || o.slot != slot[i];
    }
    is_u(wrong, 0, "many: every free LIVE with its own base, size, slot");
    wrong = 0;
    for (size_t i = 0; i < N; i++)
        wrong += nvm_token_lookup(h[i], &o) != NVM_TOK_FREED || o.slot != slot[i];
    is_u(wrong, 0, "many: every handle FREED afterwards");
    is_u(count_live(), 0, "many: each_live visits none");
    check_policy("many");

    /* each_live over a mixed set: 10 issued, the odd ones freed */
    for (size_t i = 0; i < 10; i++)
        issue(B0 + i * STEP, i + 1, &h[i], &o), slot[i] = o.slot;
    for (size_t i = 1; i < 10; i += 2)
        release(h[i], &o);
    memset(seen, 0, 10);
    struct visit w = {0, 0, B0, STEP, 10, slot, seen};
    nvm_token_each_live(visit_fn, &w);
    is_u(w.count, 5, "each_live: five of ten live");
    is_u(w.bad, 0, "each_live: each visited once with its fields");
    ok(seen[0] && seen[2] && seen[4] && seen[6] && seen[8], "each_live: exactly the even ones");
    for (size_t i = 0; i < 10; i += 2)
        release(h[i], &o);
    is_u(count_live(), 0, "each_live: none after freeing the rest");
    check_policy("each_live");

    free(h);
    free(sorted);
    free(slot);
    free(seen);
}

/* ---- threads ---- */

#define NTHREADS 4
#define PER_THREAD 20000
#define WINDOW 8
#define NSHARED 256

static void *shared[NSHARED]; /* recent handles, for the racing reader */
static int workers_done;

static size_t size_of(uintptr_t base)
{
    return (size_t)((base * 0x9E3779B97F4A7C15ull) >> 40) + 1;
}

struct worker {
    int id;
    size_t issued, freed, bad_new, bad_lookup, bad_free, bad_after;
};

static void *worker(void *arg)
{
    struct worker *w = arg;
    void *win[WINDOW];
    uintptr_t wbase[WINDOW];
    struct nvm_tok t, o;
    size_t nwin = 0;
    for (size_t i = 0; i < PER_THREAD; i++) {
        uintptr_t base = ((uintptr_t)(w->id + 1) << 40) + i * 64;
        void *h;
        if (nvm_token_new(base, size_of(base), 0, &h, &t) != 0 || t.base != base) {
            w->bad_new++;
            continue;
        }
        w->issued++;
        __atomic_store_n(&shared[(w->id * 64 + i) % NSHARED], h, __ATOMIC_RELAXED);
        if (nvm_token_lookup(h, &o) != NVM_TOK_LIVE || o.base != base ||
            o.size != size_of(base) || o.slot != t.slot)
            w->bad_lookup++;
        if (nwin == WINDOW) {
            size_t k = i % WINDOW; /* the oldest-ish: a rotating victim */
            uintptr_t b = wbase[k];
            if (nvm_token_lookup(win[k], &o) != NVM_TOK_LIVE || o.base != b)
                w->bad_lookup++;
            if (nvm_token_free(win[k], 0, &o) != NVM_TOK_LIVE || o.base != b ||
                o.size != size_of(b))
                w->bad_free++;
            else
                w->freed++;
            if (nvm_token_lookup(win[k], &o) == NVM_TOK_LIVE)
                w->bad_after++;
            if (nvm_token_free(win[k], 0, &o) == NVM_TOK_LIVE)
                w->bad_after++;
            win[k] = h, wbase[k] = base;
        } else {
            win[nwin] = h, wbase[nwin] = base;
            nwin++;
        }
    }
    for (size_t k = 0; k < nwin; k++) {
        if (nvm_token_free(win[k], 0, &o) != NVM_TOK_LIVE || o.base != wbase[k])
            w->bad_free++;
        else
            w->freed++;
    }
    return NULL;
}

struct reader {
    size_t lookups, live, torn;
};

/* reader -- look up handles other threads are issuing and freeing: a LIVE answer
 * must never mix one token's base with another's size. */
static void *reader(void *arg)
{
    struct reader *r = arg;
    struct nvm_tok o;
    size_t i = 0;
    while (!__atomic_load_n(&workers_done, __ATOMIC_ACQUIRE)) {
        void *h = __atomic_load_n(&shared[i++ % NSHARED], __ATOMIC_RELAXED);
        if (!h)
            continue;
        r->lookups++;
        if (nvm_token_lookup(h, &o) == NVM_TOK_LIVE) {
            r->live++;
            if (o.size != size_of(o.base))
                r->torn++;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    model_on = 0; /* slot order is no longer deterministic */
    pthread_t th[NTHREADS], rd;
    struct worker w[NTHREADS];
    struct reader r = {0};
    pthread_create(&rd, NULL, reader, &r);
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){.id = i};
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    __atomic_store_n(&workers_done, 1, __ATOMIC_RELEASE);
    pthread_join(rd, NULL);
    for (int i = 0; i < NTHREADS; i++) {
        is_u(w[i].issued, PER_THREAD, "thread %d: issued all", i);
        is_u(w[i].bad_new, 0, "thread %d: every new succeeded with its base", i);
        is_u(w[i].bad_lookup, 0, "thread %d: every lookup of its live tokens LIVE and exact", i);
        is_u(w[i].bad_free, 0, "thread %d: every free LIVE with its base and size", i);
        is_u(w[i].freed, PER_THREAD, "thread %d: freed all", i);
        is_u(w[i].bad_after, 0, "thread %d: freed tokens never LIVE again", i);
    }
    printf("# reader: %zu lookups, %zu live\n", r.lookups, r.live);
    is_u(r.torn, 0, "reader: no LIVE lookup mixed two tokens' fields");
    is_u(count_live(), 0, "threads: nothing left live");
}

/* ---- the lock: lookups never take it; fork with it held ---- */

static void test_lock(void)
{
    void *h;
    struct nvm_tok t, o;
    issue(0x40000, 64, &h, &t);
    alarm(10); /* a deadlock fails the test instead of hanging it */
    nvm_token_lock();
    is_st(nvm_token_lookup(h, &o), NVM_TOK_LIVE, "lock: lookup works while the table lock is held");
    pid_t pid = fork();
    if (pid == 0) {
        /* the child inherited the lock held; reset it, then the table works */
        nvm_token_reset_lock();
        void *c;
        struct nvm_tok ct;
        if (nvm_token_new(0x50000, 64, 0, &c, &ct) != 0)
            _exit(1);
        if (nvm_token_free(c, 0, &ct) != NVM_TOK_LIVE)
            _exit(2);
        if (nvm_token_lookup(h, &ct) != NVM_TOK_LIVE)
            _exit(3);
        _exit(0);
    }
    nvm_token_unlock();
    int status = -1;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "lock: a child forked with the lock held can reset it and use the table");
    is_st(release(h, &o), NVM_TOK_LIVE, "lock: free after unlock");
    alarm(0);
}

/* ---- a full table ---- */

static void test_full(void)
{
    void **h = malloc(((size_t)NVM_MAX_TOKENS + 10) * sizeof *h);
    struct nvm_tok o;
    size_t n = 0;
    while (n < NVM_MAX_TOKENS + 10 && nvm_token_new(n * 64, 64, 0, &h[n], &o) == 0)
        n++;
    is_u(n, NVM_MAX_TOKENS, "full: exactly NVM_MAX_TOKENS live tokens fit");
    void *sentinel = (void *)0x5e5e, *hh = sentinel;
    struct nvm_tok so;
    memset(&so, 0x77, sizeof so);
    is_u(nvm_token_new(1, 1, 0, &hh, &so), (uint64_t)-1, "full: new fails with -1");
    ok(hh == sentinel && so.base == 0x7777777777777777ull, "full: a failed new writes nothing");
    hh = sentinel;
    is_u((uint32_t)nvm_api_get(&o, sizeof o, &hh), (uint32_t)STATUS_INSUFFICIENT_RESOURCES,
         "full: RtlGetNonVolatileToken says STATUS_INSUFFICIENT_RESOURCES");
    ok(hh == sentinel, "full: and leaves *NvToken alone");
    is_u(count_live(), NVM_MAX_TOKENS, "full: each_live visits them all");

    size_t victim = 12345;
    struct nvm_tok vt;
    is_st(nvm_token_free(h[victim], 0, &vt), NVM_TOK_LIVE, "full: free one");
    void *again;
    is_u(nvm_token_new(0xABC000, 7, 0, &again, &o), 0, "full: one free slot is reused at once");
    is_u(o.slot, vt.slot, "full: it is the freed slot");
    is_st(nvm_token_lookup(h[victim], &o), NVM_TOK_UNKNOWN, "full: the old handle is UNKNOWN");
    is_st(nvm_token_lookup(again, &o), NVM_TOK_LIVE, "full: the new one is live");
    is_u(o.base, 0xABC000, "full: with its base");
    is_u(nvm_token_new(1, 1, 0, &hh, &o), (uint64_t)-1, "full: full again");
    h[victim] = again;

    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong += nvm_token_free(h[i], 0, &o) != NVM_TOK_LIVE;
    is_u(wrong, 0, "full: every token freed");
    is_u(count_live(), 0, "full: none live");
    is_u(nvm_token_new(0x1000, 64, 0, &hh, &o), 0, "full: the table works again");
    is_st(nvm_token_free(hh, 0, &o), NVM_TOK_LIVE, "full: and frees");
    free(h);
}

int main(void)
{
    fifo = malloc((size_t)NVM_MAX_TOKENS * sizeof *fifo);
    last_handle = calloc(NVM_MAX_TOKENS, sizeof *last_handle);
    created_note = calloc(NVM_MAX_TOKENS, sizeof *created_note);
    test_roundtrip();
    test_forged();
    test_reuse();
    test_many();
    is_u(live_now, 0, "single-threaded tests leave nothing live");
    test_threads();
    test_lock();
    test_full();
    free(fifo);
    free(last_handle);
    free(created_note);
    return done_testing();
}
