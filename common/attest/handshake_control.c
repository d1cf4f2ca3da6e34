/* The control plane's half of the handshake: challenges and the verifier. */
#include "ss/handshake.h"

#include <stdio.h>
#include <string.h>

#include "ss/audit.h"
#include "ss/quote_check.h"
#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/enroll.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/output.h"
#include "ss/secret.h"
#include "ss/session.h"
#include "ss/timefmt.h"

static int random_id(const char *prefix, char out[SS_ID_MAX], ss_err *err)
{
	uint8_t r[16];
	char hex[33];
	int rc;

	if ((rc = ss_random(r, sizeof r, err)))
		return rc;
	ss_hex_encode(r, sizeof r, hex);
	snprintf(out, SS_ID_MAX, "%s-%s", prefix, hex);
	return SS_OK;
}

int ss_hs_challenge(ss_store *st, const ss_signer *cp, const ss_execution *exec,
		    const ss_pcrsel *sel, int64_t ttl, int64_t now, cJSON **out, ss_err *err)
{
	ss_challenge c;
	ss_secret eph = SS_SECRET_INIT;
	ss_buf text = SS_BUF_INIT;
	cJSON *doc = NULL, *rec = NULL;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof c);
	c.exec = *exec;
	c.sel = *sel;
	c.issued_at = now;
	c.expires_at = now + ttl;
	if ((rc = random_id("ch", c.challenge_id, err)) ||
	    (rc = ss_random(c.nonce, sizeof c.nonce, err)) ||
	    (rc = ss_x25519_keygen(&eph, c.cp_ephemeral, err)))
		goto out;
	doc = ss_challenge_to_json(&c);
	if ((rc = ss_doc_sign(doc, cp, err)))
		goto out;
	/* The pending record holds the challenge with its private key (the
	 * store writes 0600 in a 0700 directory). */
	rec = ss_json_new_object();
	ss_json_add_item(rec, "challenge", cJSON_Duplicate(doc, 1));
	ss_json_add_b64(rec, "cp_ephemeral_b64", eph.p, eph.len);
	ss_json_write(rec, &text);
	ss_store_begin(st);
	if ((rc = ss_store_put(st, SS_KIND_CHALLENGES, c.challenge_id, text.data, text.len, true,
			       err)) ||
	    (rc = ss_store_commit(st, NULL, err)))
		goto out;
	*out = doc;
	doc = NULL;
out:
	cJSON_Delete(doc);
	if (rec)
		ss_json_wipe_delete(rec);
	ss_buf_wipe_free(&text);
	ss_secret_free(&eph);
	return rc;
}

/* ---- verify ---------------------------------------------------------------- */

struct judgement {
	const ss_hs_verifier *v;
	ss_session s;
	bool consumed;          /* this verify consumed the challenge */
	bool archived;          /* and archived its decision */
	ss_buf pending_text;    /* the pending record as it was: to give it back */
	const char *detail_reason;
	char detail[320];
	cJSON *challenge_doc;
	ss_challenge ch;
	ss_secret cp_eph;
	ss_enrollment enr;
};

