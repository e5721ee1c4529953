/* modules.c -- the loaded objects, so frames can be written as module + offset.
 *
 * Frames are reported as (module, offset) with offset = pc - load bias: the address
 * addr2line and libdw expect for that file, stable under ASLR. The build-id (from
 * the PT_NOTE segments, already mapped) lets the report reader tell whether the file
 * on disk is still the one that ran.
 */
#include "modules.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

static const char *copy_str(struct nv_arena *a, const char *s, size_t n)
{
    char *p = nv_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static void build_id(const struct dl_phdr_info *info, char *out)
{
    out[0] = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        size_t align = ph->p_align > 4 ? ph->p_align : 4;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *nh;
            const unsigned char *desc =
                (const unsigned char *)name + ((nh->n_namesz + align - 1) & ~(align - 1));
            if ((const char *)desc + nh->n_descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                size_t n = nh->n_descsz < 32 ? nh->n_descsz : 32;
                for (size_t k = 0; k < n; k++) {
                    out[2 * k] = "0123456789abcdef"[desc[k] >> 4];
                    out[2 * k + 1] = "0123456789abcdef"[desc[k] & 15];
                }
                out[2 * n] = 0;
                return;
            }
            p = (const char *)desc + ((nh->n_descsz + align - 1) & ~(align - 1));
        }
    }
}

static int add(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct nve_modules *m = arg;
    (void)size;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        lo = a < lo ? a : lo;
        hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
    }
    if (lo >= hi)
        return 0;
    if (m->n == m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 32;
        struct nve_module *v = nv_arena_alloc(m->arena, cap * sizeof *v);
        if (!v)
            return 1;
        if (m->n)
            memcpy(v, m->v, m->n * sizeof *v);
        nv_arena_free(m->arena, m->v, m->cap * sizeof *v);
        m->v = v;
        m->cap = cap;
    }
    struct nve_module *mod = &m->v[m->n];
    mod->lo = lo;
    mod->hi = hi;
    mod->base = info->dlpi_addr;
    const char *name = info->dlpi_name;
    if (m->n == 0 && (!name || !*name)) { /* the main program */
        char exe[4096];
        ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
        mod->path = k > 0 ? copy_str(m->arena, exe, (size_t)k) : copy_str(m->arena, "", 0);
    } else {
        mod->path = copy_str(m->arena, name ? name : "", name ? strlen(name) : 0);
    }
    if (!mod->path)
        return 1;
    build_id(info, mod->build_id);
    m->n++;
    return 0;
}

int nve_modules_load(struct nve_modules *m, struct nv_arena *arena)
{
    memset(m, 0, sizeof *m);
    m->arena = arena;
    return dl_iterate_phdr(add, m) ? -1 : 0;
}

int nve_modules_find(const struct nve_modules *m, uintptr_t pc)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (pc >= m->v[i].lo && pc < m->v[i].hi)
            return (int)i;
    return -1;
}
