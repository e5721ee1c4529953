/* model.h -- a deliberately simple byte-array model of DESIGN.md section 3.
 *
 * The reference the engine's findings are compared with (tests/model/modelcheck.c
 * drives both). Every byte of NV memory the test uses has a state (CLEAN, DIRTY,
 * FLUSHED), the call site that last dirtied it, the call site that last flushed it
 * and the set of threads that flushed it since; nothing here knows about chunks,
 * runs, shards or pending lists. The model also checks arguments in the documented
 * order and keeps findings merged by the same identity the report uses, so that its
 * list can be compared with a raw report field by field.
 */
#ifndef NV_MODEL_H
#define NV_MODEL_H

#include "nvmem.h"

#include <stdint.h>
#include <stdio.h>

/* Call sites: one small function per routine and flag class in modelcheck.c, so a
 * finding's innermost frame names the site: site_NAME. */
/* clang-format off */
#define MODEL_SITES(X)                                                                             \
    X(hello) X(get) X(free) X(drain)                                                               \
    X(write_0) X(write_fl) X(write_nt) X(write_persist) X(write_fl_nd)                             \
    X(write_nd) X(write_nt_nd) X(write_persist_nd) X(write_bad)                                    \
    X(fill_0) X(fill_fl) X(fill_nt) X(fill_persist) X(fill_fl_nd)                                  \
    X(fill_nd) X(fill_nt_nd) X(fill_persist_nd) X(fill_bad)                                        \
    X(flush_0) X(flush_nd) X(flush_bad) X(ranges_0) X(ranges_nd) X(ranges_bad)
/* clang-format on */
#define MODEL_SITE_ENUM(name) S_##name,
enum model_site { S_NONE, MODEL_SITES(MODEL_SITE_ENUM) S_NSITES };
extern const char *const model_site_names[S_NSITES];

/* model_store_site/model_flush_site -- the site a write or fill (a flush or
 * flush-ranges) with these flags is made from. */
enum model_site model_store_site(int fill, ULONG flags);
enum model_site model_flush_site(int ranges, ULONG flags);

enum model_routine { R_GET = 1, R_FREE, R_WRITE, R_FILL, R_FLUSH, R_RANGES, R_DRAIN };

#define MODEL_THREADS 4 /* T1..T4 */

/* A token the test obtained: the model is told which one a call passes (or NULL for
 * a forged value). */
struct mtok {
    uintptr_t handle;
    uintptr_t base;
    size_t size;
    int live;
};

/* model_init -- start empty; global_drain: NVCHECK_OPTIONS=drain=global semantics. */
void model_init(int global_drain);

/* model_seq_begin/end -- sequence seq uses [lo, lo+len) of memory (4 KiB aligned);
 * at its end everything in it must have been swept, except the region of `leaked`. */
void model_seq_begin(long seq, uintptr_t lo, size_t len);
void model_seq_end(const struct mtok *leaked);

/* The routines: the status the API must return, and the model's state updated.
 * t is the calling thread (1..MODEL_THREADS); tok the token passed by value, tk what
 * it is (NULL: never issued). */
NTSTATUS model_get(int t, uintptr_t buf, size_t size, int out_is_null);
NTSTATUS model_free(int t, uintptr_t tok, struct mtok *tk);
/* model_issued -- tk was issued (live from now on, until model_free). */
void model_issued(const struct mtok *tk);
NTSTATUS model_store(int t, int fill, uintptr_t tok, const struct mtok *tk, uintptr_t dst,
                     uintptr_t src, size_t n, ULONG flags);
NTSTATUS model_flush(int t, uintptr_t tok, const struct mtok *tk, uintptr_t buf, size_t n,
                     ULONG flags);
NTSTATUS model_ranges(int t, uintptr_t tok, const struct mtok *tk, const void *ranges, size_t nr,
                      ULONG flags);
NTSTATUS model_drain(int t, uintptr_t tok, const struct mtok *tk);

/* model_exit -- what the interposer does at exit: leaked tokens and their regions. */
void model_exit(void);

/* model_write_findings -- one JSON object per line (see model.sh); the number. */
long model_write_findings(FILE *f);

#endif
