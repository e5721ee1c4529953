/* output.h -- where the report goes, and getting it there whole or not at all. */
#ifndef NVC_OUTPUT_H
#define NVC_OUTPUT_H

#include <stddef.h>
#include <sys/types.h>

struct nvc_out {
    char path[4220]; /* the final name (after publication: the name taken) */
    char tmp[4300];  /* the temp file; "" when writing straight into a device or FIFO */
    int per_process; /* the name is per process: never replace anything */
    int fd;
};

/* nvc_report_path -- where a report goes: tmpl (NVCHECK_OUTPUT) with %p replaced by
 * pid (default nvcheck.%p.json); a directory gets nvcheck.PID.json inside it. 1 when
 * that name is per process, 0 for a fixed name, -1 when the result does not fit. */
int nvc_report_path(char *dst, size_t cap, const char *tmpl, pid_t pid);

/* nvc_out_open -- o->fd ready for the report; -1 after saying one line. */
int nvc_out_open(struct nvc_out *o, const char *tmpl, pid_t pid);
/* nvc_out_close -- close and publish (err: the first write error, or 0); -1 after
 * saying one line, with nothing left behind. */
int nvc_out_close(struct nvc_out *o, int err);

/* nvc_report_writing -- this thread is writing a report now. */
int nvc_report_writing(void);
/* nvc_report_abandon -- remove the temp file being written (a fatal signal). */
void nvc_report_abandon(void);

#endif
