/* token.c -- the table of live NV tokens.
 *
 * A handle is not a pointer: it encodes a slot index and that slot's generation,
 * tagged so that it is never NULL or FLUSH_NV_MEMORY_DEFAULT_TOKEN. Checking a handle
 * is therefore a bounds check and one atomic load -- no lock, no dereference of
 * anything the caller made up -- and a freed handle stays invalid after its slot is
 * reused, because the generation moved on. Issuing and freeing (rare) take a mutex.
 *
 * Freed slots are reused oldest-first and only once REUSE_AFTER of them wait, so a
 * stale handle is recognised as "freed" (not "never issued") for a good while.
 *
 * The slot array is one MAP_NORESERVE reservation: untouched slots cost nothing.
 *
 * Notes. A caller may leave a 32-bit note with a token when it issues it and when it
 * frees it (the checker: the stacks of those calls). They live in the slot and are
 * written under the lock, before the state that publishes them, so a note cannot land
 * on the slot's next token however long its caller is delayed, and nvm_token_notes
 * (under the lock too) answers only for the handle's own generation.
 */
#include "token.h"

#include <pthread.h>
#include <sys/mman.h>

#define TAG ((uintptr_t)0x4E56u << 48) /* "NV" in the top bits */
#define IDX_BITS 20
#define GEN_MASK ((1u << 28) - 1)
#define REUSE_AFTER 1024
#define NONE UINT32_MAX

struct slot {
    uint32_t state; /* atomic: gen << 1 | live */
    uint32_t next;  /* free-queue link, under the lock */
    uintptr_t base; /* atomic (relaxed): rewritten on reuse, re-checked via state */
    size_t size;
    uint32_t created, freed; /* the callers' notes; written under the lock (atomic) */
};

static struct slot *slots;
static uint32_t used; /* atomic: slots ever handed out */
static uint32_t free_head = NONE, free_tail = NONE, nfree;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uintptr_t encode(uint32_t idx, uint32_t gen)
{
    return TAG | ((uintptr_t)gen << IDX_BITS) | idx;
}

/* decode -- slot index and generation of a handle, or -1 if it cannot be ours. */
static int decode(const void *handle, uint32_t *idx, uint32_t *gen)
{
    uintptr_t h = (uintptr_t)handle;
    if ((h & ~(((uintptr_t)1 << 48) - 1)) != TAG)
        return -1;
    *idx = (uint32_t)(h & ((1u << IDX_BITS) - 1));
    *gen = (uint32_t)(h >> IDX_BITS) & GEN_MASK;
    if (*idx >= __atomic_load_n(&used, __ATOMIC_ACQUIRE))
        return -1;
    return 0;
}

static int reserve(void)
{
    if (slots)
        return 0;
    void *p = mmap(NULL, (size_t)NVM_MAX_TOKENS * sizeof(struct slot), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    __atomic_store_n(&slots, (struct slot *)p, __ATOMIC_RELEASE);
    return 0;
}

static uint32_t take_slot(void)
{
    if (nfree > REUSE_AFTER || (used == NVM_MAX_TOKENS && nfree)) {
        uint32_t i = free_head;
        free_head = slots[i].next;
        if (free_head == NONE)
            free_tail = NONE;
        nfree--;
        return i;
    }
    if (used == NVM_MAX_TOKENS)
        return NONE;
    slots[used].state = 0;
    return used; /* published by the caller's release store of `used` */
}

int nvm_token_new(uintptr_t base, size_t size, uint32_t note, void **handle, struct nvm_tok *out)
{
    pthread_mutex_lock(&lock);
    uint32_t i = reserve() == 0 ? take_slot() : NONE;
    if (i == NONE) {
        pthread_mutex_unlock(&lock);
        return -1;
    }
    struct slot *s = &slots[i];
    uint32_t gen = ((s->state >> 1) + 1) & GEN_MASK;
    if (gen == 0)
        gen = 1;
    __atomic_store_n(&s->base, base, __ATOMIC_RELAXED);
    __atomic_store_n(&s->size, size, __ATOMIC_RELAXED);
    __atomic_store_n(&s->created, note, __ATOMIC_RELAXED);
    __atomic_store_n(&s->freed, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->state, gen << 1 | 1, __ATOMIC_RELEASE);
    if (i == used)
        __atomic_store_n(&used, used + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock);
    *handle = (void *)encode(i, gen);
    *out = (struct nvm_tok){base, size, i};
    return 0;
}

enum nvm_tok_status nvm_token_lookup(const void *handle, struct nvm_tok *out)
{
    uint32_t idx, gen;
    if (decode(handle, &idx, &gen) < 0)
        return NVM_TOK_UNKNOWN;
    struct slot *s = &slots[idx];
    uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
    out->slot = idx;
    if (st != (gen << 1 | 1))
        return (st >> 1) == gen ? NVM_TOK_FREED : NVM_TOK_UNKNOWN;
    out->base = __atomic_load_n(&s->base, __ATOMIC_RELAXED);
    out->size = __atomic_load_n(&s->size, __ATOMIC_RELAXED);
    /* A concurrent free+reuse between the loads would change state: re-check (the
     * fence keeps the loads above from moving below it -- a seqlock read). */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != st)
        return NVM_TOK_FREED;
    return NVM_TOK_LIVE;
}

enum nvm_tok_status nvm_token_free(const void *handle, uint32_t note, struct nvm_tok *out)
{
    uint32_t idx, gen;
    if (decode(handle, &idx, &gen) < 0)
        return NVM_TOK_UNKNOWN;
    pthread_mutex_lock(&lock);
    struct slot *s = &slots[idx];
    uint32_t st = s->state;
    out->slot = idx;
    if (st != (gen << 1 | 1)) {
        pthread_mutex_unlock(&lock);
        return (st >> 1) == gen ? NVM_TOK_FREED : NVM_TOK_UNKNOWN;
    }
    out->base = s->base;
    out->size = s->size;
    __atomic_store_n(&s->freed, note, __ATOMIC_RELAXED);
    __atomic_store_n(&s->state, gen << 1, __ATOMIC_RELEASE);
    s->next = NONE;
    if (free_tail == NONE)
        free_head = idx;
    else
        slots[free_tail].next = idx;
    free_tail = idx;
    nfree++;
    pthread_mutex_unlock(&lock);
    return NVM_TOK_LIVE;
}

int nvm_token_notes(const void *handle, uint32_t *created, uint32_t *freed)
{
    uint32_t idx, gen;
    if (decode(handle, &idx, &gen) < 0)
        return -1;
    pthread_mutex_lock(&lock);
    const struct slot *s = &slots[idx];
    int ours = (s->state >> 1) == gen;
    if (ours) {
        *created = s->created;
        *freed = s->freed;
    }
    pthread_mutex_unlock(&lock);
    return ours ? 0 : -1;
}

void nvm_token_each_live(void (*fn)(const struct nvm_tok *, uint32_t, void *), void *arg)
{
    uint32_t n = __atomic_load_n(&used, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++) {
        struct slot *s = &slots[i];
        if (!(__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) & 1))
            continue;
        struct nvm_tok t = {__atomic_load_n(&s->base, __ATOMIC_RELAXED),
                            __atomic_load_n(&s->size, __ATOMIC_RELAXED), i};
        fn(&t, __atomic_load_n(&s->created, __ATOMIC_RELAXED), arg);
    }
}

void nvm_token_lock(void)
{
    pthread_mutex_lock(&lock);
}

void nvm_token_unlock(void)
{
    pthread_mutex_unlock(&lock);
}

void nvm_token_reset_lock(void)
{
    pthread_mutex_init(&lock, NULL);
}
