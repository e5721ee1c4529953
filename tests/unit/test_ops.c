/* test_ops.c -- argument checks, copy/fill work and flush selection (src/nvmem/ops.c, cpu.c, copy.c). */
#include "nvmem/copy.h"
#include "nvmem/cpu.h"
#include "nvmem/ops.h"
#include "tap.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

#define TOP UINTPTR_MAX
#define P(x) ((void *)(uintptr_t)(x))
#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define PERSIST WRITE_NV_MEMORY_FLAG_PERSIST
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN
#define FND FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN

/* skip -- a TAP "ok N # SKIP reason" line. */
static void skip(const char *fmt, ...)
{
    va_list ap;
    printf("ok %d # SKIP ", ++tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static const char *err_name(enum nvm_err e)
{
    static const char *const names[] = {
        [NVM_OK] = "NVM_OK",
        [NVM_E_TOKEN_UNKNOWN] = "NVM_E_TOKEN_UNKNOWN",
        [NVM_E_TOKEN_FREED] = "NVM_E_TOKEN_FREED",
        [NVM_E_TOKEN_DEFAULT] = "NVM_E_TOKEN_DEFAULT",
        [NVM_E_NULL] = "NVM_E_NULL",
        [NVM_E_WRAP] = "NVM_E_WRAP",
        [NVM_E_FLAGS] = "NVM_E_FLAGS",
        [NVM_E_NO_DRAIN_ALONE] = "NVM_E_NO_DRAIN_ALONE",
        [NVM_E_NO_DRAIN_NT] = "NVM_E_NO_DRAIN_NT",
        [NVM_E_EMPTY] = "NVM_E_EMPTY",
        [NVM_E_OUT_OF_REGION] = "NVM_E_OUT_OF_REGION",
        [NVM_E_FULL] = "NVM_E_FULL",
    };
    return (unsigned)e < sizeof names / sizeof *names && names[e] ? names[e] : "(bad enum)";
}

/* is_err(got, want, "name", ...) -- enum nvm_err equality, printing both names; got is
 * a check through F, so F.err must say the same (tallied in err_disagree) */
static size_t err_disagree, err_calls;
#define is_err(got, want, ...)                                                      \
    do {                                                                           \
        enum nvm_err ge_ = (got), we_ = (want);                                    \
        err_calls++;                                                               \
        if (F.err != ge_ && err_disagree++ == 0)                                   \
            printf("# F.err %d but the check returned %d\n", (int)F.err, (int)ge_);  \
        if (!ok(ge_ == we_, __VA_ARGS__))                                          \
            printf("#   got:  %s (%d)\n#   want: %s (%d)\n", err_name(ge_), (int)ge_, \
                   err_name(we_), (int)we_);                                       \
    } while (0)

/* The fault record; poisoned before every check so that stale fields show up (what
 * stays a valid string, so that a wrong answer fails rather than crashes). */
static struct nvm_fault F;
#define POISON() (memset(&F, 0xA5, sizeof F), F.what = "(stale)")
#define CGET(b, n, o) (POISON(), nvm_check_get((b), (n), (o), &F))
#define CFREE(t) (POISON(), nvm_check_free((t), 0, &F))
#define CW(t, d, s, n, fl) (POISON(), nvm_check_write((t), (d), (s), (n), (fl), &F))
#define CF(t, d, n, fl) (POISON(), nvm_check_fill((t), (d), (n), (fl), &F))
#define CFL(t, b, n, fl) (POISON(), nvm_check_flush((t), (b), (n), (fl), &F))
#define CR(t, r, nr, fl) (POISON(), nvm_check_ranges((t), (r), (nr), (fl), &F))
#define CD(t) (POISON(), nvm_check_drain((t), &F))

/* fault -- F describes exactly this failure (what, offending range). */
static void fault(const char *what, uintptr_t addr, size_t size, const char *name)
{
    is_s(F.what, what, "%s: fault names %s", name, what);
    is_u(F.addr, addr, "%s: fault address", name);
    is_u(F.size, size, "%s: fault size", name);
}

/* ---- fixtures: a 4 KiB region in the middle of a 12 KiB buffer ---- */

#define RSIZE 4096u
static unsigned char *backing; /* 3 * RSIZE, 64-aligned; the region is the middle third */
static unsigned char *R;
static void *tok;               /* live, [R, R+RSIZE) */
static uint32_t tok_slot;
static void *freed;             /* issued for [R, R+64), then freed */
static uint32_t freed_slot;
static void *const DEF = (void *)FLUSH_NV_MEMORY_DEFAULT_TOKEN;
static int some_static;

#define NFORGED 6
static void *forged[NFORGED];
static const char *forged_name[NFORGED] = {
    "NULL token", "(void *)1", "a real pointer", "0xdeadbeef", "all ones but one",
    "live handle, next generation",
};

static void setup(void)
{
    struct nvm_tok t;
    backing = aligned_alloc(64, 3 * RSIZE);
    R = backing + RSIZE;
    ok(nvm_api_get(R, RSIZE, &tok) == STATUS_SUCCESS, "setup: token for the region");
    ok(nvm_token_lookup(tok, &t) == NVM_TOK_LIVE, "setup: token is live");
    tok_slot = t.slot;
    ok(nvm_api_get(R, 64, &freed) == STATUS_SUCCESS, "setup: token to free");
    ok(nvm_token_lookup(freed, &t) == NVM_TOK_LIVE, "setup: token to free is live");
    freed_slot = t.slot;
    ok(nvm_api_free(freed) == STATUS_SUCCESS, "setup: free it");
    forged[0] = NULL;
    forged[1] = P(1);
    forged[2] = &some_static;
    forged[3] = P(0xdeadbeef);
    forged[4] = P(TOP - 1);
    /* white box (token.c): generation bits start at bit 20 */
    forged[5] = P((uintptr_t)tok + ((uintptr_t)1 << 20));
}

/* ---- status mapping, constants ---- */

static void test_status(void)
{
    is_u(sizeof(NTSTATUS), 4, "NTSTATUS is 32-bit");
    is_u(sizeof(ULONG), 4, "ULONG is 32-bit");
    is_u(sizeof(NV_MEMORY_RANGE), 16, "NV_MEMORY_RANGE is 16 bytes");
    ok(STATUS_INVALID_PARAMETER < 0, "STATUS_INVALID_PARAMETER is negative");
    is_u(WRITE_NV_MEMORY_FLAG_PERSIST, 3, "PERSIST = FLUSH | NON_TEMPORAL");
    is_u(FLUSH_NV_MEMORY_DEFAULT_TOKEN, TOP, "default token is all ones");
    for (int e = NVM_OK; e <= NVM_E_FULL; e++) {
        uint32_t want = e == NVM_OK       ? 0u
                        : e == NVM_E_FULL ? 0xC000009Au
                                          : 0xC000000Du;
        is_u((uint32_t)nvm_status((enum nvm_err)e), want, "nvm_status(%s)",
             err_name((enum nvm_err)e));
    }
    is_u((uint32_t)nvm_status(NVM_OK), (uint32_t)STATUS_SUCCESS, "OK is STATUS_SUCCESS");
    is_u((uint32_t)nvm_status(NVM_E_FULL), (uint32_t)STATUS_INSUFFICIENT_RESOURCES,
         "FULL is STATUS_INSUFFICIENT_RESOURCES");
    is_u((uint32_t)nvm_status(NVM_E_WRAP), (uint32_t)STATUS_INVALID_PARAMETER,
         "WRAP is STATUS_INVALID_PARAMETER");

    ok(nvm_is_default_token(DEF), "default token recognised");
    ok(!nvm_is_default_token(NULL), "NULL is not the default token");
    ok(!nvm_is_default_token(P(TOP - 1)), "all-ones-but-one is not the default token");
    ok(!nvm_is_default_token(tok), "a real token is not the default token");
}

/* ---- RtlGetNonVolatileToken / RtlFreeNonVolatileToken ---- */

static void test_get(void)
{
    void *h = NULL;
    is_err(CGET(R, 16, NULL), NVM_E_NULL, "get: NULL NvToken");
    fault("NvToken", 0, 16, "get: NULL NvToken");
    is_err(CGET(R, 0, &h), NVM_E_EMPTY, "get: zero size");
    fault("Size", (uintptr_t)R, 0, "get: zero size");
    is_err(CGET(NULL, 0, &h), NVM_E_EMPTY, "get: zero size wins over NULL buffer");
    is_err(CGET(NULL, 1, &h), NVM_E_NULL, "get: NULL buffer");
    fault("NvBuffer", 0, 1, "get: NULL buffer");
    is_err(CGET(P(TOP - 9), 10, &h), NVM_E_WRAP, "get: region ending at the top wraps");
    fault("NvBuffer", TOP - 9, 10, "get: region ending at the top");
    is_err(CGET(P(TOP - 9), 9, &h), NVM_OK, "get: region ending one below the top");
    is_err(CGET(P(TOP), 1, &h), NVM_E_WRAP, "get: last byte of the address space wraps");
    is_err(CGET(R, SIZE_MAX, &h), NVM_E_WRAP, "get: SIZE_MAX wraps");
    is_err(CGET(P(1), SIZE_MAX, &h), NVM_E_WRAP, "get: (void *)1 + SIZE_MAX wraps");
    is_err(CGET(R, RSIZE, &h), NVM_OK, "get: good region");
    is_u(F.has_tok, 0, "get: check alone issues nothing");
    ok(h == NULL, "get: check alone does not store a token");

    /* the API: success, and failures that leave *NvToken alone */
    void *const sentinel = P(0x5e5e5e5e);
    h = sentinel;
    is_u((uint32_t)nvm_api_get(NULL, 16, &h), (uint32_t)STATUS_INVALID_PARAMETER,
         "api get: NULL buffer is STATUS_INVALID_PARAMETER");
    ok(h == sentinel, "api get: NULL buffer leaves *NvToken alone");
    is_u((uint32_t)nvm_api_get(R, 0, &h), (uint32_t)STATUS_INVALID_PARAMETER,
         "api get: zero size is STATUS_INVALID_PARAMETER");
    ok(h == sentinel, "api get: zero size leaves *NvToken alone");
    is_u((uint32_t)nvm_api_get(P(TOP - 15), 16, &h), (uint32_t)STATUS_INVALID_PARAMETER,
         "api get: wrapping region is STATUS_INVALID_PARAMETER");
    ok(h == sentinel, "api get: wrapping region leaves *NvToken alone");
    is_u((uint32_t)nvm_api_get(R, 16, NULL), (uint32_t)STATUS_INVALID_PARAMETER,
         "api get: NULL NvToken is STATUS_INVALID_PARAMETER");
    is_u((uint32_t)nvm_api_get(R + 64, 128, &h), (uint32_t)STATUS_SUCCESS, "api get: success");
    ok(h != sentinel && h != NULL && !nvm_is_default_token(h),
       "api get: a handle, neither NULL nor the default token");
    struct nvm_tok t;
    ok(nvm_token_lookup(h, &t) == NVM_TOK_LIVE, "api get: handle is live");
    is_u(t.base, (uintptr_t)(R + 64), "api get: token base");
    is_u(t.size, 128, "api get: token size");

    /* free it through the check */
    is_err(CFREE(h), NVM_OK, "free: live token");
    is_u(F.has_tok, 1, "free: has_tok");
    is_u(F.tok.base, (uintptr_t)(R + 64), "free: fault names the region base");
    is_u(F.tok.size, 128, "free: fault names the region size");
    is_u(F.tok.slot, t.slot, "free: fault names the slot");
    is_err(CFREE(h), NVM_E_TOKEN_FREED, "free: double free");
    fault("NvToken", (uintptr_t)h, 0, "free: double free");
    is_u(F.has_tok, 1, "free: double free has_tok");
    is_u(F.tok.slot, t.slot, "free: double free names the slot");
    is_err(CFREE(DEF), NVM_E_TOKEN_DEFAULT, "free: default token");
    fault("NvToken", 0, 0, "free: default token");
    is_u(F.has_tok, 0, "free: default token has no region");
    for (int i = 0; i < NFORGED; i++) {
        is_err(CFREE(forged[i]), NVM_E_TOKEN_UNKNOWN, "free: forged %s", forged_name[i]);
        is_u(F.addr, (uintptr_t)forged[i], "free: forged %s: fault address", forged_name[i]);
        is_u(F.has_tok, 0, "free: forged %s: no region", forged_name[i]);
    }
    is_err(CD(tok), NVM_OK, "free: forged handles did not free the live token");

    is_u((uint32_t)nvm_api_get(R, 8, &h), (uint32_t)STATUS_SUCCESS, "api free: get");
    is_u((uint32_t)nvm_api_free(h), (uint32_t)STATUS_SUCCESS, "api free: success");
    is_u((uint32_t)nvm_api_free(h), (uint32_t)STATUS_INVALID_PARAMETER, "api free: double free");
    is_u((uint32_t)nvm_api_free(DEF), (uint32_t)STATUS_INVALID_PARAMETER,
         "api free: default token");
    is_u((uint32_t)nvm_api_free(NULL), (uint32_t)STATUS_INVALID_PARAMETER, "api free: NULL");
}

/* ---- tokens in the other five routines ---- */

static void test_tokens(void)
{
    NV_MEMORY_RANGE r1 = {R, 1};
    unsigned char src[64] = {0};

    is_err(CW(DEF, R, src, 1, 0), NVM_E_TOKEN_DEFAULT, "write: default token");
    fault("NvToken", 0, 0, "write: default token");
    is_err(CF(DEF, R, 1, 0), NVM_E_TOKEN_DEFAULT, "fill: default token");
    fault("NvToken", 0, 0, "fill: default token");
    is_err(CFL(DEF, R, 1, 0), NVM_OK, "flush: default token accepted");
    is_u(F.has_tok, 0, "flush: default token has no region");
    is_err(CR(DEF, &r1, 1, 0), NVM_OK, "ranges: default token accepted");
    is_err(CD(DEF), NVM_OK, "drain: default token accepted");
    is_u(F.has_tok, 0, "drain: default token has no region");

    is_err(CW(tok, R, src, 1, 0), NVM_OK, "write: live token");
    is_u(F.has_tok, 1, "write: live token has_tok");
    is_u(F.tok.base, (uintptr_t)R, "write: live token base");
    is_u(F.tok.size, RSIZE, "write: live token size");
    is_u(F.tok.slot, tok_slot, "write: live token slot");
    is_err(CF(tok, R, 1, 0), NVM_OK, "fill: live token");
    is_err(CFL(tok, R, 1, 0), NVM_OK, "flush: live token");
    is_err(CR(tok, &r1, 1, 0), NVM_OK, "ranges: live token");
    is_err(CD(tok), NVM_OK, "drain: live token");
    is_u(F.has_tok, 1, "drain: live token has_tok");
    is_u(F.tok.base, (uintptr_t)R, "drain: live token base");

    for (int i = 0; i < NFORGED; i++) {
        void *t = forged[i];
        const char *n = forged_name[i];
        is_err(CW(t, R, src, 1, 0), NVM_E_TOKEN_UNKNOWN, "write: %s", n);
        fault("NvToken", (uintptr_t)t, 0, n);
        is_u(F.has_tok, 0, "write: %s: no region", n);
        is_err(CF(t, R, 1, 0), NVM_E_TOKEN_UNKNOWN, "fill: %s", n);
        is_u(F.addr, (uintptr_t)t, "fill: %s: fault address", n);
        is_err(CFL(t, R, 1, 0), NVM_E_TOKEN_UNKNOWN, "flush: %s", n);
        is_u(F.has_tok, 0, "flush: %s: no region", n);
        is_err(CR(t, &r1, 1, 0), NVM_E_TOKEN_UNKNOWN, "ranges: %s", n);
        is_err(CD(t), NVM_E_TOKEN_UNKNOWN, "drain: %s", n);
        is_s(F.what, "NvToken", "drain: %s: names NvToken", n);
        is_u(F.has_tok, 0, "drain: %s: no region", n);
    }

    is_err(CW(freed, R, src, 1, 0), NVM_E_TOKEN_FREED, "write: freed token");
    fault("NvToken", (uintptr_t)freed, 0, "write: freed token");
    is_u(F.has_tok, 1, "write: freed token has_tok");
    is_u(F.tok.slot, freed_slot, "write: freed token names its slot");
    is_err(CF(freed, R, 1, 0), NVM_E_TOKEN_FREED, "fill: freed token");
    is_u(F.tok.slot, freed_slot, "fill: freed token names its slot");
    is_err(CFL(freed, R, 1, 0), NVM_E_TOKEN_FREED, "flush: freed token");
    is_u(F.has_tok, 1, "flush: freed token has_tok");
    is_err(CR(freed, &r1, 1, 0), NVM_E_TOKEN_FREED, "ranges: freed token");
    is_u(F.tok.slot, freed_slot, "ranges: freed token names its slot");
    is_err(CD(freed), NVM_E_TOKEN_FREED, "drain: freed token");
    is_u(F.tok.slot, freed_slot, "drain: freed token names its slot");

    /* the token is checked first, and even when nothing moves */
    is_err(CW(freed, NULL, NULL, 5, 0xFFFF), NVM_E_TOKEN_FREED, "write: token before flags/pointers");
    is_err(CW(DEF, NULL, NULL, 5, 0xFFFF), NVM_E_TOKEN_DEFAULT, "write: default token before flags");
    is_err(CF(forged[3], NULL, 5, ND), NVM_E_TOKEN_UNKNOWN, "fill: token before flags/pointers");
    is_err(CFL(forged[1], NULL, 5, 7), NVM_E_TOKEN_UNKNOWN, "flush: token before flags/pointers");
    is_err(CR(freed, NULL, 5, 7), NVM_E_TOKEN_FREED, "ranges: token before flags/pointers");
    is_err(CW(forged[0], NULL, NULL, 0, 0), NVM_E_TOKEN_UNKNOWN, "write: zero size, unknown token");
    is_err(CW(DEF, NULL, NULL, 0, 0), NVM_E_TOKEN_DEFAULT, "write: zero size, default token");
    is_err(CW(freed, NULL, NULL, 0, 0), NVM_E_TOKEN_FREED, "write: zero size, freed token");
    is_err(CF(DEF, NULL, 0, 0), NVM_E_TOKEN_DEFAULT, "fill: zero size, default token");
    is_err(CF(freed, NULL, 0, 0), NVM_E_TOKEN_FREED, "fill: zero size, freed token");
    is_err(CF(forged[2], NULL, 0, 0), NVM_E_TOKEN_UNKNOWN, "fill: zero size, unknown token");
    is_err(CFL(forged[4], NULL, 0, 0), NVM_E_TOKEN_UNKNOWN, "flush: zero size, unknown token");
    is_err(CFL(freed, NULL, 0, 0), NVM_E_TOKEN_FREED, "flush: zero size, freed token");
    is_err(CR(freed, NULL, 0, 0), NVM_E_TOKEN_FREED, "ranges: zero ranges, freed token");
    is_err(CR(forged[5], NULL, 0, 0), NVM_E_TOKEN_UNKNOWN, "ranges: zero ranges, unknown token");
}

/* ---- flags ---- */

static const ULONG write_ok[] = {0, FL, FL | ND, NT, PERSIST};
#define NWRITE_OK (sizeof write_ok / sizeof *write_ok)

static void test_flags(void)
{
    unsigned char src[8] = {0};
    for (size_t i = 0; i < NWRITE_OK; i++) {
        ULONG fl = write_ok[i];
        is_err(CW(tok, R, src, 8, fl), NVM_OK, "write: flags %#x accepted", (unsigned)fl);
        is_u(F.flags, fl, "write: flags %#x recorded", (unsigned)fl);
        is_err(CF(tok, R, 8, fl), NVM_OK, "fill: flags %#x accepted", (unsigned)fl);
    }
    /* every single unknown bit */
    int wbad = 0, fbad = 0, flbad = 0, rbad = 0;
    NV_MEMORY_RANGE r1 = {R, 1};
    for (int b = 0; b < 32; b++) {
        ULONG fl = (ULONG)1 << b;
        if (!(fl & (FL | NT | ND))) {
            wbad += CW(tok, R, src, 8, fl) != NVM_E_FLAGS || F.flags != fl || strcmp(F.what, "Flags");
            fbad += CF(tok, R, 8, fl | FL) != NVM_E_FLAGS || F.flags != (fl | FL);
        }
        if (fl != FND) {
            flbad += CFL(tok, R, 8, fl) != NVM_E_FLAGS || F.flags != fl || strcmp(F.what, "Flags");
            rbad += CR(tok, &r1, 1, fl) != NVM_E_FLAGS || F.flags != fl;
        }
    }
    is_u(wbad, 0, "write: each of the 29 unknown bits is NVM_E_FLAGS");
    is_u(fbad, 0, "fill: each of the 29 unknown bits (with FLUSH) is NVM_E_FLAGS");
    is_u(flbad, 0, "flush: each of the 31 unknown bits is NVM_E_FLAGS");
    is_u(rbad, 0, "ranges: each of the 31 unknown bits is NVM_E_FLAGS");

    is_err(CW(tok, R, src, 8, 0xFFFFFFFFu), NVM_E_FLAGS, "write: all bits");
    is_err(CW(tok, R, src, 8, PERSIST | 0x200), NVM_E_FLAGS, "write: PERSIST plus an unknown bit");
    is_err(CW(tok, R, src, 8, ND | 4), NVM_E_FLAGS, "write: unknown bit wins over NO_DRAIN alone");
    is_err(CW(tok, R, src, 8, ND), NVM_E_NO_DRAIN_ALONE, "write: NO_DRAIN alone");
    fault("Flags", 0, 0, "write: NO_DRAIN alone");
    is_u(F.flags, ND, "write: NO_DRAIN alone: flags recorded");
    is_err(CW(tok, R, src, 8, ND | NT), NVM_E_NO_DRAIN_ALONE,
           "write: NO_DRAIN|NON_TEMPORAL is NO_DRAIN without FLUSH");
    is_err(CW(tok, R, src, 8, ND | PERSIST), NVM_E_NO_DRAIN_NT, "write: NO_DRAIN|PERSIST");
    fault("Flags", 0, 0, "write: NO_DRAIN|PERSIST");
    is_err(CF(tok, R, 8, ND), NVM_E_NO_DRAIN_ALONE, "fill: NO_DRAIN alone");
    is_err(CF(tok, R, 8, ND | NT), NVM_E_NO_DRAIN_ALONE, "fill: NO_DRAIN|NON_TEMPORAL");
    is_err(CF(tok, R, 8, ND | PERSIST), NVM_E_NO_DRAIN_NT, "fill: NO_DRAIN|PERSIST");
    is_err(CF(tok, R, 8, 0x80000000u), NVM_E_FLAGS, "fill: top bit");

    is_err(CFL(tok, R, 8, 0), NVM_OK, "flush: flags 0");
    is_err(CFL(tok, R, 8, FND), NVM_OK, "flush: NO_DRAIN");
    is_u(F.flags, FND, "flush: NO_DRAIN recorded");
    is_err(CFL(DEF, R, 8, FND), NVM_OK, "flush: default token, NO_DRAIN");
    is_err(CFL(tok, R, 8, 0x100), NVM_E_FLAGS, "flush: the write NO_DRAIN bit is unknown here");
    is_err(CFL(tok, R, 8, 3), NVM_E_FLAGS, "flush: 3");
    is_err(CFL(DEF, R, 8, 2), NVM_E_FLAGS, "flush: default token still checks flags");
    is_err(CR(tok, &r1, 1, FND), NVM_OK, "ranges: NO_DRAIN");
    is_err(CR(tok, &r1, 1, 0x100), NVM_E_FLAGS, "ranges: 0x100");
    is_err(CR(DEF, &r1, 1, 0xFFFFFFFFu), NVM_E_FLAGS, "ranges: default token, all bits");

    /* flags are checked before pointers, and even for zero-size calls */
    is_err(CW(tok, NULL, NULL, 5, 4), NVM_E_FLAGS, "write: flags before pointers");
    is_err(CW(tok, NULL, NULL, 0, 4), NVM_E_FLAGS, "write: zero size still checks flags");
    is_err(CW(tok, NULL, NULL, 0, ND), NVM_E_NO_DRAIN_ALONE, "write: zero size, NO_DRAIN alone");
    is_err(CW(tok, NULL, NULL, 0, ND | PERSIST), NVM_E_NO_DRAIN_NT, "write: zero size, NO_DRAIN|PERSIST");
    is_err(CF(tok, NULL, 0, ND), NVM_E_NO_DRAIN_ALONE, "fill: zero size, NO_DRAIN alone");
    is_err(CF(tok, NULL, 0, 0x10), NVM_E_FLAGS, "fill: zero size still checks flags");
    is_err(CFL(tok, NULL, 0, 2), NVM_E_FLAGS, "flush: zero size still checks flags");
    is_err(CFL(tok, NULL, 5, 2), NVM_E_FLAGS, "flush: flags before pointers");
    is_err(CR(DEF, NULL, 0, 0x100), NVM_E_FLAGS, "ranges: zero ranges still checks flags");
    is_err(CR(tok, NULL, 3, 0x100), NVM_E_FLAGS, "ranges: flags before the array");
}

/* ---- pointers: NULL and wrap-around ---- */

static void test_pointers(void)
{
    unsigned char src[16] = {0};
    uintptr_t r = (uintptr_t)R;

    is_err(CW(tok, NULL, src, 1, 0), NVM_E_NULL, "write: NULL destination");
    fault("NvDestination", 0, 1, "write: NULL destination");
    is_u(F.has_tok, 1, "write: NULL destination: token region known");
    is_u(F.tok.base, r, "write: NULL destination: token base");
    is_err(CW(tok, R, NULL, 7, FL), NVM_E_NULL, "write: NULL source");
    fault("Source", 0, 7, "write: NULL source");
    is_u(F.flags, FL, "write: NULL source: flags recorded");
    is_err(CW(tok, NULL, NULL, 3, 0), NVM_E_NULL, "write: both NULL");
    is_s(F.what, "NvDestination", "write: both NULL names the destination first");
    is_err(CW(tok, P(TOP - 9), src, 10, 0), NVM_E_WRAP, "write: destination ending at the top");
    fault("NvDestination", TOP - 9, 10, "write: destination ending at the top");
    is_err(CW(tok, P(TOP), src, 1, 0), NVM_E_WRAP, "write: the last byte of the address space");
    is_err(CW(tok, R, src, SIZE_MAX, 0), NVM_E_WRAP, "write: SIZE_MAX");
    is_err(CW(tok, R, src, TOP - r + 1, 0), NVM_E_WRAP, "write: region..top exactly");
    is_err(CW(tok, P(TOP - 9), src, 9, 0), NVM_E_OUT_OF_REGION,
           "write: ending one below the top is no wrap (but out of region)");
    is_err(CW(tok, R, P(TOP - 4), 5, 0), NVM_E_WRAP, "write: source ending at the top");
    fault("Source", TOP - 4, 5, "write: source ending at the top");
    is_err(CW(tok, R, P(TOP - 5), 5, 0), NVM_OK, "write: source ending one below the top");
    is_err(CW(tok, P(TOP - 1), NULL, 2, 0), NVM_E_WRAP, "write: destination checked before source");
    is_err(CW(tok, R - 1, NULL, 2, 0), NVM_E_NULL, "write: pointers before region (NULL source)");
    is_s(F.what, "Source", "write: pointers before region names Source");
    is_err(CW(tok, R + RSIZE, P(TOP), 2, 0), NVM_E_WRAP, "write: pointers before region (wrap source)");
    is_err(CW(tok, R, src, 16, 0), NVM_OK, "write: source outside the region is fine");

    is_err(CF(tok, NULL, 1, 0), NVM_E_NULL, "fill: NULL destination");
    fault("NvDestination", 0, 1, "fill: NULL destination");
    is_err(CF(tok, P(TOP - 99), 100, FL), NVM_E_WRAP, "fill: destination ending at the top");
    fault("NvDestination", TOP - 99, 100, "fill: destination ending at the top");
    is_err(CF(tok, R, SIZE_MAX, 0), NVM_E_WRAP, "fill: SIZE_MAX");

    is_err(CFL(tok, NULL, 64, 0), NVM_E_NULL, "flush: NULL buffer");
    fault("NvBuffer", 0, 64, "flush: NULL buffer");
    is_err(CFL(DEF, NULL, 64, 0), NVM_E_NULL, "flush: default token, NULL buffer");
    is_err(CFL(tok, P(TOP - 63), 64, 0), NVM_E_WRAP, "flush: buffer ending at the top");
    fault("NvBuffer", TOP - 63, 64, "flush: buffer ending at the top");
    is_err(CFL(DEF, P(TOP - 63), 64, 0), NVM_E_WRAP, "flush: default token, buffer ending at the top");
    is_err(CFL(DEF, P(TOP - 63), 63, 0), NVM_OK, "flush: default token, one below the top");
    is_err(CFL(DEF, P(0x1000), 4096, FND), NVM_OK, "flush: default token, any address");
    is_u(F.has_tok, 0, "flush: default token, no region");

    /* zero size: no pointer or region check at all */
    for (size_t i = 0; i < NWRITE_OK; i++) {
        ULONG fl = write_ok[i];
        is_err(CW(tok, NULL, NULL, 0, fl), NVM_OK, "write: zero size, NULL pointers, flags %#x",
               (unsigned)fl);
        is_err(CF(tok, NULL, 0, fl), NVM_OK, "fill: zero size, NULL, flags %#x", (unsigned)fl);
    }
    is_err(CW(tok, P(1), P(TOP), 0, 0), NVM_OK, "write: zero size, wild pointers");
    is_err(CW(tok, R - 1000, src, 0, 0), NVM_OK, "write: zero size, out of region");
    is_err(CF(tok, P(TOP), 0, 0), NVM_OK, "fill: zero size at the top");
    is_err(CFL(tok, NULL, 0, 0), NVM_OK, "flush: zero size, NULL");
    is_err(CFL(tok, P(TOP), 0, FND), NVM_OK, "flush: zero size at the top");
    is_err(CFL(tok, R + RSIZE, 0, 0), NVM_OK, "flush: zero size past the region");
    is_err(CFL(DEF, NULL, 0, 0), NVM_OK, "flush: default token, zero size, NULL");
}

/* ---- the region ---- */

struct rcase {
    long off;
    size_t n;
    enum nvm_err want;
    const char *name;
};

static void test_region(void)
{
    const struct rcase cases[] = {
        {0, RSIZE, NVM_OK, "the whole region"},
        {0, 1, NVM_OK, "the first byte"},
        {RSIZE - 1, 1, NVM_OK, "the last byte"},
        {RSIZE - 64, 64, NVM_OK, "ending exactly at the region end"},
        {100, 1000, NVM_OK, "the middle"},
        {-1, 1, NVM_E_OUT_OF_REGION, "one byte before"},
        {-1, 2, NVM_E_OUT_OF_REGION, "straddling the start"},
        {RSIZE, 1, NVM_E_OUT_OF_REGION, "one byte past the end"},
        {RSIZE - 1, 2, NVM_E_OUT_OF_REGION, "straddling the end"},
        {0, RSIZE + 1, NVM_E_OUT_OF_REGION, "one byte too long"},
        {1, RSIZE, NVM_E_OUT_OF_REGION, "shifted by one"},
        {-1, RSIZE + 2, NVM_E_OUT_OF_REGION, "covering the region"},
        {-(long)RSIZE, 16, NVM_E_OUT_OF_REGION, "far below"},
        {2 * RSIZE - 16, 16, NVM_E_OUT_OF_REGION, "far above"},
    };
    unsigned char src[2 * RSIZE] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct rcase *c = &cases[i];
        unsigned char *p = R + c->off;
        is_err(CW(tok, p, src, c->n, FL), c->want, "write: %s", c->name);
        if (c->want != NVM_OK) {
            fault("NvDestination", (uintptr_t)p, c->n, c->name);
            is_u(F.has_tok, 1, "write: %s: has_tok", c->name);
            is_u(F.tok.base, (uintptr_t)R, "write: %s: region base", c->name);
            is_u(F.tok.size, RSIZE, "write: %s: region size", c->name);
            is_u(F.tok.slot, tok_slot, "write: %s: region slot", c->name);
            is_u(F.flags, FL, "write: %s: flags", c->name);
        }
        is_err(CF(tok, p, c->n, 0), c->want, "fill: %s", c->name);
        if (c->want != NVM_OK)
            fault("NvDestination", (uintptr_t)p, c->n, c->name);
        is_err(CFL(tok, p, c->n, FND), c->want, "flush: %s", c->name);
        if (c->want != NVM_OK)
            fault("NvBuffer", (uintptr_t)p, c->n, c->name);
        is_err(CFL(DEF, p, c->n, 0), NVM_OK, "flush: %s, default token: any address", c->name);
        NV_MEMORY_RANGE rr = {p, c->n};
        is_err(CR(tok, &rr, 1, 0), c->want, "ranges: %s", c->name);
    }
    is_err(CW(tok, R + 4000, P(TOP - 4095), 4096, 0), NVM_E_WRAP,
           "write: source wrap reported before destination out of region");

    /* a small region at an odd address */
    void *t3;
    is_u((uint32_t)nvm_api_get(R + 5, 10, &t3), (uint32_t)STATUS_SUCCESS, "odd region: get");
    is_err(CW(t3, R + 5, src, 10, 0), NVM_OK, "odd region: whole");
    is_err(CW(t3, R + 14, src, 1, 0), NVM_OK, "odd region: last byte");
    is_err(CW(t3, R + 4, src, 1, 0), NVM_E_OUT_OF_REGION, "odd region: byte before");
    is_err(CW(t3, R + 15, src, 1, 0), NVM_E_OUT_OF_REGION, "odd region: byte after");
    is_err(CW(t3, R + 14, src, 2, 0), NVM_E_OUT_OF_REGION, "odd region: straddling the end");
    is_err(CW(t3, R + 5, src, 11, 0), NVM_E_OUT_OF_REGION, "odd region: one too long");
    is_err(CW(t3, R + 6, P(1), SIZE_MAX - (uintptr_t)(R + 6), 0), NVM_E_OUT_OF_REGION,
           "odd region: huge but not wrapping");
    is_u((uint32_t)nvm_api_free(t3), (uint32_t)STATUS_SUCCESS, "odd region: free");

    /* a region whose end is the last representable address (no memory is touched) */
    void *tt;
    is_u((uint32_t)nvm_api_get(P(TOP - 4095), 4096, &tt), (uint32_t)STATUS_INVALID_PARAMETER,
         "top region: ending at the very top is rejected");
    is_u((uint32_t)nvm_api_get(P(TOP - 4096), 4096, &tt), (uint32_t)STATUS_SUCCESS,
         "top region: ending one below the top is fine");
    is_err(CF(tt, P(TOP - 1), 1, 0), NVM_OK, "top region: last byte");
    is_err(CF(tt, P(TOP - 4096), 4096, 0), NVM_OK, "top region: whole");
    is_err(CF(tt, P(TOP - 4097), 1, 0), NVM_E_OUT_OF_REGION, "top region: byte before");
    is_err(CF(tt, P(TOP - 4097), 4097, 0), NVM_E_OUT_OF_REGION, "top region: one too long");
    is_err(CF(tt, P(TOP), 1, 0), NVM_E_WRAP, "top region: the top byte wraps");
    is_u((uint32_t)nvm_api_free(tt), (uint32_t)STATUS_SUCCESS, "top region: free");
}

/* ---- RtlFlushNonVolatileMemoryRanges ---- */

static void test_ranges(void)
{
    NV_MEMORY_RANGE good[4] = {{R, 64}, {R + 100, 10}, {R + RSIZE - 1, 1}, {R + 200, 300}};
    is_err(CR(tok, good, 4, 0), NVM_OK, "ranges: four good ranges");
    is_u(F.index, 0, "ranges: success leaves index 0");
    is_err(CR(tok, good, 0, 0), NVM_OK, "ranges: zero ranges");
    is_err(CR(tok, NULL, 0, 0), NVM_OK, "ranges: NULL array, zero ranges");
    is_err(CR(DEF, NULL, 0, FND), NVM_OK, "ranges: default token, NULL array, zero ranges");

    is_err(CR(tok, NULL, 1, 0), NVM_E_NULL, "ranges: NULL array, one range");
    fault("NvRanges", 0, 16, "ranges: NULL array, one range");
    is_err(CR(DEF, NULL, 3, 0), NVM_E_NULL, "ranges: default token, NULL array");
    fault("NvRanges", 0, 48, "ranges: NULL array, three ranges");

    size_t big = SIZE_MAX / sizeof(NV_MEMORY_RANGE) + 1;
    is_err(CR(tok, good, big, 0), NVM_E_WRAP, "ranges: NumRanges * 16 overflows");
    fault("NumRanges", (uintptr_t)good, big, "ranges: NumRanges * 16 overflows");
    is_err(CR(tok, good, SIZE_MAX, 0), NVM_E_WRAP, "ranges: NumRanges = SIZE_MAX");
    is_s(F.what, "NumRanges", "ranges: NumRanges = SIZE_MAX names NumRanges");
    is_err(CR(DEF, good, big - 1, 0), NVM_E_WRAP, "ranges: array end past the top");
    fault("NvRanges", (uintptr_t)good, (big - 1) * 16, "ranges: array end past the top");
    is_err(CR(tok, P(TOP - 15), 1, 0), NVM_E_WRAP, "ranges: array ending at the top");
    fault("NvRanges", TOP - 15, 16, "ranges: array ending at the top");
    is_err(CR(tok, P(TOP - 31), 2, 0), NVM_E_WRAP, "ranges: two-element array ending at the top");

    NV_MEMORY_RANGE mid[4] = {{R, 64}, {R + 64, 64}, {R + RSIZE, 1}, {R + 128, 64}};
    is_err(CR(tok, mid, 4, FND), NVM_E_OUT_OF_REGION, "ranges: bad element in the middle");
    is_u(F.index, 2, "ranges: bad element in the middle: index");
    fault("NvRanges[].BaseAddress", (uintptr_t)(R + RSIZE), 1, "ranges: bad element in the middle");
    is_u(F.has_tok, 1, "ranges: bad element: has_tok");
    is_u(F.tok.base, (uintptr_t)R, "ranges: bad element: region base");
    is_u(F.flags, FND, "ranges: bad element: flags");
    is_err(CR(DEF, mid, 4, 0), NVM_OK, "ranges: default token: any address");
    is_err(CR(tok, mid, 2, 0), NVM_OK, "ranges: only the good prefix");

    NV_MEMORY_RANGE nul[3] = {{R, 64}, {NULL, 5}, {R, 1}};
    is_err(CR(tok, nul, 3, 0), NVM_E_NULL, "ranges: NULL element");
    is_u(F.index, 1, "ranges: NULL element: index");
    fault("NvRanges[].BaseAddress", 0, 5, "ranges: NULL element");
    is_err(CR(DEF, nul, 3, 0), NVM_E_NULL, "ranges: default token, NULL element");
    is_u(F.index, 1, "ranges: default token, NULL element: index");

    NV_MEMORY_RANGE wrap[4] = {{R, 1}, {R, 2}, {R, 3}, {P(TOP - 9), 10}};
    is_err(CR(tok, wrap, 4, 0), NVM_E_WRAP, "ranges: wrapping element");
    is_u(F.index, 3, "ranges: wrapping element: index");
    fault("NvRanges[].BaseAddress", TOP - 9, 10, "ranges: wrapping element");
    is_err(CR(DEF, wrap, 4, 0), NVM_E_WRAP, "ranges: default token, wrapping element");

    NV_MEMORY_RANGE zero[6] = {{R, 64}, {NULL, 0}, {P(1), 0}, {P(TOP), 0}, {R + RSIZE, 0}, {R, 8}};
    is_err(CR(tok, zero, 6, 0), NVM_OK, "ranges: zero-length elements are skipped");
    is_u(F.index, 0, "ranges: zero-length elements: index reset");

    NV_MEMORY_RANGE first[3] = {{R, 64}, {R - 1, 1}, {NULL, 4}};
    is_err(CR(tok, first, 3, 0), NVM_E_OUT_OF_REGION, "ranges: the first bad element wins");
    is_u(F.index, 1, "ranges: the first bad element: index");

    /* misaligned array, as a caller may pack it */
    _Alignas(16) static char raw[16 * 8 + 1];
    NV_MEMORY_RANGE elems[5] = {{R, 64}, {R + 1, 63}, {NULL, 0}, {R + RSIZE - 5, 5}, {R + 7, 1}};
    memcpy(raw + 1, elems, sizeof elems);
    const NV_MEMORY_RANGE *mis = (const NV_MEMORY_RANGE *)(void *)(raw + 1);
    int same = 1;
    for (size_t i = 0; i < 5; i++) {
        NV_MEMORY_RANGE e = nvm_range_at(mis, i);
        same &= e.BaseAddress == elems[i].BaseAddress && e.Length == elems[i].Length;
    }
    ok(same, "ranges: nvm_range_at reads a misaligned array");
    is_err(CR(tok, mis, 5, 0), NVM_OK, "ranges: misaligned array");
    elems[3].Length = 6; /* now one byte past the end */
    memcpy(raw + 1, elems, sizeof elems);
    is_err(CR(tok, mis, 5, 0), NVM_E_OUT_OF_REGION, "ranges: misaligned array, bad element");
    is_u(F.index, 3, "ranges: misaligned array, bad element: index");
    fault("NvRanges[].BaseAddress", (uintptr_t)(R + RSIZE - 5), 6,
          "ranges: misaligned array, bad element");
    elems[3].Length = 5;
    memcpy(raw + 1, elems, sizeof elems);
    memset(R, 0x3c, RSIZE);
    nvm_do_ranges(mis, 5, 0);
    nvm_do_ranges(mis, 5, FND);
    ok(nvm_api_flush_ranges(tok, (PNV_MEMORY_RANGE)(void *)(raw + 1), 5, 0) == STATUS_SUCCESS,
       "ranges: api flushes a misaligned array");
    int intact = 1;
    for (size_t i = 0; i < RSIZE; i++)
        intact &= R[i] == 0x3c;
    ok(intact, "ranges: flushing changes no data");
}

/* ---- drain ---- */

static void test_drain(void)
{
    is_u((uint32_t)nvm_api_drain(DEF), (uint32_t)STATUS_SUCCESS, "api drain: default token");
    is_u((uint32_t)nvm_api_drain(tok), (uint32_t)STATUS_SUCCESS, "api drain: live token");
    is_u((uint32_t)nvm_api_drain(freed), (uint32_t)STATUS_INVALID_PARAMETER, "api drain: freed");
    is_u((uint32_t)nvm_api_drain(NULL), (uint32_t)STATUS_INVALID_PARAMETER, "api drain: NULL");
    is_u((uint32_t)nvm_api_drain(forged[5]), (uint32_t)STATUS_INVALID_PARAMETER,
         "api drain: next-generation forgery");
    is_u((uint32_t)nvm_api_flush(DEF, R, 100, 0), (uint32_t)STATUS_SUCCESS, "api flush: default");
    is_u((uint32_t)nvm_api_flush(tok, R, RSIZE, FND), (uint32_t)STATUS_SUCCESS, "api flush: live");
    is_u((uint32_t)nvm_api_flush(tok, R, RSIZE + 1, 0), (uint32_t)STATUS_INVALID_PARAMETER,
         "api flush: out of region");
    is_u((uint32_t)nvm_api_flush(tok, R, 1, 2), (uint32_t)STATUS_INVALID_PARAMETER,
         "api flush: bad flags");
    is_u((uint32_t)nvm_api_flush_ranges(freed, NULL, 0, 0), (uint32_t)STATUS_INVALID_PARAMETER,
         "api flush ranges: freed token");
    is_u((uint32_t)nvm_api_flush_ranges(tok, NULL, 1, 0), (uint32_t)STATUS_INVALID_PARAMETER,
         "api flush ranges: NULL array");
}

/* ---- a failed call changes no memory; a zero-size call never faults ---- */

static unsigned char pattern_at(size_t i)
{
    return (unsigned char)(i * 7 + 3);
}

static void pattern_fill(void)
{
    for (size_t i = 0; i < 3 * RSIZE; i++)
        backing[i] = pattern_at(i);
}

static int pattern_intact(void)
{
    for (size_t i = 0; i < 3 * RSIZE; i++)
        if (backing[i] != pattern_at(i))
            return 0;
    return 1;
}

struct bad {
    void *tok;
    long off; /* destination offset from R */
    const void *src;
    size_t n;
    ULONG flags;
    const char *name;
};

static void test_no_touch(void)
{
    static unsigned char src[2 * RSIZE];
    memset(src, 0xEE, sizeof src);
    const struct bad cases[] = {
        {DEF, 0, src, 64, 0, "default token"},
        {NULL, 0, src, 64, 0, "NULL token"},
        {forged[5], 0, src, 64, 0, "next-generation forgery"},
        {freed, 0, src, 64, 0, "freed token"},
        {tok, 0, src, 64, 4, "unknown flag"},
        {tok, 0, src, 64, ND, "NO_DRAIN alone"},
        {tok, 0, src, 64, ND | PERSIST, "NO_DRAIN|PERSIST"},
        {tok, 0, src, 300, ND | NT, "NO_DRAIN|NON_TEMPORAL"},
        {tok, 0, NULL, 64, 0, "NULL source"},
        {tok, 0, P(TOP - 31), 64, FL, "wrapping source"},
        {tok, RSIZE - 32, src, 64, 0, "crossing the region end"},
        {tok, -32, src, 64, FL, "crossing the region start"},
        {tok, -1, src, RSIZE + 2, NT, "covering the region"},
        {tok, RSIZE, src, 1, PERSIST, "one past the end"},
    };
    size_t nc = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < nc; i++) {
        const struct bad *c = &cases[i];
        void *t = c->tok;
        pattern_fill();
        NTSTATUS st = nvm_api_write(t, R + c->off, (void *)c->src, c->n, c->flags);
        is_u((uint32_t)st, (uint32_t)STATUS_INVALID_PARAMETER, "api write, %s: rejected", c->name);
        ok(pattern_intact(), "api write, %s: memory untouched", c->name);
        if (c->src == NULL || c->src == P(TOP - 31))
            continue;
        pattern_fill();
        st = nvm_api_fill(t, R + c->off, c->n, 0xEE, c->flags);
        is_u((uint32_t)st, (uint32_t)STATUS_INVALID_PARAMETER, "api fill, %s: rejected", c->name);
        ok(pattern_intact(), "api fill, %s: memory untouched", c->name);
    }

    /* positive controls: the same buffer does change on a good call */
    pattern_fill();
    is_u((uint32_t)nvm_api_write(tok, R + 10, src, 100, FL), (uint32_t)STATUS_SUCCESS,
         "api write: good call succeeds");
    int good = 1;
    for (size_t i = 0; i < 3 * RSIZE; i++) {
        size_t o = i - RSIZE;
        good &= backing[i] == (o >= 10 && o < 110 ? 0xEE : pattern_at(i));
    }
    ok(good, "api write: good call writes exactly its range");
    pattern_fill();
    is_u((uint32_t)nvm_api_fill(tok, R + RSIZE - 300, 300, 0x11, PERSIST),
         (uint32_t)STATUS_SUCCESS, "api fill: good call succeeds");
    good = 1;
    for (size_t i = 0; i < 3 * RSIZE; i++) {
        size_t o = i - RSIZE;
        good &= backing[i] == (o >= RSIZE - 300 && o < RSIZE ? 0x11 : pattern_at(i));
    }
    ok(good, "api fill: good call fills exactly its range");
}

