/* stackdepot.c -- call stacks stored once, named by a 32-bit id.
 *
 * Every outstanding write remembers its stack, so stacks must be cheap to name: a
 * run carries a 4-byte id, and the frames live here once. The table is uthash in 16
 * shards (chosen by hash) with one spinlock and arena each; ids index a reserved
 * array so that reading a stack back takes no lock. Stacks are never removed.
 */
#include "stackdepot.h"

#include "attrs.h"

#include "arena.h"
#include "lock.h"

#include <string.h>
#include <sys/mman.h>

#define uthash_malloc(sz) nv_arena_alloc(arena_, sz)
#define uthash_free(ptr, sz) nv_arena_free(arena_, ptr, sz)
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom_ = 1)
#include <uthash.h>

#define NSHARDS 16

struct stack {
    UT_hash_handle hh;
    uint32_t id, n;
    uintptr_t pcs[];
};

static struct {
    nv_lock lock;
    struct nv_arena arena;
    struct stack *head;
} shards[NSHARDS];

static nv_lock init_lock;
static struct stack **by_id;             /* atomic; index 0 unused */
static uint32_t next_id = 1;             /* atomic */
static uint64_t dropped;                 /* atomic */
static uint32_t max_id = NVE_MAX_STACKS; /* ids below it are handed out */

void nve_stack_set_cap(uint32_t n)
{
    max_id = n < NVE_MAX_STACKS ? n + 1 : NVE_MAX_STACKS;
}

uint64_t nve_stack_hash(const uintptr_t *pcs, uint32_t n)
{
    uint64_t h = 0x243F6A8885A308D3ull ^ n;
    for (uint32_t i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return h;
}

static struct stack **table(void)
{
    struct stack **t = __atomic_load_n(&by_id, __ATOMIC_ACQUIRE);
    if (t)
        return t;
    nv_lock_take(&init_lock);
    if (!by_id) {
        void *p = mmap(NULL, (size_t)NVE_MAX_STACKS * sizeof *t, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED)
            __atomic_store_n(&by_id, (struct stack **)p, __ATOMIC_RELEASE);
    }
    nv_lock_give(&init_lock);
    return __atomic_load_n(&by_id, __ATOMIC_ACQUIRE);
}

NV_COLD uint32_t nve_stack_put(const uintptr_t *pcs, uint32_t n, uint64_t hash)
{
    struct stack **ids = table();
    if (!ids || n == 0 || n > NVE_MAX_FRAMES)
        goto drop;
    unsigned hv = (unsigned)(hash ^ (hash >> 32));
    int k = (int)(hash >> 60);
    struct nv_arena *arena_ = &shards[k].arena;
    int oom_ = 0;
    struct stack *s;
    uint32_t id = 0;
    nv_lock_take(&shards[k].lock);
    HASH_FIND_BYHASHVALUE(hh, shards[k].head, pcs, n * sizeof *pcs, hv, s);
    if (s) {
        id = s->id;
    } else if (__atomic_load_n(&next_id, __ATOMIC_RELAXED) < max_id &&
               (s = nv_arena_alloc(arena_, sizeof *s + n * sizeof *pcs)) != NULL) {
        /* (Checked first so that a full depot stops consuming ids: they never wrap.) */
        memset(&s->hh, 0, sizeof s->hh);
        s->n = n;
        memcpy(s->pcs, pcs, n * sizeof *pcs);
        s->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
        if (s->id < max_id)
            HASH_ADD_KEYPTR_BYHASHVALUE(hh, shards[k].head, s->pcs, n * sizeof *pcs, hv, s);
        if (s->id >= max_id || oom_) {
            nv_arena_free(arena_, s, sizeof *s + n * sizeof *pcs);
        } else {
            id = s->id;
            __atomic_store_n(&ids[id], s, __ATOMIC_RELEASE);
        }
    }
    nv_lock_give(&shards[k].lock);
    if (id)
        return id;
drop:
    __atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED);
    return 0;
}

const uintptr_t *nve_stack_get(uint32_t id, uint32_t *n)
{
    struct stack **ids = __atomic_load_n(&by_id, __ATOMIC_ACQUIRE);
    struct stack *s =
        (ids && id && id < NVE_MAX_STACKS) ? __atomic_load_n(&ids[id], __ATOMIC_ACQUIRE) : NULL;
    *n = s ? s->n : 0;
    return s ? s->pcs : NULL;
}

int nve_stack_equal(uint32_t id, const uintptr_t *pcs, uint32_t n)
{
    uint32_t m;
    const uintptr_t *p = nve_stack_get(id, &m);
    return p && m == n && memcmp(p, pcs, n * sizeof *pcs) == 0;
}

uint32_t nve_stack_count(void)
{
    uint32_t n = __atomic_load_n(&next_id, __ATOMIC_RELAXED) - 1;
    return n < NVE_MAX_STACKS - 1 ? n : NVE_MAX_STACKS - 1;
}

uint64_t nve_stack_dropped(void)
{
    return __atomic_load_n(&dropped, __ATOMIC_RELAXED);
}

void nve_stack_lock_all(void)
{
    for (int k = 0; k < NSHARDS; k++)
        nv_lock_take(&shards[k].lock);
}

void nve_stack_unlock_all(void)
{
    for (int k = NSHARDS; k-- > 0;)
        nv_lock_give(&shards[k].lock);
}

void nve_stack_reset_locks(void)
{
    for (int k = 0; k < NSHARDS; k++)
        nv_lock_reset(&shards[k].lock);
    nv_lock_reset(&init_lock);
}
