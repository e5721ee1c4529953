/* cpu.h -- the cache-line flush instruction, chosen once from CPUID. */
#ifndef NVMEM_CPU_H
#define NVMEM_CPU_H

#include <stddef.h>

#define NVM_LINE 64u

enum nvm_flush_insn { NVM_CLFLUSH, NVM_CLFLUSHOPT, NVM_CLWB, NVM_NINSN };

typedef void (*nvm_flush_fn)(const void *addr, size_t len);

/* nvm_flush -- write back every cache line overlapping [addr, addr+len); no drain. */
void nvm_flush(const void *addr, size_t len);
/* nvm_drain -- wait for this thread's flushes and non-temporal stores (SFENCE). */
static inline void nvm_drain(void)
{
    __asm__ __volatile__("sfence" ::: "memory");
}

/* The chosen instruction and its name ("clwb", ...). */
enum nvm_flush_insn nvm_flush_insn(void);
const char *nvm_insn_name(enum nvm_flush_insn insn);

/* For tests and benchmarks: each instruction's flush loop, and the selection rule
 * (best supported, unless NVMEM_FLUSH names a supported one). */
extern const nvm_flush_fn nvm_flush_fns[NVM_NINSN];
enum nvm_flush_insn nvm_select_insn(unsigned supported_mask, const char *env, const char **why);
unsigned nvm_cpu_supported(void);

#endif
