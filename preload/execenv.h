/* execenv.h -- what an exec'd image needs to be checked too: its environment, and a
 * word when it cannot be. */
#ifndef NVC_EXECENV_H
#define NVC_EXECENV_H

#include <stddef.h>

/* An environment built for one exec: on the caller's stack when it fits. */
struct nvc_env {
    char *const *envp; /* what to exec with */
    void *map;         /* a mapping of maplen bytes when it did not fit, or NULL */
    size_t maplen;
    char buf[8192];
};

/* nvc_env_start -- note what this image was started with (at load, before main). */
void nvc_env_start(void);
/* nvc_env_fix -- e->envp: envp, with libnvcheck.so put back into LD_PRELOAD and
 * NVCHECK_OUTPUT, NVCHECK_OPTIONS and NVCHECK_RUN_ID as this image had them, where
 * envp lacks them; envp itself when it lacks nothing (or no memory can be had). No
 * malloc: fit for a vfork child. */
void nvc_env_fix(struct nvc_env *e, char *const *envp);
/* nvc_env_done -- the exec failed: give back what nvc_env_fix took. */
void nvc_env_done(struct nvc_env *e);

/* nvc_exec_warn -- say one line (whatever quiet says) when the file exec is about to
 * run -- dirfd/path as for execveat (AT_FDCWD: a plain path; AT_EMPTY_PATH in flags:
 * dirfd itself) -- runs in the loader's secure mode: LD_PRELOAD is ignored for it. */
void nvc_exec_warn(int dirfd, const char *path, int flags);
/* nvc_exec_warn_search -- the same for file looked up in PATH, as execvp does. */
void nvc_exec_warn_search(const char *file);

#endif