/* Zero-size calls with wild pointers: they must succeed and touch nothing, not even
 * with a flush. A fault is caught and reported instead of killing the test. */

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
    siglongjmp(fault_jmp, sig);
}

struct zcall {
    int kind; /* 0 write, 1 fill, 2 flush, 3 ranges, 4 flush fn */
    void *tok;
    void *p;
    ULONG flags;
    int insn;
    NTSTATUS st;
    size_t n; /* flush fn only */
};

static void zrun(struct zcall *z)
{
    NV_MEMORY_RANGE r[2] = {{z->p, 0}, {P(0x2b), 0}};
    switch (z->kind) {
    case 0:
        z->st = nvm_api_write(z->tok, z->p, P(0x27), 0, z->flags);
        break;
    case 1:
        z->st = nvm_api_fill(z->tok, z->p, 0, 0x5a, z->flags);
        break;
    case 2:
        z->st = nvm_api_flush(z->tok, z->p, 0, z->flags);
        break;
    case 3:
        z->st = nvm_api_flush_ranges(z->tok, r, 2, z->flags);
        break;
    default:
        nvm_flush_fns[z->insn](z->p, z->n);
        z->st = STATUS_SUCCESS;
        break;
    }
}

/* no_fault -- run z; 0 if it faulted (SIGSEGV/SIGBUS). */
static int no_fault(struct zcall *z)
{
    struct sigaction sa, old_segv, old_bus;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    int sig = sigsetjmp(fault_jmp, 1);
    if (sig == 0)
        zrun(z);
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return sig == 0;
}

