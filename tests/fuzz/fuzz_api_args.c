/* fuzz_api_args.c -- the API fuzzer's arguments, read from the input.
 *
 * Each argument takes a selector byte and mostly comes out ordinary (a pointer into
 * an NV buffer, a small size, a live token, a valid flag combination), so that long
 * valid sequences happen; the other choices are the hostile ones the issue lists:
 * NULL, the top of the address space, guard pages, sizes that wrap or reach exactly
 * (or one byte past) the end of a buffer or a region, freed, forged and default
 * tokens, unknown flag bits, and NV_MEMORY_RANGE arrays at odd addresses.
 */
#include "fuzz_api.h"

#include <string.h>

#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN

/* fz_take -- the next `bytes` bytes, little-endian; zeros past the end. */
uint64_t fz_take(struct fz_in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
        v |= (uint64_t)*in->p << (8 * i);
    return v;
}

/* fz_addr -- mostly inside a buffer; else NULL, the top of the address space, a guard
 * page, near a token's region, or anything at all. */
uintptr_t fz_addr(struct fz_in *in)
{
    unsigned sel = (unsigned)fz_take(in, 1);
    const struct fz_buf *b = &fz.buf[(sel >> 4) % (FZ_NREG + 1)];
    const struct fz_tok *t = &fz.tok[(sel >> 4) % FZ_NTOK];
    uintptr_t p = (uintptr_t)b->p;
    switch (sel & 15) {
    case 0:
        return 0;
    case 1:
        return UINTPTR_MAX - fz_take(in, 1);
    case 2:
        return fz_take(in, 8);
    case 3:
        return p - 1 - fz_take(in, 2) % FZ_PAGE; /* the guard page before */
    case 4:
        return p + b->n + fz_take(in, 2) % FZ_PAGE; /* the guard page after */
    case 5:
        return t->base + (uintptr_t)(int64_t)(int16_t)fz_take(in, 2);
    case 6:
        return p + (uintptr_t)(int64_t)(int16_t)fz_take(in, 2);
    default:
        return p + fz_take(in, 2) % b->n;
    }
}

/* buf_end -- the end of the buffer holding a, or 0. */
static uintptr_t buf_end(uintptr_t a)
{
    for (int b = 0; b < FZ_NBUF; b++)
        if (a >= (uintptr_t)fz.buf[b].p && a < (uintptr_t)fz.buf[b].p + fz.buf[b].n)
            return (uintptr_t)fz.buf[b].p + fz.buf[b].n;
    return 0;
}

/* fz_size -- for a range at a: mostly small; else zero, huge, just wrapping, reaching
 * the very top, or exactly (or one past) the end of a buffer or of a region. */
size_t fz_size(struct fz_in *in, uintptr_t a)
{
    unsigned sel = (unsigned)fz_take(in, 1);
    const struct fz_tok *t = &fz.tok[(sel >> 4) % FZ_NTOK];
    switch (sel & 15) {
    case 0:
        return 0;
    case 1:
        return SIZE_MAX - fz_take(in, 1);
    case 2:
        return fz_take(in, 8);
    case 3:
        return -a + fz_take(in, 1); /* a + n wraps, or ends at 2^64 */
    case 4:
        return UINTPTR_MAX - a - (fz_take(in, 1) & 1);
    case 5:
        return buf_end(a) - a + (fz_take(in, 1) & 1);
    case 6:
        return t->base + t->size - a + (fz_take(in, 1) & 1);
    case 7:
        return 1 + fz_take(in, 2) % FZ_REGION;
    default:
        return 1 + fz_take(in, 1);
    }
}

/* fz_token -- live or freed, the default token, NULL, one bit off a real one, or
 * made up (libFuzzer soon learns the handles' tag bits from the comparisons). */
void *fz_token(struct fz_in *in)
{
    unsigned sel = (unsigned)fz_take(in, 1);
    const struct fz_tok *t = &fz.tok[(sel >> 3) % FZ_NTOK];
    switch (sel & 7) {
    case 0:
        return NULL;
    case 1:
        return FZ_DEFAULT_TOKEN;
    case 2:
        return (void *)(uintptr_t)fz_take(in, 8);
    case 3:
        return t->used ? (void *)((uintptr_t)t->h ^ (uintptr_t)1 << (fz_take(in, 1) % 64))
                       : FZ_DEFAULT_TOKEN;
    default:
        return t->used ? t->h : FZ_DEFAULT_TOKEN;
    }
}

ULONG fz_wflags(struct fz_in *in)
{
    static const ULONG pick[] = {0,  FL,      NT,           FL | NT, FL | ND, 0,          FL,
                                 ND, NT | ND, FL | NT | ND, 0x4,     0x200,   0x80000000u};
    unsigned sel = (unsigned)fz_take(in, 1);
    return sel >= 240 ? (ULONG)fz_take(in, 4) : pick[sel % (sizeof pick / sizeof *pick)];
}

ULONG fz_fflags(struct fz_in *in)
{
    static const ULONG pick[] = {0, 1, 0, 1, 2, 0x100, 0x101, 0x80000000u};
    unsigned sel = (unsigned)fz_take(in, 1);
    return sel >= 240 ? (ULONG)fz_take(in, 4) : pick[sel % (sizeof pick / sizeof *pick)];
}

/* fz_ranges -- NumRanges (mostly a few; else 0, too many to count in bytes, or
 * anything) and up to FZ_ELEMS elements, copied into the array buffer so that they
 * end 0..15 bytes before its guard page (misaligned when that is odd); NvRanges
 * points at them, or is NULL, or near the top of the address space. */
void fz_ranges(struct fz_in *in, struct fz_ranges *r)
{
    unsigned sel = (unsigned)fz_take(in, 1);
    switch (sel & 7) {
    case 0:
        r->nr = 0;
        break;
    case 1:
        r->nr = SIZE_MAX / sizeof(NV_MEMORY_RANGE) + 1 + fz_take(in, 1);
        break;
    case 2:
        r->nr = fz_take(in, 8);
        break;
    default:
        r->nr = 1 + (sel >> 3) % FZ_ELEMS;
        break;
    }
    r->placed = r->nr < FZ_ELEMS ? r->nr : FZ_ELEMS;
    for (size_t i = 0; i < r->placed; i++) {
        uintptr_t a = fz_addr(in);
        r->e[i] = (NV_MEMORY_RANGE){(PVOID)a, fz_size(in, a)};
    }
    struct fz_buf *b = &fz.buf[FZ_ARR];
    size_t bytes = r->placed * sizeof(NV_MEMORY_RANGE);
    size_t at = b->n - bytes - fz_take(in, 1) % 16;
    memcpy(b->p + at, r->e, bytes);
    memcpy(b->mirror + at, r->e, bytes);
    r->at = (uintptr_t)(b->p + at);
    unsigned where = (unsigned)fz_take(in, 1);
    r->p = where == 0 ? 0 : where == 1 ? UINTPTR_MAX - fz_take(in, 1) : r->at;
}
