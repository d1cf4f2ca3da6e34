#include "ss/tpm_activate.h"

#include <string.h>

#include <tss2/tss2_mu.h>

#include "ss/enc.h"
#include "ss/secret.h"
#include "ss/timefmt.h"

static int check_challenge(const ss_tpm_ak *ak, const ss_cred_challenge *c, int64_t now,
			   ss_err *err)
{
	char want[2 * SS_TPM_NAME_MAX + 1], have[2 * SS_TPM_NAME_MAX + 1];
	char when[SS_TIME_LEN];

	if (c->ak_name_len != ak->name_len || memcmp(c->ak_name, ak->name, ak->name_len) != 0) {
		ss_hex_encode(c->ak_name, c->ak_name_len, want);
		ss_hex_encode(ak->name, ak->name_len, have);
		return ss_err_set(err, SS_REFUSED, "credential challenge '%s' is for AK %s, not for "
				  "the AK at 0x%08x (%s)", c->challenge_id, want, ak->handle, have);
	}
	if (now >= c->expires_at) {
		ss_time_format(c->expires_at, when);
		return ss_err_set(err, SS_REFUSED, "credential challenge '%s' expired at %s",
				  c->challenge_id, when);
	}
	return SS_OK;
}

/* The challenge's blobs as the TPM structures they must be, exactly. */
static int unmarshal_blobs(const ss_cred_challenge *c, TPM2B_ID_OBJECT *blob,
			   TPM2B_ENCRYPTED_SECRET *secret, ss_err *err)
{
	size_t off = 0;

	memset(blob, 0, sizeof *blob);
	memset(secret, 0, sizeof *secret);
	if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(c->credential_blob.data, c->credential_blob.len, &off,
					      blob) != TSS2_RC_SUCCESS ||
	    off != c->credential_blob.len)
		return ss_err_set(err, SS_EINPUT, "member 'credential_blob_b64': not exactly one "
				  "marshaled TPM2B_ID_OBJECT");
	off = 0;
	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(c->encrypted_secret.data,
						     c->encrypted_secret.len, &off,
						     secret) != TSS2_RC_SUCCESS ||
	    off != c->encrypted_secret.len)
		return ss_err_set(err, SS_EINPUT, "member 'encrypted_secret_b64': not exactly one "
				  "marshaled TPM2B_ENCRYPTED_SECRET");
	return SS_OK;
}

int ss_tpm_activate(ss_tpm *t, const ss_tpm_ak *ak, const ss_tpm_ek *ek,
		    const ss_cred_challenge *c, int64_t now, ss_cred_response *out, ss_err *err)
{
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET secret;
	TPM2B_DIGEST *cred = NULL;
	ESYS_TR session = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = check_challenge(ak, c, now, err)) || (rc = unmarshal_blobs(c, &blob, &secret, err)))
		return rc;
	if ((rc = ss_tpm_ek_session(t, ek, &session, err)))
		return rc;
	trc = Esys_ActivateCredential(t->esys, ak->tr, ek->tr, ESYS_TR_PASSWORD, session,
				      ESYS_TR_NONE, &blob, &secret, &cred);
	ss_tpm_flush(t, &session);
	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "activate credential of challenge '%s'",
				  c->challenge_id);
	rc = ss_cred_proof(cred->buffer, cred->size, c->nonce, ak->name, ak->name_len, out->proof,
			   err);
	ss_wipe(cred, sizeof *cred);
	Esys_Free(cred);
	if (rc)
		return rc;
	memcpy(out->challenge_id, c->challenge_id, sizeof out->challenge_id);
	memcpy(out->runner_id, c->runner_id, sizeof out->runner_id);
	memcpy(out->ak_name, ak->name, ak->name_len);
	out->ak_name_len = ak->name_len;
	return SS_OK;
}