static void test_zero_wild(void)
{
    void *wild[] = {NULL, P(0x13), P(0x41), P(TOP - 2)};
    const char *wname[] = {"NULL", "0x13", "0x41", "top-2"};
    for (size_t w = 0; w < 4; w++) {
        for (size_t i = 0; i < NWRITE_OK; i++) {
            struct zcall z = {0, tok, wild[w], write_ok[i], 0, -1, 0};
            ok(no_fault(&z), "zero-size write to %s, flags %#x: no fault", wname[w],
               (unsigned)write_ok[i]);
            is_u((uint32_t)z.st, 0, "zero-size write to %s, flags %#x: success", wname[w],
                 (unsigned)write_ok[i]);
            z = (struct zcall){1, tok, wild[w], write_ok[i], 0, -1, 0};
            ok(no_fault(&z), "zero-size fill of %s, flags %#x: no fault", wname[w],
               (unsigned)write_ok[i]);
            is_u((uint32_t)z.st, 0, "zero-size fill of %s, flags %#x: success", wname[w],
                 (unsigned)write_ok[i]);
        }
        for (ULONG fl = 0; fl <= FND; fl++) {
            for (int d = 0; d < 2; d++) {
                struct zcall z = {2, d ? DEF : tok, wild[w], fl, 0, -1, 0};
                ok(no_fault(&z) && z.st == STATUS_SUCCESS,
                   "zero-size flush of %s, %s token, flags %#x: success, no fault", wname[w],
                   d ? "default" : "live", (unsigned)fl);
                z = (struct zcall){3, d ? DEF : tok, wild[w], fl, 0, -1, 0};
                ok(no_fault(&z) && z.st == STATUS_SUCCESS,
                   "zero-length ranges at %s, %s token, flags %#x: success, no fault", wname[w],
                   d ? "default" : "live", (unsigned)fl);
            }
        }
    }
}

