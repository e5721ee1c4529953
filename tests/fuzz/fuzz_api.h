/* fuzz_api.h -- the API fuzzer's shared state: buffers, tokens, the call checks. */
#ifndef FZ_API_H
#define FZ_API_H

#include "runtime.h" /* preload/: the checker's state (nvc), read for the findings */

#include "nvmem.h"

#include <stddef.h>
#include <stdint.h>

#define FZ_PAGE 4096
#define FZ_REGION (2 * FZ_PAGE) /* each NV buffer, between guard pages */
#define FZ_ARRAY FZ_PAGE        /* where NV_MEMORY_RANGE arrays go, ending at a guard */
#define FZ_NREG 3               /* buf[0..2]: NV buffers tokens are made for */
#define FZ_SRC 3                /* buf[3]: the usual Source of writes */
#define FZ_ARR 4                /* buf[4]: range arrays */
#define FZ_NBUF 5
#define FZ_NTOK 12 /* token handles an input juggles */
#define FZ_VALID (-1)
#define FZ_ELEMS 6 /* NV_MEMORY_RANGE elements placed per call */
#define FZ_DEFAULT_TOKEN ((void *)FLUSH_NV_MEMORY_DEFAULT_TOKEN)

/* A guarded buffer and what it must hold: changed only by valid writes and fills. */
struct fz_buf {
    uint8_t *p, *mirror, *pattern; /* the memory, what it must hold, its start */
    size_t n;
};

/* A handle the input has been given: live (its region known) or freed since. */
struct fz_tok {
    void *h;
    uintptr_t base;
    size_t size;
    int live, used;
};

struct fz {
    struct fz_buf buf[FZ_NBUF];
    struct fz_tok tok[FZ_NTOK];
    char call[512]; /* the call being checked, for a failure message */
};
extern struct fz fz;

/* The input, consumed from the front; reads past its end give zeros. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};

struct fz_call {
    uint64_t before[NV_NKINDS]; /* occurrences (+ dropped) per kind before the call */
};

/* A range array and the model's view of it. */
struct fz_ranges {
    uintptr_t p;  /* the NvRanges argument */
    uintptr_t at; /* where the placed elements are */
    size_t nr, placed;
    NV_MEMORY_RANGE e[FZ_ELEMS];
};

/* Arguments, from the input (fuzz_api_args.c). */
uint64_t fz_take(struct fz_in *in, unsigned bytes);
uintptr_t fz_addr(struct fz_in *in);
size_t fz_size(struct fz_in *in, uintptr_t a);
void *fz_token(struct fz_in *in);
ULONG fz_wflags(struct fz_in *in);
ULONG fz_fflags(struct fz_in *in);
void fz_ranges(struct fz_in *in, struct fz_ranges *r);

/* fz_step -- one call of the input's program (fuzz_api_ops.c). */
void fz_step(struct fz_in *in);
/* fz_free_live -- free live token i with a valid call, checked. */
void fz_free_live(int i);

void fz_before(struct fz_call *c);
void fz_check(struct fz_call *c, NTSTATUS st, int kind, unsigned allow);
void fz_unchecked(struct fz_call *c, NTSTATUS st);
void fz_skip(void);
__attribute__((noreturn, format(printf, 1, 2))) void fz_fail(const char *fmt, ...);

#endif
