/* checks.c -- the model's argument checks, and the message each problem gets.
 *
 * From DESIGN.md section 2 and reports/kinds.md: the token first (the default token
 * only where the flush and drain routines accept it), then the flags, then a zero
 * size is a no-op, then pointers (NULL with a size; a range wrapping the address
 * space -- one ending at the very top counts), then the region. The first failure
 * wins: a call has one problem, and one finding.
 */
#include "mfind.h"

#include <string.h>

struct fault {
    int d;
    const char *what;
    uintptr_t addr;
    uint64_t size;
    ULONG flags;
    size_t index;
    const struct mtok *tk; /* the live token's region; NULL: the default token */
};

static int fail(struct fault *f, int d, const char *what, uintptr_t addr, uint64_t size)
{
    f->d = d;
    f->what = what;
    f->addr = addr;
    f->size = size;
    return d;
}

static const char *flag_problem(int d)
{
    return d == D_FLAGS ? "unknown flag bits"
           : d == D_ND  ? "NO_DRAIN without FLUSH"
                        : "NO_DRAIN together with NON_TEMPORAL";
}

/* message -- the sentence the report gives the first occurrence of this problem. */
static void message(char *m, size_t cap, int routine, const struct fault *f)
{
    int n = snprintf(m, cap, "%s: ", mf_routine_name(routine));
    char *p = m + n;
    size_t left = cap - (size_t)n;
    unsigned long a = (unsigned long)f->addr;
    switch (f->d) {
    case D_FREED:
        n = snprintf(p, left, "token 0x%lx was already freed", a);
        break;
    case D_DEFAULT:
        n = snprintf(p, left,
                     "FLUSH_NV_MEMORY_DEFAULT_TOKEN is accepted only by the flush and "
                     "drain routines");
        break;
    case D_UNKNOWN:
        n = snprintf(p, left, "0x%lx is not a live token (never issued, or freed long ago)", a);
        break;
    case D_OOR:
        n = snprintf(p, left, "%s", f->what);
        break;
    case D_NULL:
        n = snprintf(p, left, "%s is NULL with a size of %lu", f->what, (unsigned long)f->size);
        break;
    case D_WRAP:
        n = snprintf(p, left, "%s 0x%lx + 0x%lx wraps around the address space", f->what, a,
                     (unsigned long)f->size);
        break;
    case D_EMPTY:
        n = snprintf(p, left, "Size is 0: a token needs a non-empty region");
        break;
    default:
        n = snprintf(p, left, "Flags 0x%x: %s", (unsigned)f->flags, flag_problem(f->d));
        break;
    }
    p += n, left -= (size_t)n;
    if (strstr(f->what, "[]")) {
        n = snprintf(p, left, " (range %lu)", (unsigned long)f->index);
        p += n, left -= (size_t)n;
    }
    if (f->d == D_OOR)
        snprintf(p, left, " [0x%lx, +%lu) is not inside the token's region [0x%lx, +%lu)", a,
                 (unsigned long)f->size, (unsigned long)f->tk->base, (unsigned long)f->tk->size);
}

/* bad -- record the finding for a failed check. */
static NTSTATUS bad(int site, int routine, const struct fault *f)
{
    char msg[240];
    message(msg, sizeof msg, routine, f);
    mf_bad(site, routine, f->d, f->tk, f->addr, f->size, msg);
    return STATUS_INVALID_PARAMETER;
}

static int token(struct fault *f, uintptr_t tok, const struct mtok *tk, int allow_default)
{
    f->tk = NULL;
    if (tok == FLUSH_NV_MEMORY_DEFAULT_TOKEN)
        return allow_default ? D_OK : fail(f, D_DEFAULT, "NvToken", 0, 0);
    if (!tk)
        return fail(f, D_UNKNOWN, "NvToken", tok, 0);
    if (!tk->live)
        return fail(f, D_FREED, "NvToken", tok, 0);
    f->tk = tk;
    return D_OK;
}

static int span(struct fault *f, uintptr_t p, size_t n, const char *what)
{
    if (!p)
        return fail(f, D_NULL, what, 0, n);
    if (n > UINTPTR_MAX - p) /* the end, one past the last byte, is not an address */
        return fail(f, D_WRAP, what, p, n);
    return D_OK;
}

