/* modules.h -- the loaded objects, so frames can be written as module + offset. */
#ifndef NVE_MODULES_H
#define NVE_MODULES_H

#include "arena.h"

#include <stdint.h>

struct nve_module {
    uintptr_t lo, hi;  /* mapped range of its PT_LOAD segments */
    uintptr_t base;    /* load bias: file address = runtime address - base */
    const char *path;  /* absolute for the main program; as the loader named it otherwise */
    char build_id[65]; /* hex, "" when the object has none */
};

struct nve_modules {
    struct nve_module *v;
    uint32_t n, cap;
    struct nv_arena *arena;
};

/* nve_modules_load -- snapshot what is loaded now (dl_iterate_phdr). -1 on OOM. */
int nve_modules_load(struct nve_modules *m, struct nv_arena *arena);
/* nve_modules_load_maps -- the same from /proc/self/maps and the ELF headers mapped
 * in memory: no loader lock taken, so it may run in a fatal-signal handler. */
int nve_modules_load_maps(struct nve_modules *m, struct nv_arena *arena);
/* nve_modules_load_maps_fd -- the same from fd, /proc/self/maps opened earlier (read
 * from its start): for when no descriptor can be opened any more. */
int nve_modules_load_maps_fd(struct nve_modules *m, struct nv_arena *arena, int fd);
/* nve_modules_find -- index of the module containing pc, or -1. */
int nve_modules_find(const struct nve_modules *m, uintptr_t pc);

#endif
