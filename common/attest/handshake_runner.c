/* The runner's half of the handshake: answer a challenge with a quote,
 * then check the control plane's session and derive the same secret. */
#include "ss/handshake.h"

#include <stdio.h>
#include <string.h>

#include "ss/io.h"
#include "ss/json.h"
#include "ss/output.h"
#include "ss/secret.h"
#include "ss/session.h"
#include "ss/timefmt.h"
#include "ss/tpm_ak.h"
#include "ss/tpm_quote.h"

int ss_hs_respond(ss_store *st, const ss_keyring *cp, ss_tpm *tpm, const ss_identity *id,
		  const cJSON *challenge_doc, int64_t now, cJSON **evidence, ss_err *err)
{
	ss_challenge ch;
	ss_evidence ev;
	ss_secret eph = SS_SECRET_INIT;
	ss_tpm_ak ak;
	uint8_t extra[32];
	char when[SS_TIME_LEN];
	ss_buf text = SS_BUF_INIT, mark_text = SS_BUF_INIT;
	cJSON *doc = NULL, *rec = NULL, *mark;
	bool claimed = false, kept = false, found;
	ss_err ignore = { 0 };
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
	if (ss_store_exists(st, SS_KIND_RUNNER_ANSWERED, ch.challenge_id) ||
	    ss_store_exists(st, SS_KIND_RUNNER_PENDING, ch.challenge_id))
		return ss_err_set(err, SS_REFUSED, "challenge: '%s' was already answered",
				  ch.challenge_id);
	snprintf(ev.challenge_id, sizeof ev.challenge_id, "%s", ch.challenge_id);
	snprintf(ev.runner_id, sizeof ev.runner_id, "%s", id->runner_id);
	if ((rc = ss_x25519_keygen(&eph, ev.runner_ephemeral, err)) ||
	    (rc = ss_hs_quote_binding(challenge_doc, ev.runner_ephemeral, extra, err)) ||
	    (rc = ss_tpm_ak_load_enrolled(tpm, id->ak.handle, &id->ak.pub, &ak, err)) ||
	    (rc = ss_tpm_quote(tpm, ak.tr, &ak.pub, &ch.sel, extra, sizeof extra, &ev.quote, err)))
		goto out;
	doc = ss_evidence_to_json(&ev);
	/* What finish needs, kept before the evidence leaves, in one record
	 * (0600 in a 0700 directory) that finish deletes: the challenge as
	 * received, the evidence as sent, the ephemeral private key.  Created
	 * exclusively: a challenge is answered once. */
	rec = ss_json_new_object();
	ss_json_add_item(rec, "challenge", cJSON_Duplicate(challenge_doc, 1));
	ss_json_add_item(rec, "evidence", cJSON_Duplicate(doc, 1));
	ss_json_add_b64(rec, "runner_ephemeral_b64", eph.p, eph.len);
	ss_json_write(rec, &text);
	mark = ss_json_new_object();
	ss_json_add_string(mark, "challenge_id", ch.challenge_id);
	ss_json_add_time(mark, "expires_at", ch.expires_at);
	ss_json_write(mark, &mark_text);
	cJSON_Delete(mark);
	ss_store_begin(st);
	/* The claim: created exclusively, kept after finish, until expiry. */
	if ((rc = ss_store_put_new(st, SS_KIND_RUNNER_ANSWERED, ch.challenge_id, mark_text.data,
				   mark_text.len, &claimed, err)))
		goto out;
	if (!claimed) {
		rc = ss_err_set(err, SS_REFUSED, "challenge: '%s' was already answered",
				ch.challenge_id);
		goto out;
	}
	if ((rc = ss_store_put(st, SS_KIND_RUNNER_PENDING, ch.challenge_id, text.data, text.len, true,
			       err)))
		goto out;
	kept = true;
	if ((rc = ss_store_commit(st, NULL, err)))
		goto out;
	*evidence = doc;
	doc = NULL;
out:
	/* Evidence that never left answered nothing: no claim stays. */
	if (rc && claimed) {
		ss_store_begin(st);
		if (kept)
			(void)ss_store_remove(st, SS_KIND_RUNNER_PENDING, ch.challenge_id, &found, &ignore);
		(void)ss_store_remove(st, SS_KIND_RUNNER_ANSWERED, ch.challenge_id, &found, &ignore);
		(void)ss_store_commit(st, NULL, &ignore);
	}
	ss_buf_free(&mark_text);
	if (rec)
		ss_json_wipe_delete(rec);
	ss_buf_wipe_free(&text);
	cJSON_Delete(doc);
	ss_secret_free(&eph);
	ss_evidence_free(&ev);
	return rc;
}

