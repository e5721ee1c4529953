/* api.c -- libnvmem: the seven routines, production build (no checking).
 *
 * Each routine validates its arguments (a bad call returns STATUS_INVALID_PARAMETER
 * and touches no memory) and does the work with the primitives in cpu.c and copy.c;
 * see ops.c. libnvcheck.so exports the same names around the same code.
 */
#include "export.h"
#include "ops.h"

#include <pthread.h>

NVM_EXPORT NTSTATUS RtlGetNonVolatileToken(PVOID NvBuffer, SIZE_T Size, PVOID *NvToken)
{
    return nvm_api_get(NvBuffer, Size, NvToken);
}

NVM_EXPORT NTSTATUS RtlFreeNonVolatileToken(PVOID NvToken)
{
    return nvm_api_free(NvToken);
}

NVM_EXPORT NTSTATUS RtlWriteNonVolatileMemory(PVOID NvToken, VOID UNALIGNED *NvDestination,
                                              VOID UNALIGNED *Source, SIZE_T Size, ULONG Flags)
{
    return nvm_api_write(NvToken, NvDestination, Source, Size, Flags);
}

NVM_EXPORT NTSTATUS RtlFillNonVolatileMemory(PVOID NvToken, VOID *NvDestination, SIZE_T Size,
                                             const UCHAR Value, ULONG Flags)
{
    return nvm_api_fill(NvToken, NvDestination, Size, Value, Flags);
}

NVM_EXPORT NTSTATUS RtlFlushNonVolatileMemory(PVOID NvToken, PVOID NvBuffer, SIZE_T Size,
                                              ULONG Flags)
{
    return nvm_api_flush(NvToken, NvBuffer, Size, Flags);
}

NVM_EXPORT NTSTATUS RtlFlushNonVolatileMemoryRanges(PVOID NvToken, PNV_MEMORY_RANGE NvRanges,
                                                    SIZE_T NumRanges, ULONG Flags)
{
    return nvm_api_flush_ranges(NvToken, NvRanges, NumRanges, Flags);
}

NVM_EXPORT NTSTATUS RtlDrainNonVolatileFlush(PVOID NvToken)
{
    return nvm_api_drain(NvToken);
}

/* Fork safety: never let a child inherit the token lock held by another thread. */
__attribute__((constructor)) static void nvmem_init(void)
{
    pthread_atfork(nvm_token_lock, nvm_token_unlock, nvm_token_reset_lock);
}
