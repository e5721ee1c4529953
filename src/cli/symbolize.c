/* symbolize.c -- module + offset to function, file and line, with elfutils libdwfl.
 *
 * Offline: the report names each module's path and build-id, and frames are file
 * offsets, so a report can be symbolised on another day, after ASLR moved everything,
 * as long as the same binaries are on disk. Each module is opened once, at base 0 so
 * that file offsets are addresses; separate debug info is found the standard way
 * (build-id links, .debug directories). A missing file or a different build-id means
 * the binary is not the one that ran: its frames stay module+offset, with one warning.
 * Inlined calls are expanded into frames of their own, as addr2line -i does, so a call
 * made from an inlined helper shows the helper and the line that called it. Relative
 * source paths are joined to the compilation directory, so files are named the same
 * wherever nvcheck runs; a rebuilt binary (same path, other build-id) in another
 * report is another module.
 */
#include "cli.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

#define MAX_INLINE 16

struct module {
    char *path, *build_id; /* one per binary that ran: a rebuilt file is another module */
    struct answer *cache;  /* open addressing, power-of-two size, at most half full */
    size_t ncache, cache_used;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    int usable;
};

struct symbolizer {
    struct module *v;
    size_t n;
    int quiet;
};

/* One location: what a frame (or an inlined piece of it) shows. */
struct loc {
    char *function, *file;
    int line;
};

/* The answers already looked up, per module: stacks share most of their frames, and
 * libdw's line and scope lookups are the cost of rendering a big report. */
struct answer {
    uint64_t offset;
    int k; /* 0: nothing known; -1: empty slot */
    struct loc *locs;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static char *hexstr(const unsigned char *b, int n)
{
    char *s = cli_alloc((size_t)n * 2 + 1);
    for (int i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", b[i]);
    return s;
}

/* open_module -- the module at path, checked against the build-id that ran. */
static void open_module(struct symbolizer *sy, struct module *m, const char *build_id)
{
    if (!strchr(m->path, '/'))
        return; /* linux-vdso.so.1 and friends: no file to read */
    /* Opened without blocking and checked: a FIFO or a device at a module's path (a
     * report is input like any other) is never waited on or read. */
    struct stat st;
    int fd = open(m->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (!sy->quiet)
            cli_warn("%s: not found; its frames are shown as module+offset", m->path);
        return;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (!sy->quiet)
            cli_warn("%s: not a regular file; its frames are shown as module+offset", m->path);
        close(fd);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    m->dwfl = dwfl_begin(&callbacks);
    if (!m->dwfl) {
        close(fd);
        return;
    }
    dwfl_report_begin(m->dwfl);
    m->mod = dwfl_report_elf(m->dwfl, m->path, m->path, fd, 0, false);
    dwfl_report_end(m->dwfl, NULL, NULL);
    if (!m->mod)
        close(fd); /* consumed only on success */
    if (!m->mod) {
        if (!sy->quiet)
            cli_warn("%s: cannot read it (%s); its frames are shown as module+offset", m->path,
                     dwfl_errmsg(-1));
        return;
    }
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(m->mod, &bits, &vaddr);
    char *have = n > 0 ? hexstr(bits, n) : NULL;
    if (build_id && (!have || strcmp(have, build_id))) {
        if (!sy->quiet)
            cli_warn("%s: build-id %s differs from the one that ran (%s): the file changed; "
                     "its frames are shown as module+offset",
                     m->path, have ? have : "(none)", build_id);
    } else {
        m->usable = 1;
    }
    free(have);
}

static struct module *module(struct symbolizer *sy, const char *path, const char *build_id)
{
    for (size_t i = 0; i < sy->n; i++)
        if (!strcmp(sy->v[i].path, path) &&
            !strcmp(sy->v[i].build_id ? sy->v[i].build_id : "", build_id ? build_id : ""))
            return &sy->v[i];
    struct module *v = realloc(sy->v, (sy->n + 1) * sizeof *v);
    if (!v)
        return NULL;
    sy->v = v;
    struct module *m = &sy->v[sy->n++];
    memset(m, 0, sizeof *m);
    m->path = cli_strdup(path);
    m->build_id = cli_strdup(build_id);
    open_module(sy, m, build_id);
    return m;
}

static char *demangle(const char *name)
{
    if (!name)
        return NULL;
    int status = -1;
    char *d = strncmp(name, "_Z", 2) == 0 ? __cxa_demangle(name, NULL, NULL, &status) : NULL;
    return status == 0 ? d : cli_strdup(name);
}

/* die_name -- a subprogram's or inlined call's function name, demangled. */
static char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
    return demangle(n);
}

/* source_path -- file as the line table names it, made absolute with the compilation
 * directory when it is relative (gcc records "tests/e2e/x.c" under comp_dir): people
 * and --source-root want a path that does not depend on where nvcheck runs. */
static char *source_path(const char *comp_dir, const char *file)
{
    if (!file)
        return NULL;
    if (file[0] == '/' || !comp_dir || comp_dir[0] != '/')
        return cli_strdup(file);
    /* Join, dropping "." and resolving ".." by name: a VPATH build names its sources
     * "../src/x.c" from the build directory. */
    char *p = cli_printf("%s/%s", comp_dir, file), *o = p;
    for (const char *s = p; *s;) {
        size_t n = strcspn(s, "/");
        if ((n == 1 && s[0] == '.') || n == 0) {
            /* nothing */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (o > p && *--o != '/')
                ;
        } else {
            *o++ = '/';
            memmove(o, s, n);
            o += n;
        }
        s += n + (s[n] == '/');
    }
    if (o == p)
        *o++ = '/';
    *o = 0;
    return p;
}

/* lookup -- the locations at addr, innermost first: the code itself, then each call
 * that inlined it. Returns how many (0 when nothing is known). */
static int lookup(struct module *m, uint64_t offset, struct loc *out)
{
    Dwarf_Addr bias = 0;
    if (!dwfl_module_getelf(m->mod, &bias))
        return 0;
    Dwarf_Addr addr = offset + bias;
    int n = 0;
    out[0] = (struct loc){0};
    Dwarf_Addr cubias;
    Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &cubias);
    Dwarf_Attribute ca;
    const char *comp_dir = cu ? dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &ca)) : NULL;
    Dwfl_Line *l = dwfl_module_getsrc(m->mod, addr);
    if (l) {
        int line = 0;
        const char *file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
        out[0].file = source_path(comp_dir, file);
        out[0].line = line;
    }
    Dwarf_Die *scopes = NULL;
    int ns = cu ? dwarf_getscopes(cu, addr - cubias, &scopes) : 0;
    Dwarf_Files *files = NULL;
    if (cu)
        dwarf_getsrcfiles(cu, &files, NULL);
    for (int i = 0; i < ns && n < MAX_INLINE; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
            continue;
        out[n].function = die_name(&scopes[i]);
        if (tag == DW_TAG_subprogram)
            break;
        /* An inlined call: its caller is the next location out. */
        Dwarf_Attribute a;
        Dwarf_Word file = 0, line = 0;
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &file);
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &line);
        n++;
        out[n] = (struct loc){0};
        out[n].file = files ? source_path(comp_dir, dwarf_filesrc(files, file, NULL, NULL)) : NULL;
        out[n].line = (int)line;
    }
    free(scopes);
    if (!out[n].function) {
        const char *sym = dwfl_module_addrname(m->mod, addr);
        out[n].function = demangle(sym);
    }
    n++;
    if (n == 1 && !out[0].function && !out[0].file)
        return 0;
    return n;
}

