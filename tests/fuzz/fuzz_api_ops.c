/* fuzz_api_ops.c -- the API fuzzer's calls, and the model that judges them.
 *
 * The model is DESIGN.md section 2 read literally: a call is bad when its token is
 * not a live one (the default token is allowed only where there is no destination
 * to check: flush, flush ranges, drain), its flags have unknown bits or NO_DRAIN
 * without FLUSH or with NON_TEMPORAL, a non-empty range starts at NULL or runs past
 * the top of the address space, or a range is not inside the token's region. The
 * checks go in the documented order -- token, flags, pointers, region -- and the
 * first failure names the finding. Address arithmetic is done in 128 bits so that
 * the model cannot wrap where the library must not.
 */
#include "fuzz_api.h"

#include "nvmem/ops.h"

#include <stdio.h>
#include <string.h>

#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN
#define SWEEP_KINDS (1u << NV_K_UNFLUSHED_WRITE | 1u << NV_K_UNDRAINED_FLUSH)

typedef unsigned __int128 u128;

/* ---- the model ---- */

#define M(x)                                                                                       \
    do {                                                                                           \
        int k_ = (x);                                                                              \
        if (k_ != FZ_VALID)                                                                        \
            return k_;                                                                             \
    } while (0)

static int m_token(const void *h, int allow_default, struct fz_tok **t)
{
    *t = NULL;
    if (h == FZ_DEFAULT_TOKEN)
        return allow_default ? FZ_VALID : NV_K_INVALID_TOKEN;
    for (int i = 0; i < FZ_NTOK; i++)
        if (fz.tok[i].live && fz.tok[i].h == h)
            *t = &fz.tok[i];
    return *t ? FZ_VALID : NV_K_INVALID_TOKEN;
}

static int m_wflags(ULONG f)
{
    if ((f & ~(ULONG)(FL | NT | ND)) || ((f & ND) && !(f & FL)) || ((f & ND) && (f & NT)))
        return NV_K_INVALID_ARGUMENT;
    return FZ_VALID;
}

static int m_fflags(ULONG f)
{
    return f & ~(ULONG)FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN ? NV_K_INVALID_ARGUMENT : FZ_VALID;
}

static int m_span(uintptr_t a, size_t n)
{
    return a == 0 || (u128)a + n > UINTPTR_MAX ? NV_K_INVALID_ARGUMENT : FZ_VALID;
}

static int m_inside(const struct fz_tok *t, uintptr_t a, size_t n)
{
    if (!t) /* the default token: no region to be inside of */
        return FZ_VALID;
    return a >= t->base && (u128)a + n <= (u128)t->base + t->size ? FZ_VALID : NV_K_OUT_OF_REGION;
}

static int m_store(void *h, uintptr_t dst, uintptr_t src, int with_src, size_t n, ULONG flags)
{
    struct fz_tok *t;
    M(m_token(h, 0, &t));
    M(m_wflags(flags));
    if (n == 0)
        return FZ_VALID;
    M(m_span(dst, n));
    if (with_src)
        M(m_span(src, n));
    return m_inside(t, dst, n);
}

/* ours -- the buffer holding all of [a, a+n), or -1: what a valid call may touch. */
static int ours(uintptr_t a, size_t n)
{
    for (int b = 0; b < FZ_NBUF; b++)
        if (a >= (uintptr_t)fz.buf[b].p &&
            (u128)a + n <= (u128)(uintptr_t)fz.buf[b].p + fz.buf[b].n)
            return b;
    return -1;
}

/* ---- the calls ---- */

#define SAY(...) snprintf(fz.call, sizeof fz.call, __VA_ARGS__)

/* A bad call again, through libnvmem's unchecked routine (what runs when the checker
 * is off, or busy on this thread): rejected alike, and just as harmless. */
#define UNCHECKED(kind, call)                                                                      \
    do {                                                                                           \
        if ((kind) != FZ_VALID) {                                                                  \
            struct fz_call c2;                                                                     \
            fz_before(&c2);                                                                        \
            fz_unchecked(&c2, (call));                                                             \
        }                                                                                          \
    } while (0)

