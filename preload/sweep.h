/* sweep.h -- turning outstanding state into findings, at a region's end and at exit. */
#ifndef NVC_SWEEP_H
#define NVC_SWEEP_H

#include <stdint.h>

/* nvc_region_begin -- front end fe declared the region [lo, hi), which it names key
 * (an Rtl token: its handle), from the call with stack created. */
void nvc_region_begin(uint32_t fe, uint64_t key, uintptr_t lo, uintptr_t hi, uint32_t created);
/* nvc_region_end -- that region ended (ended_at: that call's stack): every byte of it
 * that is not CLEAN and that no other live region covers becomes a finding, and is
 * forgotten. */
void nvc_region_end(uint32_t fe, uint64_t key, uintptr_t lo, uintptr_t hi, uint32_t ended_at);
/* nvc_sweep_exit -- at exit: leaked tokens (when leaks is set), then what each live
 * region still holds, then whatever is outstanding outside every region. peek: leave
 * the state as it is (before an exec, which may fail). */
void nvc_sweep_exit(int leaks, int peek);

#endif
