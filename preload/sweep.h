/* sweep.h -- turning outstanding state into findings, at token free and at exit. */
#ifndef NVC_SWEEP_H
#define NVC_SWEEP_H

#include "nvmem/token.h"

#include <stdint.h>

/* nvc_sweep_region -- the token for tok was freed (freed_at: that call's stack):
 * every byte of its region not CLEAN becomes a finding, and is forgotten. */
void nvc_sweep_region(const struct nvm_tok *tok, uint32_t freed_at);
/* nvc_sweep_exit -- at exit: leaked tokens (when leaks is set), then what each live
 * region still holds, then whatever is outstanding outside every region. */
void nvc_sweep_exit(int leaks);

#endif