/* ---- the real work: every valid flag combination, sizes and alignments ---- */

static const size_t sizes[] = {0, 1, 7, 63, 64, 65, 255, 256, 257, 1000, 4096, 4097, 65537};
#define NSIZES (sizeof sizes / sizeof *sizes)
#define MAXN 65537
#define PAD 128 /* guard bytes each side */
#define BUFSZ ((MAXN + 2 * PAD + 64 + 63) & ~63) /* aligned_alloc wants a multiple of 64 */
static unsigned char *srcbuf, *srcorig, *dstbuf;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void work_setup(void)
{
    srcbuf = aligned_alloc(64, BUFSZ);
    srcorig = malloc(BUFSZ);
    dstbuf = aligned_alloc(64, BUFSZ);
    for (size_t i = 0; i < BUFSZ; i++)
        srcbuf[i] = (unsigned char)next_rand();
    memcpy(srcorig, srcbuf, BUFSZ);
}

/* offsets tried for a size: every destination misalignment for the small sizes, a
 * stride for the large ones; for each, three source misalignments (same, +1, other). */
static size_t dst_stride(size_t n)
{
    return n > 4097 ? 3 : 1;
}

static size_t src_off(size_t d, int k)
{
    return k == 0 ? d : k == 1 ? (d + 1) % 64 : (d * 13 + 5) % 64;
}

