/* roster.h -- under nvcheck run, a marker file per process image (roster.c). */
#ifndef NVC_ROSTER_H
#define NVC_ROSTER_H

/* nvc_roster_start -- this image's marker, state 's' (the constructor; NVCHECK_RUN_ID
 * set, the report path known). One line on stderr if it cannot be made. */
void nvc_roster_start(void);
/* nvc_roster_fork_child -- in a fork child: let go of the parent's marker; when the
 * child is checked (checked), make its own -- state 'u' if it inherited outstanding
 * state it must report (inherited). */
void nvc_roster_fork_child(int checked, int inherited);
/* nvc_roster_used -- the image's first API use: state 'u' (one pwrite, once). */
void nvc_roster_used(void);
/* nvc_roster_failed -- the image had to write its report and could not: state 'f',
 * and the reason on a second line ("reason: ..."), for nvcheck run to say. */
void nvc_roster_failed(const char *reason);
/* nvc_roster_failed_at -- the same, reason "cannot write PATH: WHY". */
void nvc_roster_failed_at(const char *path, const char *why);
/* nvc_roster_published -- the image's report is published. */
void nvc_roster_published(void);
/* nvc_roster_end -- the image ends (exec: by exec; the report, if any, written). */
void nvc_roster_end(int exec);
/* nvc_roster_exec_failed -- exec returned: the image goes on; its marker with it. */
void nvc_roster_exec_failed(void);
/* nvc_roster_image -- this image's id (16 lowercase hex digits), "" outside a run. */
const char *nvc_roster_image(void);

#endif
