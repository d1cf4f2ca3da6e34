#include "ss/credential.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/json.h"
#include "ss/secret.h"
#include "ss/store.h"
#include "ss/timefmt.h"

static void copy_id(char out[SS_ID_MAX], const char *s)
{
	snprintf(out, SS_ID_MAX, "%s", s);
}

int ss_cred_challenge_parse(const cJSON *doc, ss_cred_challenge *c, ss_err *err)
{
	static const char *const members[] = { "type", "challenge_id", "runner_id", "ak_name",
					       "credential_blob_b64", "encrypted_secret_b64",
					       "nonce", "issued_at", "expires_at", "signature",
					       NULL };
	const char *cid, *rid;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = ss_json_type(doc, "ss.credential-challenge.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_id(doc, "", "challenge_id", &cid, err)) ||
	    (rc = ss_json_id(doc, "", "runner_id", &rid, err)) ||
	    (rc = ss_json_hex(doc, "", "ak_name", 0, c->ak_name, sizeof c->ak_name, &c->ak_name_len,
			      err)) ||
	    (rc = ss_json_b64(doc, "", "credential_blob_b64", &c->credential_blob, err)) ||
	    (rc = ss_json_b64(doc, "", "encrypted_secret_b64", &c->encrypted_secret, err)) ||
	    (rc = ss_json_hex(doc, "", "nonce", 32, c->nonce, sizeof c->nonce, NULL, err)) ||
	    (rc = ss_json_time(doc, "", "issued_at", &c->issued_at, err)) ||
	    (rc = ss_json_time(doc, "", "expires_at", &c->expires_at, err))) {
		ss_cred_challenge_free(c);
		return rc;
	}
	copy_id(c->challenge_id, cid);
	copy_id(c->runner_id, rid);
	return SS_OK;
}

cJSON *ss_cred_challenge_to_json(const ss_cred_challenge *c)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.credential-challenge.v1");
	ss_json_add_string(o, "challenge_id", c->challenge_id);
	ss_json_add_string(o, "runner_id", c->runner_id);
	ss_json_add_hex(o, "ak_name", c->ak_name, c->ak_name_len);
	ss_json_add_b64(o, "credential_blob_b64", c->credential_blob.data, c->credential_blob.len);
	ss_json_add_b64(o, "encrypted_secret_b64", c->encrypted_secret.data,
			c->encrypted_secret.len);
	ss_json_add_hex(o, "nonce", c->nonce, sizeof c->nonce);
	ss_json_add_time(o, "issued_at", c->issued_at);
	ss_json_add_time(o, "expires_at", c->expires_at);
	return o;
}

void ss_cred_challenge_free(ss_cred_challenge *c)
{
	ss_buf_free(&c->credential_blob);
	ss_buf_free(&c->encrypted_secret);
}

int ss_cred_response_parse(const cJSON *doc, ss_cred_response *r, ss_err *err)
{
	static const char *const members[] = { "type", "challenge_id", "runner_id", "ak_name",
					       "proof", NULL };
	const char *cid, *rid;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = ss_json_type(doc, "ss.credential-response.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_id(doc, "", "challenge_id", &cid, err)) ||
	    (rc = ss_json_id(doc, "", "runner_id", &rid, err)) ||
	    (rc = ss_json_hex(doc, "", "ak_name", 0, r->ak_name, sizeof r->ak_name, &r->ak_name_len,
			      err)) ||
	    (rc = ss_json_hex(doc, "", "proof", 32, r->proof, sizeof r->proof, NULL, err)))
		return rc;
	copy_id(r->challenge_id, cid);
	copy_id(r->runner_id, rid);
	return SS_OK;
}

cJSON *ss_cred_response_to_json(const ss_cred_response *r)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.credential-response.v1");
	ss_json_add_string(o, "challenge_id", r->challenge_id);
	ss_json_add_string(o, "runner_id", r->runner_id);
	ss_json_add_hex(o, "ak_name", r->ak_name, r->ak_name_len);
	ss_json_add_hex(o, "proof", r->proof, sizeof r->proof);
	return o;
}

int ss_cred_proof(const uint8_t *credential, size_t credlen, const uint8_t nonce[32],
		  const uint8_t *ak_name, size_t ak_name_len, uint8_t out[32], ss_err *err)
{
	uint8_t msg[32 + SS_TPM_NAME_MAX];
	int rc;

	if (ak_name_len > SS_TPM_NAME_MAX)
		return ss_err_set(err, SS_EINPUT, "AK name too long");
	memcpy(msg, nonce, 32);
	memcpy(msg + 32, ak_name, ak_name_len);
	rc = ss_hmac(EVP_sha256(), credential, credlen, msg, 32 + ak_name_len, out, NULL, err);
	ss_wipe(msg, sizeof msg);
	return rc;
}

int ss_cred_challenge_accept(const cJSON *doc, const ss_cred_challenge *c,
			     const ss_keyring *ring, const ss_identity *id, const char *state_dir,
			     int64_t now, ss_err *err)
{
	char want[2 * SS_TPM_NAME_MAX + 1], have[2 * SS_TPM_NAME_MAX + 1];
	char when[SS_TIME_LEN];
	int rc;

	if ((rc = ss_doc_verify(doc, ring, "credential challenge", err))) {
		if (rc == SS_EINPUT)
			ss_err_prefix(err, "credential challenge");
		return rc;
	}
	if (now >= c->expires_at) {
		ss_time_format(c->expires_at, when);
		return ss_err_set(err, SS_REFUSED, "credential challenge '%s' expired at %s",
				  c->challenge_id, when);
	}
	if (strcmp(c->runner_id, id->runner_id) != 0)
		return ss_err_set(err, SS_REFUSED, "credential challenge '%s' is for runner '%s', not "
				  "for '%s' (the identity in '%s')", c->challenge_id, c->runner_id,
				  id->runner_id, state_dir);
	if (c->ak_name_len != id->ak.name_len || memcmp(c->ak_name, id->ak.name, c->ak_name_len)) {
		ss_hex_encode(c->ak_name, c->ak_name_len, want);
		ss_hex_encode(id->ak.name, id->ak.name_len, have);
		return ss_err_set(err, SS_REFUSED, "credential challenge '%s' is for AK %s, not for "
				  "the AK at 0x%08x (%s)", c->challenge_id, want, id->ak.handle, have);
	}
	return SS_OK;
}

int ss_cred_challenge_accept_here(const cJSON *doc, const ss_cred_challenge *c,
				  const char *const *cp_pub, int ncp_pub, const char *state_opt,
				  int64_t now, ss_identity *id, ss_err *err)
{
	ss_keyring ring = { 0 };
	ss_store st = { .lock_fd = -1 };
	bool found = false;
	int rc = SS_OK;

	memset(id, 0, sizeof *id);
	for (int i = 0; !rc && i < ncp_pub; i++)
		rc = ss_keyring_add_file(&ring, cp_pub[i], err);
	if (rc || (rc = ss_store_open(&st, state_opt, err)) ||
	    (rc = ss_runner_identity_get(&st, id, &found, err)))
		goto out;
	if (!found) {
		rc = ss_err_set(err, SS_EINPUT, "nothing enrolled: no identity in '%s' (run "
				"'ss-tpm-identity enroll' first)", st.dir);
		goto out;
	}
	rc = ss_cred_challenge_accept(doc, c, &ring, id, st.dir, now, err);
out:
	if (rc)
		ss_identity_free(id);
	ss_store_close(&st);
	ss_keyring_free(&ring);
	return rc;
}
