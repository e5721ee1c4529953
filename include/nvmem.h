/* nvmem.h -- the Windows non-volatile memory API (Rtl*NonVolatile*) on Linux.
 *
 * Same names, types, widths and flag values as the Windows SDK (ntddk.h), so code
 * written against the Windows API builds unchanged. Implemented by libnvmem
 * (production, -lnvmem) and by libnvcheck.so (the checking interposer, LD_PRELOAD).
 * Plain C99; includable from C and C++.
 */
#ifndef NVMEM_H
#define NVMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Windows x64 widths: NTSTATUS 32-bit signed, ULONG 32-bit unsigned (LLP64). */
typedef int32_t NTSTATUS;
typedef uint32_t ULONG;
typedef uint8_t UCHAR;
typedef size_t SIZE_T;
typedef uintptr_t ULONG_PTR;
typedef void VOID;
typedef void *PVOID;

#ifndef UNALIGNED
#define UNALIGNED
#endif

#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
/* Not in DESIGN.md's minimum set: returned by RtlGetNonVolatileToken when the token
 * table is full (same value as in the Windows SDK). */
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)

typedef struct _NV_MEMORY_RANGE {
    PVOID BaseAddress;
    SIZE_T Length;
} NV_MEMORY_RANGE, *PNV_MEMORY_RANGE;

/* RtlFlushNonVolatileMemory / RtlFlushNonVolatileMemoryRanges */
#define FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN 0x00000001UL
/* Accepted as NvToken by the flush and drain routines when the caller has no token. */
#define FLUSH_NV_MEMORY_DEFAULT_TOKEN ((ULONG_PTR)-1)

/* RtlWriteNonVolatileMemory */
#define WRITE_NV_MEMORY_FLAG_FLUSH 0x00000001UL
#define WRITE_NV_MEMORY_FLAG_NON_TEMPORAL 0x00000002UL
#define WRITE_NV_MEMORY_FLAG_PERSIST                                                               \
    (WRITE_NV_MEMORY_FLAG_FLUSH | WRITE_NV_MEMORY_FLAG_NON_TEMPORAL)
#define WRITE_NV_MEMORY_FLAG_NO_DRAIN 0x00000100UL

/* RtlFillNonVolatileMemory */
#define FILL_NV_MEMORY_FLAG_FLUSH 0x00000001UL
#define FILL_NV_MEMORY_FLAG_NON_TEMPORAL 0x00000002UL
#define FILL_NV_MEMORY_FLAG_PERSIST (FILL_NV_MEMORY_FLAG_FLUSH | FILL_NV_MEMORY_FLAG_NON_TEMPORAL)
#define FILL_NV_MEMORY_FLAG_NO_DRAIN 0x00000100UL

NTSTATUS RtlGetNonVolatileToken(PVOID NvBuffer, SIZE_T Size, PVOID *NvToken);
NTSTATUS RtlFreeNonVolatileToken(PVOID NvToken);
NTSTATUS RtlWriteNonVolatileMemory(PVOID NvToken, VOID UNALIGNED *NvDestination,
                                   VOID UNALIGNED *Source, SIZE_T Size, ULONG Flags);
NTSTATUS RtlFillNonVolatileMemory(PVOID NvToken, VOID *NvDestination, SIZE_T Size,
                                  const UCHAR Value, ULONG Flags);
NTSTATUS RtlFlushNonVolatileMemory(PVOID NvToken, PVOID NvBuffer, SIZE_T Size, ULONG Flags);
NTSTATUS RtlFlushNonVolatileMemoryRanges(PVOID NvToken, PNV_MEMORY_RANGE NvRanges, SIZE_T NumRanges,
                                         ULONG Flags);
NTSTATUS RtlDrainNonVolatileFlush(PVOID NvToken);

#ifdef __cplusplus
}
#endif

#endif /* NVMEM_H */
