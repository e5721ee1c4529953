/* findings.h -- the findings of one process, merged by kind and call stack. */
#ifndef NVE_FINDINGS_H
#define NVE_FINDINGS_H

#include "kinds.h"

#include <stddef.h>
#include <stdint.h>

#define NVE_RANGES 8 /* ranges kept per merged finding; the rest are only counted */

/* Counts and byte sums saturate here rather than wrap: the largest integer JSON
 * readers take (jansson: a signed 64-bit one). A sum at NVE_SAT_MAX means "at least". */
#define NVE_SAT_MAX ((uint64_t)INT64_MAX)

/* nve_sat_add -- a + b, or NVE_SAT_MAX when that is more. */
static inline uint64_t nve_sat_add(uint64_t a, uint64_t b)
{
    if (a >= NVE_SAT_MAX || b >= NVE_SAT_MAX - a)
        return NVE_SAT_MAX;
    return a + b;
}

/* nve_kind_has_bytes -- the sizes of kind's occurrences are bytes of something. Not
 * for the API errors whose size is an argument the call refused (invalid-argument,
 * invalid-token, out-of-region): a sum of bogus sizes counts nothing, so their
 * findings and totals carry no byte count (the report writes null). */
int nve_kind_has_bytes(uint32_t kind);

enum nve_role {
    NVE_ROLE_NONE,
    NVE_ROLE_FLUSHED_AT,
    NVE_ROLE_TOKEN_FREED_AT,
    NVE_ROLE_TOKEN_CREATED_AT,
    NVE_ROLE_PREVIOUS_WRITE,
};
const char *nve_role_name(enum nve_role r);

/* Everything that makes two occurrences "the same finding". Zero it before filling:
 * it is hashed as bytes. */
struct nve_fkey {
    uint32_t kind;
    uint32_t stack;       /* the program's call; 0 = not captured */
    uint32_t rel_role[2]; /* enum nve_role */
    uint32_t rel_stack[2];
    uint32_t thread;  /* undrained-flush: the flushing thread */
    uint32_t detail;  /* API errors: enum nvm_err */
    uint32_t routine; /* API errors: which routine (enum nvc_routine) */
    uint32_t has_region;
    uintptr_t region_base;
};

/* One occurrence, as the checker saw it. */
struct nve_occurrence {
    struct nve_fkey key;
    uintptr_t addr;
    size_t size;
    size_t region_size;
    uint32_t flags;   /* API errors: the Flags argument */
    size_t index;     /* API errors: RtlFlushNonVolatileMemoryRanges element */
    const char *what; /* API errors: the offending argument (a string literal) */
};

struct nve_finding {
    struct nve_occurrence first; /* the first (or lowest-addressed) occurrence */
    uint64_t count;              /* occurrences merged (saturating) */
    uint64_t bytes;              /* their sizes added up (saturating); 0 without bytes */
    uint32_t nranges;
    struct {
        uintptr_t addr;
        size_t size;
    } ranges[NVE_RANGES];
};

struct nve_findings;

struct nve_findings *nve_findings_new(uint32_t max_findings);
void nve_findings_delete(struct nve_findings *fs);

/* nve_findings_add -- merge one occurrence in (or count it as dropped when the cap
 * of distinct findings is reached). */
void nve_findings_add(struct nve_findings *fs, const struct nve_occurrence *o);

/* nve_findings_each -- in first-seen order; not concurrent with add. */
void nve_findings_each(struct nve_findings *fs, void (*fn)(const struct nve_finding *, void *),
                       void *arg);

struct nve_findings_totals {
    uint32_t findings[NV_NKINDS];    /* distinct findings kept */
    uint64_t occurrences[NV_NKINDS]; /* saturating, like bytes */
    uint64_t bytes[NV_NKINDS];       /* 0 for kinds without bytes (nve_kind_has_bytes) */
    uint64_t dropped[NV_NKINDS];     /* occurrences not kept because of the cap */
    uint32_t errors, warnings;       /* distinct findings by severity */
};
void nve_findings_totals(struct nve_findings *fs, struct nve_findings_totals *t);

/* A point to come back to (a failed exec takes back what its report added). */
struct nve_findings_mark {
    uint32_t n; /* findings then */
    uint64_t dropped[NV_NKINDS];
};
/* nve_findings_mark -- remember the findings as they are now (each one's count, bytes
 * and ranges too). */
void nve_findings_mark(struct nve_findings *fs, struct nve_findings_mark *m);
/* nve_findings_rollback -- back to mark m: the findings added since are gone, and so
 * are the occurrences merged since into older ones, and the drops counted since. */
void nve_findings_rollback(struct nve_findings *fs, const struct nve_findings_mark *m);

/* Forget everything (a fork child reports only its own findings). */
void nve_findings_clear(struct nve_findings *fs);

/* nve_findings_locked -- its lock is held (a snapshot, for fatal-signal paths). */
int nve_findings_locked(struct nve_findings *fs);
void nve_findings_lock(struct nve_findings *fs);
void nve_findings_unlock(struct nve_findings *fs);
void nve_findings_reset_lock(struct nve_findings *fs);

#endif
