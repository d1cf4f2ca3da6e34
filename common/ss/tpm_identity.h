/* A runner's identity as its TPM holds it: what `ss-tpm-identity enroll`
 * sets up and prints (ss.identity.v1, ss/identity.h) and `show` reads back.
 *
 * enroll picks the EK by its certificate (ss/tpm_ek.h), creates or reuses
 * a persistent AK under it (ss/tpm_ak.h), and keeps the identity in the
 * state directory (ss_runner_identity_put).  Enrolling again for the same
 * runner, EK and AK is the same identity: it keeps its creation time. */
#ifndef SS_TPM_IDENTITY_H
#define SS_TPM_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "ss/err.h"
#include "ss/identity.h"
#include "ss/store.h"
#include "ss/tpm.h"
#include "ss/tpm_ak.h"
#include "ss/tpm_ek.h"
#include "ss/tpm_info.h"

typedef struct ss_tpm_enroll_req {
	const char *runner_id;
	ss_ak_alg alg;
	uint32_t ek_handle; /* 0: the EK the certificates name */
	uint32_t ak_handle;
	bool force;         /* replace an AK that does not fit (never an EK) */
} ss_tpm_enroll_req;

/* What enroll did to the TPM, for -v; valid once settled is true (the EK
 * and AK are in place), even when a later step failed. */
typedef struct ss_tpm_enrolled {
	bool settled;
	bool ek_created;
	uint32_t ek_handle;
	ss_ak_outcome ak;
	uint32_t ak_handle;
} ss_tpm_enrolled;

/* ss.identity.v1 from the TPM's own description, its EK and its AK. */
int ss_tpm_identity_build(const char *runner_id, int64_t created_at, const ss_tpm_info *info,
			  const ss_tpm_ek *ek, const ss_tpm_ak *ak, ss_identity *id, ss_err *err);

/* enroll as above; the hierarchy passwords are set on t (ss_tpm_set_auth).
 * On success *id is the identity kept in st. */
int ss_tpm_identity_enroll(ss_tpm *t, ss_store *st, const ss_tpm_enroll_req *req, int64_t now,
			   ss_identity *id, ss_tpm_enrolled *what, ss_err *err);

/* The identity rec (as enroll kept it) read again from the TPM: the AK at
 * its handle must still have its name and be a child of the EK at its
 * handle (else SS_ETPM); runner_id and created_at come from rec. */
int ss_tpm_identity_reread(ss_tpm *t, const ss_identity *rec, ss_identity *id, ss_err *err);

#endif
