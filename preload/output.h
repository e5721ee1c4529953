/* output.h -- where the report goes, and getting it there whole or not at all. */
#ifndef NVC_OUTPUT_H
#define NVC_OUTPUT_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Where a report goes: a name in a directory, reached through the directory's
 * descriptor (so a name relative to the working directory means the one it had when
 * the descriptor was opened). */
struct nvc_target {
    char path[4220]; /* the name, for messages: NVCHECK_OUTPUT expanded (+ /nvcheck.PID.json) */
    size_t base;     /* where, in path, the name inside the directory starts */
    int per_process; /* the name is per process: never replace anything */
    int dirfd;       /* the directory (O_PATH), or -1 when it could not be opened ... */
    int err;         /* ... and why (errno) */
};

/* nvc_target_resolve -- where a report of pid goes: tmpl (NVCHECK_OUTPUT) with %p
 * replaced by pid (default nvcheck.%p.json); a directory gets nvcheck.PID.json inside
 * it. Opens the directory (t->dirfd; the caller closes it). -1 when the name does not
 * fit, else 0 (t->dirfd may still be -1). */
int nvc_target_resolve(struct nvc_target *t, const char *tmpl, pid_t pid);

struct nvc_out {
    struct nvc_target t;
    char tmp[4300];      /* the temp name, for messages: t.path + ".tmp.PID[.RANDOM]" */
    int own_dir;         /* t.dirfd was opened for this report (not the one reserved at start) */
    int stream;          /* writing straight into a device or FIFO */
    int unnamed;         /* fd is the unnamed file reserved at start (O_TMPFILE): no temp name
                          * exists until it is linked */
    int tmp_exists;      /* the temp name is on disk (to be removed on failure) */
    int kept;            /* the directory the last report was published in (nvc_out_remove);
                          * -1 none. A zeroed struct is fixed up by nvc_out_open */
    struct stat kept_st; /* what kept must still be */
    int fd;
};

/* nvc_out_open -- o->fd ready for the report; -1 after saying one line. */
int nvc_out_open(struct nvc_out *o, const char *tmpl, pid_t pid);
/* nvc_out_close -- close and publish (err: the first write error, or 0); -1 after
 * saying one line, with nothing left behind. o->t.path is then the name taken. */
int nvc_out_close(struct nvc_out *o, int err);

/* nvc_out_remove -- remove the report o published last (a failed exec); 0, or -1. */
int nvc_out_remove(struct nvc_out *o);

/* nvc_report_writing -- this thread is writing a report now. */
int nvc_report_writing(void);
/* nvc_report_abandon -- remove the temp file being written (a fatal signal). */
void nvc_report_abandon(void);

#endif
