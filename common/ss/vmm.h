/* Carrying out a launch plan (ss/api_plan.h): start Firecracker, wait for
 * its API socket while watching the process, send the requests, confirm
 * the instance is Running - and, on any failure, leave nothing behind.
 *
 * From the start of ss_vmm_launch until ss_vmm_release, SIGINT, SIGTERM,
 * SIGHUP and SIGCHLD are blocked and read from a signalfd: a VMM that dies
 * or a signal to this process ends the wait for the socket or for an API
 * answer at once.  The VMM runs in its own process group, with /dev/null
 * for its standard streams (standard output carries the telemetry), its
 * signal mask and dispositions reset.
 *
 * Any failure (the socket not appearing within the timeout, an API error,
 * the process dying, a signal) kills the VMM's process group with SIGKILL,
 * reaps it, removes the API socket and the jail, and returns SS_EVMM (or
 * SS_EIO for the jail's or socket's files) with one line saying what and
 * when, e.g. "firecracker exited with status 1 during PUT /drives/rootfs". */
#ifndef SS_VMM_H
#define SS_VMM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ss/api_plan.h"
#include "ss/err.h"

typedef struct ss_vmm {
	const ss_fc_plan *plan;
	pid_t pid;                /* 0: none started */
	int sigfd;
	sigset_t saved_mask;
	bool mask_saved;
	bool jail_made;
	bool reaped;
	int wstatus;              /* once reaped */
	int signal;               /* SIGINT/SIGTERM/SIGHUP received, 0 none */
	char request[112];        /* the request under way when it failed, "" none */
	long http_status;         /* its HTTP status, 0 none */
	int64_t t_spawn, t_socket, t_configured, t_running; /* ss_fc_now_us() */
	int64_t cpu_at_start_us;  /* this process' CPU time when InstanceStart was answered */
} ss_vmm;

typedef struct ss_vmm_exit {
	const char *reason;       /* "exited", "timeout" (stopped), "interrupted" (stopped) */
	int code;                 /* exit status, -1 when killed */
	int signal;               /* the killing signal, 0 when it exited */
} ss_vmm_exit;

/* timeout_ms bounds everything from the start to Running. */
int ss_vmm_launch(ss_vmm *v, const ss_fc_plan *plan, int64_t timeout_ms, ss_err *err);

/* Stay until the VMM exits, or until deadline (ss_fc_now_us(); 0: none)
 * or a signal, which stop it.  Then the socket and jail are removed.  *out
 * says how it ended; SS_OK only when it exited with status 0 by itself,
 * otherwise SS_EVMM saying how it ended. */
int ss_vmm_wait(ss_vmm *v, int64_t deadline, ss_vmm_exit *out, ss_err *err);

/* Stop a launched VMM at once (SIGKILL to its process group), reap it,
 * remove its socket and jail: when its launch cannot be reported. */
void ss_vmm_abort(ss_vmm *v);

/* Restore the signal mask and close the signalfd (after the last event is
 * written: a signal that arrived meanwhile was already handled). */
void ss_vmm_release(ss_vmm *v);

/* "SIGTERM" for SIGTERM. */
const char *ss_signal_name(int sig);

#endif
