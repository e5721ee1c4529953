/* report.c -- the raw report: one JSON document per process.
 *
 * Written with jsonw (no malloc, no stdio), so the same code runs at exit, at exec,
 * in a fork child and from a fatal-signal handler; output.c gets it to its name
 * atomically, or not at all. Frames are module index + file offset of the call
 * instruction (return address - 1), which is what addr2line and libdw take; the
 * module table carries paths and build-ids. "end" says how the image ended.
 * The format is documented in reports/raw-report.schema.json.
 *
 * Every integer is one a JSON reader takes (jsonw: null above INT64_MAX); sizes of
 * rejected calls are not byte counts and are not added up (findings.h); offsets from
 * a region saturate. So whatever the program passed, the CLI can read the report.
 */
#include "report.h"

#include "checker.h"
#include "engine/jsonw.h"
#include "engine/modules.h"
#include "engine/say.h"
#include "engine/stackdepot.h"
#include "nvmem/ops.h"
#include "output.h"
#include "reserve.h"
#include "roster.h"
#include "runtime.h"
#include "signals.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define SCHEMA "nvcheck-raw/1"

/* ---- pieces of the document ---- */

static void w_frames(struct jw *w, const struct nve_modules *mods, uint32_t id)
{
    uint32_t n;
    const uintptr_t *pcs = nve_stack_get(id, &n);
    jw_arr(w);
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t pc = pcs[i] - 1; /* inside the call instruction */
        int m = nve_modules_find(mods, pc);
        jw_obj(w);
        if (m >= 0) {
            jw_key(w, "module");
            jw_u64(w, (uint64_t)m);
            jw_key(w, "offset");
            jw_hex(w, pc - mods->v[m].base);
        } else {
            jw_key(w, "address");
            jw_hex(w, pc);
        }
        jw_end_obj(w);
    }
    jw_end_arr(w);
}

/* drained_elsewhere -- a thread other than t drained after t's last flush. */
static uint32_t drained_elsewhere(uint32_t t)
{
    const struct nvc_thread_info *ti = nvc_thread_info(t);
    uint32_t n = __atomic_load_n(&nvc.nthreads, __ATOMIC_RELAXED);
    if (!ti)
        return 0;
    for (uint32_t u = 1; u <= n; u++) {
        const struct nvc_thread_info *ui = nvc_thread_info(u);
        if (u != t && ui && ui->last_drain > ti->last_flush)
            return u;
    }
    return 0;
}

static const char *flag_problem(enum nvm_err e)
{
    switch (e) {
    case NVM_E_FLAGS:
        return "unknown flag bits";
    case NVM_E_NO_DRAIN_ALONE:
        return "NO_DRAIN without FLUSH";
    case NVM_E_NO_DRAIN_NT:
        return "NO_DRAIN together with NON_TEMPORAL";
    default:
        return NULL;
    }
}

/* w_end_words -- how the image ended, for a message: " before exit" etc. */
static void w_end_words(struct jw *w)
{
    if (nvc.end_how == NVC_END_SIGNAL)
        jw_str_fmt(w, " before the process was killed by %s", nvc_signal_name(nvc.end_sig));
    else
        jw_str_add(w, nvc.end_how == NVC_END_EXEC ? " before exec" : " before exit");
}

