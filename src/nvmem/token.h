/* token.h -- the table of live NV tokens: handle <-> region, validated lock-free. */
#ifndef NVMEM_TOKEN_H
#define NVMEM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define NVM_MAX_TOKENS (1u << 20)

/* What a handle names. `slot` indexes the table and is stable while the token lives;
 * the checker keys its own per-token data by it. */
struct nvm_tok {
    uintptr_t base;
    size_t size;
    uint32_t slot;
};

enum nvm_tok_status { NVM_TOK_LIVE, NVM_TOK_FREED, NVM_TOK_UNKNOWN };

/* nvm_token_new -- issue a handle for [base, base+size), noting `note` as its created
 * note (its freed note is 0 until it is freed); -1 when the table is full. */
int nvm_token_new(uintptr_t base, size_t size, uint32_t note, void **handle, struct nvm_tok *out);
/* nvm_token_lookup -- LIVE and *out filled, or why not (FREED: issued and since freed;
 * then out->slot names the slot so the checker can say where it was freed). */
enum nvm_tok_status nvm_token_lookup(const void *handle, struct nvm_tok *out);
/* nvm_token_free -- LIVE (and now freed, *out describing it, `note` its freed note) or
 * why not (then nothing is noted). */
enum nvm_tok_status nvm_token_free(const void *handle, uint32_t note, struct nvm_tok *out);
/* nvm_token_notes -- the notes of handle's token, live or freed (0: none given); -1
 * when the handle was never issued or its slot has passed to another token. */
int nvm_token_notes(const void *handle, uint32_t *created, uint32_t *freed);
/* nvm_token_each_live -- call fn for every live token, with its created note (tests;
 * not concurrent-safe against new/free, callers stop the world first). */
void nvm_token_each_live(void (*fn)(const struct nvm_tok *, uint32_t, void *), void *arg);

/* Fork: hold the table lock across fork so the child never inherits it held. */
void nvm_token_lock(void);
void nvm_token_unlock(void);
void nvm_token_reset_lock(void);

#endif