static void op_get(struct fz_in *in)
{
    struct fz_tok *t = &fz.tok[fz_take(in, 1) % FZ_NTOK];
    uintptr_t buf = fz_addr(in);
    size_t size = fz_size(in, buf);
    int null_out = (fz_take(in, 1) & 15) == 0;
    if (t->live)
        return; /* keep every live handle known, so that all can be freed */
    int kind = null_out || size == 0 ? NV_K_INVALID_ARGUMENT : m_span(buf, size);
    void *const unset = (void *)(uintptr_t)0x5a5a5a5a5a5a5a5aull;
    void *h = unset;
    struct fz_call c;
    SAY("RtlGetNonVolatileToken(%#lx, %#zx, %s)", (unsigned long)buf, size,
        null_out ? "NULL" : "&h");
    fz_before(&c);
    NTSTATUS st = RtlGetNonVolatileToken((PVOID)buf, size, null_out ? NULL : &h);
    if (kind != FZ_VALID && h != unset)
        fz_fail("a rejected call stored a token (%p)", h);
    fz_check(&c, st, kind, 0);
    UNCHECKED(kind, nvm_api_get((PVOID)buf, size, null_out ? NULL : &h));
    if (kind != FZ_VALID) {
        if (h != unset)
            fz_fail("libnvmem: a rejected call stored a token (%p)", h);
        return;
    }
    struct fz_tok *dup;
    if (h == NULL || h == FZ_DEFAULT_TOKEN || m_token(h, 0, &dup) == FZ_VALID)
        fz_fail("the new token %p is NULL, the default token or a live one", h);
    *t = (struct fz_tok){h, buf, size, 1, 1};
}

static void free_token(void *h)
{
    struct fz_tok *t;
    int kind = m_token(h, 0, &t);
    struct fz_call c;
    SAY("RtlFreeNonVolatileToken(%p)", h);
    fz_before(&c);
    NTSTATUS st = RtlFreeNonVolatileToken(h);
    fz_check(&c, st, kind, kind == FZ_VALID ? SWEEP_KINDS : 0);
    UNCHECKED(kind, nvm_api_free(h));
    if (t)
        t->live = 0;
}

void fz_free_live(int i)
{
    free_token(fz.tok[i].h);
}

static void op_store(struct fz_in *in, int fill)
{
    static uint8_t want[FZ_REGION];
    void *h = fz_token(in);
    uintptr_t dst = fz_addr(in), src = fill ? 0 : fz_addr(in);
    size_t n = fz_size(in, dst);
    ULONG flags = fz_wflags(in);
    UCHAR value = (UCHAR)fz_take(in, 1);
    int kind = m_store(h, dst, src, !fill, n, flags);
    int b = ours(dst, n);
    if (kind == FZ_VALID && n && (b < 0 || (!fill && ours(src, n) < 0))) {
        fz_skip(); /* valid, but not our memory: the caller's contract */
        return;
    }
    int lands = kind == FZ_VALID && n; /* the bytes that must change, and to what */
    if (lands)
        fill ? memset(want, value, n) : memcpy(want, (const void *)src, n);
    struct fz_call c;
    if (fill)
        SAY("RtlFillNonVolatileMemory(%p, %#lx, %#zx, %#x, %#x)", h, (unsigned long)dst, n, value,
            flags);
    else
        SAY("RtlWriteNonVolatileMemory(%p, %#lx, %#lx, %#zx, %#x)", h, (unsigned long)dst,
            (unsigned long)src, n, flags);
    fz_before(&c);
    NTSTATUS st = fill ? RtlFillNonVolatileMemory(h, (void *)dst, n, value, flags)
                       : RtlWriteNonVolatileMemory(h, (void *)dst, (void *)src, n, flags);
    if (lands)
        memcpy(fz.buf[b].mirror + (dst - (uintptr_t)fz.buf[b].p), want, n);
    fz_check(&c, st, kind, 0);
    UNCHECKED(kind, fill ? nvm_api_fill(h, (void *)dst, n, value, flags)
                         : nvm_api_write(h, (void *)dst, (void *)src, n, flags));
}

