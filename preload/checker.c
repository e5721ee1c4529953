/* checker.c -- what each API call means for the persistence model.
 *
 * Every routine: check the arguments exactly as libnvmem does (ops.c), record a
 * finding if they are bad, otherwise do the real work and tell the engine what it
 * left behind. A stack is captured only when the call leaves state that may later
 * become a finding (or is one) -- a write with FLUSH that is drained at once costs
 * no unwinding at all.
 *
 * Flag meanings (Windows semantics, DESIGN.md section 2):
 *   0                  store              -> DIRTY
 *   FLUSH              store+flush+drain  -> its lines CLEAN
 *   FLUSH|NO_DRAIN     store+flush        -> its lines FLUSHED by this thread
 *   NON_TEMPORAL       streaming store    -> its bytes FLUSHED by this thread
 *   PERSIST (F|NT)     streaming + drain  -> its bytes CLEAN
 */
#include "checker.h"

#include "attrs.h"

#include "engine/regions.h"
#include "nvmem/cpu.h"
#include "nvmem/ops.h"
#include "sweep.h"

#include <string.h>

#define FL WRITE_NV_MEMORY_FLAG_FLUSH
#define NT WRITE_NV_MEMORY_FLAG_NON_TEMPORAL
#define ND WRITE_NV_MEMORY_FLAG_NO_DRAIN

const char *const nvc_routine_names[NVC_NROUTINES] = {
    [NVC_GET_TOKEN] = "RtlGetNonVolatileToken",
    [NVC_FREE_TOKEN] = "RtlFreeNonVolatileToken",
    [NVC_WRITE] = "RtlWriteNonVolatileMemory",
    [NVC_FILL] = "RtlFillNonVolatileMemory",
    [NVC_FLUSH] = "RtlFlushNonVolatileMemory",
    [NVC_FLUSH_RANGES] = "RtlFlushNonVolatileMemoryRanges",
    [NVC_DRAIN] = "RtlDrainNonVolatileFlush",
};

static void engine_failed(int rc)
{
    if (rc < 0)
        nvc_fail("out of memory for shadow state");
}

/* fault -- record the finding for a call with token that failed its argument checks. */
NV_COLD static NTSTATUS fault(struct nvc_thread *t, const struct nvc_site *caller,
                              enum nvc_routine r, const void *token, const struct nvm_fault *f)
{
    int k;
    switch (f->err) {
    case NVM_E_TOKEN_UNKNOWN:
    case NVM_E_TOKEN_FREED:
    case NVM_E_TOKEN_DEFAULT:
        k = NV_K_INVALID_TOKEN;
        break;
    case NVM_E_OUT_OF_REGION:
        k = NV_K_OUT_OF_REGION;
        break;
    case NVM_E_FULL:
        return nvm_status(f->err); /* not a bug in the program */
    default:
        k = NV_K_INVALID_ARGUMENT;
        break;
    }
    if (!nvc_kind_on(k))
        return nvm_status(f->err);
    struct nve_occurrence o;
    memset(&o, 0, sizeof o);
    o.key.kind = (uint32_t)k;
    o.key.stack = nvc_capture(t, caller);
    o.key.detail = f->err;
    o.key.routine = r;
    /* The token's stacks, kept in its slot (unknown, 0, if it has been reused since). */
    uint32_t created = 0, freed = 0;
    if (f->err == NVM_E_TOKEN_FREED || f->err == NVM_E_OUT_OF_REGION)
        nvm_token_notes(token, &created, &freed);
    if (f->err == NVM_E_TOKEN_FREED && freed) {
        o.key.rel_role[0] = NVE_ROLE_TOKEN_FREED_AT;
        o.key.rel_stack[0] = freed;
    }
    if (f->err == NVM_E_OUT_OF_REGION) {
        o.key.has_region = 1;
        o.key.region_base = f->tok.base;
        o.region_size = f->tok.size;
        o.key.rel_role[0] = NVE_ROLE_TOKEN_CREATED_AT;
        o.key.rel_stack[0] = created;
    }
    o.addr = f->addr;
    o.size = f->size;
    o.flags = f->flags;
    o.index = f->index;
    o.what = f->what;
    nve_findings_add(nvc.findings, &o);
    return nvm_status(f->err);
}

/* simple -- a finding about this call with no region or related stack. */
NV_COLD static void simple(int k, uint32_t stack, enum nvc_routine r, uintptr_t addr, size_t size,
                           int rel_role, uint32_t rel_stack)
{
    struct nve_occurrence o;
    memset(&o, 0, sizeof o);
    o.key.kind = (uint32_t)k;
    o.key.stack = stack;
    o.key.routine = r;
    o.key.rel_role[0] = (uint32_t)rel_role;
    o.key.rel_stack[0] = rel_stack;
    o.addr = addr;
    o.size = size;
    nve_findings_add(nvc.findings, &o);
}

