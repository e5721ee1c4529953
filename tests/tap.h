/* tap.h -- a tiny TAP producer for the C unit tests (Automake's tap-driver.sh). */
#ifndef NV_TAP_H
#define NV_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        printf("#   failed at %s:%d\n", file, line);
        tap_failed++;
    }
    fflush(stdout);
    return pass;
}

/* ok(cond, "name", ...) */
#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* is_u(got, want, "name", ...) -- unsigned 64-bit equality, printing both on failure */
#define is_u(got, want, ...)                                                        \
    do {                                                                           \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                      \
        if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))                    \
            printf("#   got:  %" PRIu64 " (0x%" PRIx64 ")\n#   want: %" PRIu64     \
                   " (0x%" PRIx64 ")\n",                                           \
                   g_, g_, w_, w_);                                                \
    } while (0)

/* is_s(got, want, "name", ...) -- string equality */
#define is_s(got, want, ...)                                                        \
    do {                                                                           \
        const char *g_ = (got), *w_ = (want);                                      \
        if (!tap_ok(g_ && w_ && strcmp(g_, w_) == 0, __FILE__, __LINE__, __VA_ARGS__)) \
            printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)

/* done_testing -- the plan, and the exit status. */
static inline int done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
