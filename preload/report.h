/* report.h -- the raw report: one JSON file per process (reports/raw-report.schema.json). */
#ifndef NVC_REPORT_H
#define NVC_REPORT_H

#include <stddef.h>
#include <sys/types.h>

/* nvc_report_path -- where this process's report goes: NVCHECK_OUTPUT with %p
 * replaced by the pid (default nvcheck.%p.json); a directory gets nvcheck.PID.json
 * inside it. 1 when that name is per process (never replaces another report, see
 * nvc_report_write), 0 for a fixed name, -1 when the result does not fit. */
int nvc_report_path(char *dst, size_t cap, const char *tmpl, pid_t pid);

/* nvc_report_write -- write it atomically (temp file, then rename, or link under the
 * first free name); on failure say one line and go on. Prints a summary line on
 * stderr unless quiet. */
void nvc_report_write(void);

#endif
