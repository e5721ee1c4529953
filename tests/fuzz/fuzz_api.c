/* fuzz_api.c -- libFuzzer target: the checked NV API driven with hostile arguments.
 *
 * The interposer's own code (preload/, src/engine/, src/nvmem/ but api.c) is compiled
 * into this binary (tests/Makefile.inc), so an Rtl* call here runs exactly what
 * LD_PRELOAD=libnvcheck.so runs inside a program. Each input is a little program:
 * every few bytes pick a routine and its arguments (fuzz_api_args.c) -- NULL, huge and
 * wrapping sizes, addresses in guard pages or at the top of the address space,
 * freed, forged and default tokens, bad flag bits, NV_MEMORY_RANGE arrays at odd
 * offsets that end against a guard page. A model written from DESIGN.md section 2
 * (fuzz_api_ops.c) says whether each call is valid and, if not, which finding it must
 * record. After every call (check()):
 *   - the status is STATUS_SUCCESS, or STATUS_INVALID_PARAMETER when the model says
 *     the call is bad;
 *   - a bad call recorded exactly one occurrence, of the predicted kind; a valid one
 *     none (a token free: only unflushed-write/undrained-flush, its region's state);
 *   - every byte of every buffer equals its mirror: a valid write or fill changed
 *     exactly its destination, to exactly the bytes asked; a bad call nothing;
 *   - a bad call made again through libnvmem's unchecked routine (what runs when
 *     checking is off, or busy on this thread) is rejected too, recording nothing.
 * At the end of an input every token is freed, and the shadow must then hold no
 * outstanding state.
 *
 * The caller's side of the contract is kept: a call the model says is valid is made
 * only when the memory it would touch is ours (a valid write to an arbitrary address
 * is the program's bug, not the library's). A bad call may point anywhere, guard
 * pages included, since it must touch nothing.
 */
#include "fuzz_api.h"

#include "engine/shadow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct fz fz;
static struct fz_stats {
    unsigned long long calls, valid, bad, skipped, inputs, unchecked;
} stats;

/* ---- properties ---- */

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fuzz-api: PROPERTY VIOLATED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nfuzz-api: the call: %s\n", fz.call);
    abort();
}

static void totals(uint64_t out[NV_NKINDS])
{
    struct nve_findings_totals t;
    nve_findings_totals(nvc.findings, &t);
    for (int k = 0; k < NV_NKINDS; k++)
        out[k] = t.occurrences[k] + t.dropped[k];
}

/* check_memory -- every buffer still equals its mirror. */
static void check_memory(void)
{
    for (int b = 0; b < FZ_NBUF; b++) {
        if (memcmp(fz.buf[b].p, fz.buf[b].mirror, fz.buf[b].n) == 0)
            continue;
        size_t i = 0;
        while (fz.buf[b].p[i] == fz.buf[b].mirror[i])
            i++;
        fz_fail("buffer %d byte %zu (%p) is 0x%02x, expected 0x%02x", b, i,
                (void *)(fz.buf[b].p + i), fz.buf[b].p[i], fz.buf[b].mirror[i]);
    }
}

void fz_before(struct fz_call *c)
{
    stats.calls++;
    totals(c->before);
}

/* fz_check -- the properties after a call the model judged (kind: FZ_VALID or the
 * finding kind it must record); allow: kinds a valid call may add (bit mask). */
void fz_check(struct fz_call *c, NTSTATUS st, int kind, unsigned allow)
{
    uint64_t after[NV_NKINDS];
    totals(after);
    if (kind == FZ_VALID) {
        stats.valid++;
        if (st != STATUS_SUCCESS)
            fz_fail("status 0x%08x for a valid call", (unsigned)st);
        for (int k = 0; k < NV_NKINDS; k++)
            if (after[k] != c->before[k] && !(allow >> k & 1))
                fz_fail("a valid call recorded %llu %s finding(s)",
                        (unsigned long long)(after[k] - c->before[k]), nv_kinds[k].name);
    } else {
        stats.bad++;
        if (st != STATUS_INVALID_PARAMETER)
            fz_fail("status 0x%08x for a bad call (expected %s)", (unsigned)st,
                    nv_kinds[kind].name);
        for (int k = 0; k < NV_NKINDS; k++) {
            uint64_t want = c->before[k] + (k == kind);
            if (after[k] != want)
                fz_fail("%s: %llu occurrences recorded, expected %llu (the call is %s)",
                        nv_kinds[k].name, (unsigned long long)(after[k] - c->before[k]),
                        (unsigned long long)(want - c->before[k]), nv_kinds[kind].name);
        }
    }
    check_memory();
}

