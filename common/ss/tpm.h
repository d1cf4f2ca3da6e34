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
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/tss2_load.h"

#define SS_TPM_MAX_TRACKED 16
/* $SS_TPM_TIMEOUT: seconds, 1..SS_TPM_TIMEOUT_MAX; anything else is a
 * usage error (SS_EUSAGE) of ss_tpm_open. */
#define SS_TPM_TIMEOUT_DEFAULT 120
#define SS_TPM_TIMEOUT_MAX 3600

/* The persistent object handle range.  tss2's TPM2_PERSISTENT_FIRST/LAST
 * shift 0x81 into the sign bit of an int, which UBSan rightly reports. */
#define SS_TPM_PERSISTENT_FIRST 0x81000000u
#define SS_TPM_PERSISTENT_LAST 0x81ffffffu

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

/* Connect (loading tpm2-tss first, see ss/tss2_load.h).  On failure:
 * SS_ETPM, "connect to TPM '<conf>': <why>", or "load TPM library ...";
 * a TCTI string that names no TCTI here, or a configuration it does not
 * take, and a bad $SS_TPM_TIMEOUT are SS_EUSAGE naming the accepted forms. */
int ss_tpm_open(ss_tpm *t, const char *tcti_opt, bool verbose, ss_err *err);
/* Flush everything tracked, finalize, disarm the watchdog. */
void ss_tpm_close(ss_tpm *t);

/* Remember a transient object or session so close() flushes it. */
void ss_tpm_track(ss_tpm *t, ESYS_TR h);
/* Flush a tracked handle now (ESYS_TR_NONE and ESYS_TR_PASSWORD are
 * ignored) and set it to NONE. */
void ss_tpm_flush(ss_tpm *t, ESYS_TR *h);
/* Forget a handle without flushing (it was made persistent, or the TPM
 * already flushed it). */
void ss_tpm_untrack(ss_tpm *t, ESYS_TR h);

/* ESAPI keeps a copy of each authorization value in its object: overwrite
 * it with zeros (before the object or context goes away). */
void ss_tpm_forget_auth(ss_tpm *t, ESYS_TR h);

/* Set the authorization value of a hierarchy (ESYS_TR_RH_OWNER,
 * ESYS_TR_RH_ENDORSEMENT) for the commands that follow.  At most 64 bytes.
 * ss_tpm_close() overwrites the copy that ESAPI keeps. */
int ss_tpm_set_auth(ss_tpm *t, ESYS_TR hierarchy, const void *auth, size_t len, ss_err *err);

/* Make a tracked transient object persistent at handle with the owner's
 * authorization, then flush the transient; *persistent is its new ESAPI
 * object.  An occupied handle is an error: nothing is ever replaced here. */
int ss_tpm_persist(ss_tpm *t, ESYS_TR *transient, uint32_t handle, ESYS_TR *persistent,
		   ss_err *err);
/* Remove a persistent object (owner authorization); *persistent becomes NONE. */
int ss_tpm_evict(ss_tpm *t, ESYS_TR *persistent, uint32_t handle, ss_err *err);

/* Handles in first..last (one handle type: persistent objects, NV
 * indices, ...), ascending, at most max of them. */
int ss_tpm_handles(ss_tpm *t, uint32_t first, uint32_t last, uint32_t *out, size_t max,
		   size_t *n, ss_err *err);
/* *has: the TPM holds this persistent object or NV index. */
int ss_tpm_has_handle(ss_tpm *t, uint32_t handle, bool *has, ss_err *err);

/* The ESAPI object of a persistent handle, with its public area and
 * qualified name (qname may be NULL).  Persistent objects are never
 * flushed, so the handle is not tracked.  ESAPI keeps one object per TPM
 * handle and may hand the same one to every caller: such objects are not
 * closed one by one (that would pull one from under another user) but
 * released together by Esys_Finalize in ss_tpm_close. */
int ss_tpm_persistent(ss_tpm *t, uint32_t handle, ESYS_TR *tr, TPM2B_PUBLIC *pub,
		      TPM2B_NAME *qname, ss_err *err);

/* The ESAPI object of a persistent handle and its name, for a caller that
 * already holds the public area it expects there (an enrolled AK): the
 * name, a hash of the public area the TPM returned, is compared with that
 * one's, which saves reading the public area a second time. */
int ss_tpm_persistent_name(ss_tpm *t, uint32_t handle, ESYS_TR *tr, TPM2B_NAME *name,
			   ss_err *err);

/* Fixed TPM properties first .. first+count-1 (TPM2_PT_*), values[i] for
 * first+i; a property the TPM does not report reads as 0. */
int ss_tpm_properties(ss_tpm *t, uint32_t first, uint32_t count, uint32_t *values,
		      ss_err *err);

/* The whole contents of an NV index, authorized by the index itself when
 * its attributes allow that (TPMA_NV_AUTHREAD, empty auth), else by the
 * owner hierarchy (TPMA_NV_OWNERREAD). */
int ss_tpm_nv_read(ss_tpm *t, uint32_t index, ss_buf *out, ss_err *err);

/* SS_ETPM with "what: <tss2-rc text>". */
int ss_tpm_err(ss_err *err, TSS2_RC rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