/* w_message -- one sentence saying what is wrong, for people. */
static void w_message(struct jw *w, const struct nve_finding *f)
{
    const struct nve_occurrence *o = &f->first;
    const char *routine = o->key.routine < NVC_NROUTINES ? nvc_routine_names[o->key.routine] : "?";
    enum nvm_err e = (enum nvm_err)o->key.detail;
    jw_str_begin(w);
    switch (o->key.kind) {
    case NV_K_UNFLUSHED_WRITE:
        jw_str_fmt(w, "%zu bytes written at %p were never flushed", o->size, (void *)o->addr);
        if (o->key.rel_role[0] == NVE_ROLE_TOKEN_FREED_AT)
            jw_str_add(w, " before the token was freed");
        else
            w_end_words(w);
        break;
    case NV_K_UNDRAINED_FLUSH:
        jw_str_fmt(w, "%zu bytes at %p were flushed but not drained", o->size, (void *)o->addr);
        if (o->key.thread == NVE_ANY_THREAD) {
            jw_str_add(w, " by any of the threads that flushed them");
        } else {
            jw_str_fmt(w, " by the flushing thread T%u", o->key.thread);
            uint32_t u = drained_elsewhere(o->key.thread);
            if (u)
                jw_str_fmt(w,
                           "; T%u drained later, but a drain persists only the draining "
                           "thread's flushes",
                           u);
        }
        break;
    case NV_K_INVALID_TOKEN:
        jw_str_fmt(w, "%s: ", routine);
        if (e == NVM_E_TOKEN_FREED)
            jw_str_fmt(w, "token %p was already freed", (void *)o->addr);
        else if (e == NVM_E_TOKEN_DEFAULT)
            jw_str_add(w, "FLUSH_NV_MEMORY_DEFAULT_TOKEN is accepted only by the flush and drain "
                          "routines");
        else
            jw_str_fmt(w, "%p is not a live token (never issued, or freed long ago)",
                       (void *)o->addr);
        break;
    case NV_K_OUT_OF_REGION:
        jw_str_fmt(w, "%s: %s", routine, o->what ? o->what : "range");
        if (o->what && strstr(o->what, "[]"))
            jw_str_fmt(w, " (range %zu)", o->index);
        jw_str_fmt(w, " [%p, +%zu) is not inside the token's region [%p, +%zu)", (void *)o->addr,
                   o->size, (void *)o->key.region_base, o->region_size);
        break;
    case NV_K_INVALID_ARGUMENT:
        jw_str_fmt(w, "%s: ", routine);
        if (flag_problem(e))
            jw_str_fmt(w, "Flags 0x%x: %s", o->flags, flag_problem(e));
        else if (e == NVM_E_NULL)
            jw_str_fmt(w, "%s is NULL with a size of %zu", o->what, o->size);
        else if (e == NVM_E_WRAP)
            jw_str_fmt(w, "%s %p + 0x%zx wraps around the address space", o->what, (void *)o->addr,
                       o->size);
        else if (e == NVM_E_EMPTY)
            jw_str_add(w, "Size is 0: a token needs a non-empty region");
        else
            jw_str_add(w, "invalid argument");
        if (o->what && strstr(o->what, "[]")) /* an element of NvRanges */
            jw_str_fmt(w, " (range %zu)", o->index);
        break;
    case NV_K_REDUNDANT_FLUSH:
        jw_str_fmt(w, "%s: nothing in [%p, +%zu) was dirty", routine, (void *)o->addr, o->size);
        break;
    case NV_K_OVERWRITTEN_UNFLUSHED:
        jw_str_fmt(w, "%s over %zu bytes at %p still dirty from an earlier write", routine, o->size,
                   (void *)o->addr);
        break;
    case NV_K_LEAKED_TOKEN:
        jw_str_fmt(w, "the token for [%p, +%zu) was never freed", (void *)o->addr, o->size);
        break;
    }
    jw_str_end(w);
}

/* w_offset -- addr - base, saturated at the ends of a signed 64-bit integer: a range
 * of a rejected call may lie anywhere in the address space, and its distance from the
 * region may not fit. */
static void w_offset(struct jw *w, uintptr_t addr, uintptr_t base)
{
    if (addr >= base)
        jw_i64(w, addr - base > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(addr - base));
    else
        jw_i64(w, base - addr > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)(base - addr));
}

/* w_region -- {"base", "size", "offset"} of the region [base, base+size) at addr. A
 * size beyond INT64_MAX (a token's bogus one) is null, like every such integer (jsonw). */
static void w_region(struct jw *w, uintptr_t base, uint64_t size, uintptr_t addr)
{
    jw_obj(w);
    jw_key(w, "base");
    jw_hex(w, base);
    jw_key(w, "size");
    jw_u64(w, size);
    jw_key(w, "offset");
    w_offset(w, addr, base);
    jw_end_obj(w);
}

/* w_bytes -- a byte count, or null where the kind has none (nve_kind_has_bytes). */
static void w_bytes(struct jw *w, uint32_t kind, uint64_t bytes)
{
    if (nve_kind_has_bytes(kind))
        jw_u64(w, bytes);
    else
        jw_null(w);
}