/* check_copy -- dst[0,n) == src[0,n), dst[-PAD,0) and dst[n,n+PAD) == ~src there. */
static int check_copy(const unsigned char *dst, const unsigned char *src, size_t n)
{
    if (memcmp(dst, src, n) != 0)
        return 0;
    for (long i = -PAD; i < 0; i++)
        if ((dst[i] ^ src[i]) != 0xff)
            return 0;
    for (size_t i = n; i < n + PAD; i++)
        if ((dst[i] ^ src[i]) != 0xff)
            return 0;
    return 1;
}

static void prep_copy(unsigned char *dst, const unsigned char *src, size_t n)
{
    for (long i = -PAD; i < (long)(n + PAD); i++)
        dst[i] = (unsigned char)~src[i];
}

/* check_fill -- dst[0,n) == v, and the guards each side still hold bg. */
static int check_fill(const unsigned char *dst, unsigned char v, size_t n, unsigned char bg)
{
    for (size_t i = 0; i < n; i++)
        if (dst[i] != v)
            return 0;
    for (long i = -PAD; i < 0; i++)
        if (dst[i] != bg)
            return 0;
    for (size_t i = n; i < n + PAD; i++)
        if (dst[i] != bg)
            return 0;
    return 1;
}

/* what: 0 nvm_do_write, 1 nvm_do_fill, 2 nvm_copy_nt, 3 nvm_fill_nt */
static void run_matrix(int what, ULONG flags, const char *label)
{
    for (size_t si = 0; si < NSIZES; si++) {
        size_t n = sizes[si];
        size_t cases = 0, bad = 0;
        size_t bd = 0, bs = 0;
        for (size_t d = 0; d < 64; d += dst_stride(n)) {
            for (int k = 0; k < 3; k++) {
                size_t s = src_off(d, k);
                unsigned char *dst = dstbuf + PAD + d;
                unsigned char *src = srcbuf + PAD + s;
                unsigned char v = (unsigned char)(n + d + k * 85);
                int good;
                if (what == 0 || what == 2) {
                    prep_copy(dst, src, n);
                    if (what == 0)
                        nvm_do_write(dst, src, n, flags);
                    else
                        nvm_copy_nt(dst, src, n);
                    good = check_copy(dst, src, n);
                } else {
                    if (k == 2) /* fills have no source: two values per offset */
                        break;
                    memset(dst - PAD, (unsigned char)~v, n + 2 * PAD);
                    if (what == 1)
                        nvm_do_fill(dst, v, n, flags);
                    else
                        nvm_fill_nt(dst, v, n);
                    good = check_fill(dst, v, n, (unsigned char)~v);
                }
                cases++;
                if (!good && bad++ == 0)
                    bd = d, bs = s;
            }
        }
        if (bad)
            printf("# %s, size %zu: %zu of %zu cases wrong; first at dst+%zu src+%zu\n", label,
                   n, bad, cases, bd, bs);
        ok(bad == 0, "%s, size %zu: exact bytes, guards intact (%zu cases)", label, n, cases);
    }
    ok(memcmp(srcbuf, srcorig, BUFSZ) == 0, "%s: source unchanged", label);
}

