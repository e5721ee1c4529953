/* unwind.c -- capture the program's call stack at an API call, with libunwind.
 *
 * libunwind is dlopen()ed RTLD_LOCAL rather than linked: libunwind.so.8 also exports
 * the _Unwind_* ABI, and as a dependency of an LD_PRELOAD library it would sit early
 * in the global symbol scope and could take over C++ exception unwinding from
 * libgcc_s in the program. Loaded locally, only we see it.
 *
 * unw_backtrace walks with cached DWARF CFI (no frame pointers needed, no malloc
 * after the first call per thread), about 10 ns per frame. The frames of this
 * library are cut by address range, so inlining decisions never shift the cut.
 *
 * Slots. The caller's stack cache also wants where each return address lies on the
 * stack. A cursor walk (unw_step) knows, but Debian's libunwind has no per-thread
 * caches, so every step takes a lock that masks signals: two system calls per frame,
 * some microseconds per stack -- paid on every stack-cache miss. So each walk also
 * teaches a table of frame sizes: for a return address pc, how far above the slot
 * holding pc lies the slot holding the next return address (the frame of pc's
 * function, at that call). A later miss takes unw_backtrace's pcs and those sizes
 * and checks that each computed slot really holds its pc; the cursor walks again only
 * for a pc not yet seen or a frame whose size changed (alloca, stack realignment).
 */
#define UNW_LOCAL_ONLY
#include "unwind.h"

#include "say.h"
#include "stackdepot.h"

#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>

#ifndef NVC_LIBUNWIND_SONAME
#define NVC_LIBUNWIND_SONAME "libunwind.so.8"
#endif
#define STR_(x) #x
#define STR(x) STR_(x)
#define SELF_FRAMES_MAX 8 /* our frames above the program's call: entry, checker, here */

typedef int (*backtrace_fn)(void **, int);
typedef int (*getcontext_fn)(unw_context_t *);
typedef int (*init_local_fn)(unw_cursor_t *, unw_context_t *);
typedef int (*step_fn)(unw_cursor_t *);
typedef int (*get_reg_fn)(unw_cursor_t *, unw_regnum_t, unw_word_t *);

static backtrace_fn backtrace_p;
static getcontext_fn getcontext_p;
static init_local_fn init_local_p;
static step_fn step_p;
static get_reg_fn get_reg_p;
static uintptr_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    uintptr_t me = (uintptr_t)&find_self, lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + ph->p_memsz > hi)
            hi = a + ph->p_memsz;
    }
    if (me < lo || me >= hi)
        return 0;
    self_lo = lo;
    self_hi = hi;
    return 1;
}

int nvu_is_self(uintptr_t pc)
{
    return pc >= self_lo && pc < self_hi;
}