static void op_flush(struct fz_in *in)
{
    void *h = fz_token(in);
    uintptr_t a = fz_addr(in);
    size_t n = fz_size(in, a);
    ULONG flags = fz_fflags(in);
    struct fz_tok *t;
    int kind = m_token(h, 1, &t);
    if (kind == FZ_VALID)
        kind = m_fflags(flags);
    if (kind == FZ_VALID && n && (kind = m_span(a, n)) == FZ_VALID)
        kind = m_inside(t, a, n);
    if (kind == FZ_VALID && n && ours(a, n) < 0) {
        fz_skip();
        return;
    }
    struct fz_call c;
    SAY("RtlFlushNonVolatileMemory(%p, %#lx, %#zx, %#x)", h, (unsigned long)a, n, flags);
    fz_before(&c);
    fz_check(&c, RtlFlushNonVolatileMemory(h, (PVOID)a, n, flags), kind, 0);
    UNCHECKED(kind, nvm_api_flush(h, (PVOID)a, n, flags));
}

/* m_ranges -- the model; *reads: the call gets as far as reading the elements. */
static int m_ranges(void *h, const struct fz_ranges *r, ULONG flags, int *reads)
{
    struct fz_tok *t;
    *reads = 0;
    M(m_token(h, 1, &t));
    M(m_fflags(flags));
    if (r->nr == 0)
        return FZ_VALID;
    if (r->nr > SIZE_MAX / sizeof(NV_MEMORY_RANGE))
        return NV_K_INVALID_ARGUMENT;
    M(m_span(r->p, r->nr * sizeof(NV_MEMORY_RANGE)));
    *reads = 1;
    for (size_t i = 0; i < r->nr && i < r->placed; i++) {
        uintptr_t a = (uintptr_t)r->e[i].BaseAddress;
        if (r->e[i].Length == 0)
            continue;
        M(m_span(a, r->e[i].Length));
        M(m_inside(t, a, r->e[i].Length));
    }
    return FZ_VALID;
}

static void op_ranges(struct fz_in *in)
{
    struct fz_ranges r;
    void *h = fz_token(in);
    ULONG flags = fz_fflags(in);
    fz_ranges(in, &r);
    int reads, kind = m_ranges(h, &r, flags, &reads);
    int contract = !reads || (r.p == r.at && r.nr <= r.placed);
    for (size_t i = 0; contract && kind == FZ_VALID && i < r.placed; i++)
        contract = r.e[i].Length == 0 || ours((uintptr_t)r.e[i].BaseAddress, r.e[i].Length) >= 0;
    if (!contract) {
        fz_skip(); /* an array shorter than NumRanges says, or memory not ours */
        return;
    }
    struct fz_call c;
    SAY("RtlFlushNonVolatileMemoryRanges(%p, %#lx, %#zx, %#x) placed %zu", h, (unsigned long)r.p,
        r.nr, flags, r.placed);
    fz_before(&c);
    fz_check(&c, RtlFlushNonVolatileMemoryRanges(h, (PNV_MEMORY_RANGE)r.p, r.nr, flags), kind, 0);
    UNCHECKED(kind, nvm_api_flush_ranges(h, (PNV_MEMORY_RANGE)r.p, r.nr, flags));
}

static void op_drain(struct fz_in *in)
{
    void *h = fz_token(in);
    struct fz_tok *t;
    int kind = m_token(h, 1, &t);
    struct fz_call c;
    SAY("RtlDrainNonVolatileFlush(%p)", h);
    fz_before(&c);
    fz_check(&c, RtlDrainNonVolatileFlush(h), kind, 0);
    UNCHECKED(kind, nvm_api_drain(h));
}

void fz_step(struct fz_in *in)
{
    switch (fz_take(in, 1) % 13) {
    case 0:
    case 1:
        op_get(in);
        break;
    case 2:
        free_token(fz_token(in));
        break;
    case 3:
    case 4:
    case 5:
        op_store(in, 0);
        break;
    case 6:
    case 7:
        op_store(in, 1);
        break;
    case 8:
    case 9:
        op_flush(in);
        break;
    case 10:
    case 11:
        op_ranges(in);
        break;
    default:
        op_drain(in);
        break;
    }
}
