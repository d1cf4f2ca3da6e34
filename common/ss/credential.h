/* AK enrollment by credential activation: the two documents that cross
 * between control plane and runner.
 *
 * ss.credential-challenge.v1 (control plane -> runner):
 *   challenge_id, runner_id, ak_name (hex), credential_blob_b64 (marshaled
 *   TPM2B_ID_OBJECT), encrypted_secret_b64 (marshaled
 *   TPM2B_ENCRYPTED_SECRET), nonce (64 hex), issued_at, expires_at,
 *   signature (the control plane's, as on every document it issues).
 *   The runner activates only a challenge signed by a pinned key, unexpired,
 *   and for the runner id and AK of the identity in its own state.
 * ss.credential-response.v1 (runner -> control plane):
 *   challenge_id, runner_id, ak_name, proof = hex HMAC-SHA256(credential,
 *   nonce (32 raw bytes) || ak_name (raw TPM name bytes)).
 * The credential itself never leaves the runner's TPM session: possession
 * is proven by the MAC. */
#ifndef SS_CREDENTIAL_H
#define SS_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/execution.h"
#include "ss/identity.h"
#include "ss/sign.h"
#include "ss/tpm_public.h"

typedef struct ss_cred_challenge {
	char challenge_id[SS_ID_MAX];
	char runner_id[SS_ID_MAX];
	uint8_t ak_name[SS_TPM_NAME_MAX];
	size_t ak_name_len;
	ss_buf credential_blob;   /* marshaled TPM2B_ID_OBJECT */
	ss_buf encrypted_secret;  /* marshaled TPM2B_ENCRYPTED_SECRET */
	uint8_t nonce[32];
	int64_t issued_at;
	int64_t expires_at;
} ss_cred_challenge;

typedef struct ss_cred_response {
	char challenge_id[SS_ID_MAX];
	char runner_id[SS_ID_MAX];
	uint8_t ak_name[SS_TPM_NAME_MAX];
	size_t ak_name_len;
	uint8_t proof[32];
} ss_cred_response;

int ss_cred_challenge_parse(const cJSON *doc, ss_cred_challenge *out, ss_err *err);
cJSON *ss_cred_challenge_to_json(const ss_cred_challenge *c);
void ss_cred_challenge_free(ss_cred_challenge *c);

/* What the runner requires before it activates (SS_REFUSED with the
 * reason, before any TPM command): doc's signature verifies under ring (a
 * missing or malformed one is SS_EINPUT), it has not expired at now, and
 * it names id's runner and AK.  state_dir names id's state in messages. */
int ss_cred_challenge_accept(const cJSON *doc, const ss_cred_challenge *c,
			     const ss_keyring *ring, const ss_identity *id, const char *state_dir,
			     int64_t now, ss_err *err);
/* The same with the pinned keys read from files, and the identity that
 * `ss-tpm-identity enroll` kept in the state directory (state_opt as for
 * ss_store_open); none there is SS_EINPUT "nothing enrolled".  *id is set on
 * success (free with ss_identity_free). */
int ss_cred_challenge_accept_here(const cJSON *doc, const ss_cred_challenge *c,
				  const char *const *cp_pub, int ncp_pub, const char *state_opt,
				  int64_t now, ss_identity *id, ss_err *err);

int ss_cred_response_parse(const cJSON *doc, ss_cred_response *out, ss_err *err);
cJSON *ss_cred_response_to_json(const ss_cred_response *r);

/* proof = HMAC-SHA256(credential, nonce || ak_name). */
int ss_cred_proof(const uint8_t *credential, size_t credlen, const uint8_t nonce[32],
		  const uint8_t *ak_name, size_t ak_name_len, uint8_t out[32], ss_err *err);

#endif
