/* The handshake's bindings and key schedule (see ss/handshake.h). */
#include "ss/handshake.h"

#include <string.h>

#include <openssl/evp.h>

#include "ss/crypto.h"
#include "ss/jcs.h"
#include "ss/kdf.h"
#include "ss/session.h"

static int label_hash(const char *label, const cJSON *a, const void *tail, size_t taillen,
		      const cJSON *b, uint8_t out[32], ss_err *err)
{
	ss_buf msg = SS_BUF_INIT;
	int rc;

	ss_buf_adds(&msg, label);
	ss_buf_addc(&msg, 0);
	if (!ss_jcs_write(a, &msg) || (b && !ss_jcs_write(b, &msg))) {
		ss_buf_free(&msg);
		return ss_err_set(err, SS_EINPUT, "document has no canonical form");
	}
	if (tail)
		ss_buf_add(&msg, tail, taillen);
	rc = ss_sha256(msg.data, msg.len, out, err);
	ss_buf_free(&msg);
	return rc;
}

int ss_hs_quote_binding(const cJSON *challenge_doc, const uint8_t runner_eph[SS_X25519_LEN],
			uint8_t out[32], ss_err *err)
{
	return label_hash("ss-attest v1", challenge_doc, runner_eph, SS_X25519_LEN, NULL, out, err);
}

int ss_hs_session_binding(const cJSON *challenge_doc, const cJSON *evidence_doc,
			  uint8_t out[32], ss_err *err)
{
	return label_hash("ss-session v1", challenge_doc, NULL, 0, evidence_doc, out, err);
}

int ss_hs_session_keys(const uint8_t shared[32], const uint8_t binding[32], ss_secret *secret,
		       uint8_t confirmation[32], ss_err *err)
{
	static const char secret_info[] = "ss-session v1 secret";
	int rc;

	if ((rc = ss_secret_alloc(secret, SS_SESSION_SECRET_LEN, err)))
		return rc;
	/* The confirmation comes from the secret (ss/session.h), so a holder
	 * of a secret can check it belongs to a session. */
	if ((rc = ss_hkdf(shared, 32, binding, 32, secret_info, sizeof secret_info - 1, secret->p,
			  SS_SESSION_SECRET_LEN, err)) ||
	    (rc = ss_session_confirmation(secret->p, secret->len, binding, confirmation, err)))
		ss_secret_free(secret);
	return rc;
}
