/* calls.c -- one API call, told to the model and made for real; and directed cases.
 *
 * The model is asked first (what the call must return, what it does to the bytes),
 * then a worker thread makes the call; a different status is a mismatch, counted and
 * printed with the seed and the sequence. The directed cases (MODEL_CASE=NAME) are
 * short fixed sequences for behaviours worth a test of their own: the smallest
 * sequence that shows a disagreement goes here, so it stays a test after the fix.
 */
#include "gen.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN
#define FND FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN

/* Calls wait in a queue while they go to the same thread, and are handed over
 * together: a hand-over costs two context switches, more than most calls. A call
 * whose result is needed (get) or a change of thread runs the queue first. */
#define QUEUE 64
static struct {
    struct op op[QUEUE];
    NTSTATUS want[QUEUE];
    struct caller *x;
    int n, t;
} q;

void call_sync(void)
{
    if (!q.n)
        return;
    run_on(q.t, q.op, q.n);
    for (int i = 0; i < q.n; i++) {
        struct op *o = &q.op[i];
        q.x->st->calls++;
        if (o->got == q.want[i])
            continue;
        fprintf(stderr,
                "modelcheck: seed %lu sequence %ld: %s on T%d returned 0x%x, the model says "
                "0x%x\n",
                q.x->c->seed, q.x->seq, model_site_names[o->site], q.t, (unsigned)o->got,
                (unsigned)q.want[i]);
        q.x->st->mismatches++;
    }
    q.n = 0;
}

static NTSTATUS call(struct caller *x, struct op *o, NTSTATUS want)
{
    if (x->c->trace)
        fprintf(stderr, "seq %ld T%d %s tok %#lx p %#lx src %#lx n %#zx flags %#x -> %#x\n", x->seq,
                x->t, model_site_names[o->site], (unsigned long)o->tok, (unsigned long)o->p,
                (unsigned long)o->src, o->n, (unsigned)o->flags, (unsigned)want);
    if (q.n && (q.t != x->t || q.x != x || q.n == QUEUE))
        call_sync();
    q.op[q.n] = *o;
    q.want[q.n++] = want;
    q.t = x->t;
    q.x = x;
    x->st->by_site[o->site][want != STATUS_SUCCESS]++;
    return want;
}

NTSTATUS call_store(struct caller *x, int fill, uintptr_t tok, const struct mtok *tk, uintptr_t dst,
                    const void *src, size_t n, ULONG flags)
{
    NTSTATUS want = model_store(x->t, fill, tok, tk, dst, (uintptr_t)src, n, flags);
    struct op o = {.site = model_store_site(fill, flags),
                   .tok = (PVOID)tok,
                   .p = (void *)dst,
                   .src = (void *)src,
                   .n = n,
                   .flags = flags,
                   .val = (UCHAR)(dst ^ n)};
    return call(x, &o, want);
}

NTSTATUS call_flush(struct caller *x, uintptr_t tok, const struct mtok *tk, uintptr_t buf, size_t n,
                    ULONG flags)
{
    NTSTATUS want = model_flush(x->t, tok, tk, buf, n, flags);
    struct op o = {.site = model_flush_site(0, flags),
                   .tok = (PVOID)tok,
                   .p = (void *)buf,
                   .n = n,
                   .flags = flags};
    return call(x, &o, want);
}

NTSTATUS call_ranges(struct caller *x, uintptr_t tok, const struct mtok *tk, const void *ranges,
                     size_t nr, ULONG flags)
{
    NTSTATUS want = model_ranges(x->t, tok, tk, ranges, nr, flags);
    struct op o = {.site = model_flush_site(1, flags),
                   .tok = (PVOID)tok,
                   .p = (void *)ranges,
                   .n = nr,
                   .flags = flags};
    return call(x, &o, want);
}

NTSTATUS call_drain(struct caller *x, uintptr_t tok, const struct mtok *tk)
{
    NTSTATUS want = model_drain(x->t, tok, tk);
    struct op o = {.site = S_drain, .tok = (PVOID)tok};
    return call(x, &o, want);
}

NTSTATUS call_get(struct caller *x, uintptr_t buf, size_t size, int out_null, struct mtok *tk)
{
    PVOID h = NULL;
    NTSTATUS want = model_get(x->t, buf, size, out_null);
    struct op o = {.site = S_get, .p = (void *)buf, .n = size, .out = out_null ? NULL : &h};
    call_sync();
    call(x, &o, want);
    call_sync(); /* the token is needed now */
    o.got = q.op[0].got;
    *tk = (struct mtok){(uintptr_t)h, buf, size, o.got == STATUS_SUCCESS};
    if (tk->live)
        model_issued(tk);
    return want;
}

