/* regions.h -- the live NV regions, whichever front end made them: address range -> region. */
#ifndef NVE_REGIONS_H
#define NVE_REGIONS_H

#include <stddef.h>
#include <stdint.h>

/* Who made a region: a small id per front end (an Rtl token today; libpmem mappings,
 * libpmem2 maps and pools next). */
enum nve_frontend { NVE_FE_NONE, NVE_FE_RTL_TOKEN, NVE_NFRONTENDS };
/* nve_frontend_name -- "rtl-token", ...; "?" for an id there is no front end for. */
const char *nve_frontend_name(uint32_t fe);

struct nve_region {
    uintptr_t lo, hi;  /* [lo, hi), lo < hi */
    uint32_t frontend; /* enum nve_frontend */
    uint32_t created;  /* stack id of the call that made it (0: none) */
    uint32_t ended;    /* stack id of the call that ended it (nve_regions_end fills it) */
    uint64_t key;      /* the front end's name for it, unique among its live regions at lo */
};

/* A piece of address space, [lo, hi). */
struct nve_span {
    uintptr_t lo, hi;
};

struct nve_regions;

struct nve_regions *nve_regions_new(void);
void nve_regions_delete(struct nve_regions *rs);

/* nve_regions_add -- r is live from now on. 0; -1 out of memory; -2 bad (empty)
 * range, or a live region with the same lo, frontend and key. */
int nve_regions_add(struct nve_regions *rs, const struct nve_region *r);
/* nve_regions_end -- the live region of frontend fe named key, at lo, ends (ended_at:
 * that call's stack): removed, its record in *out (may be NULL). -1 if none is live. */
int nve_regions_end(struct nve_regions *rs, uint32_t fe, uint64_t key, uintptr_t lo,
                    uint32_t ended_at, struct nve_region *out);

/* nve_regions_uncovered -- the parts of [lo, hi) that no live region covers, in
 * address order, starting at *from (set it to lo first): up to cap of them into out.
 * Returns how many; *from is then where to go on, hi once all are out. O(log n + k)
 * for the k regions that overlap what it went over. */
size_t nve_regions_uncovered(struct nve_regions *rs, uintptr_t lo, uintptr_t hi, uintptr_t *from,
                             struct nve_span *out, size_t cap);

/* Every live region, in address order (then frontend, key): zero a cursor, then call
 * nve_regions_next until it returns 0. Regions added or ended meanwhile are seen or
 * not; none twice. O(log n) a step. */
struct nve_regions_cursor {
    int started;
    uintptr_t lo;
    uint32_t fe;
    uint64_t key;
};
int nve_regions_next(struct nve_regions *rs, struct nve_regions_cursor *c, struct nve_region *out);

size_t nve_regions_count(struct nve_regions *rs);

/* nve_regions_locked -- its lock is held (a snapshot, for fatal-signal paths). */
int nve_regions_locked(struct nve_regions *rs);
/* Fork: hold the lock across fork(); in the child, reset it. */
void nve_regions_lock(struct nve_regions *rs);
void nve_regions_unlock(struct nve_regions *rs);
void nve_regions_reset_lock(struct nve_regions *rs);

#endif