static void test_work(void)
{
    char label[64];
    for (size_t i = 0; i < NWRITE_OK; i++) {
        snprintf(label, sizeof label, "nvm_do_write flags %#x", (unsigned)write_ok[i]);
        run_matrix(0, write_ok[i], label);
        snprintf(label, sizeof label, "nvm_do_fill flags %#x", (unsigned)write_ok[i]);
        run_matrix(1, write_ok[i], label);
    }
    run_matrix(2, 0, "nvm_copy_nt");
    run_matrix(3, 0, "nvm_fill_nt");

    /* fill values 0 and 0xff, and an int value outside UCHAR for nvm_fill_nt */
    unsigned char *dst = dstbuf + PAD + 3;
    memset(dst - PAD, 0x55, 1000 + 2 * PAD);
    nvm_fill_nt(dst, 0x1ff, 1000);
    ok(check_fill(dst, 0xff, 1000, 0x55), "nvm_fill_nt: value converted to unsigned char");
    for (int v = 0; v < 256; v += 255) {
        memset(dst - PAD, (unsigned char)~v, 4097 + 2 * PAD);
        nvm_do_fill(dst, (UCHAR)v, 4097, PERSIST);
        ok(check_fill(dst, (unsigned char)v, 4097, (unsigned char)~v),
           "nvm_do_fill PERSIST value %#x", v);
    }
}