static int inside(struct fault *f, uintptr_t p, size_t n, const char *what)
{
    const struct mtok *r = f->tk;
    if (!r || (p >= r->base && p - r->base <= r->size && n <= r->size - (p - r->base)))
        return D_OK;
    return fail(f, D_OOR, what, p, n);
}

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if ((x) != D_OK)                                                                           \
            return bad(site, routine, &f);                                                         \
    } while (0)

NTSTATUS mf_check_get(uintptr_t buf, size_t size, int out_is_null)
{
    struct fault f = {0};
    int site = S_get, routine = R_GET;
    CHECK(out_is_null ? fail(&f, D_NULL, "NvToken", 0, size) : D_OK);
    CHECK(size == 0 ? fail(&f, D_EMPTY, "Size", buf, 0) : D_OK);
    CHECK(span(&f, buf, size, "NvBuffer"));
    return STATUS_SUCCESS;
}

NTSTATUS mf_check_token(int site, int routine, uintptr_t tok, const struct mtok *tk,
                        int allow_default)
{
    struct fault f = {0};
    CHECK(token(&f, tok, tk, allow_default));
    return STATUS_SUCCESS;
}

static int store_flags(struct fault *f, ULONG flags)
{
    f->flags = flags;
    if (flags & ~(ULONG)(WRITE_NV_MEMORY_FLAG_PERSIST | WRITE_NV_MEMORY_FLAG_NO_DRAIN))
        return fail(f, D_FLAGS, "Flags", 0, 0);
    if ((flags & WRITE_NV_MEMORY_FLAG_NO_DRAIN) && !(flags & WRITE_NV_MEMORY_FLAG_FLUSH))
        return fail(f, D_ND, "Flags", 0, 0);
    if ((flags & WRITE_NV_MEMORY_FLAG_NO_DRAIN) && (flags & WRITE_NV_MEMORY_FLAG_NON_TEMPORAL))
        return fail(f, D_ND_NT, "Flags", 0, 0);
    return D_OK;
}

static int flush_flags(struct fault *f, ULONG flags)
{
    f->flags = flags;
    return flags & ~(ULONG)FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN ? fail(f, D_FLAGS, "Flags", 0, 0)
                                                            : D_OK;
}

NTSTATUS mf_check_store(int site, int routine, uintptr_t tok, const struct mtok *tk, uintptr_t dst,
                        uintptr_t src, size_t n, ULONG flags)
{
    struct fault f = {0};
    CHECK(token(&f, tok, tk, 0));
    CHECK(store_flags(&f, flags));
    if (n == 0)
        return STATUS_SUCCESS;
    CHECK(span(&f, dst, n, "NvDestination"));
    if (routine == R_WRITE)
        CHECK(span(&f, src, n, "Source"));
    CHECK(inside(&f, dst, n, "NvDestination"));
    return STATUS_SUCCESS;
}

NTSTATUS mf_check_flush(int site, uintptr_t tok, const struct mtok *tk, uintptr_t buf, size_t n,
                        ULONG flags)
{
    struct fault f = {0};
    int routine = R_FLUSH;
    CHECK(token(&f, tok, tk, 1));
    CHECK(flush_flags(&f, flags));
    if (n == 0)
        return STATUS_SUCCESS;
    CHECK(span(&f, buf, n, "NvBuffer"));
    CHECK(inside(&f, buf, n, "NvBuffer"));
    return STATUS_SUCCESS;
}

NTSTATUS mf_check_ranges(int site, uintptr_t tok, const struct mtok *tk, const void *ranges,
                         size_t nr, ULONG flags)
{
    struct fault f = {0};
    int routine = R_RANGES;
    const char *el = "NvRanges[].BaseAddress";
    CHECK(token(&f, tok, tk, 1));
    CHECK(flush_flags(&f, flags));
    if (nr == 0)
        return STATUS_SUCCESS;
    if (nr > SIZE_MAX / sizeof(NV_MEMORY_RANGE))
        CHECK(fail(&f, D_WRAP, "NumRanges", (uintptr_t)ranges, nr));
    CHECK(span(&f, (uintptr_t)ranges, nr * sizeof(NV_MEMORY_RANGE), "NvRanges"));
    for (size_t i = 0; i < nr; i++) {
        NV_MEMORY_RANGE r;
        memcpy(&r, (const char *)ranges + i * sizeof r, sizeof r);
        f.index = i;
        if (r.Length == 0)
            continue;
        CHECK(span(&f, (uintptr_t)r.BaseAddress, r.Length, el));
        CHECK(inside(&f, (uintptr_t)r.BaseAddress, r.Length, el));
    }
    return STATUS_SUCCESS;
}
