/* stackdepot.h -- call stacks stored once, named by a 32-bit id. */
#ifndef NVE_STACKDEPOT_H
#define NVE_STACKDEPOT_H

#include <stdint.h>

#define NVE_MAX_FRAMES 64
#define NVE_MAX_STACKS (1u << 20)

/* nve_stack_hash -- the hash nve_stack_put uses (for callers' own caches). */
uint64_t nve_stack_hash(const uintptr_t *pcs, uint32_t n);
/* nve_stack_put -- the id of this stack (stored on first sight); 0 when it could not
 * be stored (the cap of distinct stacks, or memory): counted in nve_stack_dropped. */
uint32_t nve_stack_put(const uintptr_t *pcs, uint32_t n, uint64_t hash);
/* nve_stack_get -- the frames of a stored stack (lock-free; stacks never change). */
const uintptr_t *nve_stack_get(uint32_t id, uint32_t *n);
/* nve_stack_equal -- id names exactly these frames. */
int nve_stack_equal(uint32_t id, const uintptr_t *pcs, uint32_t n);

/* nve_stack_set_cap -- store at most n distinct stacks (at most NVE_MAX_STACKS - 1). */
void nve_stack_set_cap(uint32_t n);

uint32_t nve_stack_count(void);
uint64_t nve_stack_dropped(void);

void nve_stack_lock_all(void);
void nve_stack_unlock_all(void);
void nve_stack_reset_locks(void);

#endif
