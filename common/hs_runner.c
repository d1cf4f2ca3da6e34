/* The runner's half of the handshake: answer a challenge with a quote,
 * then check the control plane's session and derive the same secret. */
#include "ss/handshake.h"

#include <stdio.h>
#include <string.h>

#include "ss/json.h"
#include "ss/session.h"
#include "ss/timefmt.h"
#include "ss/tpm_ak.h"
#include "ss/tpm_quote.h"

static int put_json(ss_store *st, const char *kind, const char *key, const cJSON *doc,
		    ss_err *err)
{
	ss_buf b = SS_BUF_INIT;
	int rc;

	ss_json_write(doc, &b);
	rc = ss_store_put(st, kind, key, b.data, b.len, true, err);
	ss_buf_free(&b);
	return rc;
}

int ss_hs_respond(ss_store *st, const ss_keyring *cp, ss_tpm *tpm, uint32_t ak_handle,
		  const char *runner_id, const cJSON *challenge_doc, int64_t now,
		  cJSON **evidence, ss_err *err)
{
	ss_challenge ch;
	ss_evidence ev;
	ss_secret eph = SS_SECRET_INIT;
	TPM2B_PUBLIC akpub;
	ESYS_TR ak = ESYS_TR_NONE;
	uint8_t extra[32];
	char when[SS_TIME_LEN];
	cJSON *doc = NULL;
	int rc;

	*evidence = NULL;
	memset(&ev, 0, sizeof ev);
	if ((rc = ss_challenge_parse(challenge_doc, &ch, err)))
		return ss_err_prefix(err, "challenge");
	if ((rc = ss_doc_verify(challenge_doc, cp, "challenge", err)))
		return rc;
	if (now > ch.expires_at) {
		ss_time_format(ch.expires_at, when);
		return ss_err_set(err, SS_REFUSED, "challenge: expired at %s", when);
	}
	if (ss_store_exists(st, SS_KIND_RUNNER_KEYS, ch.challenge_id) ||
	    ss_store_exists(st, SS_KIND_RUNNER_CHALLENGES, ch.challenge_id))
		return ss_err_set(err, SS_REFUSED, "challenge: '%s' was already answered",
				  ch.challenge_id);
	snprintf(ev.challenge_id, sizeof ev.challenge_id, "%s", ch.challenge_id);
	snprintf(ev.runner_id, sizeof ev.runner_id, "%s", runner_id);
	if ((rc = ss_x25519_keygen(&eph, ev.runner_ephemeral, err)) ||
	    (rc = ss_hs_quote_binding(challenge_doc, ev.runner_ephemeral, extra, err)) ||
	    (rc = ss_tpm_ak_load(tpm, ak_handle, &ak, &akpub, ev.quote.ak_name, &ev.quote.ak_name_len,
				 err)) ||
	    (rc = ss_tpm_quote(tpm, ak, &akpub, &ch.sel, extra, sizeof extra, &ev.quote, err)))
		goto out;
	doc = ss_evidence_to_json(&ev);
	/* What finish needs, kept before the evidence leaves: the key, the
	 * challenge as received and the evidence as sent. */
	if ((rc = ss_store_put(st, SS_KIND_RUNNER_KEYS, ch.challenge_id, eph.p, eph.len, true, err)) ||
	    (rc = put_json(st, SS_KIND_RUNNER_CHALLENGES, ch.challenge_id, challenge_doc, err)) ||
	    (rc = put_json(st, SS_KIND_RUNNER_EVIDENCE, ch.challenge_id, doc, err)))
		goto out;
	*evidence = doc;
	doc = NULL;
out:
	cJSON_Delete(doc);
	ss_secret_free(&eph);
	ss_evidence_free(&ev);
	return rc;
}

static int load(ss_store *st, const char *kind, const char *id, cJSON **doc, ss_err *err)
{
	bool found;
	int rc = ss_store_get_json(st, kind, id, doc, &found, err);

	if (!rc && !found)
		rc = ss_err_set(err, SS_REFUSED,
				"session: challenge '%s' was not answered here (or is finished)", id);
	return rc;
}

int ss_hs_finish(ss_store *st, const ss_keyring *cp, const cJSON *session_doc, int64_t now,
		 ss_secret *secret, ss_err *err)
{
	ss_session s;
	ss_challenge ch;
	cJSON *chdoc = NULL, *evdoc = NULL;
	ss_buf key = SS_BUF_INIT;
	ss_secret priv = SS_SECRET_INIT;
	uint8_t binding[32], shared[32], confirmation[32];
	bool found;
	int rc;

	if ((rc = ss_session_parse(session_doc, &s, err)))
		return ss_err_prefix(err, "session");
	if ((rc = ss_session_accept(session_doc, &s, cp, NULL, now, err)))
		return rc;
	if ((rc = load(st, SS_KIND_RUNNER_CHALLENGES, s.challenge_id, &chdoc, err)) ||
	    (rc = load(st, SS_KIND_RUNNER_EVIDENCE, s.challenge_id, &evdoc, err)) ||
	    (rc = ss_challenge_parse(chdoc, &ch, err)) ||
	    (rc = ss_store_get(st, SS_KIND_RUNNER_KEYS, s.challenge_id, &key, &found, err)))
		goto out;
	if (!found || key.len != SS_X25519_LEN) {
		rc = ss_err_set(err, SS_REFUSED, "session: no ephemeral key for challenge '%s'",
				s.challenge_id);
		goto out;
	}
	if (strcmp(s.exec.execution_id, ch.exec.execution_id) != 0 ||
	    strcmp(s.exec.tenant_id, ch.exec.tenant_id) != 0 ||
	    strcmp(s.exec.operator_id, ch.exec.operator_id) != 0 ||
	    strcmp(s.exec.fingerprint, ch.exec.fingerprint) != 0) {
		rc = ss_err_set(err, SS_REFUSED, "session: names another execution than the challenge");
		goto out;
	}
	if ((rc = ss_hs_session_binding(chdoc, evdoc, binding, err)))
		goto out;
	if (!ss_ct_equal(binding, s.binding, sizeof binding)) {
		rc = ss_err_set(err, SS_REFUSED, "session: binding does not match what this runner answered");
		goto out;
	}
	if ((rc = ss_secret_alloc(&priv, SS_X25519_LEN, err)))
		goto out;
	memcpy(priv.p, key.data, SS_X25519_LEN);
	if ((rc = ss_x25519_shared(&priv, ch.cp_ephemeral, shared, err)) ||
	    (rc = ss_hs_session_keys(shared, binding, secret, confirmation, err)))
		goto out;
	if (!ss_ct_equal(confirmation, s.key_confirmation, sizeof confirmation)) {
		ss_secret_free(secret);
		rc = ss_err_set(err, SS_REFUSED, "session: key confirmation does not match");
		goto out;
	}
	/* Used: the ephemeral key goes now. */
	rc = ss_store_remove(st, SS_KIND_RUNNER_KEYS, s.challenge_id, &found, err);
	if (rc)
		ss_secret_free(secret);
out:
	ss_wipe(shared, sizeof shared);
	ss_buf_wipe_free(&key);
	ss_secret_free(&priv);
	cJSON_Delete(chdoc);
	cJSON_Delete(evdoc);
	return rc;
}
