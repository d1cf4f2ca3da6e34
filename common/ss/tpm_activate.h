/* The runner's half of AK enrollment: TPM2_ActivateCredential.
 *
 * The control plane encrypts a credential to (EK, AK name); only the TPM
 * holding both can recover it.  The runner proves that it did with
 * proof = HMAC-SHA256(credential, nonce || AK name) and never reveals the
 * credential, which is wiped as soon as the proof is made. */
#ifndef SS_TPM_ACTIVATE_H
#define SS_TPM_ACTIVATE_H

#include <stdint.h>

#include "ss/credential.h"
#include "ss/err.h"
#include "ss/tpm.h"
#include "ss/tpm_ak.h"
#include "ss/tpm_ek.h"

/* Refuse (SS_REFUSED, before any TPM command) a challenge that names
 * another AK than ak or that expired at now; then activate with ak
 * (password) and ek (ss_tpm_ek_session) and fill the response. */
int ss_tpm_activate(ss_tpm *t, const ss_tpm_ak *ak, const ss_tpm_ek *ek,
		    const ss_cred_challenge *c, int64_t now, ss_cred_response *out, ss_err *err);

#endif
