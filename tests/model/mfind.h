/* mfind.h -- the model's findings (mfind.c) and argument checks (checks.c). */
#ifndef NV_MFIND_H
#define NV_MFIND_H

#include "model.h"

#define MF_ANY_THREAD 255 /* several threads flushed the bytes: the report says null */

void mf_init(void);
/* mf_seq -- later occurrences come from sequence seq (told on a mismatch). */
void mf_seq(long seq);

/* The checks, in the documented order (token, flags, pointers, region; the first
 * failure wins). A failed check records its finding and returns
 * STATUS_INVALID_PARAMETER; a passed one STATUS_SUCCESS. */
NTSTATUS mf_check_get(uintptr_t buf, size_t size, int out_is_null);
NTSTATUS mf_check_token(int site, int routine, uintptr_t tok, const struct mtok *tk,
                        int allow_default);
NTSTATUS mf_check_store(int site, int routine, uintptr_t tok, const struct mtok *tk, uintptr_t dst,
                        uintptr_t src, size_t n, ULONG flags);
NTSTATUS mf_check_flush(int site, uintptr_t tok, const struct mtok *tk, uintptr_t buf, size_t n,
                        ULONG flags);
NTSTATUS mf_check_ranges(int site, uintptr_t tok, const struct mtok *tk, const void *ranges,
                         size_t nr, ULONG flags);

/* mf_state -- a run of outstanding bytes found at token free (freed_site) or exit
 * (0): unflushed-write when thread is 0, else undrained-flush by that thread. */
void mf_state(int ws, int fs, int thread, int freed_site, const struct mtok *region, uintptr_t a,
              size_t n);
void mf_overwritten(int site, int routine, int prev_site, uintptr_t a, size_t n);
void mf_redundant(int site, int routine, uintptr_t a, size_t n);
void mf_leaked(const struct mtok *tk);

/* Problems an argument check can find (checks.c). */
enum {
    D_OK,
    D_UNKNOWN,
    D_FREED,
    D_DEFAULT,
    D_NULL,
    D_WRAP,
    D_FLAGS,
    D_ND,
    D_ND_NT,
    D_EMPTY,
    D_OOR
};
/* mf_bad -- a call from site failed check d; tk: the live token (for D_OOR). */
void mf_bad(int site, int routine, int d, const struct mtok *tk, uintptr_t addr, uint64_t size,
            const char *msg);
const char *mf_routine_name(int routine);

#endif