/* overlapping source and destination: memmove semantics, for every flag combination */
static void test_overlap(void)
{
    static const size_t on[] = {1, 2, 63, 64, 65, 255, 256, 257, 1000, 4097};
    static const long shifts[] = {-300, -65, -64, -17, -1, 1, 16, 63, 64, 65, 300};
    size_t len = 3 * 8192;
    unsigned char *buf = aligned_alloc(64, len), *ref = malloc(len), *init = malloc(len);
    for (size_t i = 0; i < len; i++)
        init[i] = (unsigned char)next_rand();
    for (size_t fi = 0; fi <= NWRITE_OK; fi++) {
        int direct = fi == NWRITE_OK;
        ULONG fl = direct ? 0 : write_ok[fi];
        size_t cases = 0, bad = 0;
        for (size_t ni = 0; ni < sizeof on / sizeof *on; ni++) {
            for (size_t si = 0; si < sizeof shifts / sizeof *shifts; si++) {
                for (size_t a = 0; a < 64; a += 21) {
                    size_t n = on[ni];
                    long sh = shifts[si];
                    unsigned char *src = buf + 8192 + a;
                    unsigned char *dst = src + sh;
                    /* also adjacent, non-overlapping: shift by exactly n */
                    if (si == 0)
                        dst = src + n;
                    memcpy(buf, init, len);
                    memcpy(ref, init, len);
                    memmove(ref + (dst - buf), ref + (src - buf), n);
                    if (direct)
                        nvm_copy_nt(dst, src, n);
                    else
                        nvm_do_write(dst, src, n, fl);
                    cases++;
                    if (memcmp(buf, ref, len) != 0 && bad++ == 0)
                        printf("# overlap: first wrong case n=%zu shift=%ld align=%zu\n", n,
                               (long)(dst - src), a);
                }
            }
        }
        if (direct)
            ok(bad == 0, "nvm_copy_nt: overlapping copies behave like memmove (%zu cases)", cases);
        else
            ok(bad == 0, "nvm_do_write flags %#x: overlapping copies behave like memmove (%zu cases)",
               (unsigned)fl, cases);
    }
    free(buf);
    free(ref);
    free(init);
}