static int has_address(uint32_t kind)
{
    return kind != NV_K_INVALID_TOKEN;
}

struct ctx {
    struct jw *w;
    const struct nve_modules *mods;
};

static void w_finding(const struct nve_finding *f, void *arg)
{
    struct ctx *c = arg;
    struct jw *w = c->w;
    const struct nve_occurrence *o = &f->first;
    const struct nv_kind_info *ki = &nv_kinds[o->key.kind];
    jw_obj(w);
    jw_key(w, "kind");
    jw_str(w, ki->name);
    jw_key(w, "severity");
    jw_str(w, nv_severity_name(ki->severity));
    jw_key(w, "message");
    w_message(w, f);
    jw_key(w, "address");
    if (has_address(o->key.kind))
        jw_hex(w, o->addr);
    else
        jw_null(w);
    jw_key(w, "size"); /* null beyond INT64_MAX: a bogus size argument (jsonw) */
    if (has_address(o->key.kind))
        jw_u64(w, o->size);
    else
        jw_null(w);
    if (o->key.kind == NV_K_INVALID_TOKEN) {
        jw_key(w, "token");
        jw_hex(w, o->addr);
    }
    jw_key(w, "region");
    if (o->key.kind == NV_K_LEAKED_TOKEN) /* the (first) token's own region */
        w_region(w, o->addr, o->size, o->addr);
    else if (o->key.has_region)
        w_region(w, o->key.region_base, o->region_size, o->addr);
    else
        jw_null(w);
    if (o->key.routine) {
        jw_key(w, "routine");
        jw_str(w, nvc_routine_names[o->key.routine]);
    }
    if (o->key.thread) {
        jw_key(w, "thread");
        jw_obj(w);
        jw_key(w, "id");
        if (o->key.thread == NVE_ANY_THREAD) {
            jw_null(w);
        } else {
            const struct nvc_thread_info *ti = nvc_thread_info(o->key.thread);
            jw_u64(w, o->key.thread);
            jw_key(w, "tid");
            jw_i64(w, ti ? ti->tid : 0);
        }
        jw_end_obj(w);
    }
    jw_key(w, "count");
    jw_u64(w, f->count);
    jw_key(w, "bytes");
    w_bytes(w, o->key.kind, f->bytes);
    jw_key(w, "ranges");
    jw_arr(w);
    for (uint32_t i = 0; i < f->nranges && has_address(o->key.kind); i++) {
        jw_obj(w);
        jw_key(w, "address");
        jw_hex(w, f->ranges[i].addr);
        jw_key(w, "size");
        jw_u64(w, f->ranges[i].size);
        jw_end_obj(w);
    }
    jw_end_arr(w);
    jw_key(w, "ranges_truncated");
    jw_bool(w, f->count > f->nranges);
    jw_key(w, "stack");
    w_frames(w, c->mods, o->key.stack);
    jw_key(w, "related");
    jw_arr(w);
    for (int i = 0; i < 2; i++) {
        if (!o->key.rel_role[i])
            continue;
        jw_obj(w);
        jw_key(w, "role");
        jw_str(w, nve_role_name((enum nve_role)o->key.rel_role[i]));
        jw_key(w, "stack");
        w_frames(w, c->mods, o->key.rel_stack[i]);
        jw_end_obj(w);
    }
    jw_end_arr(w);
    jw_end_obj(w);
}

static void w_process(struct jw *w)
{
    char buf[8192];
    jw_obj(w);
    jw_key(w, "pid");
    jw_i64(w, nvc.pid);
    jw_key(w, "ppid");
    jw_i64(w, getppid());
    jw_key(w, "argv");
    jw_arr(w);
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 0) { /* no descriptor to be had: the command line as it was at start */
        size_t len;
        const char *start = nvc_start_cmdline(&len);
        len = len < sizeof buf - 1 ? len : sizeof buf - 1;
        memcpy(buf, start, len);
        n = (ssize_t)len;
    }
    for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1) {
        buf[n] = 0;
        jw_str(w, buf + i);
    }
    jw_end_arr(w);
    jw_key(w, "start_time");
    jw_i64(w, nvc.start_unix);
    if (nvc_roster_image()[0]) { /* under nvcheck run: the marker this report answers for */
        jw_key(w, "image");
        jw_str(w, nvc_roster_image());
    }
    jw_end_obj(w);
}

