/* copy.h -- copy and fill into NV memory, through the cache or around it. */
#ifndef NVMEM_COPY_H
#define NVMEM_COPY_H

#include <stddef.h>

/* Non-temporal copy/fill: when they return, every byte of the destination is either
 * in flight on a non-temporal store or in a line already flushed, so one drain
 * (SFENCE) persists all of it. Overlapping copies are handled (as memmove). */
void nvm_copy_nt(void *dst, const void *src, size_t len);
void nvm_fill_nt(void *dst, int value, size_t len);

#endif
