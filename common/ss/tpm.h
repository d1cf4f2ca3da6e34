/* A connection to a TPM through tpm2-tss ESAPI.
 *
 * TCTI: --tcti, else $SS_TCTI, else $TPM2TOOLS_TCTI, else tpm2-tss's default.
 * tss2's own log lines are silenced unless verbose.  A watchdog bounds the
 * whole TPM conversation ($SS_TPM_TIMEOUT seconds, default 120): a TPM
 * that stops answering ends the process with SS_ETPM and one line.
 * Every transient object and session is tracked and flushed by
 * ss_tpm_close(), whatever path led there: a TPM without a resource
 * manager (swtpm) has only three object slots. */
#ifndef SS_TPM_H
#define SS_TPM_H

#include <stdbool.h>

#include <tss2/tss2_esys.h>

#include "ss/err.h"

#define SS_TPM_MAX_TRACKED 16

typedef struct ss_tpm {
	ESYS_CONTEXT *esys;
	TSS2_TCTI_CONTEXT *tcti;
	char conf[256];                        /* as chosen, for messages */
	ESYS_TR tracked[SS_TPM_MAX_TRACKED];   /* transients and sessions to flush */
	int ntracked;
} ss_tpm;

/* The TCTI configuration string chosen by the rule above; NULL means
 * tpm2-tss's default. */
const char *ss_tcti_choose(const char *opt);

/* Connect.  On failure: SS_ETPM, "connect to TPM '<conf>': <why>". */
int ss_tpm_open(ss_tpm *t, const char *tcti_opt, bool verbose, ss_err *err);
/* Flush everything tracked, finalize, disarm the watchdog. */
void ss_tpm_close(ss_tpm *t);

/* Remember a transient object or session so close() flushes it. */
void ss_tpm_track(ss_tpm *t, ESYS_TR h);
/* Flush a tracked handle now (ESYS_TR_NONE is ignored) and set it to NONE. */
void ss_tpm_flush(ss_tpm *t, ESYS_TR *h);
/* Forget a handle without flushing (it was made persistent, or the TPM
 * already flushed it). */
void ss_tpm_untrack(ss_tpm *t, ESYS_TR h);

/* SS_ETPM with "what: <tss2-rc text>". */
int ss_tpm_err(ss_err *err, TSS2_RC rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
