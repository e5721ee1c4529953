/* replay.c -- the API fuzzer's inputs, replayed through the real interposer.
 *
 * `replay FILE` maps an input of tests/fuzz/corpus-api to API calls exactly as
 * fuzz-api does (its argument and call code, tests/fuzz/fuzz_api_args.c and
 * fuzz_api_ops.c, is compiled in), but as an ordinary program linked with libnvmem:
 * under LD_PRELOAD=libnvcheck.so every call goes through the interposer, and at exit
 * its report is written by the real writer with whatever the input left behind --
 * the huge, wrapping and top-of-the-address-space arguments the fuzzer favours, tokens
 * still live, bytes unflushed. extremes.sh renders those reports in every format.
 *
 * Each call's status is still checked against the fuzzer's model (a bad call must be
 * refused, a good one must succeed), and every buffer against its mirror; a failure
 * exits 1 naming the call. The findings themselves are the report's business here.
 */
#include "fuzz/fuzz_api.h" /* -I tests (AM_CPPFLAGS) */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct fz fz;

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "replay: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nreplay: the call: %s\n", fz.call);
    exit(1);
}

static void check_memory(void)
{
    for (int b = 0; b < FZ_NBUF; b++)
        if (memcmp(fz.buf[b].p, fz.buf[b].mirror, fz.buf[b].n) != 0)
            fz_fail("buffer %d differs from its mirror", b);
}

void fz_before(struct fz_call *c)
{
    (void)c;
}

void fz_check(struct fz_call *c, NTSTATUS st, int kind, unsigned allow)
{
    (void)c, (void)allow;
    if (kind == FZ_VALID && st != STATUS_SUCCESS)
        fz_fail("status 0x%08x for a valid call", (unsigned)st);
    if (kind != FZ_VALID && st != STATUS_INVALID_PARAMETER)
        fz_fail("status 0x%08x for a bad call (%s)", (unsigned)st, nv_kinds[kind].name);
    check_memory();
}

void fz_unchecked(struct fz_call *c, NTSTATUS st)
{
    (void)c;
    if (st != STATUS_INVALID_PARAMETER)
        fz_fail("libnvmem: status 0x%08x for a bad call", (unsigned)st);
}

void fz_skip(void)
{
}

/* guarded -- n bytes between two PROT_NONE pages, as in fuzz_api.c. */
static uint8_t *guarded(size_t n)
{
    uint8_t *p = mmap(NULL, n + 2 * FZ_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + FZ_PAGE, n, PROT_READ | PROT_WRITE) != 0)
        fz_fail("mmap");
    return p + FZ_PAGE;
}

int main(int argc, char **argv)
{
    static uint8_t data[1 << 20];
    static const size_t sizes[FZ_NBUF] = {FZ_REGION, FZ_REGION, FZ_REGION, FZ_REGION, FZ_ARRAY};
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    if (!f) {
        fprintf(stderr, "usage: replay FUZZ-API-INPUT\n");
        return 2;
    }
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    for (int b = 0; b < FZ_NBUF; b++) {
        fz.buf[b].n = sizes[b];
        fz.buf[b].p = guarded(sizes[b]);
        fz.buf[b].mirror = malloc(sizes[b]);
        for (size_t i = 0; i < sizes[b]; i++)
            fz.buf[b].p[i] = fz.buf[b].mirror[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + b * 17) | 1;
    }
    struct fz_in in = {data, n};
    for (int steps = 0; in.n && steps < 64; steps++)
        fz_step(&in);
    return 0; /* live tokens and unflushed bytes stay: the report at exit has them */
}
