/* ops.h -- argument checks and the real work of the seven routines.
 *
 * Shared by libnvmem (check, then work) and the interposer (check, record a finding
 * when the check fails, work, then tell the engine). A failed check touches no memory.
 */
#ifndef NVMEM_OPS_H
#define NVMEM_OPS_H

#include "nvmem.h"
#include "token.h"

#define NVM_WRITE_FLAGS (WRITE_NV_MEMORY_FLAG_PERSIST | WRITE_NV_MEMORY_FLAG_NO_DRAIN)
#define NVM_FLUSH_FLAGS FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN

enum nvm_err {
    NVM_OK = 0,
    NVM_E_TOKEN_UNKNOWN,  /* never issued (or freed and its slot reused) */
    NVM_E_TOKEN_FREED,    /* issued, then freed */
    NVM_E_TOKEN_DEFAULT,  /* the default token where a real one is needed */
    NVM_E_NULL,           /* NULL pointer with non-zero size */
    NVM_E_WRAP,           /* pointer + size overflows the address space */
    NVM_E_FLAGS,          /* unknown flag bits */
    NVM_E_NO_DRAIN_ALONE, /* NO_DRAIN without FLUSH */
    NVM_E_NO_DRAIN_NT,    /* NO_DRAIN together with NON_TEMPORAL */
    NVM_E_EMPTY,          /* a token for zero bytes */
    NVM_E_OUT_OF_REGION,  /* range not inside the token's region */
    NVM_E_FULL,           /* token table full: STATUS_INSUFFICIENT_RESOURCES */
};

/* What was wrong, in enough detail for a finding. */
struct nvm_fault {
    enum nvm_err err;
    const char *what; /* the offending argument: "NvDestination", "Flags", ... */
    uintptr_t addr;   /* the offending range, when there is one */
    size_t size;
    ULONG flags;
    size_t index; /* RtlFlushNonVolatileMemoryRanges: which range */
    int has_tok;  /* tok names the token's region (or, for FREED, its slot) */
    struct nvm_tok tok;
};

int nvm_is_default_token(const void *token);

enum nvm_err nvm_check_get(const void *buf, size_t size, void *const *out, struct nvm_fault *f);
/* nvm_check_free -- frees on success, leaving note as the token's freed note. */
enum nvm_err nvm_check_free(const void *token, uint32_t note, struct nvm_fault *f);
enum nvm_err nvm_check_write(const void *token, const void *dst, const void *src, size_t n,
                             ULONG flags, struct nvm_fault *f);
enum nvm_err nvm_check_fill(const void *token, const void *dst, size_t n, ULONG flags,
                            struct nvm_fault *f);
enum nvm_err nvm_check_flush(const void *token, const void *buf, size_t n, ULONG flags,
                             struct nvm_fault *f);
enum nvm_err nvm_check_ranges(const void *token, const NV_MEMORY_RANGE *ranges, size_t nr,
                              ULONG flags, struct nvm_fault *f);
enum nvm_err nvm_check_drain(const void *token, struct nvm_fault *f);

NTSTATUS nvm_status(enum nvm_err err);

/* nvm_range_at -- element i of a caller's range array (which may be misaligned). */
NV_MEMORY_RANGE nvm_range_at(const NV_MEMORY_RANGE *ranges, size_t i);

void nvm_do_write(void *dst, const void *src, size_t n, ULONG flags);
void nvm_do_fill(void *dst, UCHAR value, size_t n, ULONG flags);
void nvm_do_flush(const void *buf, size_t n, ULONG flags);
void nvm_do_ranges(const NV_MEMORY_RANGE *ranges, size_t nr, ULONG flags);

/* The seven routines without a checker (libnvmem; the interposer when a call must
 * run unchecked). */
NTSTATUS nvm_api_get(PVOID buf, SIZE_T size, PVOID *token);
NTSTATUS nvm_api_free(PVOID token);
NTSTATUS nvm_api_write(PVOID token, void *dst, const void *src, SIZE_T n, ULONG flags);
NTSTATUS nvm_api_fill(PVOID token, void *dst, SIZE_T n, UCHAR value, ULONG flags);
NTSTATUS nvm_api_flush(PVOID token, PVOID buf, SIZE_T n, ULONG flags);
NTSTATUS nvm_api_flush_ranges(PVOID token, PNV_MEMORY_RANGE ranges, SIZE_T nr, ULONG flags);
NTSTATUS nvm_api_drain(PVOID token);

#endif
