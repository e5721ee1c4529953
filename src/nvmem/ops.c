/* ops.c -- argument checks and the real work of the seven routines.
 *
 * Checks run in a fixed order -- token, flags, pointers, region -- and the first
 * failure wins, so a call has exactly one fault. Zero-size operations are no-ops that
 * still validate the token and flags (a bad token is a bug even when nothing moves).
 */
#include "ops.h"

#include "copy.h"
#include "cpu.h"

#include <string.h>

#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN

int nvm_is_default_token(const void *token)
{
    return (uintptr_t)token == FLUSH_NV_MEMORY_DEFAULT_TOKEN;
}

NTSTATUS nvm_status(enum nvm_err err)
{
    switch (err) {
    case NVM_OK:
        return STATUS_SUCCESS;
    case NVM_E_FULL:
        return STATUS_INSUFFICIENT_RESOURCES;
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

static enum nvm_err fail(struct nvm_fault *f, enum nvm_err err, const char *what, uintptr_t addr,
                         size_t size)
{
    f->err = err;
    f->what = what;
    f->addr = addr;
    f->size = size;
    return err;
}

/* token -- resolve a token; allow_default: the default token means "no region". */
static enum nvm_err token(const void *tok, int allow_default, struct nvm_fault *f)
{
    if (nvm_is_default_token(tok))
        return allow_default ? NVM_OK : fail(f, NVM_E_TOKEN_DEFAULT, "NvToken", 0, 0);
    switch (nvm_token_lookup(tok, &f->tok)) {
    case NVM_TOK_LIVE:
        f->has_tok = 1;
        return NVM_OK;
    case NVM_TOK_FREED:
        f->has_tok = 1;
        return fail(f, NVM_E_TOKEN_FREED, "NvToken", (uintptr_t)tok, 0);
    default:
        return fail(f, NVM_E_TOKEN_UNKNOWN, "NvToken", (uintptr_t)tok, 0);
    }
}

static enum nvm_err write_flags(ULONG flags, struct nvm_fault *f)
{
    f->flags = flags;
    if (flags & ~(ULONG)NVM_WRITE_FLAGS)
        return fail(f, NVM_E_FLAGS, "Flags", 0, 0);
    if ((flags & ND) && !(flags & FL))
        return fail(f, NVM_E_NO_DRAIN_ALONE, "Flags", 0, 0);
    if ((flags & ND) && (flags & NT))
        return fail(f, NVM_E_NO_DRAIN_NT, "Flags", 0, 0);
    return NVM_OK;
}

static enum nvm_err flush_flags(ULONG flags, struct nvm_fault *f)
{
    f->flags = flags;
    if (flags & ~(ULONG)NVM_FLUSH_FLAGS)
        return fail(f, NVM_E_FLAGS, "Flags", 0, 0);
    return NVM_OK;
}

/* span -- a non-empty pointer argument: not NULL, and its end (one past the last
 * byte) representable -- a range reaching the very top of the address space counts
 * as wrapping, since end-exclusive arithmetic on it would. */
static enum nvm_err span(const void *p, size_t n, const char *what, struct nvm_fault *f)
{
    uintptr_t a = (uintptr_t)p;
    if (!p)
        return fail(f, NVM_E_NULL, what, 0, n);
    if (n > UINTPTR_MAX - a)
        return fail(f, NVM_E_WRAP, what, a, n);
    return NVM_OK;
}

/* inside -- [p, p+n) within the token's region (n > 0, no wrap). */
static enum nvm_err inside(const void *p, size_t n, const char *what, struct nvm_fault *f)
{
    uintptr_t a = (uintptr_t)p;
    if (!f->has_tok)
        return NVM_OK; /* default token: any address */
    if (a >= f->tok.base && n <= f->tok.size && a - f->tok.base <= f->tok.size - n)
        return NVM_OK;
    return fail(f, NVM_E_OUT_OF_REGION, what, a, n);
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        enum nvm_err e_ = (x);                                                                     \
        if (e_ != NVM_OK)                                                                          \
            return e_;                                                                             \
    } while (0)

/* clear -- start a check. Only what success leaves readable is set here: the rest of
 * the fault is filled by fail() (a memset would cost ten stores on every call, and
 * stores between a flush and the next drain are what the hardware makes slow). */
static void clear(struct nvm_fault *f)
{
    f->err = NVM_OK;
    f->has_tok = 0;
    f->index = 0;
    f->flags = 0;
}

enum nvm_err nvm_check_get(const void *buf, size_t size, void *const *out, struct nvm_fault *f)
{
    clear(f);
    if (!out)
        return fail(f, NVM_E_NULL, "NvToken", 0, size);
    if (size == 0)
        return fail(f, NVM_E_EMPTY, "Size", (uintptr_t)buf, 0);
    return span(buf, size, "NvBuffer", f);
}

enum nvm_err nvm_check_free(const void *tok, uint32_t note, struct nvm_fault *f)
{
    clear(f);
    if (nvm_is_default_token(tok))
        return fail(f, NVM_E_TOKEN_DEFAULT, "NvToken", 0, 0);
    switch (nvm_token_free(tok, note, &f->tok)) {
    case NVM_TOK_LIVE:
        f->has_tok = 1;
        return NVM_OK;
    case NVM_TOK_FREED:
        f->has_tok = 1;
        return fail(f, NVM_E_TOKEN_FREED, "NvToken", (uintptr_t)tok, 0);
    default:
        return fail(f, NVM_E_TOKEN_UNKNOWN, "NvToken", (uintptr_t)tok, 0);
    }
}

/* check_store -- a write (with_src: of src) or a fill of [dst, dst+n). */
static enum nvm_err check_store(const void *tok, const void *dst, const void *src, int with_src,
                                size_t n, ULONG flags, struct nvm_fault *f)
{
    clear(f);
    TRY(token(tok, 0, f));
    TRY(write_flags(flags, f));
    if (n == 0)
        return NVM_OK;
    TRY(span(dst, n, "NvDestination", f));
    if (with_src)
        TRY(span(src, n, "Source", f));
    return inside(dst, n, "NvDestination", f);
}

enum nvm_err nvm_check_write(const void *tok, const void *dst, const void *src, size_t n,
                             ULONG flags, struct nvm_fault *f)
{
    return check_store(tok, dst, src, 1, n, flags, f);
}

enum nvm_err nvm_check_fill(const void *tok, const void *dst, size_t n, ULONG flags,
                            struct nvm_fault *f)
{
    return check_store(tok, dst, NULL, 0, n, flags, f);
}

enum nvm_err nvm_check_flush(const void *tok, const void *buf, size_t n, ULONG flags,
                             struct nvm_fault *f)
{
    clear(f);
    TRY(token(tok, 1, f));
    TRY(flush_flags(flags, f));
    if (n == 0)
        return NVM_OK;
    TRY(span(buf, n, "NvBuffer", f));
    return inside(buf, n, "NvBuffer", f);
}

NV_MEMORY_RANGE nvm_range_at(const NV_MEMORY_RANGE *ranges, size_t i)
{
    NV_MEMORY_RANGE r;
    memcpy(&r, (const char *)ranges + i * sizeof r, sizeof r);
    return r;
}

enum nvm_err nvm_check_ranges(const void *tok, const NV_MEMORY_RANGE *ranges, size_t nr,
                              ULONG flags, struct nvm_fault *f)
{
    clear(f);
    TRY(token(tok, 1, f));
    TRY(flush_flags(flags, f));
    if (nr == 0)
        return NVM_OK;
    if (nr > SIZE_MAX / sizeof *ranges)
        return fail(f, NVM_E_WRAP, "NumRanges", (uintptr_t)ranges, nr);
    TRY(span(ranges, nr * sizeof *ranges, "NvRanges", f));
    for (size_t i = 0; i < nr; i++) {
        NV_MEMORY_RANGE r = nvm_range_at(ranges, i);
        f->index = i;
        if (r.Length == 0)
            continue;
        TRY(span(r.BaseAddress, r.Length, "NvRanges[].BaseAddress", f));
        TRY(inside(r.BaseAddress, r.Length, "NvRanges[].BaseAddress", f));
    }
    f->index = 0;
    return NVM_OK;
}

enum nvm_err nvm_check_drain(const void *tok, struct nvm_fault *f)
{
    clear(f);
    return token(tok, 1, f);
}

void nvm_do_write(void *dst, const void *src, size_t n, ULONG flags)
{
    if (flags & NT)
        nvm_copy_nt(dst, src, n);
    else if (n)
        memmove(dst, src, n);
    if ((flags & (FL | NT)) == FL)
        nvm_flush(dst, n);
    if ((flags & FL) && !(flags & ND))
        nvm_drain();
}

void nvm_do_fill(void *dst, UCHAR value, size_t n, ULONG flags)
{
    if (flags & NT)
        nvm_fill_nt(dst, value, n);
    else if (n)
        memset(dst, value, n);
    if ((flags & (FL | NT)) == FL)
        nvm_flush(dst, n);
    if ((flags & FL) && !(flags & ND))
        nvm_drain();
}

void nvm_do_flush(const void *buf, size_t n, ULONG flags)
{
    nvm_flush(buf, n);
    if (!(flags & FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN))
        nvm_drain();
}

void nvm_do_ranges(const NV_MEMORY_RANGE *ranges, size_t nr, ULONG flags)
{
    for (size_t i = 0; i < nr; i++) {
        NV_MEMORY_RANGE r = nvm_range_at(ranges, i);
        nvm_flush(r.BaseAddress, r.Length);
    }
    if (!(flags & FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN))
        nvm_drain();
}

/* ---- the routines without a checker: check, then work ---- */

NTSTATUS nvm_api_get(PVOID buf, SIZE_T size, PVOID *token)
{
    struct nvm_fault f;
    struct nvm_tok t;
    enum nvm_err e = nvm_check_get(buf, size, token, &f);
    if (e == NVM_OK && nvm_token_new((uintptr_t)buf, size, 0, token, &t) < 0)
        e = NVM_E_FULL;
    return nvm_status(e);
}

NTSTATUS nvm_api_free(PVOID token)
{
    struct nvm_fault f;
    return nvm_status(nvm_check_free(token, 0, &f));
}

NTSTATUS nvm_api_write(PVOID token, void *dst, const void *src, SIZE_T n, ULONG flags)
{
    struct nvm_fault f;
    enum nvm_err e = nvm_check_write(token, dst, src, n, flags, &f);
    if (e == NVM_OK)
        nvm_do_write(dst, src, n, flags);
    return nvm_status(e);
}

NTSTATUS nvm_api_fill(PVOID token, void *dst, SIZE_T n, UCHAR value, ULONG flags)
{
    struct nvm_fault f;
    enum nvm_err e = nvm_check_fill(token, dst, n, flags, &f);
    if (e == NVM_OK)
        nvm_do_fill(dst, value, n, flags);
    return nvm_status(e);
}

NTSTATUS nvm_api_flush(PVOID token, PVOID buf, SIZE_T n, ULONG flags)
{
    struct nvm_fault f;
    enum nvm_err e = nvm_check_flush(token, buf, n, flags, &f);
    if (e == NVM_OK)
        nvm_do_flush(buf, n, flags);
    return nvm_status(e);
}

NTSTATUS nvm_api_flush_ranges(PVOID token, PNV_MEMORY_RANGE ranges, SIZE_T nr, ULONG flags)
{
    struct nvm_fault f;
    enum nvm_err e = nvm_check_ranges(token, ranges, nr, flags, &f);
    if (e == NVM_OK)
        nvm_do_ranges(ranges, nr, flags);
    return nvm_status(e);
}

NTSTATUS nvm_api_drain(PVOID token)
{
    struct nvm_fault f;
    enum nvm_err e = nvm_check_drain(token, &f);
    if (e == NVM_OK)
        nvm_drain();
    return nvm_status(e);
}
