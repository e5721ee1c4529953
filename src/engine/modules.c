/* modules.c -- the loaded objects, so frames can be written as module + offset.
 *
 * Frames are reported as (module, offset) with offset = pc - load bias: the address
 * addr2line and libdw expect for that file, stable under ASLR. The build-id (from
 * the PT_NOTE segments, already mapped) lets the report reader tell whether the file
 * on disk is still the one that ran.
 *
 * Two ways to list the objects: dl_iterate_phdr, the loader's own list (its lock
 * held meanwhile), and /proc/self/maps with the ELF headers found mapped at each
 * file's offset 0 -- slower, but it takes no lock, so a fatal-signal handler can use
 * it whatever the thread it interrupted was holding.
 */
#include "modules.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/uio.h>
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

/* ---- from /proc/self/maps ---- */

static uintptr_t hex_field(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return v;
        v = v * 16 + (uintptr_t)d;
    }
}

/* safe_read -- copy n bytes at addr, or 0 if they cannot be read: the mapping may be
 * a file shorter than it (SIGBUS) or gone; the kernel checks, no fault is taken. */
static int safe_read(void *dst, uintptr_t addr, size_t n)
{
    struct iovec l = {dst, n}, r = {(void *)addr, n};
    return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)n;
}

/* notes_readable -- every PT_NOTE of the object at bias can be read (build_id reads
 * them in place). */
static int notes_readable(const ElfW(Phdr) * ph, int n, uintptr_t bias)
{
    char probe[64];
    for (int i = 0; i < n; i++) {
        if (ph[i].p_type != PT_NOTE)
            continue;
        for (uintptr_t a = 0; a < ph[i].p_memsz; a += sizeof probe) {
            size_t k = ph[i].p_memsz - a < sizeof probe ? ph[i].p_memsz - a : sizeof probe;
            if (!safe_read(probe, bias + ph[i].p_vaddr + a, k))
                return 0;
        }
    }
    return 1;
}

/* maps_line -- one line "lo-hi perms offset dev inode path": an object when it maps
 * offset 0 of a file, readable, starting with an ELF header. */
static int maps_line(const char *p, struct nve_modules *m)
{
    enum { MAXPH = 64 };
    ElfW(Ehdr) eh;
    ElfW(Phdr) ph[MAXPH];
    uintptr_t lo = hex_field(&p);
    if (*p++ != '-')
        return 0;
    hex_field(&p);
    if (*p++ != ' ' || *p != 'r')
        return 0;
    p += 5;
    if (hex_field(&p) != 0)
        return 0;
    for (int field = 0; field < 2; field++) { /* dev, inode */
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ')
        p++;
    if (*p != '/' || !safe_read(&eh, lo, sizeof eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum == 0 || eh.e_phnum > MAXPH ||
        !safe_read(ph, lo + eh.e_phoff, eh.e_phnum * sizeof *ph))
        return 0;
    uintptr_t first = UINTPTR_MAX;
    for (int i = 0; i < eh.e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first)
            first = ph[i].p_vaddr;
    struct dl_phdr_info info;
    memset(&info, 0, sizeof info);
    info.dlpi_addr = lo - (first & ~(uintptr_t)4095);
    info.dlpi_phdr = ph;
    info.dlpi_phnum = eh.e_phnum;
    info.dlpi_name = p;
    if (first == UINTPTR_MAX || !notes_readable(ph, eh.e_phnum, info.dlpi_addr))
        return 0;
    return add(&info, sizeof info, m);
}

int nve_modules_load_maps(struct nve_modules *m, struct nv_arena *arena)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = nve_modules_load_maps_fd(m, arena, fd);
    close(fd);
    return rc;
}

int nve_modules_load_maps_fd(struct nve_modules *m, struct nv_arena *arena, int fd)
{
    enum { BUF = 65536 };
    memset(m, 0, sizeof *m);
    m->arena = arena;
    char *buf = nv_arena_alloc(arena, BUF);
    if (!buf || lseek(fd, 0, SEEK_SET) < 0) /* from the start: the kernel lists it anew */
        return -1;
    size_t have = 0;
    int rc = 0;
    for (;;) {
        ssize_t k = read(fd, buf + have, BUF - 1 - have);
        if (k <= 0)
            break;
        have += (size_t)k;
        buf[have] = 0;
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n')) != NULL && rc == 0) {
            *nl = 0;
            rc = maps_line(line, m);
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
        if (rc || have == BUF - 1)
            break;
    }
    return rc ? -1 : 0;
}

int nve_modules_find(const struct nve_modules *m, uintptr_t pc)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (pc >= m->v[i].lo && pc < m->v[i].hi)
            return (int)i;
    return -1;
}
