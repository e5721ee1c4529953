/* cpu.c -- pick the best cache-line flush instruction once, from CPUID.
 *
 * CLWB writes a line back and may keep it cached; CLFLUSHOPT evicts it but is weakly
 * ordered (needs the SFENCE drain, which we always issue); CLFLUSH evicts and is
 * ordered with other stores, so it is the slowest. NVMEM_FLUSH=clwb|clflushopt|clflush
 * forces one (when the CPU has it) so that tests and benchmarks cover every path.
 */
#include "cpu.h"

#include <cpuid.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Counts lines rather than comparing pointers, so a range ending at the very top of
 * the address space cannot wrap the cursor; len 0 flushes nothing (not even the line
 * holding addr, which need not be mapped). */
#define FLUSH_LOOP(name, insn)                                                                     \
    static void name(const void *addr, size_t len)                                                 \
    {                                                                                              \
        if (len == 0)                                                                              \
            return;                                                                                \
        uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(NVM_LINE - 1);                                \
        uintptr_t n = (((uintptr_t)addr + len - 1) - p) / NVM_LINE + 1;                            \
        for (; n--; p += NVM_LINE)                                                                 \
            __asm__ __volatile__(insn " %0" : "+m"(*(volatile char *)p));                          \
    }

FLUSH_LOOP(flush_clflush, "clflush")
FLUSH_LOOP(flush_clflushopt, "clflushopt")
FLUSH_LOOP(flush_clwb, "clwb")

const nvm_flush_fn nvm_flush_fns[NVM_NINSN] = {
    [NVM_CLFLUSH] = flush_clflush,
    [NVM_CLFLUSHOPT] = flush_clflushopt,
    [NVM_CLWB] = flush_clwb,
};

static const char *const insn_names[NVM_NINSN] = {
    [NVM_CLFLUSH] = "clflush",
    [NVM_CLFLUSHOPT] = "clflushopt",
    [NVM_CLWB] = "clwb",
};

const char *nvm_insn_name(enum nvm_flush_insn insn)
{
    return (unsigned)insn < NVM_NINSN ? insn_names[insn] : "?";
}

/* nvm_cpu_supported -- bit i set when instruction i exists on this CPU */
unsigned nvm_cpu_supported(void)
{
    unsigned a, b, c, d, mask = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) && (d & (1u << 19)))
        mask |= 1u << NVM_CLFLUSH;
    if (__get_cpuid_max(0, 0) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (b & (1u << 23))
            mask |= 1u << NVM_CLFLUSHOPT;
        if (b & (1u << 24))
            mask |= 1u << NVM_CLWB;
    }
    return mask;
}

/* nvm_select_insn -- best supported instruction, or the one env names if supported.
 * *why is set to a one-line complaint when env was ignored, else NULL. */
enum nvm_flush_insn nvm_select_insn(unsigned supported, const char *env, const char **why)
{
    *why = NULL;
    if (env && *env) {
        for (int i = 0; i < NVM_NINSN; i++) {
            if (strcmp(env, insn_names[i]) != 0)
                continue;
            if (supported & (1u << i))
                return (enum nvm_flush_insn)i;
            *why = "the CPU lacks that instruction";
            goto best;
        }
        *why = "not one of clwb, clflushopt, clflush";
    }
best:
    for (int i = NVM_NINSN - 1; i > 0; i--)
        if (supported & (1u << i))
            return (enum nvm_flush_insn)i;
    return NVM_CLFLUSH; /* every x86-64 CPU has CLFLUSH (SSE2 baseline) */
}

static enum nvm_flush_insn chosen;
static nvm_flush_fn chosen_fn;

/* choose -- run once before main (and lazily if a constructor calls us earlier). */
__attribute__((constructor)) static void choose(void)
{
    const char *why;
    const char *env = getenv("NVMEM_FLUSH");
    enum nvm_flush_insn insn = nvm_select_insn(nvm_cpu_supported(), env, &why);
    if (why) {
        /* One line, raw write(2): no stdio this early. */
        const char *parts[] = {"nvmem: NVMEM_FLUSH=", env, ": ", why, "; using ",
                               insn_names[insn],      "\n"};
        for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
            if (write(2, parts[i], strlen(parts[i])) < 0)
                break;
    }
    __atomic_store_n(&chosen, insn, __ATOMIC_RELAXED);
    __atomic_store_n(&chosen_fn, nvm_flush_fns[insn], __ATOMIC_RELEASE);
}

enum nvm_flush_insn nvm_flush_insn(void)
{
    if (!__atomic_load_n(&chosen_fn, __ATOMIC_ACQUIRE))
        choose();
    return __atomic_load_n(&chosen, __ATOMIC_RELAXED);
}

void nvm_flush(const void *addr, size_t len)
{
    nvm_flush_fn fn = __atomic_load_n(&chosen_fn, __ATOMIC_ACQUIRE);
    if (__builtin_expect(fn == NULL, 0)) {
        choose();
        fn = __atomic_load_n(&chosen_fn, __ATOMIC_ACQUIRE);
    }
    fn(addr, len);
}