/* fz_unchecked -- a bad call made again through libnvmem's routine: rejected too,
 * nothing recorded (nothing is checking), nothing touched. */
void fz_unchecked(struct fz_call *c, NTSTATUS st)
{
    uint64_t after[NV_NKINDS];
    stats.calls--, stats.unchecked++;
    if (st != STATUS_INVALID_PARAMETER)
        fz_fail("libnvmem: status 0x%08x for a bad call", (unsigned)st);
    totals(after);
    if (memcmp(after, c->before, sizeof after) != 0)
        fz_fail("libnvmem: an unchecked call recorded a finding");
    check_memory();
}

void fz_skip(void)
{
    stats.skipped++;
}

/* ---- set-up ---- */

/* guarded -- n bytes (a multiple of the page size) between two PROT_NONE pages. */
static uint8_t *guarded(size_t n)
{
    uint8_t *p = mmap(NULL, n + 2 * FZ_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + FZ_PAGE, n, PROT_READ | PROT_WRITE) != 0) {
        perror("fuzz-api: mmap");
        exit(1);
    }
    return p + FZ_PAGE;
}

static void report_stats(void)
{
    fprintf(stderr,
            "fuzz-api: %llu inputs, %llu checked API calls: %llu valid, %llu rejected as the "
            "model predicted (and again by libnvmem: %llu), %llu not made (valid but outside "
            "our memory); 0 property violations\n",
            stats.inputs, stats.calls, stats.valid, stats.bad, stats.unchecked, stats.skipped);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const size_t sizes[FZ_NBUF] = {FZ_REGION, FZ_REGION, FZ_REGION, FZ_REGION, FZ_ARRAY};
    for (int b = 0; b < FZ_NBUF; b++) {
        fz.buf[b].n = sizes[b];
        fz.buf[b].p = guarded(sizes[b]);
        fz.buf[b].mirror = malloc(sizes[b]);
        fz.buf[b].pattern = malloc(sizes[b]);
        for (size_t i = 0; i < sizes[b]; i++)
            fz.buf[b].pattern[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + b * 17) | 1;
    }
    /* A fresh state: nothing recorded before the first input. */
    if (__atomic_load_n(&nvc.state, __ATOMIC_ACQUIRE) != NVC_READY) {
        fprintf(stderr, "fuzz-api: the checker did not start\n");
        exit(1);
    }
    /* The properties assume the default kinds: every API error recorded, no warning
     * about valid calls (redundant-flush, overwritten-unflushed). */
    for (int k = 0; k < NV_NKINDS; k++)
        if (nvc_kind_on(k) != nv_kinds[k].on_by_default) {
            fprintf(stderr, "fuzz-api: run with the default kinds (unset NVCHECK_OPTIONS)\n");
            exit(1);
        }
    atexit(report_stats);
    return 0;
}

/* reset -- every buffer back to its own pattern (canaries everywhere), mirrored. */
static void reset(void)
{
    for (int b = 0; b < FZ_NBUF; b++) {
        memcpy(fz.buf[b].p, fz.buf[b].pattern, fz.buf[b].n);
        memcpy(fz.buf[b].mirror, fz.buf[b].pattern, fz.buf[b].n);
    }
    memset(fz.tok, 0, sizeof fz.tok);
}

/* finish -- free what is live (valid frees), then the shadow must be empty. */
static void finish(void)
{
    for (int i = 0; i < FZ_NTOK; i++)
        if (fz.tok[i].live)
            fz_free_live(i);
    struct nve_stats st;
    nve_stats(nvc.shadow, &st);
    if (st.runs || st.chunks) {
        snprintf(fz.call, sizeof fz.call, "(end of input, every token freed)");
        fz_fail("%zu outstanding runs in %zu chunks remain", st.runs, st.chunks);
    }
    nve_findings_clear(nvc.findings);
    /* No report at exit: this process is a test harness, not a checked program. */
    __atomic_store_n(&nvc.used, 0, __ATOMIC_RELAXED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    stats.inputs++;
    reset();
    nve_findings_clear(nvc.findings);
    for (int steps = 0; in.n && steps < 64; steps++)
        fz_step(&in);
    finish();
    return 0;
}