NTSTATUS call_free(struct caller *x, uintptr_t tok, struct mtok *tk)
{
    NTSTATUS want = model_free(x->t, tok, tk);
    struct op o = {.site = S_free, .tok = (PVOID)tok};
    return call(x, &o, want);
}

/* ---- directed cases ---- */

struct step {
    int t;
    char what; /* w: write, f: fill, F: flush, D: drain */
    ULONG flags;
    unsigned off, n;
};

/* DESIGN.md 3: a line flushed by T1 and T2 is persisted by T2's drain; a line only
 * T1 flushed is not. */
static const struct step either_drains[] = {
    {1, 'w', FL | ND, 0, 64},  {2, 'F', FND, 0, 64}, {2, 'D', 0, 0, 0},
    {1, 'w', FL | ND, 64, 64}, {2, 'D', 0, 0, 0},
};
/* ... and by no third thread's: T3 flushed only another line of the same 4 KiB. */
static const struct step third_thread_drain[] = {
    {1, 'w', FL | ND, 0, 64},
    {2, 'F', FND, 0, 64},
    {3, 'w', FL | ND, 128, 64},
    {3, 'D', 0, 0, 0},
};
/* Overwriting 200 dirty bytes that straddle a 4 KiB boundary overwrites 200 bytes. */
static const struct step overwrite_across_4k[] = {
    {1, 'w', 0, 4000, 200},
    {1, 'w', 0, 4000, 200},
    {1, 'F', 0, 4000, 200},
};

/* The lowest dirty bytes a write lands on are the ones reported, however far apart.
 * (Placed across a 2 GiB boundary, and covering more 4 KiB chunks than hold state:
 * the engine then scans its tables instead of walking the range.) */
static const struct step overwrite_lowest_first[] = {
    {1, 'w', 0, 100, 1},
    {1, 'w', 0, (512u << 10) + 100, 1},
    {1, 'w', FL | WRITE_NV_MEMORY_FLAG_NON_TEMPORAL, 0, 1u << 20},
};

#define CASE(name, steps, region, far)                                                             \
    {                                                                                              \
        name, steps, sizeof steps / sizeof *steps, region, far                                     \
    }
static const struct dcase {
    const char *name;
    const struct step *s;
    size_t n, region;
    int far; /* placed across a 2 GiB boundary, in a mapping of its own */
} cases[] = {
    CASE("either-drains", either_drains, 4096, 0),
    CASE("third-thread-drain", third_thread_drain, 4096, 0),
    CASE("overwrite-across-4k", overwrite_across_4k, 8192, 0),
    CASE("overwrite-lowest-first", overwrite_lowest_first, 1u << 20, 1),
};

/* place -- where case d's region goes. */
static uintptr_t place(const struct gen_config *c, const struct dcase *d)
{
    if (!d->far)
        return c->map;
    size_t g2 = (size_t)2 << 30;
    void *p = mmap(NULL, 2 * g2, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("modelcheck: mmap");
        exit(99);
    }
    return (((uintptr_t)p + d->region + g2 - 1) & ~(uintptr_t)(g2 - 1)) - d->region / 2;
}

int gen_case(const struct gen_config *c, const char *name, struct gen_stats *st)
{
    static unsigned char src[1u << 20];
    const struct dcase *d = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (!strcmp(cases[i].name, name))
            d = &cases[i];
    if (!d)
        return -1;
    struct caller x = {c, st, 0, 1};
    struct mtok tk;
    uintptr_t base = place(c, d);
    model_seq_begin(0, base, d->region);
    call_get(&x, base, d->region, 0, &tk);
    for (size_t i = 0; i < d->n; i++) {
        const struct step *s = &d->s[i];
        uintptr_t a = base + s->off;
        x.t = s->t;
        if (s->what == 'w' || s->what == 'f')
            call_store(&x, s->what == 'f', tk.handle, &tk, a, src, s->n, s->flags);
        else if (s->what == 'F')
            call_flush(&x, tk.handle, &tk, a, s->n, s->flags);
        else
            call_drain(&x, tk.handle, &tk);
    }
    x.t = 1;
    call_free(&x, tk.handle, &tk);
    call_sync();
    model_seq_end(NULL);
    st->seqs = 1;
    return 0;
}