/* The record respond kept for this session's challenge; text gets it as
 * stored, to put it back if finish cannot deliver. */
static int load_pending(ss_store *st, const char *id, ss_buf *text, cJSON **rec,
			const cJSON **chdoc, const cJSON **evdoc, ss_secret *priv, ss_err *err)
{
	static const char *const members[] = { "challenge", "evidence", "runner_ephemeral_b64",
						NULL };
	ss_buf key = SS_BUF_INIT;
	bool found;
	int rc;

	if ((rc = ss_store_get(st, SS_KIND_RUNNER_PENDING, id, text, &found, err)))
		return rc;
	if (!found)
		return ss_err_set(err, SS_REFUSED,
				  "session: challenge '%s' was not answered here (or is finished)", id);
	if ((rc = ss_json_parse((const char *)text->data, text->len, rec, err)))
		return ss_err_prefix(err, "store record %s/%s", SS_KIND_RUNNER_PENDING, id);
	if ((rc = ss_json_only(*rec, "answered challenge", members, err)) ||
	    (rc = ss_json_object(*rec, "answered challenge", "challenge", chdoc, err)) ||
	    (rc = ss_json_object(*rec, "answered challenge", "evidence", evdoc, err)) ||
	    (rc = ss_json_b64(*rec, "answered challenge", "runner_ephemeral_b64", &key, err)))
		goto out;
	if (key.len != SS_X25519_LEN) {
		rc = ss_err_set(err, SS_EIO, "answered challenge '%s': bad ephemeral key", id);
		goto out;
	}
	if (!(rc = ss_secret_alloc(priv, SS_X25519_LEN, err)))
		memcpy(priv->p, key.data, SS_X25519_LEN);
out:
	ss_buf_wipe_free(&key);
	return rc;
}

int ss_hs_finish(ss_store *st, const ss_keyring *cp, const cJSON *session_doc, int64_t now,
		 const char *secret_out, ss_err *err)
{
	ss_session s;
	ss_challenge ch;
	cJSON *rec = NULL;
	const cJSON *chdoc, *evdoc;
	ss_secret priv = SS_SECRET_INIT, secret = SS_SECRET_INIT;
	ss_output out = SS_OUTPUT_INIT;
	ss_buf text = SS_BUF_INIT;
	uint8_t binding[32], shared[32], confirmation[32];
	bool created, removed = false;
	ss_err ignore = { 0 };
	int rc;

	memset(shared, 0, sizeof shared);
	if ((rc = ss_session_parse(session_doc, &s, err)))
		return ss_err_prefix(err, "session");
	if ((rc = ss_session_accept(session_doc, &s, cp, NULL, now, err)))
		return rc;
	/* The output exists (temporary name) before the ephemeral key goes. */
	if ((rc = ss_secret_out_path(secret_out, err)) ||
	    (rc = ss_output_stage(&out, secret_out, 0600, err)))
		return rc;
	if ((rc = load_pending(st, s.challenge_id, &text, &rec, &chdoc, &evdoc, &priv, err)) ||
	    (rc = ss_challenge_parse(chdoc, &ch, err)))
		goto out;
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
	if ((rc = ss_x25519_shared(&priv, ch.cp_ephemeral, shared, err)) ||
	    (rc = ss_hs_session_keys(shared, binding, &secret, confirmation, err)))
		goto out;
	if (!ss_ct_equal(confirmation, s.key_confirmation, sizeof confirmation)) {
		rc = ss_err_set(err, SS_REFUSED, "session: key confirmation does not match");
		goto out;
	}
	/* The secret written, the ephemeral key gone and committed, then the
	 * secret named; if that fails the key comes back, so a retry can. */
	if ((rc = ss_output_write(&out, secret.p, secret.len, err)))
		goto out;
	ss_store_begin(st);
	if ((rc = ss_store_remove(st, SS_KIND_RUNNER_PENDING, s.challenge_id, &removed, err)) ||
	    (rc = ss_store_commit(st, secret_out, err)) || (rc = ss_output_publish(&out, err)))
		goto out;
out:
	if (rc && removed) {
		ss_store_begin(st);
		(void)ss_store_put_new(st, SS_KIND_RUNNER_PENDING, s.challenge_id, text.data, text.len,
				       &created, &ignore);
		(void)ss_store_commit(st, NULL, &ignore);
	}
	if (rc)
		ss_output_discard(&out);
	ss_output_end(&out);
	ss_buf_wipe_free(&text);
	ss_wipe(shared, sizeof shared);
	ss_secret_free(&priv);
	ss_secret_free(&secret);
	if (rec)
		ss_json_wipe_delete(rec);
	return rc;
}
