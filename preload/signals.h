/* signals.h -- the program's signal dispositions, kept and honoured; fatal ones end with a report.
 */
#ifndef NVC_SIGNALS_H
#define NVC_SIGNALS_H

#include <signal.h>

/* nvc_signals_init -- put our trampoline under every watched signal whose disposition
 * is the default (a handler found already installed, by a sanitizer runtime say, is
 * left alone), and an alternate signal stack under this thread if it has none. */
void nvc_signals_init(void);

/* nvc_signals_release -- deliver the signals deferred (bit sig - 1) while this thread was inside
 * the checker (runtime.c calls it when the thread leaves, if any were). */
void nvc_signals_release(unsigned long long deferred);

/* nvc_signal_name -- "SIGSEGV" etc. (a static string; async-signal-safe). */
const char *nvc_signal_name(int sig);

#endif