/* nvm_do_flush runs over any range and changes nothing */
static void test_do_flush(void)
{
    unsigned char *b = dstbuf;
    for (size_t i = 0; i < 8192; i++)
        b[i] = (unsigned char)(i ^ 0x5a);
    nvm_do_flush(b, 8192, 0);
    nvm_do_flush(b + 1, 4097, FND);
    nvm_do_flush(b + 63, 1, 0);
    nvm_do_flush(b + 64, 0, 0);
    nvm_flush(b + 3, 100);
    nvm_drain();
    int same = 1;
    for (size_t i = 0; i < 8192; i++)
        same &= b[i] == (unsigned char)(i ^ 0x5a);
    ok(same, "nvm_do_flush / nvm_flush change no data");
}

/* ---- flush instruction selection ---- */

#define M_ALL 7u
#define M_NOCLWB ((1u << NVM_CLFLUSH) | (1u << NVM_CLFLUSHOPT))
#define M_CLFLUSH (1u << NVM_CLFLUSH)

struct sel {
    unsigned mask;
    const char *env;
    enum nvm_flush_insn want;
    int complains;
};

static void test_select(void)
{
    const struct sel cases[] = {
        {M_ALL, NULL, NVM_CLWB, 0},
        {M_ALL, "", NVM_CLWB, 0},
        {M_ALL, "clwb", NVM_CLWB, 0},
        {M_ALL, "clflushopt", NVM_CLFLUSHOPT, 0},
        {M_ALL, "clflush", NVM_CLFLUSH, 0},
        {M_ALL, "bogus", NVM_CLWB, 1},
        {M_NOCLWB, NULL, NVM_CLFLUSHOPT, 0},
        {M_NOCLWB, "", NVM_CLFLUSHOPT, 0},
        {M_NOCLWB, "clwb", NVM_CLFLUSHOPT, 1},
        {M_NOCLWB, "clflushopt", NVM_CLFLUSHOPT, 0},
        {M_NOCLWB, "clflush", NVM_CLFLUSH, 0},
        {M_NOCLWB, "bogus", NVM_CLFLUSHOPT, 1},
        {M_CLFLUSH, NULL, NVM_CLFLUSH, 0},
        {M_CLFLUSH, "", NVM_CLFLUSH, 0},
        {M_CLFLUSH, "clwb", NVM_CLFLUSH, 1},
        {M_CLFLUSH, "clflushopt", NVM_CLFLUSH, 1},
        {M_CLFLUSH, "clflush", NVM_CLFLUSH, 0},
        {M_CLFLUSH, "bogus", NVM_CLFLUSH, 1},
        {0, NULL, NVM_CLFLUSH, 0},
        {0, "", NVM_CLFLUSH, 0},
        {0, "clwb", NVM_CLFLUSH, 1},
        {0, "clflushopt", NVM_CLFLUSH, 1},
        {0, "clflush", NVM_CLFLUSH, 1},
        {0, "bogus", NVM_CLFLUSH, 1},
        /* more shapes: CLWB without CLFLUSHOPT, names are exact */
        {(1u << NVM_CLFLUSH) | (1u << NVM_CLWB), NULL, NVM_CLWB, 0},
        {(1u << NVM_CLFLUSH) | (1u << NVM_CLWB), "clflushopt", NVM_CLWB, 1},
        {M_ALL, "CLWB", NVM_CLWB, 1},
        {M_ALL, "clwb ", NVM_CLWB, 1},
        {M_ALL, "clflus", NVM_CLWB, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct sel *c = &cases[i];
        const char *why = "sentinel";
        enum nvm_flush_insn got = nvm_select_insn(c->mask, c->env, &why);
        const char *env = c->env ? c->env : "(null)";
        if (!ok(got == c->want, "select: mask %#x env \"%s\" -> %s", c->mask, env,
                nvm_insn_name(c->want)))
            printf("#   got: %s\n", nvm_insn_name(got));
        if (c->complains)
            ok(why != NULL && strcmp(why, "sentinel") != 0 && *why,
               "select: mask %#x env \"%s\": says why env was ignored", c->mask, env);
        else
            ok(why == NULL, "select: mask %#x env \"%s\": why is NULL", c->mask, env);
    }

    is_s(nvm_insn_name(NVM_CLFLUSH), "clflush", "insn name: clflush");
    is_s(nvm_insn_name(NVM_CLFLUSHOPT), "clflushopt", "insn name: clflushopt");
    is_s(nvm_insn_name(NVM_CLWB), "clwb", "insn name: clwb");
    is_s(nvm_insn_name(NVM_NINSN), "?", "insn name: out of range");
    is_s(nvm_insn_name((enum nvm_flush_insn)-1), "?", "insn name: negative");

    unsigned sup = nvm_cpu_supported();
    printf("# CPU flush instructions: mask %#x%s%s%s; chosen %s\n", sup,
           sup & 1 ? " clflush" : "", sup & 2 ? " clflushopt" : "", sup & 4 ? " clwb" : "",
           nvm_insn_name(nvm_flush_insn()));
    ok(sup & (1u << NVM_CLFLUSH), "cpu: CLFLUSH supported (every x86-64)");
    is_u(sup & ~M_ALL, 0, "cpu: no bits beyond the three instructions");
    const char *why;
    is_u(nvm_flush_insn(), nvm_select_insn(sup, getenv("NVMEM_FLUSH"), &why),
         "cpu: the chosen instruction follows the selection rule");
    ok(sup & (1u << nvm_flush_insn()), "cpu: the chosen instruction is supported");

    /* run every supported flush loop; skip the others */
    static const size_t fsz[] = {0, 1, 64, 4097};
    unsigned char *b = dstbuf;
    for (size_t i = 0; i < 8192; i++)
        b[i] = (unsigned char)(i * 3);
    for (int in = 0; in < NVM_NINSN; in++) {
        ok(nvm_flush_fns[in] != NULL, "flush fn %s present", nvm_insn_name((enum nvm_flush_insn)in));
        for (int al = 0; al < 2; al++) {
            for (size_t k = 0; k < sizeof fsz / sizeof *fsz; k++) {
                if (!(sup & (1u << in))) {
                    skip("CPU lacks %s", nvm_insn_name((enum nvm_flush_insn)in));
                    continue;
                }
                struct zcall z = {4, NULL, b + 64 + (al ? 13 : 0), 0, in, -1, fsz[k]};
                ok(no_fault(&z), "flush fn %s, %s, %zu bytes: runs",
                   nvm_insn_name((enum nvm_flush_insn)in), al ? "unaligned" : "aligned", fsz[k]);
            }
        }
        if (sup & (1u << in)) {
            struct zcall z = {4, NULL, P(0x13), 0, in, -1, 0};
            ok(no_fault(&z), "flush fn %s, zero bytes at a wild unaligned address: no access",
               nvm_insn_name((enum nvm_flush_insn)in));
        } else {
            skip("CPU lacks %s", nvm_insn_name((enum nvm_flush_insn)in));
        }
    }
    int same = 1;
    for (size_t i = 0; i < 8192; i++)
        same &= b[i] == (unsigned char)(i * 3);
    ok(same, "flush fns change no data");
}

int main(void)
{
    setup();
    test_status();
    test_get();
    test_tokens();
    test_flags();
    test_pointers();
    test_region();
    test_ranges();
    test_drain();
    test_no_touch();
    test_zero_wild();
    work_setup();
    test_work();
    test_overlap();
    test_do_flush();
    test_select();
    is_u(err_disagree, 0, "the fault's err equals the returned error in all %zu checks", err_calls);
    ok(nvm_api_free(tok) == STATUS_SUCCESS, "teardown: free the region token");
    free(backing);
    free(srcbuf);
    free(srcorig);
    free(dstbuf);
    return done_testing();
}
