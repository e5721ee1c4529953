/* checker.h -- what each API call means for the persistence model. */
#ifndef NVC_CHECKER_H
#define NVC_CHECKER_H

#include "nvmem.h"
#include "runtime.h"

enum nvc_routine { /* 0: a finding not about one call's arguments */
                   NVC_GET_TOKEN = 1,
                   NVC_FREE_TOKEN,
                   NVC_WRITE,
                   NVC_FILL,
                   NVC_FLUSH,
                   NVC_FLUSH_RANGES,
                   NVC_DRAIN,
                   NVC_NROUTINES
};
extern const char *const nvc_routine_names[NVC_NROUTINES];

/* Each does the call's real work (exactly as libnvmem would) and tells the engine;
 * caller is the program's call site. */
NTSTATUS nvc_get_token(struct nvc_thread *t, const struct nvc_site *caller, PVOID buf, SIZE_T size,
                       PVOID *token);
NTSTATUS nvc_free_token(struct nvc_thread *t, const struct nvc_site *caller, PVOID token);
NTSTATUS nvc_write(struct nvc_thread *t, const struct nvc_site *caller, PVOID token, void *dst,
                   const void *src, SIZE_T n, ULONG flags);
NTSTATUS nvc_fill(struct nvc_thread *t, const struct nvc_site *caller, PVOID token, void *dst,
                  SIZE_T n, UCHAR value, ULONG flags);
NTSTATUS nvc_flush(struct nvc_thread *t, const struct nvc_site *caller, PVOID token, PVOID buf,
                   SIZE_T n, ULONG flags);
NTSTATUS nvc_flush_ranges(struct nvc_thread *t, const struct nvc_site *caller, PVOID token,
                          PNV_MEMORY_RANGE ranges, SIZE_T nr, ULONG flags);
NTSTATUS nvc_drain(struct nvc_thread *t, const struct nvc_site *caller, PVOID token);

#endif
