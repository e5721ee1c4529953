/* gen.h -- the random sequence generator of tests/model (gen.c) and its calls. */
#ifndef NV_GEN_H
#define NV_GEN_H

#include "model.h"

#define GEN_SLOT (128 * 1024) /* memory per sequence: a region and room around it */

/* One API call, made by a worker thread from site function `site`. */
struct op {
    int site;
    PVOID tok;
    void *p; /* NvDestination, NvBuffer or NvRanges */
    void *src;
    size_t n; /* Size or NumRanges */
    ULONG flags;
    UCHAR val;
    PVOID *out;
    NTSTATUS got;
};

struct gen_config {
    unsigned long seed;
    long first, n; /* sequences first .. first+n-1 */
    int trace;
    uintptr_t map; /* n slots of GEN_SLOT bytes */
};

struct gen_stats {
    long seqs, calls, mismatches;
    long by_site[S_NSITES][2]; /* calls from each site: succeeding, failing */
};

struct gen_stats gen_run(const struct gen_config *c);

/* run_on -- thread t (1..MODEL_THREADS) makes the n calls o[] (modelcheck.c). */
void run_on(int t, struct op *o, int n);

#define BIG_SLOT (2u << 20) /* for regions beyond 64 chunks: the engine scans then */
/* map_big_slot -- BIG_SLOT bytes of their own for a big region (modelcheck.c). */
uintptr_t map_big_slot(void);

/* ---- calls.c: one call, told to the model and made for real on thread t ---- */

struct caller {
    const struct gen_config *c;
    struct gen_stats *st;
    long seq;
    int t;
};

/* Each returns the status the model expects. Calls may wait in a queue until
 * call_sync(), which makes them and counts (and reports) every status that differs
 * from the model's; memory they use must stay as it is until then. */
void call_sync(void);
NTSTATUS call_store(struct caller *x, int fill, uintptr_t tok, const struct mtok *tk, uintptr_t dst,
                    const void *src, size_t n, ULONG flags);
NTSTATUS call_flush(struct caller *x, uintptr_t tok, const struct mtok *tk, uintptr_t buf, size_t n,
                    ULONG flags);
NTSTATUS call_ranges(struct caller *x, uintptr_t tok, const struct mtok *tk, const void *ranges,
                     size_t nr, ULONG flags);
NTSTATUS call_drain(struct caller *x, uintptr_t tok, const struct mtok *tk);
/* call_get -- *tk: the token, live if the call succeeded. */
NTSTATUS call_get(struct caller *x, uintptr_t buf, size_t size, int out_null, struct mtok *tk);
NTSTATUS call_free(struct caller *x, uintptr_t tok, struct mtok *tk);

/* gen_case -- run the directed case `name` (MODEL_CASE) in the first slot; -1 if
 * there is no such case. */
int gen_case(const struct gen_config *c, const char *name, struct gen_stats *st);

#endif
