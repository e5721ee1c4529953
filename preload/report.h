/* report.h -- the raw report: one JSON file per process (reports/raw-report.schema.json). */
#ifndef NVC_REPORT_H
#define NVC_REPORT_H

#include "output.h"

/* nvc_report_write -- write it atomically (output.c: temp file, then rename, or link
 * under the first free name); on failure say one line and go on. Prints a summary
 * line on stderr unless quiet. */
void nvc_report_write(void);
/* nvc_report_published -- the file the last nvc_report_write published, or NULL (none,
 * or it went into a stream: a device or FIFO). */
const char *nvc_report_published(void);

#endif
