/* entry.c -- the seven exported routines of libnvcheck.so.
 *
 * Each: enter the guard (or run unchecked, exactly as libnvmem), hand the call and
 * its return address -- the program's call site -- to the checker, leave. Nothing
 * else happens here.
 */
#include "checker.h"
#include "nvmem/export.h"
#include "nvmem/ops.h"

/* The program's call site: our return address, and the stack slot it sits in (just
 * above our frame; __builtin_frame_address gives this function a frame pointer). */
#define SITE                                                                                       \
    struct nvc_site site = {(uintptr_t)__builtin_return_address(0),                                \
                            (uintptr_t)__builtin_frame_address(0) + sizeof(void *)}

NVM_EXPORT NTSTATUS RtlGetNonVolatileToken(PVOID NvBuffer, SIZE_T Size, PVOID *NvToken)
{
    SITE;
    struct nvc_thread *t = nvc_enter(site.slot);
    if (!t)
        return nvm_api_get(NvBuffer, Size, NvToken);
    NTSTATUS st = nvc_get_token(t, &site, NvBuffer, Size, NvToken);
    nvc_leave(t);
    return st;
}

NVM_EXPORT NTSTATUS RtlFreeNonVolatileToken(PVOID NvToken)
{
    SITE;
    struct nvc_thread *t = nvc_enter(site.slot);
    if (!t)
        return nvm_api_free(NvToken);
    NTSTATUS st = nvc_free_token(t, &site, NvToken);
    nvc_leave(t);
    return st;
}

NVM_EXPORT NTSTATUS RtlWriteNonVolatileMemory(PVOID NvToken, VOID UNALIGNED *NvDestination,
                                              VOID UNALIGNED *Source, SIZE_T Size, ULONG Flags)
{
    SITE;
    struct nvc_thread *t = nvc_enter(site.slot);
    if (!t)
        return nvm_api_write(NvToken, NvDestination, Source, Size, Flags);
    NTSTATUS st = nvc_write(t, &site, NvToken, NvDestination, Source, Size, Flags);
    nvc_leave(t);
    return st;
}

NVM_EXPORT NTSTATUS RtlFillNonVolatileMemory(PVOID NvToken, VOID *NvDestination, SIZE_T Size,
                                             const UCHAR Value, ULONG Flags)
{
    SITE;
    struct nvc_thread *t = nvc_enter(site.slot);
    if (!t)
        return nvm_api_fill(NvToken, NvDestination, Size, Value, Flags);
    NTSTATUS st = nvc_fill(t, &site, NvToken, NvDestination, Size, Value, Flags);
    nvc_leave(t);
    return st;
}

NVM_EXPORT NTSTATUS RtlFlushNonVolatileMemory(PVOID NvToken, PVOID NvBuffer, SIZE_T Size,
                                              ULONG Flags)
{
    SITE;
    struct nvc_thread *t = nvc_enter(site.slot);
    if (!t)
        return nvm_api_flush(NvToken, NvBuffer, Size, Flags);
    NTSTATUS st = nvc_flush(t, &site, NvToken, NvBuffer, Size, Flags);
    nvc_leave(t);
    return st;
}

NVM_EXPORT NTSTATUS RtlFlushNonVolatileMemoryRanges(PVOID NvToken, PNV_MEMORY_RANGE NvRanges,
                                                    SIZE_T NumRanges, ULONG Flags)
{
    SITE;
    struct nvc_thread *t = nvc_enter(site.slot);
    if (!t)
        return nvm_api_flush_ranges(NvToken, NvRanges, NumRanges, Flags);
    NTSTATUS st = nvc_flush_ranges(t, &site, NvToken, NvRanges, NumRanges, Flags);
    nvc_leave(t);
    return st;
}

NVM_EXPORT NTSTATUS RtlDrainNonVolatileFlush(PVOID NvToken)
{
    SITE;
    struct nvc_thread *t = nvc_enter(site.slot);
    if (!t)
        return nvm_api_drain(NvToken);
    NTSTATUS st = nvc_drain(t, &site, NvToken);
    nvc_leave(t);
    return st;
}
