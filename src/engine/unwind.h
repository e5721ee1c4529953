/* unwind.h -- capture the program's call stack at an API call. */
#ifndef NVE_UNWIND_H
#define NVE_UNWIND_H

#include <stddef.h>
#include <stdint.h>

/* nvu_init -- load libunwind (privately) and learn our own code range; -1 with a
 * reason in why when stacks will be one frame deep (the caller's return address). */
int nvu_init(char *why, size_t cap);

/* nvu_capture -- up to depth return addresses, innermost first, starting at the
 * program's call into the API (our own frames cut). caller is the API entry point's
 * return address, used when unwinding yields nothing. Returns the frame count (>= 1). */
uint32_t nvu_capture(uintptr_t *pcs, uint32_t depth, uintptr_t caller);

/* nvu_capture_slots -- like nvu_capture, and also where each frame's return address
 * was found on the stack, as a byte offset from slot0 (the stack slot holding the
 * program's return address into the API, which is frame 0's). 0 frames when the
 * slots cannot be trusted (no libunwind, or frame 0's slot is not slot0): the caller
 * then falls back to nvu_capture. */
uint32_t nvu_capture_slots(uintptr_t *pcs, int32_t *off, uint32_t depth, uintptr_t slot0);

/* nvu_is_self -- pc lies in the interposer's own code. */
int nvu_is_self(uintptr_t pc);

#endif
