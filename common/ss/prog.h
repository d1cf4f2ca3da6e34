/* How a tool's process starts and ends: the same for every tool. */
#ifndef SS_PROG_H
#define SS_PROG_H

#include "ss/err.h"

/* Process setup every tool does first: program name, umask 077, no core
 * dumps, not ptrace-able by other users, SIGPIPE reported as EPIPE.
 * OpenSSL is set up separately (ss_crypto_init, ss/crypto.h). */
void ss_prog_init(const char *argv0);

/* How every tool ends: on 0 and 1 standard output is flushed (a failed
 * flush turns the status into SS_EIO; a reader that has gone does not, see
 * ss_stdout_gone in ss/io.h); on 2 and above what is buffered is
 * dropped, so stdout ends at a complete record or is empty; then the
 * error's one line goes to stderr when the status is not 0.  Returns the
 * exit status. */
int ss_exit(int rc, ss_err *err);

#endif