/* drained/left_flushed -- when threads drain and flush, for the undrained-flush
 * message ("T1 drained later, but..."). Drain times matter only once some thread has
 * left lines FLUSHED; until then no store is spent on them (stores on this path wait
 * behind the write-back, and a fixed-address one can alias a stack slot the stack
 * cache reads: measured +150 ns on half of all stack layouts). */
static void drained(struct nvc_thread *t)
{
    if (__atomic_load_n(&nvc.flushed_somewhere, __ATOMIC_RELAXED))
        nvc.threads[t->e.id].last_drain = nvc_now();
}

static void left_flushed(struct nvc_thread *t)
{
    nvc.threads[t->e.id].last_flush = nvc_now();
    if (!__atomic_load_n(&nvc.flushed_somewhere, __ATOMIC_RELAXED))
        __atomic_store_n(&nvc.flushed_somewhere, 1, __ATOMIC_RELAXED);
}

static void empty_drain(struct nvc_thread *t)
{
    engine_failed(nve_drain(nvc.shadow, &t->e));
    drained(t);
}

NTSTATUS nvc_get_token(struct nvc_thread *t, const struct nvc_site *caller, PVOID buf, SIZE_T size,
                       PVOID *token)
{
    struct nvm_fault f;
    struct nvm_tok tok;
    if (nvm_check_get(buf, size, token, &f) != NVM_OK)
        return fault(t, caller, NVC_GET_TOKEN, NULL, &f);
    /* Its stack goes into the token's slot as the slot is issued (under the table's
     * lock): stored afterwards, it could race with the next owner of a reused slot. */
    uint32_t created = nvc_capture(t, caller);
    if (nvm_token_new((uintptr_t)buf, size, created, token, &tok) < 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    nvc_region_begin(NVE_FE_RTL_TOKEN, (uintptr_t)*token, tok.base, tok.base + tok.size, created);
    return STATUS_SUCCESS;
}

NTSTATUS nvc_free_token(struct nvc_thread *t, const struct nvc_site *caller, PVOID token)
{
    struct nvm_fault f;
    struct nvm_tok live;
    /* Its stack is noted in the slot as it is freed (under the table's lock, see
     * nvc_get_token), so it is taken first -- unless the free will fail without a
     * finding (invalid-token off): as before, no stack for that. */
    uint32_t at = nvc_kind_on(NV_K_INVALID_TOKEN) || nvm_token_lookup(token, &live) == NVM_TOK_LIVE
                      ? nvc_capture(t, caller)
                      : 0;
    if (nvm_check_free(token, at, &f) != NVM_OK)
        return fault(t, caller, NVC_FREE_TOKEN, token, &f);
    nvc_region_end(NVE_FE_RTL_TOKEN, (uintptr_t)token, f.tok.base, f.tok.base + f.tok.size, at);
    return STATUS_SUCCESS;
}

/* stored -- the engine's view of a successful write or fill of [a, a+n). */
static void stored(struct nvc_thread *t, const struct nvc_site *caller, enum nvc_routine r,
                   uintptr_t a, size_t n, ULONG flags)
{
    struct nve_over over, *op = nvc_kind_on(NV_K_OVERWRITTEN_UNFLUSHED) ? &over : NULL;
    uint32_t ws = 0;
    int rc, dirty;
    switch (flags & (FL | NT | ND)) {
    case 0:
        ws = nvc_capture(t, caller);
        rc = nve_store(nvc.shadow, &t->e, a, n, NVE_STORE_DIRTY, ws, op);
        break;
    case NT:
        ws = nvc_capture(t, caller);
        rc = nve_store(nvc.shadow, &t->e, a, n, NVE_STORE_FLUSHED, ws, op);
        left_flushed(t);
        break;
    case FL | ND:
        ws = nvc_capture(t, caller);
        rc = nve_store(nvc.shadow, &t->e, a, n, NVE_STORE_DIRTY, ws, op);
        if (rc == 0)
            rc = nve_flush(nvc.shadow, &t->e, a, n, ws, 0, &dirty);
        left_flushed(t);
        break;
    case FL:
        rc = nve_store(nvc.shadow, &t->e, a, n, NVE_STORE_CLEAN_LINES, 0, op);
        if (rc == 0)
            rc = nve_drain(nvc.shadow, &t->e);
        drained(t);
        break;
    default: /* FL | NT: PERSIST */
        rc = nve_store(nvc.shadow, &t->e, a, n, NVE_STORE_CLEAN_BYTES, 0, op);
        if (rc == 0)
            rc = nve_drain(nvc.shadow, &t->e);
        drained(t);
        break;
    }
    if (__builtin_expect(rc > 0, 0)) { /* not recorded: shadow memory is at its cap */
        __atomic_add_fetch(&nvc.untracked_writes, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&nvc.untracked_bytes, n, __ATOMIC_RELAXED);
    }
    engine_failed(rc);
    if (op && over.len)
        simple(NV_K_OVERWRITTEN_UNFLUSHED, ws ? ws : nvc_capture(t, caller), r, over.addr, over.len,
               NVE_ROLE_PREVIOUS_WRITE, over.wstack);
}

NV_HOT NTSTATUS nvc_write(struct nvc_thread *t, const struct nvc_site *caller, PVOID token,
                          void *dst, const void *src, SIZE_T n, ULONG flags)
{
    struct nvm_fault f;
    int keeps = n && !(flags & FL); /* leaves state behind: the shadow will be touched */
    if (keeps)
        nve_prefetch(nvc.shadow, (uintptr_t)dst);
    if (nvm_check_write(token, dst, src, n, flags, &f) != NVM_OK)
        return fault(t, caller, NVC_WRITE, token, &f);
    nvm_do_write(dst, src, n, flags);
    if (n)
        stored(t, caller, NVC_WRITE, (uintptr_t)dst, n, flags);
    else if ((flags & FL) && !(flags & ND)) /* an empty write still drains */
        empty_drain(t);
    return STATUS_SUCCESS;
}

NV_HOT NTSTATUS nvc_fill(struct nvc_thread *t, const struct nvc_site *caller, PVOID token,
                         void *dst, SIZE_T n, UCHAR value, ULONG flags)
{
    struct nvm_fault f;
    if (nvm_check_fill(token, dst, n, flags, &f) != NVM_OK)
        return fault(t, caller, NVC_FILL, token, &f);
    nvm_do_fill(dst, value, n, flags);
    if (n)
        stored(t, caller, NVC_FILL, (uintptr_t)dst, n, flags);
    else if ((flags & FL) && !(flags & ND))
        empty_drain(t);
    return STATUS_SUCCESS;
}

/* flushed -- the engine's view of flushing [a, a+n) (no drain yet); fs is the
 * call's stack when it may be needed. */
static void flushed(struct nvc_thread *t, const struct nvc_site *caller, enum nvc_routine r,
                    uintptr_t a, size_t n, uint32_t fs, int drain)
{
    int dirty = 0;
    engine_failed(nve_flush(nvc.shadow, &t->e, a, n, fs, drain, &dirty));
    if (!drain)
        left_flushed(t);
    if (!dirty && nvc_kind_on(NV_K_REDUNDANT_FLUSH))
        simple(NV_K_REDUNDANT_FLUSH, fs ? fs : nvc_capture(t, caller), r, a, n, 0, 0);
}

NV_HOT NTSTATUS nvc_flush(struct nvc_thread *t, const struct nvc_site *caller, PVOID token,
                          PVOID buf, SIZE_T n, ULONG flags)
{
    struct nvm_fault f;
    if (nvm_check_flush(token, buf, n, flags, &f) != NVM_OK)
        return fault(t, caller, NVC_FLUSH, token, &f);
    nvm_do_flush(buf, n, flags);
    int drain = !(flags & FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN);
    if (n)
        flushed(t, caller, NVC_FLUSH, (uintptr_t)buf, n, drain ? 0 : nvc_capture(t, caller), drain);
    else if (drain)
        engine_failed(nve_drain(nvc.shadow, &t->e));
    if (drain)
        drained(t);
    return STATUS_SUCCESS;
}

NV_HOT NTSTATUS nvc_flush_ranges(struct nvc_thread *t, const struct nvc_site *caller, PVOID token,
                                 PNV_MEMORY_RANGE ranges, SIZE_T nr, ULONG flags)
{
    struct nvm_fault f;
    if (nvm_check_ranges(token, ranges, nr, flags, &f) != NVM_OK)
        return fault(t, caller, NVC_FLUSH_RANGES, token, &f);
    nvm_do_ranges(ranges, nr, flags);
    int drain = !(flags & FLUSH_NV_MEMORY_IN_FLAG_NO_DRAIN);
    uint32_t fs = (!drain && nr) ? nvc_capture(t, caller) : 0;
    for (size_t i = 0; i < nr; i++) {
        NV_MEMORY_RANGE r = nvm_range_at(ranges, i);
        if (r.Length)
            flushed(t, caller, NVC_FLUSH_RANGES, (uintptr_t)r.BaseAddress, r.Length, fs, 0);
    }
    if (drain) {
        engine_failed(nve_drain(nvc.shadow, &t->e));
        drained(t);
    }
    return STATUS_SUCCESS;
}

NV_HOT NTSTATUS nvc_drain(struct nvc_thread *t, const struct nvc_site *caller, PVOID token)
{
    struct nvm_fault f;
    if (nvm_check_drain(token, &f) != NVM_OK)
        return fault(t, caller, NVC_DRAIN, token, &f);
    nvm_drain();
    engine_failed(nve_drain(nvc.shadow, &t->e));
    drained(t);
    return STATUS_SUCCESS;
}