static size_t slot_of(const struct module *m, uint64_t offset)
{
    return (size_t)((offset * 0x9E3779B97F4A7C15ull) >> 17) & (m->ncache - 1);
}

/* cached -- the answer for offset, looked up once. */
static struct answer *cached(struct module *m, uint64_t offset)
{
    if (m->cache_used * 2 >= m->ncache) { /* grow (or start) */
        struct module old = *m;
        m->ncache = old.ncache ? old.ncache * 2 : 256;
        m->cache = cli_alloc(m->ncache * sizeof *m->cache);
        for (size_t i = 0; i < m->ncache; i++)
            m->cache[i].k = -1;
        for (size_t i = 0; i < old.ncache; i++) {
            if (old.cache[i].k < 0)
                continue;
            size_t j = slot_of(m, old.cache[i].offset);
            while (m->cache[j].k >= 0)
                j = (j + 1) & (m->ncache - 1);
            m->cache[j] = old.cache[i];
        }
        free(old.cache);
    }
    size_t j = slot_of(m, offset);
    while (m->cache[j].k >= 0 && m->cache[j].offset != offset)
        j = (j + 1) & (m->ncache - 1);
    struct answer *a = &m->cache[j];
    if (a->k < 0) {
        struct loc locs[MAX_INLINE + 1];
        a->offset = offset;
        a->k = lookup(m, offset, locs);
        a->locs = NULL;
        if (a->k > 0) {
            a->locs = cli_alloc((size_t)a->k * sizeof *a->locs);
            memcpy(a->locs, locs, (size_t)a->k * sizeof *a->locs);
        }
        m->cache_used++;
    }
    return a;
}

static void free_cache(struct module *m)
{
    for (size_t i = 0; i < m->ncache; i++) {
        for (int j = 0; j < m->cache[i].k; j++) {
            free(m->cache[i].locs[j].function);
            free(m->cache[i].locs[j].file);
        }
        if (m->cache[i].k > 0)
            free(m->cache[i].locs);
    }
    free(m->cache);
}

/* symbolize_stack -- fill in (and expand) one stack's frames. */
static void symbolize_stack(struct symbolizer *sy, struct cli_stack *s)
{
    struct cli_frame *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct module *m = s->f[i].module ? module(sy, s->f[i].module, s->f[i].build_id) : NULL;
        const struct answer *a = m && m->usable ? cached(m, s->f[i].offset) : NULL;
        int k = a ? a->k : 0;
        out = realloc(out, (n + (size_t)(k ? k : 1)) * sizeof *out);
        if (!out) {
            cli_error("symbolize", "out of memory");
            exit(CLI_BAD_INPUT);
        }
        if (k == 0) {
            out[n++] = s->f[i];
            continue;
        }
        for (int j = 0; j < k; j++) {
            out[n] = s->f[i];
            out[n].function = cli_strdup(a->locs[j].function);
            out[n].file = cli_strdup(a->locs[j].file);
            out[n].line = a->locs[j].line;
            out[n].inlined = j < k - 1;
            n++;
        }
    }
    free(s->f);
    s->f = out;
    s->n = n;
}

void cli_symbolize(struct cli_set *set, int quiet)
{
    struct symbolizer sy = {.quiet = quiet};
    for (size_t r = 0; r < set->n; r++) {
        for (size_t i = 0; i < set->r[r].nfindings; i++) {
            struct cli_finding *f = &set->r[r].findings[i];
            symbolize_stack(&sy, &f->stack);
            for (size_t k = 0; k < f->nrelated; k++)
                symbolize_stack(&sy, &f->related[k].stack);
        }
    }
    for (size_t i = 0; i < sy.n; i++) {
        if (sy.v[i].dwfl)
            dwfl_end(sy.v[i].dwfl);
        free_cache(&sy.v[i]);
        free(sy.v[i].path);
        free(sy.v[i].build_id);
    }
    free(sy.v);
}