static int deny(struct judgement *j, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int deny(struct judgement *j, const char *reason, const char *fmt, ...)
{
	va_list ap;

	snprintf(j->s.reason, sizeof j->s.reason, "%s", reason);
	va_start(ap, fmt);
	vsnprintf(j->detail, sizeof j->detail, fmt, ap);
	va_end(ap);
	return SS_REFUSED;
}

/* A used challenge is still one of ours: the denied session names its
 * execution (best effort; a record that cannot be read leaves them null). */
static void known_execution(struct judgement *j, const char *id)
{
	cJSON *rec = NULL;
	const cJSON *ch;
	ss_challenge c;
	bool found;

	if (!ss_store_get_json(j->v->st, SS_KIND_CONSUMED, id, &rec, &found, NULL) && found &&
	    !ss_json_object(rec, "", "challenge", &ch, NULL) && !ss_challenge_parse(ch, &c, NULL)) {
		j->s.has_execution = true;
		j->s.exec = c.exec;
	}
	cJSON_Delete(rec);
}

/* Take the challenge out of the pending set.  Creating its consumed record
 * is exclusive (link), so of concurrent verifies of one challenge exactly
 * one gets it; the pending record, with the ephemeral private key, then
 * goes whatever the outcome. */
static int consume_challenge(struct judgement *j, const char *id, ss_err *err)
{
	static const char *const members[] = { "challenge", "cp_ephemeral_b64", NULL };
	ss_store *st = j->v->st;
	cJSON *pending = NULL, *used = NULL;
	const cJSON *ch;
	ss_buf key = SS_BUF_INIT, text = SS_BUF_INIT;
	bool found, created;
	int rc;

	if (!ss_store_valid_key(id))
		return deny(j, SS_R_UNKNOWN_CHALLENGE, "challenge '%s' is not known", id);
	if ((rc = ss_store_get(st, SS_KIND_CHALLENGES, id, &j->pending_text, &found, err)))
		goto out;
	if (found && (rc = ss_json_parse((const char *)j->pending_text.data, j->pending_text.len,
					 &pending, err))) {
		ss_err_prefix(err, "store record %s/%s", SS_KIND_CHALLENGES, id);
		goto out;
	}
	if (!found) {
		if (ss_store_exists(st, SS_KIND_CONSUMED, id)) {
			known_execution(j, id);
			rc = deny(j, SS_R_CHALLENGE_REUSED, "challenge '%s' was already used", id);
		} else
			rc = deny(j, SS_R_UNKNOWN_CHALLENGE, "challenge '%s' is not known", id);
		goto out;
	}
	if ((rc = ss_json_only(pending, "pending challenge", members, err)) ||
	    (rc = ss_json_object(pending, "pending challenge", "challenge", &ch, err)) ||
	    (rc = ss_json_b64(pending, "pending challenge", "cp_ephemeral_b64", &key, err))) {
		ss_err_prefix(err, "stored challenge '%s'", id);
		goto out;
	}
	used = ss_json_new_object();
	ss_json_add_item(used, "challenge", cJSON_Duplicate(ch, 1));
	ss_json_write(used, &text);
	if ((rc = ss_store_put_new(st, SS_KIND_CONSUMED, id, text.data, text.len, &created, err)))
		goto out;
	if (!created) {
		known_execution(j, id);
		rc = deny(j, SS_R_CHALLENGE_REUSED, "challenge '%s' was already used", id);
		goto out;
	}
	j->consumed = true;
	if ((rc = ss_store_remove(st, SS_KIND_CHALLENGES, id, &found, err)))
		goto out;
	j->challenge_doc = cJSON_Duplicate(ch, 1);
	if (!j->challenge_doc)
		ss_oom();
	if ((rc = ss_challenge_parse(j->challenge_doc, &j->ch, err))) {
		ss_err_prefix(err, "stored challenge '%s'", id);
		goto out;
	}
	if (key.len != SS_X25519_LEN) {
		rc = ss_err_set(err, SS_EIO, "stored challenge '%s': bad ephemeral key", id);
		goto out;
	}
	if ((rc = ss_secret_alloc(&j->cp_eph, SS_X25519_LEN, err)))
		goto out;
	memcpy(j->cp_eph.p, key.data, SS_X25519_LEN);
	j->s.has_execution = true;
	j->s.exec = j->ch.exec;
out:
	if (pending)
		ss_json_wipe_delete(pending);
	cJSON_Delete(used);
	ss_buf_wipe_free(&key);
	ss_buf_free(&text);
	return rc;
}

static int check_policy_values(struct judgement *j, const ss_quote *q)
{
	const ss_policy *p = j->v->policy;

	if (!p->mask)
		return SS_OK;
	if (q->sel.hash != p->bank)
		return deny(j, SS_R_POLICY, "the policy expects bank %s, the quote is of %s",
			    p->bank->name, q->sel.hash->name);
	for (unsigned i = 0; i < SS_PCR_COUNT; i++) {
		if (!(p->mask & (1u << i)))
			continue;
		if (!(q->sel.mask & (1u << i)))
			return deny(j, SS_R_POLICY, "PCR %u is required by the policy but was not quoted",
				    i);
		if (!ss_policy_allows(p, i, q->pcr[i]))
			return deny(j, SS_R_POLICY, "PCR %u has a value the policy does not allow", i);
	}
	return SS_OK;
}

/* resetCount and restartCount never go back for one AK: compare with the
 * last seen and keep the larger, under the store lock. */
static int check_counters(struct judgement *j, const TPMS_CLOCK_INFO *ci, ss_err *err)
{
	static const char *const members[] = { "reset_count", "restart_count", NULL };
	ss_store *st = j->v->st;
	char key[2 * SS_TPM_NAME_MAX + 1];
	cJSON *rec = NULL, *upd;
	ss_buf text = SS_BUF_INIT;
	int64_t last_reset = 0, last_restart = 0;
	bool found, rollback;
	int rc;

	ss_hex_encode(j->s.ak_name, j->s.ak_name_len, key);
	if ((rc = ss_store_lock(st, err)))
		return rc;
	if ((rc = ss_store_get_json(st, SS_KIND_COUNTERS, key, &rec, &found, err)))
		goto out;
	if (found && ((rc = ss_json_only(rec, "counters", members, err)) ||
		      (rc = ss_json_int(rec, "counters", "reset_count", 0, UINT32_MAX, &last_reset, err)) ||
		      (rc = ss_json_int(rec, "counters", "restart_count", 0, UINT32_MAX, &last_restart, err))))
		goto out;
	rollback = ci->resetCount < last_reset ||
		   (ci->resetCount == last_reset && ci->restartCount < last_restart);
	if (rollback) {
		rc = deny(j, SS_R_ROLLBACK,
			  "resetCount/restartCount %u/%u are below the last seen %lld/%lld",
			  ci->resetCount, ci->restartCount, (long long)last_reset,
			  (long long)last_restart);
		goto out;
	}
	upd = ss_json_new_object();
	ss_json_add_int(upd, "reset_count", ci->resetCount);
	ss_json_add_int(upd, "restart_count", ci->restartCount);
	ss_json_write(upd, &text);
	cJSON_Delete(upd);
	rc = ss_store_put(st, SS_KIND_COUNTERS, key, text.data, text.len, false, err);
out:
	ss_store_unlock(st);
	cJSON_Delete(rec);
	ss_buf_free(&text);
	return rc;
}

/* Every step of the checklist after the strict decode, in order; SS_OK
 * means approve. */
static int judge(struct judgement *j, const ss_evidence *ev, const ss_quote_blobs *qb,
		 ss_err *err)
{
	const ss_hs_verifier *v = j->v;
	const ss_policy *p = v->policy;
	const TPMS_ATTEST *a = &qb->attest;
	uint8_t extra[32];
	ss_quote_verdict verdict;
	ss_ak_key ak;
	bool found = false;
	int rc;

	if ((rc = consume_challenge(j, ev->challenge_id, err)))
		return rc;
	if (v->now > j->ch.expires_at + p->clock_skew)
		return deny(j, SS_R_CHALLENGE_EXPIRED, "challenge expired %lld s ago",
			    (long long)(v->now - j->ch.expires_at));
	if (v->now - j->ch.issued_at > p->max_challenge_age + p->clock_skew)
		return deny(j, SS_R_CHALLENGE_EXPIRED, "challenge is %lld s old, the policy allows %lld",
			    (long long)(v->now - j->ch.issued_at), (long long)p->max_challenge_age);
	if (j->ch.issued_at > v->now + p->clock_skew)
		return deny(j, SS_R_CHALLENGE_EXPIRED, "challenge is issued in the future");

	rc = ss_enrollment_lookup(v->st, v->own, ev->quote.ak_name, ev->quote.ak_name_len, &j->enr,
				  &found, err);
	if (rc == SS_REFUSED)
		return deny(j, SS_R_AK_NOT_ENROLLED, "%s", err->msg);
	if (rc)
		return rc;
	if (!found)
		return deny(j, SS_R_AK_NOT_ENROLLED, "the AK is not enrolled");
	if (strcmp(j->enr.runner_id, ev->runner_id) != 0)
		return deny(j, SS_R_AK_NOT_ENROLLED, "the AK is enrolled for runner '%s', not '%s'",
			    j->enr.runner_id, ev->runner_id);
	memcpy(j->s.ak_name, ev->quote.ak_name, ev->quote.ak_name_len);
	j->s.ak_name_len = ev->quote.ak_name_len;

	if ((rc = ss_hs_quote_binding(j->challenge_doc, ev->runner_ephemeral, extra, err)) ||
	    (rc = ss_ak_key_init(&ak, &j->enr.ak_pub.publicArea, err)))
		return rc;
	{
		ss_quote_expect e = { &j->enr.ak_pub.publicArea, extra, sizeof extra, &j->ch.sel,
				      &ev->quote.sel, (const uint8_t(*)[SS_MAX_DIGEST])ev->quote.pcr,
				      p->allowed_hashes };
		rc = ss_quote_verify_key(ev->quote.attest.data, ev->quote.attest.len, qb, &ak, &e,
					 &verdict, err);
	}
	ss_ak_key_free(&ak);
	if (rc == SS_REFUSED)
		return deny(j, verdict.reason, "%s", verdict.detail);
	if (rc)
		return rc;
	memcpy(j->s.pcr_digest, a->attested.quote.pcrDigest.buffer, a->attested.quote.pcrDigest.size);
	j->s.pcr_digest_len = a->attested.quote.pcrDigest.size;
	j->s.has_clock = true;
	j->s.clock.reset_count = a->clockInfo.resetCount;
	j->s.clock.restart_count = a->clockInfo.restartCount;
	j->s.clock.clock = a->clockInfo.clock;
	j->s.clock.safe = a->clockInfo.safe == TPM2_YES;

	if ((rc = check_policy_values(j, &ev->quote)))
		return rc;
	if (p->require_clock_safe && a->clockInfo.safe != TPM2_YES)
		return deny(j, SS_R_CLOCK, "the TPM reports clock.safe = no");
	if ((rc = check_counters(j, &a->clockInfo, err)))
		return rc;
	if (j->enr.simulator && !p->allow_simulator)
		return deny(j, SS_R_SIMULATOR, "the AK's EK certificate is a simulator's");
	return SS_OK;
}

/* Approved: the shared secret, binding and key confirmation. */
static int seal(struct judgement *j, const cJSON *evidence_doc, const ss_evidence *ev,
		ss_secret *secret, ss_err *err)
{
	uint8_t shared[32];
	int rc;

	if (!j->cp_eph.len)
		return ss_err_set(err, SS_EIO, "the challenge's ephemeral key is missing");
	if ((rc = ss_x25519_shared(&j->cp_eph, ev->runner_ephemeral, shared, err)) ||
	    (rc = ss_hs_session_binding(j->challenge_doc, evidence_doc, j->s.binding, err)) ||
	    (rc = ss_hs_session_keys(shared, j->s.binding, secret, j->s.key_confirmation, err)))
		goto out;
	j->s.has_binding = true;
	j->s.expires_at = j->v->now + j->v->policy->session_lifetime;
out:
	ss_wipe(shared, sizeof shared);
	return rc;
}

static int archive(struct judgement *j, const cJSON *evidence_doc, const cJSON *session,
		   const char *policy_hex, ss_err *err)
{
	ss_store *st = j->v->st;
	const ss_policy *p = j->v->policy;
	ss_buf b = SS_BUF_INIT;
	cJSON *rec;
	int rc = SS_OK;

	/* Only the verify that consumed the challenge files its decision under
	 * it: a replay must not overwrite the decision it replays. */
	if (!j->consumed)
		return SS_OK;
	if (!ss_store_exists(st, SS_KIND_POLICIES, policy_hex))
		rc = ss_store_put(st, SS_KIND_POLICIES, policy_hex, p->text.data, p->text.len, false,
				  err);
	if (rc)
		return rc;
	/* With the consumed challenge, enough to verify the session again. */
	rec = ss_json_new_object();
	ss_json_add_item(rec, "evidence", cJSON_Duplicate(evidence_doc, 1));
	ss_json_add_item(rec, "session", cJSON_Duplicate(session, 1));
	ss_json_add_string(rec, "policy_sha256", policy_hex);
	ss_json_write(rec, &b);
	cJSON_Delete(rec);
	rc = ss_store_put(st, SS_KIND_DECISIONS, j->s.challenge_id, b.data, b.len, false, err);
	ss_buf_free(&b);
	if (!rc)
		j->archived = true;
	return rc;
}

/* A verify that fails after it took its challenge gives it back: the
 * pending record as it was, no consumed record, no archived decision, all
 * committed.  Best effort: what cannot be undone stays consumed, which
 * fails closed. */
static void give_back(struct judgement *j, const char *id)
{
	ss_store *st = j->v->st;
	ss_err ignore = { 0 };
	bool found, created = false;

	if (!j->consumed)
		return;
	ss_store_begin(st);
	if (j->archived)
		(void)ss_store_remove(st, SS_KIND_DECISIONS, id, &found, &ignore);
	/* Pending again first (it may never have left), then not consumed. */
	if (!ss_store_put_new(st, SS_KIND_CHALLENGES, id, j->pending_text.data, j->pending_text.len,
			      &created, &ignore))
		(void)ss_store_remove(st, SS_KIND_CONSUMED, id, &found, &ignore);
	(void)ss_store_commit(st, NULL, &ignore);
	j->consumed = j->archived = false;
}

/* The audit line of a verify that stopped before its decision was
 * delivered, and why.  The failure it reports stands, whether or not the
 * line could be written. */
static void audit_aborted(struct judgement *j, const char *challenge_id, const char *policy_hex,
			  const ss_err *why)
{
	cJSON *e = ss_audit_entry("verify", "aborted", j->v->now);
	ss_err ignore = { 0 };

	ss_json_add_string_or_null(e, "challenge_id", challenge_id);
	ss_json_add_string_or_null(e, "runner_id", j->s.runner_id[0] ? j->s.runner_id : NULL);
	if (j->s.ak_name_len)
		ss_json_add_hex(e, "ak_name", j->s.ak_name, j->s.ak_name_len);
	else
		ss_json_add_null(e, "ak_name");
	ss_json_add_string(e, "reason", why->msg);
	ss_json_add_string(e, "detail", "nothing consumed and no decision archived: the verify "
			   "stopped before its decision was delivered");
	ss_json_add_string(e, "policy_sha256", policy_hex);
	(void)ss_audit_append(j->v->st, e, &ignore);
}

static int audit(struct judgement *j, const char *policy_hex, ss_err *err)
{
	cJSON *e = ss_audit_entry("verify", j->s.approved ? "approved" : "denied", j->v->now);

	ss_json_add_string_or_null(e, "challenge_id", j->s.challenge_id[0] ? j->s.challenge_id : NULL);
	ss_json_add_string_or_null(e, "runner_id", j->s.runner_id[0] ? j->s.runner_id : NULL);
	if (j->s.ak_name_len)
		ss_json_add_hex(e, "ak_name", j->s.ak_name, j->s.ak_name_len);
	else
		ss_json_add_null(e, "ak_name");
	ss_json_add_string(e, "reason", j->s.reason);
	ss_json_add_string(e, "detail", j->detail);
	ss_json_add_string(e, "policy_sha256", policy_hex);
	if (j->s.has_binding)
		ss_json_add_hex(e, "session_binding_hash", j->s.binding, sizeof j->s.binding);
	return ss_audit_append(j->v->st, e, err);
}

int ss_hs_verify(const ss_hs_verifier *v, const cJSON *evidence_doc, cJSON **session,
		 ss_err *err)
{
	struct judgement j;
	ss_evidence ev;
	ss_quote_blobs qb;
	ss_secret secret = SS_SECRET_INIT;
	ss_output out = SS_OUTPUT_INIT;
	ss_err decode_err = { 0 };
	uint8_t ph[32];
	char policy_hex[65];
	cJSON *doc = NULL;
	int rc, verdict;

	*session = NULL;
	memset(&j, 0, sizeof j);
	j.v = v;
	if ((rc = ss_evidence_parse(evidence_doc, &ev, err)))
		return rc;
	if ((rc = ss_sha256(v->policy->text.data, v->policy->text.len, ph, err)))
		goto out;
	ss_hex_encode(ph, sizeof ph, policy_hex);
	j.s.verified_at = v->now;
	snprintf(j.s.runner_id, sizeof j.s.runner_id, "%s", ev.runner_id);

	/* The output exists, under a temporary name beside its own, before
	 * anything is consumed: a decision that cannot be delivered is not
	 * made (ss/output.h). */
	if ((rc = ss_secret_out_path(v->secret_out, err)) ||
	    (rc = ss_output_stage(&out, v->secret_out, 0600, err))) {
		audit_aborted(&j, ev.challenge_id, policy_hex, err);
		goto out;
	}

	/* Everything this decision writes becomes durable in one commit. */
	ss_store_begin(v->st);
	if (ss_quote_decode(ev.quote.attest.data, ev.quote.attest.len, ev.quote.sig.data,
			    ev.quote.sig.len, &qb, &decode_err))
		verdict = deny(&j, SS_R_MALFORMED, "%s", decode_err.msg);
	else {
		snprintf(j.s.challenge_id, sizeof j.s.challenge_id, "%s", ev.challenge_id);
		verdict = judge(&j, &ev, &qb, err);
	}
	if (verdict != SS_OK && verdict != SS_REFUSED) {
		rc = verdict; /* could not judge: no decision to record */
		goto abort;
	}
	if (!j.s.has_execution)
		j.s.challenge_id[0] = 0; /* not one of ours */
	if (verdict == SS_OK) {
		if ((rc = seal(&j, evidence_doc, &ev, &secret, err)))
			goto abort;
		j.s.approved = true;
		snprintf(j.s.reason, sizeof j.s.reason, "%s", SS_R_APPROVED);
		snprintf(j.detail, sizeof j.detail, "every check passed");
	}
	doc = ss_session_to_json(&j.s);
	if ((rc = ss_doc_sign(doc, v->cp, err)) ||
	    (rc = archive(&j, evidence_doc, doc, policy_hex, err)) ||
	    (verdict == SS_OK && (rc = ss_output_write(&out, secret.p, secret.len, err))) ||
	    (rc = audit(&j, policy_hex, err)) ||
	    (rc = ss_store_commit(v->st, NULL, err)))
		goto abort;
	/* Named only now that the decision it belongs to is committed. */
	if (verdict == SS_OK && (rc = ss_output_publish(&out, err)))
		goto abort;
	if (verdict != SS_OK)
		ss_output_discard(&out);
	*session = doc;
	doc = NULL;
	rc = verdict;
	goto out;
abort:
	give_back(&j, ev.challenge_id);
	ss_output_discard(&out);
	audit_aborted(&j, ev.challenge_id, policy_hex, err);
out:
	ss_output_end(&out);
	ss_secret_free(&secret);
	cJSON_Delete(doc);
	cJSON_Delete(j.challenge_doc);
	ss_buf_wipe_free(&j.pending_text);
	ss_secret_free(&j.cp_eph);
	ss_evidence_free(&ev);
	return rc;
}

/* Remove the records of kind that are past expiry + grace: the expires_at
 * of the record's "challenge" member (or of the record itself when member
 * is NULL), and those of consumed (left by a crash).  removed gets the keys
 * removed, when not NULL. */
static int gc_expired(ss_store *st, const char *kind, const char *member, const char *consumed,
		      int64_t now, int64_t grace, size_t *count, char ***removed, size_t *nremoved,
		      ss_err *err)
{
	char **names;
	size_t n;
	int rc;

	if ((rc = ss_store_keys(st, kind, &names, &n, err)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		cJSON *rec = NULL;
		const cJSON *holder = NULL;
		int64_t expires;
		bool found, gone = consumed && ss_store_exists(st, consumed, names[i]);
		ss_err ignore;

		if (!gone) {
			/* Unreadable records are left for a human. */
			bool expired = !ss_store_get_json(st, kind, names[i], &rec, &found, &ignore) &&
				       found &&
				       (member ? !ss_json_object(rec, "", member, &holder, &ignore)
					       : (holder = rec) != NULL) &&
				       !ss_json_time(holder, "", "expires_at", &expires, &ignore) &&
				       now > expires + grace;
			if (rec)
				ss_json_wipe_delete(rec);
			if (!expired)
				continue;
		}
		if ((rc = ss_store_remove(st, kind, names[i], &found, err)) || !found)
			continue;
		++*count;
		if (removed) {
			*removed = ss_xrealloc(*removed, (*nremoved + 1) * sizeof **removed);
			(*removed)[(*nremoved)++] = ss_xstrdup(names[i]);
		}
	}
	ss_store_keys_free(names, n);
	return rc;
}

/* A temporary file at least this old (and past the grace) was left by a
 * crash, not by a write going on now: a write takes milliseconds. */
#define GC_TEMP_AGE 60

int ss_hs_gc(ss_store *st, int64_t now, int64_t grace, cJSON **report, size_t *temps,
	     ss_err *err)
{
	size_t challenges = 0, pending = 0, marks = 0, answered, npending = 0, nmarks = 0;
	char **pending_ids = NULL, **mark_ids = NULL;
	int rc;

	*report = NULL;
	ss_store_begin(st);
	if ((rc = gc_expired(st, SS_KIND_CHALLENGES, "challenge", SS_KIND_CONSUMED, now, grace,
			     &challenges, NULL, NULL, err)) ||
	    (rc = gc_expired(st, SS_KIND_RUNNER_PENDING, "challenge", NULL, now, grace, &pending,
			     &pending_ids, &npending, err)) ||
	    (rc = gc_expired(st, SS_KIND_RUNNER_ANSWERED, NULL, NULL, now, grace, &marks, &mark_ids,
			     &nmarks, err)) ||
	    (rc = ss_store_sweep(st, now - (grace > GC_TEMP_AGE ? grace : GC_TEMP_AGE), temps,
				 err)) ||
	    (rc = ss_store_commit(st, NULL, err)))
		goto out;
	/* Answered challenges, by id: a record and its mark are one. */
	answered = nmarks;
	for (size_t i = 0; i < npending; i++) {
		bool both = false;
		for (size_t k = 0; k < nmarks && !both; k++)
			both = strcmp(pending_ids[i], mark_ids[k]) == 0;
		answered += !both;
	}
	*report = ss_json_new_object();
	ss_json_add_string(*report, "type", "ss.gc.v1");
	ss_json_add_int(*report, "removed_challenges", (int64_t)challenges);
	ss_json_add_int(*report, "removed_answered_challenges", (int64_t)answered);
out:
	ss_store_keys_free(pending_ids, npending);
	ss_store_keys_free(mark_ids, nmarks);
	return rc;
}