/* w_end -- how the image ended: exit (exit, _exit, return from main) with its status
 * when known (ends.c), exec, or a signal whose default action killed it. */
static void w_end(struct jw *w)
{
    static const char *const how[] = {"exit", "exec", "signal"};
    jw_obj(w);
    jw_key(w, "how");
    jw_str(w, how[nvc.end_how]);
    if (nvc.end_how == NVC_END_EXIT && __atomic_load_n(&nvc.exit_status_known, __ATOMIC_ACQUIRE)) {
        jw_key(w, "status");
        jw_u64(w, (uint64_t)__atomic_load_n(&nvc.exit_status, __ATOMIC_RELAXED));
    }
    if (nvc.end_how == NVC_END_SIGNAL) {
        jw_key(w, "signal");
        jw_u64(w, (uint64_t)nvc.end_sig);
        jw_key(w, "signal_name");
        jw_str(w, nvc_signal_name(nvc.end_sig));
    }
    jw_end_obj(w);
}

static void w_options(struct jw *w)
{
    jw_obj(w);
    jw_key(w, "stack_depth");
    jw_u64(w, nvc.opt.stack_depth);
    jw_key(w, "kinds");
    jw_arr(w);
    for (int k = 0; k < NV_NKINDS; k++)
        if (nvc_kind_on(k))
            jw_str(w, nv_kinds[k].name);
    jw_end_arr(w);
    jw_key(w, "drain");
    jw_str(w, nvc.opt.drain ? "global" : "thread");
    jw_key(w, "max_findings");
    jw_u64(w, nvc.opt.max_findings);
    jw_key(w, "max_shadow_mb");
    jw_u64(w, nvc.opt.max_shadow_mb);
    jw_key(w, "max_stacks");
    jw_u64(w, nvc.opt.max_stacks);
    jw_end_obj(w);
}

static void w_modules(struct jw *w, const struct nve_modules *mods)
{
    jw_arr(w);
    for (uint32_t i = 0; i < mods->n; i++) {
        jw_obj(w);
        jw_key(w, "path");
        jw_str(w, mods->v[i].path);
        jw_key(w, "build_id");
        jw_str(w, mods->v[i].build_id[0] ? mods->v[i].build_id : NULL);
        jw_key(w, "base");
        jw_hex(w, mods->v[i].base);
        jw_end_obj(w);
    }
    jw_end_arr(w);
}

static void w_summary(struct jw *w, const struct nve_findings_totals *t)
{
    struct nve_stats st;
    nve_stats(nvc.shadow, &st);
    uint64_t dropped = 0;
    jw_obj(w);
    jw_key(w, "errors");
    jw_u64(w, t->errors);
    jw_key(w, "warnings");
    jw_u64(w, t->warnings);
    jw_key(w, "by_kind");
    jw_obj(w);
    for (int k = 0; k < NV_NKINDS; k++) {
        dropped += t->dropped[k];
        if (!t->findings[k] && !t->dropped[k])
            continue;
        jw_key(w, nv_kinds[k].name);
        jw_obj(w);
        jw_key(w, "findings");
        jw_u64(w, t->findings[k]);
        jw_key(w, "occurrences");
        jw_u64(w, t->occurrences[k]);
        jw_key(w, "bytes");
        w_bytes(w, (uint32_t)k, t->bytes[k]);
        jw_key(w, "dropped");
        jw_u64(w, t->dropped[k]);
        jw_end_obj(w);
    }
    jw_end_obj(w);
    uint64_t untracked = __atomic_load_n(&nvc.untracked_writes, __ATOMIC_RELAXED);
    jw_key(w, "truncated");
    jw_bool(w, dropped > 0 || nve_stack_dropped() > 0 || untracked > 0);
    jw_key(w, "dropped_occurrences");
    jw_u64(w, dropped);
    jw_key(w, "untracked_writes");
    jw_u64(w, untracked);
    jw_key(w, "untracked_bytes");
    jw_u64(w, __atomic_load_n(&nvc.untracked_bytes, __ATOMIC_RELAXED));
    jw_key(w, "threads");
    jw_u64(w, __atomic_load_n(&nvc.nthreads, __ATOMIC_RELAXED));
    jw_key(w, "stacks");
    jw_u64(w, nve_stack_count());
    jw_key(w, "stacks_dropped");
    jw_u64(w, nve_stack_dropped());
    jw_key(w, "shadow_bytes");
    jw_u64(w, st.bytes);
    jw_key(w, "peak_shadow_bytes");
    jw_u64(w, st.peak_bytes);
    jw_end_obj(w);
}

