/* reserve.h -- what writing the report needs, taken as the process starts. */
#ifndef NVC_RESERVE_H
#define NVC_RESERVE_H

#include "output.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

/* nvc_reserved_target -- the report's target resolved at start, when it is pid's and
 * its directory descriptor still is the directory it was, not since removed; -1
 * otherwise. t->dirfd stays the reservation's: not to be closed. */
int nvc_reserved_target(struct nvc_target *t, pid_t pid);
/* nvc_reserve_file -- the first API call of this process (or image): take the report's
 * unnamed file now (see reserve.c). */
void nvc_reserve_file(void);
/* nvc_reserved_file -- the unnamed file (O_TMPFILE) made at the first API call in that directory,
 * empty, its descriptor now the caller's to close; -1 when there is none (any more). */
int nvc_reserved_file(void);

/* nvc_reserved_maps -- /proc/self/maps opened at start (still this process's, still
 * that file), for nve_modules_load_maps_fd; -1 when there is none. Stays reserved. */
int nvc_reserved_maps(void);

/* nvc_process_start_ns -- when this process was created (CLOCK_REALTIME, ns; an exec
 * keeps it), to at most a clock tick early; 0 when unknown. */
int64_t nvc_process_start_ns(void);
/* nvc_start_cmdline -- the command line as it was at start, NUL-separated (*len bytes):
 * for when /proc/self/cmdline cannot be opened. */
const char *nvc_start_cmdline(size_t *len);

/* The soft limits a report's write may run into, raised to their hard limits for its
 * length (the program may have lowered them: RLIMIT_NOFILE to 0, RLIMIT_FSIZE to 1). */
struct nvc_limits {
    struct rlimit nofile, fsize; /* as the program had them */
    int nofile_raised, fsize_raised;
};
void nvc_limits_raise(struct nvc_limits *l);
void nvc_limits_restore(const struct nvc_limits *l);

#endif
