/* say.h -- formatting without stdio or malloc, and one-line messages on stderr. */
#ifndef NV_SAY_H
#define NV_SAY_H

#include <stdarg.h>
#include <stddef.h>

/* nv_format -- a small vsnprintf: %s %c %d %u %zu %llu %x %lx %zx %p %%. Always
 * NUL-terminates (when cap > 0); returns the length written. Async-signal-safe. */
size_t nv_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t nv_format(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* nv_say -- "nvcheck: <message>\n" on stderr in a single write(2): on the stderr the
 * process started with, once nv_say_init has seen it (see say.c), else on fd 2. */
void nv_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* nv_say_init -- remember the stderr this process starts with (the interposer, before
 * the program runs). */
void nv_say_init(void);

/* nv_fd_high -- a close-on-exec duplicate of fd at a high number, where a program that
 * closes or reuses low ones is unlikely to touch it; -1 when there is no such number. */
int nv_fd_high(int fd);
/* nv_saying -- this thread is inside nv_say's write: a SIGPIPE or SIGXFSZ now is
 * ours (stderr a closed pipe, or a file past RLIMIT_FSIZE), not the program's. */
int nv_saying(void);

#endif