static void w_report(struct jw *w, const struct nve_modules *mods,
                     const struct nve_findings_totals *t)
{
    struct ctx c = {w, mods};
    jw_obj(w);
    jw_key(w, "schema");
    jw_str(w, SCHEMA);
    jw_key(w, "tool");
    jw_obj(w);
    jw_key(w, "name");
    jw_str(w, "nvcheck");
    jw_key(w, "version");
    jw_str(w, PACKAGE_VERSION);
    jw_end_obj(w);
    if (nvc.run_id[0]) {
        jw_key(w, "run_id");
        jw_str(w, nvc.run_id);
    }
    jw_key(w, "process");
    w_process(w);
    jw_key(w, "end");
    w_end(w);
    jw_key(w, "options");
    w_options(w);
    jw_key(w, "modules");
    w_modules(w, mods);
    jw_key(w, "findings");
    jw_arr(w);
    nve_findings_each(nvc.findings, w_finding, &c);
    jw_end_arr(w);
    jw_key(w, "summary");
    w_summary(w, t);
    jw_end_obj(w);
}

/* ---- the file ---- */

static struct jw writer; /* 16 KiB: too big for a signal handler's stack */

/* load_modules -- the module table. From a fatal signal, /proc/self/maps rather than
 * dl_iterate_phdr: the thread the signal interrupted may hold the loader's lock (in
 * dlopen, or in the unwinder), and the maps file needs none. */
static void load_modules(struct nve_modules *mods, struct nv_arena *arena)
{
    int rc, maps = nvc.end_how == NVC_END_SIGNAL ? nvc_reserved_maps() : -1;
    if (nvc.end_how != NVC_END_SIGNAL)
        rc = nve_modules_load(mods, arena);
    else if (maps >= 0) /* opened at start: the program may have left no descriptor free */
        rc = nve_modules_load_maps_fd(mods, arena, maps);
    else
        rc = nve_modules_load_maps(mods, arena);
    if (rc < 0)
        mods->n = 0; /* frames fall back to absolute addresses */
}

static struct nvc_out o; /* 8 KiB of names: static, like the writer */
static int published;    /* the last report went to a file of its own */

/* nvc_report_take_back -- remove the file the last nvc_report_write published (a
 * failed exec: its image goes on). 0, or -1 when there is none to remove. */
int nvc_report_take_back(void)
{
    if (!published)
        return -1;
    published = 0;
    return nvc_out_remove(&o);
}

/* write_report -- open, write, publish; 0, or -1 after output.c said why. */
static int write_report(struct nvc_out *o, const struct nve_findings_totals *t)
{
    struct nv_arena arena = {0};
    struct nve_modules mods;
    if (nvc_out_open(o, nvc.output, nvc.pid) < 0)
        return -1;
    load_modules(&mods, &arena);
    jw_init(&writer, o->fd);
    w_report(&writer, &mods, t);
    int err = jw_finish(&writer);
    nv_arena_release(&arena);
    return nvc_out_close(o, err);
}

void nvc_report_write(void)
{
    struct nve_findings_totals t;
    struct nvc_limits lim;
    published = 0;
    nve_findings_totals(nvc.findings, &t);
    /* The program's soft limits are no reason to lose its report, or the line that
     * names it (reserve.c). */
    nvc_limits_raise(&lim);
    int rc = write_report(&o, &t);
    if (rc == 0) {
        published = !o.stream; /* a stream into a device or FIFO cannot be taken back */
        nvc_roster_published();
    }
    if (rc == 0 && !nvc.opt.quiet && (t.errors || t.warnings))
        nv_say("%u error%s, %u warning%s in pid %d; report: %s", t.errors, t.errors == 1 ? "" : "s",
               t.warnings, t.warnings == 1 ? "" : "s", (int)nvc.pid, o.t.path);
    nvc_limits_restore(&lim);
}
