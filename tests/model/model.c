/* model.c -- the reference model: NV memory as an array of bytes, one call at a time.
 *
 * Written from DESIGN.md section 3, reports/kinds.md and the flag table in
 * preload/checker.c, not from the engine: per byte a state, the site of the write
 * that last dirtied it, the site of the last flush of its line and the SET of threads
 * that flushed it since it was dirtied. A flush of any byte flushes its whole 64-byte
 * line; a drain by thread t makes CLEAN every FLUSHED byte whose set holds t (with
 * drain=global: every FLUSHED byte), so a line flushed by two threads is persisted by
 * either one's drain and by no third thread's. Slow (every call walks its bytes) and
 * obviously right is the point; the engine is the fast one.
 *
 * A token's free sweeps the bytes of its region that no other live token's region
 * covers (an overlapping token still covering them may yet flush them).
 *
 * Argument checks are in checks.c, findings and their merging in mfind.c: together
 * they predict the finding list of a raw report exactly.
 */
#include "model.h"
#include "mfind.h"

#include <stdlib.h>
#include <string.h>

#define LINE 64u
#define ALL_THREADS ((1u << MODEL_THREADS) - 1)

enum { CLEAN, DIRTY, FLUSHED };

struct mbyte {
    uint8_t st, ws, fs, fl; /* state, write site, flush site, flushing threads (bit t-1) */
};

/* An array of bytes standing for [base, base+len); every byte not CLEAN is in lo..hi. */
struct area {
    uintptr_t base;
    size_t len, lo, hi, cap;
    struct mbyte *b;
};

/* A region whose token was never freed: its state waits for exit. Nothing can flush
 * it any more; each thread's first later drain persists what that thread flushed. */
struct leak {
    struct area a;
    struct mtok tok;
    long seq;
    unsigned drained; /* threads that drained since (ALL_THREADS: any, with global drain) */
};

static struct {
    int global_drain;
    long seq;
    struct area cur;
    struct leak *leaks;
    size_t nleaks, capleaks;
    struct mtok *live; /* the tokens live now */
    size_t nlive, caplive;
} m;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "model: out of memory\n");
        exit(99);
    }
    return p;
}

void model_init(int global_drain)
{
    m.global_drain = global_drain;
    mf_init();
}

void model_seq_begin(long seq, uintptr_t lo, size_t len)
{
    if (len > m.cur.cap) {
        free(m.cur.b);
        m.cur.b = xcalloc(len, sizeof *m.cur.b);
        m.cur.cap = len;
    }
    m.cur.base = lo;
    m.cur.len = len;
    m.cur.lo = len;
    m.cur.hi = 0;
    m.seq = seq;
    mf_seq(seq);
}

/* at -- the byte at address a, which the test keeps inside the current sequence. */
static struct mbyte *at(uintptr_t a)
{
    if (a < m.cur.base || a - m.cur.base >= m.cur.len) {
        fprintf(stderr, "model: address %#lx outside sequence %ld\n", (unsigned long)a, m.seq);
        abort();
    }
    return &m.cur.b[a - m.cur.base];
}

static void touched(uintptr_t a, uintptr_t e)
{
    size_t lo = a - m.cur.base, hi = e - m.cur.base;
    if (lo < m.cur.lo)
        m.cur.lo = lo;
    if (hi > m.cur.hi)
        m.cur.hi = hi;
}

static uintptr_t line_down(uintptr_t a)
{
    return a & ~(uintptr_t)(LINE - 1);
}

static uintptr_t line_up(uintptr_t a)
{
    return line_down(a + LINE - 1);
}

/* flusher -- the thread a finding names: the only flusher, or "any" when several. */
static int flusher(const struct mbyte *b)
{
    if (b->st != FLUSHED)
        return 0;
    for (int t = 1; t <= MODEL_THREADS; t++)
        if (b->fl == 1u << (t - 1))
            return t;
    return MF_ANY_THREAD;
}

/* ---- the transitions ---- */

static void store(uintptr_t a, size_t n, int site, int state, int t)
{
    for (size_t i = 0; i < n; i++) {
        struct mbyte *b = at(a + i);
        b->st = (uint8_t)state;
        b->ws = (uint8_t)site;
        b->fs = state == FLUSHED ? (uint8_t)site : 0;
        b->fl = state == FLUSHED ? (uint8_t)(1u << (t - 1)) : 0;
    }
    touched(a, a + n);
}