int nvu_init(char *why, size_t cap)
{
    dl_iterate_phdr(find_self, NULL);
    void *h = dlopen(NVC_LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *err = dlerror();
        nv_format(why, cap, "cannot load %s (%s); stacks will have one frame", NVC_LIBUNWIND_SONAME,
                  err ? err : "?");
        return -1;
    }
    backtrace_p = (backtrace_fn)dlsym(h, STR(unw_backtrace));
    getcontext_p = (getcontext_fn)dlsym(h, STR(unw_tdep_getcontext));
    init_local_p = (init_local_fn)dlsym(h, STR(unw_init_local));
    step_p = (step_fn)dlsym(h, STR(unw_step));
    get_reg_p = (get_reg_fn)dlsym(h, STR(unw_get_reg));
    if (!getcontext_p || !init_local_p || !step_p || !get_reg_p)
        getcontext_p = NULL; /* nvu_capture_slots declines; unw_backtrace still works */
    /* Per-thread caches: the global ones are guarded by a lock that masks signals
     * (two sigprocmask system calls per lookup). */
    int (*policy)(unw_addr_space_t, unw_caching_policy_t) =
        (int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(h, STR(unw_set_caching_policy));
    unw_addr_space_t *local = (unw_addr_space_t *)dlsym(h, STR(unw_local_addr_space));
    if (policy && local)
        policy(*local, UNW_CACHE_PER_THREAD);
    if (!backtrace_p) {
        nv_format(why, cap, "%s has no %s; stacks will have one frame", NVC_LIBUNWIND_SONAME,
                  STR(unw_backtrace));
        return -1;
    }
    return 0;
}

uint32_t nvu_capture(uintptr_t *pcs, uint32_t depth, uintptr_t caller)
{
    void *buf[NVE_MAX_FRAMES + SELF_FRAMES_MAX];
    if (depth > NVE_MAX_FRAMES)
        depth = NVE_MAX_FRAMES;
    int n = backtrace_p ? backtrace_p(buf, (int)depth + SELF_FRAMES_MAX) : 0;
    int i = 0;
    while (i < n && nvu_is_self((uintptr_t)buf[i]))
        i++;
    if (i == n) {
        pcs[0] = caller;
        return 1;
    }
    uint32_t k = 0;
    for (; i < n && k < depth; i++)
        pcs[k++] = (uintptr_t)buf[i];
    return k;
}

/* ---- learned frame sizes ----
 * One 64-bit word per entry, so a reader racing a writer sees an old entry or a new
 * one, never half of each: the pc in the top 48 bits (user addresses are below 2^47),
 * the frame size in 8-byte words in the low 16 (frames up to 512 KiB). */
#define FRAMES_LOG2 14
static uint64_t frame_size[1u << FRAMES_LOG2];

static uint64_t *frame_entry(uintptr_t pc)
{
    uint64_t h = (uint64_t)pc * 0x9E3779B97F4A7C15ull;
    return &frame_size[h >> (64 - FRAMES_LOG2)];
}

static int32_t frame_lookup(uintptr_t pc)
{
    uint64_t w = __atomic_load_n(frame_entry(pc), __ATOMIC_RELAXED);
    return (w >> 16) == pc ? (int32_t)(w & 0xffff) * 8 : 0;
}

static void frame_learn(uintptr_t pc, int64_t size)
{
    if (pc >> 48 || size <= 0 || size % 8 || size / 8 > 0xffff)
        return;
    __atomic_store_n(frame_entry(pc), (uint64_t)pc << 16 | (uint64_t)(size / 8), __ATOMIC_RELAXED);
}

/* slots_by_size -- pcs by unw_backtrace, slots by learned frame sizes, each slot
 * checked to hold its pc; 0 when any is unknown or wrong. The reads stay within the
 * live stack: each is one learned frame above a slot just found to hold the same
 * return address, i.e. the same function at the same call. ASan is told not to look:
 * a stale size may land next to a slot, inside a frame's locals. */
__attribute__((no_sanitize_address)) static uint32_t slots_by_size(uintptr_t *pcs, int32_t *off,
                                                                   uint32_t depth, uintptr_t slot0)
{
    uint32_t n = nvu_capture(pcs, depth, 0); /* pcs[0] == 0 when nothing is the program's */
    if (pcs[0] != *(const uintptr_t *)slot0)
        return 0;
    int64_t o = 0;
    off[0] = 0;
    for (uint32_t k = 1; k < n; k++) {
        int32_t d = frame_lookup(pcs[k - 1]);
        if (d == 0 || (o += d) > INT32_MAX || *(const uintptr_t *)(slot0 + (uintptr_t)o) != pcs[k])
            return 0;
        off[k] = (int32_t)o;
    }
    return n;
}

/* slots_by_cursor -- a cursor walk: every frame's pc and the stack pointer below it. */
static uint32_t slots_by_cursor(uintptr_t *pcs, int32_t *off, uint32_t depth, uintptr_t slot0)
{
    unw_context_t uc;
    unw_cursor_t c;
    if (!getcontext_p || getcontext_p(&uc) != 0 || init_local_p(&c, &uc) != 0)
        return 0;
    uint32_t k = 0;
    do {
        unw_word_t ip, sp;
        if (get_reg_p(&c, UNW_REG_IP, &ip) < 0 || get_reg_p(&c, UNW_REG_SP, &sp) < 0)
            break;
        if (k == 0 && nvu_is_self(ip))
            continue; /* our own frames */
        /* The return address that brought us to this frame was read from the
         * word below the caller's stack pointer. */
        intptr_t d = (intptr_t)(sp - sizeof(uintptr_t) - slot0);
        if (d < 0 || d > INT32_MAX || (k == 0 && d != 0))
            return 0; /* not a plain stack walk (signal frame, other stack): no slots */
        pcs[k] = ip;
        off[k] = (int32_t)d;
        k++;
    } while (k < depth && step_p(&c) > 0);
    return k;
}

/* ThreadSanitizer builds (make check-tsan) walk with the cursor only: unw_backtrace's
 * per-thread cache is freed by a thread-specific-data destructor that locks a mutex
 * after TSan has retired the exiting thread, and TSan's interceptor then crashes. */
#ifdef __SANITIZE_THREAD__
#define SLOTS_BY_SIZE 0
#else
#define SLOTS_BY_SIZE 1
#endif

uint32_t nvu_capture_slots(uintptr_t *pcs, int32_t *off, uint32_t depth, uintptr_t slot0)
{
    if (depth > NVE_MAX_FRAMES)
        depth = NVE_MAX_FRAMES;
    uint32_t n = SLOTS_BY_SIZE && backtrace_p ? slots_by_size(pcs, off, depth, slot0) : 0;
    if (n == 0) {
        n = slots_by_cursor(pcs, off, depth, slot0);
        for (uint32_t k = 1; k < n; k++)
            frame_learn(pcs[k - 1], (int64_t)off[k] - off[k - 1]);
    }
    return n;
}
