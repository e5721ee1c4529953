/* report.h -- the raw report: one JSON file per process (reports/raw-report.schema.json). */
#ifndef NVC_REPORT_H
#define NVC_REPORT_H

#include "output.h"

/* nvc_report_write -- write it atomically (output.c: temp file, then rename, or link
 * under the first free name); on failure say one line and go on. Prints a summary
 * line on stderr unless quiet. */
void nvc_report_write(void);
/* nvc_report_take_back -- remove the file the last nvc_report_write published (a
 * failed exec: its image goes on); 0, or -1 when there is none (a stream, a failure). */
int nvc_report_take_back(void);

#endif