/* flush -- thread t writes back every line [a, a+n) touches; 1 if a byte was DIRTY. */
static int flush(int t, int site, uintptr_t a, size_t n)
{
    int had_dirty = 0;
    for (uintptr_t p = line_down(a); p < line_up(a + n); p++) {
        struct mbyte *b = at(p);
        if (b->st == CLEAN)
            continue;
        had_dirty |= b->st == DIRTY;
        b->st = FLUSHED;
        b->fs = (uint8_t)site;
        b->fl |= (uint8_t)(1u << (t - 1));
    }
    return had_dirty;
}

static void drain_area(struct area *ar, unsigned threads)
{
    for (size_t i = ar->lo; i < ar->hi; i++) {
        struct mbyte *b = &ar->b[i];
        if (b->st == FLUSHED && (b->fl & threads))
            memset(b, 0, sizeof *b);
    }
}

static void drain(int t)
{
    unsigned threads = m.global_drain ? ALL_THREADS : 1u << (t - 1);
    drain_area(&m.cur, threads);
    for (size_t k = 0; k < m.nleaks; k++)
        m.leaks[k].drained |= threads;
}

/* overwritten -- the first run of DIRTY bytes of one write site in [a, a+n). */
static void overwritten(int site, int routine, uintptr_t a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct mbyte *b = at(a + i);
        if (b->st != DIRTY)
            continue;
        size_t j = i + 1;
        while (j < n && at(a + j)->st == DIRTY && at(a + j)->ws == b->ws)
            j++;
        mf_overwritten(site, routine, b->ws, a + i, j - i);
        return;
    }
}

/* sweep -- every byte of [lo, hi) in ar not CLEAN becomes a finding (token free or
 * exit): maximal runs of bytes with the same write, flush and flusher. */
static void sweep(struct area *ar, uintptr_t lo, uintptr_t hi, int freed_site,
                  const struct mtok *region)
{
    size_t i = lo - ar->base, e = hi - ar->base;
    if (i < ar->lo)
        i = ar->lo;
    if (e > ar->hi)
        e = ar->hi;
    while (i < e) {
        struct mbyte *b = &ar->b[i];
        if (b->st == CLEAN) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < e && ar->b[j].st != CLEAN && ar->b[j].ws == b->ws && ar->b[j].fs == b->fs &&
               flusher(&ar->b[j]) == flusher(b))
            j++;
        mf_state(b->ws, b->fs, flusher(b), freed_site, region, ar->base + i, j - i);
        memset(&ar->b[i], 0, (j - i) * sizeof *b);
        i = j;
    }
}

/* ---- the routines ---- */

NTSTATUS model_get(int t, uintptr_t buf, size_t size, int out_is_null)
{
    (void)t;
    return mf_check_get(buf, size, out_is_null);
}

void model_issued(const struct mtok *tk)
{
    if (m.nlive == m.caplive) {
        m.caplive = m.caplive ? 2 * m.caplive : 16;
        m.live = realloc(m.live, m.caplive * sizeof *m.live);
        if (!m.live)
            exit(99);
    }
    m.live[m.nlive++] = *tk;
}

/* covered -- some live token's region holds address a. */
static int covered(uintptr_t a)
{
    for (size_t k = 0; k < m.nlive; k++)
        if (a >= m.live[k].base && a - m.live[k].base < m.live[k].size)
            return 1;
    return 0;
}

/* A freed token's region is swept where no other live token's region covers it: the
 * bytes there wait for the token that still covers them. */
NTSTATUS model_free(int t, uintptr_t tok, struct mtok *tk)
{
    (void)t;
    NTSTATUS st = mf_check_token(S_free, R_FREE, tok, tk, 0);
    if (st != STATUS_SUCCESS)
        return st;
    tk->live = 0;
    for (size_t k = 0; k < m.nlive; k++)
        if (m.live[k].handle == tk->handle)
            m.live[k] = m.live[--m.nlive];
    for (uintptr_t a = tk->base, e = tk->base + tk->size; a < e;) {
        if (covered(a)) {
            a++;
            continue;
        }
        uintptr_t b = a + 1;
        while (b < e && !covered(b))
            b++;
        sweep(&m.cur, a, b, S_free, tk);
        a = b;
    }
    return st;
}

#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN

NTSTATUS model_store(int t, int fill, uintptr_t tok, const struct mtok *tk, uintptr_t dst,
                     uintptr_t src, size_t n, ULONG flags)
{
    int site = model_store_site(fill, flags), routine = fill ? R_FILL : R_WRITE;
    NTSTATUS st = mf_check_store(site, routine, tok, tk, dst, src, n, flags);
    if (st != STATUS_SUCCESS)
        return st;
    if (n == 0) { /* nothing stored; FLUSH without NO_DRAIN still drains */
        if ((flags & FL) && !(flags & ND))
            drain(t);
        return st;
    }
    overwritten(site, routine, dst, n);
    if (flags & NT)
        store(dst, n, site, FLUSHED, t); /* streaming stores bypass the cache */
    else
        store(dst, n, site, DIRTY, t);
    if ((flags & (FL | NT)) == FL)
        flush(t, site, dst, n);
    if ((flags & FL) && !(flags & ND))
        drain(t);
    return st;
}

NTSTATUS model_flush(int t, uintptr_t tok, const struct mtok *tk, uintptr_t buf, size_t n,
                     ULONG flags)
{
    int site = model_flush_site(0, flags);
    NTSTATUS st = mf_check_flush(site, tok, tk, buf, n, flags);
    if (st != STATUS_SUCCESS)
        return st;
    if (n && !flush(t, site, buf, n))
        mf_redundant(site, R_FLUSH, buf, n);
    if (!(flags & FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN))
        drain(t);
    return st;
}

NTSTATUS model_ranges(int t, uintptr_t tok, const struct mtok *tk, const void *ranges, size_t nr,
                      ULONG flags)
{
    int site = model_flush_site(1, flags);
    NTSTATUS st = mf_check_ranges(site, tok, tk, ranges, nr, flags);
    if (st != STATUS_SUCCESS)
        return st;
    for (size_t i = 0; i < nr; i++) {
        NV_MEMORY_RANGE r;
        memcpy(&r, (const char *)ranges + i * sizeof r, sizeof r);
        if (r.Length && !flush(t, site, (uintptr_t)r.BaseAddress, r.Length))
            mf_redundant(site, R_RANGES, (uintptr_t)r.BaseAddress, r.Length);
    }
    if (!(flags & FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN))
        drain(t);
    return st;
}

NTSTATUS model_drain(int t, uintptr_t tok, const struct mtok *tk)
{
    NTSTATUS st = mf_check_token(S_drain, R_DRAIN, tok, tk, 1);
    if (st == STATUS_SUCCESS)
        drain(t);
    return st;
}

/* ---- sequences and exit ---- */

/* keep -- the leaked region's bytes wait for exit, in an area of their own. */
static void keep(const struct mtok *tk)
{
    if (m.nleaks == m.capleaks) {
        m.capleaks = m.capleaks ? 2 * m.capleaks : 16;
        m.leaks = realloc(m.leaks, m.capleaks * sizeof *m.leaks);
        if (!m.leaks)
            exit(99);
    }
    struct leak *l = &m.leaks[m.nleaks++];
    memset(l, 0, sizeof *l);
    l->tok = *tk;
    l->seq = m.seq;
    l->a.base = tk->base;
    l->a.len = tk->size;
    l->a.b = xcalloc(tk->size, sizeof *l->a.b);
    l->a.lo = 0;
    l->a.hi = tk->size;
    for (size_t i = 0; i < tk->size; i++) {
        l->a.b[i] = *at(tk->base + i);
        memset(at(tk->base + i), 0, sizeof(struct mbyte));
    }
}

void model_seq_end(const struct mtok *leaked)
{
    if (leaked)
        keep(leaked);
    for (size_t i = m.cur.lo; i < m.cur.hi; i++) {
        if (m.cur.b[i].st != CLEAN) {
            fprintf(stderr, "model: sequence %ld left state outside its regions\n", m.seq);
            abort();
        }
    }
    if (m.cur.lo < m.cur.hi)
        memset(&m.cur.b[m.cur.lo], 0, (m.cur.hi - m.cur.lo) * sizeof *m.cur.b);
}

void model_exit(void)
{
    for (size_t k = 0; k < m.nleaks; k++) {
        struct leak *l = &m.leaks[k];
        mf_seq(l->seq);
        drain_area(&l->a, l->drained);
        mf_leaked(&l->tok);
        sweep(&l->a, l->a.base, l->a.base + l->a.len, 0, &l->tok);
        free(l->a.b);
    }
    free(m.leaks);
    free(m.cur.b);
    free(m.live);
    memset(&m, 0, sizeof m);
}
