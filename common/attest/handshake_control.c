/* The control plane's half of the handshake: challenges and the verifier. */
#include "ss/handshake.h"

#include <stdio.h>
#include <string.h>

#include "ss/audit.h"
#include "ss/quote_check.h"
#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/enroll.h"
#include "ss/explain.h"
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
	cJSON *challenge_doc;
	ss_challenge ch;
	ss_secret cp_eph;
	ss_enrollment enr;
	cJSON *trace;           /* the checks run, for the archive (ss/explain.h) */
	/* Set for the offline re-check (check-session): the archived documents
	 * stand in for the control plane's state, and nothing is written. */
	const struct archive *arch;
};

struct archive {
	const cJSON *challenge_doc;      /* the signed ss.challenge.v1, as issued */
	const ss_enrollment *enrollment; /* the AK's signed record */
	const ss_session *recorded;      /* the decision being re-checked */
};

static int archived_challenge(struct judgement *j, const char *id, ss_err *err);
static int archived_counters(struct judgement *j);

static int deny(struct judgement *j, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int deny(struct judgement *j, const char *reason, const char *fmt, ...)
{
	va_list ap;

	snprintf(j->s.reason, sizeof j->s.reason, "%s", reason);
	va_start(ap, fmt);
	vsnprintf(j->s.detail, sizeof j->s.detail, fmt, ap);
	va_end(ap);
	return SS_REFUSED;
}

/* ---- what each check compared, for explain (ss/explain.h) ---------------- */

static void trace_decoded(struct judgement *j, const ss_evidence *ev)
{
	cJSON *c = ss_trace_check(j->trace, SS_R_MALFORMED, true);

	ss_json_add_int(c, "attest_bytes", (int64_t)ev->quote.attest.len);
	ss_json_add_int(c, "signature_bytes", (int64_t)ev->quote.sig.len);
}

/* Each trace_* records one check as it ran: passed is the outcome the
 * check itself computed, never worked out again here. */
static void trace_expiry(struct judgement *j, bool passed)
{
	const ss_policy *p = j->v->policy;
	int64_t now = j->v->now;
	cJSON *c = ss_trace_check(j->trace, SS_R_CHALLENGE_EXPIRED, passed);

	ss_json_add_time(c, "verified_at", now);
	ss_json_add_time(c, "issued_at", j->ch.issued_at);
	ss_json_add_time(c, "expires_at", j->ch.expires_at);
	ss_json_add_int(c, "max_challenge_age", p->max_challenge_age);
	ss_json_add_int(c, "clock_skew", p->clock_skew);
}

/* enrolled: the AK's record was found (and vouched for); passed: for this
 * runner. */
static void trace_enrollment(struct judgement *j, const ss_evidence *ev, bool enrolled,
			     bool passed)
{
	cJSON *c = ss_trace_check(j->trace, SS_R_AK_NOT_ENROLLED, passed);

	ss_json_add_hex(c, "ak_name", ev->quote.ak_name, ev->quote.ak_name_len);
	ss_json_add_string(c, "runner_id", ev->runner_id);
	ss_json_add_bool(c, "enrolled", enrolled);
	ss_json_add_string_or_null(c, "enrolled_runner_id", enrolled ? j->enr.runner_id : NULL);
	if (enrolled)
		ss_json_add_time(c, "enrolled_at", j->enr.enrolled_at);
	else
		ss_json_add_null(c, "enrolled_at");
}

/* Every PCR the policy names: the quoted value beside the allowed ones. */
static void trace_policy(struct judgement *j, const ss_quote *q, bool passed)
{
	const ss_policy *p = j->v->policy;
	cJSON *c, *pcrs;
	char idx[4];

	if (!(c = ss_trace_check(j->trace, SS_R_POLICY, passed)))
		return;
	if (!p->mask) {
		ss_json_add_string(c, "pcrs", "any");
		return;
	}
	ss_json_add_string(c, "pcr_bank", p->bank->name);
	ss_json_add_string(c, "quoted_bank", q->sel.hash->name);
	pcrs = ss_json_add_object(c, "pcrs");
	for (unsigned i = 0; i < SS_PCR_COUNT; i++) {
		cJSON *one, *allowed;
		if (!(p->mask & (1u << i)))
			continue;
		snprintf(idx, sizeof idx, "%u", i);
		one = ss_json_add_object(pcrs, idx);
		if (q->sel.hash == p->bank && (q->sel.mask & (1u << i)))
			ss_json_add_hex(one, "quoted", q->pcr[i], p->bank->size);
		else
			ss_json_add_null(one, "quoted");
		if (!(allowed = cJSON_CreateArray()))
			ss_oom();
		for (unsigned k = 0; k < p->nvalues[i]; k++) {
			ss_buf hex = SS_BUF_INIT;
			ss_hex_append(&hex, p->values[i][k], p->bank->size);
			if (!cJSON_AddItemToArray(allowed, cJSON_CreateString(ss_buf_str(&hex))))
				ss_oom();
			ss_buf_free(&hex);
		}
		ss_json_add_item(one, "allowed", allowed);
	}
}

static void trace_clock(struct judgement *j, const TPMS_CLOCK_INFO *ci, bool passed)
{
	cJSON *c = ss_trace_check(j->trace, SS_R_CLOCK, passed);

	ss_json_add_bool(c, "safe", ci->safe == TPM2_YES);
	ss_json_add_bool(c, "required", j->v->policy->require_clock_safe);
}

static void trace_counters(struct judgement *j, const TPMS_CLOCK_INFO *ci, bool seen,
			   int64_t last_reset, int64_t last_restart, bool passed)
{
	cJSON *c = ss_trace_check(j->trace, SS_R_ROLLBACK, passed);

	ss_json_add_int(c, "reset_count", ci->resetCount);
	ss_json_add_int(c, "restart_count", ci->restartCount);
	if (seen) {
		ss_json_add_int(c, "last_reset_count", last_reset);
		ss_json_add_int(c, "last_restart_count", last_restart);
	} else {
		ss_json_add_null(c, "last_reset_count");
		ss_json_add_null(c, "last_restart_count");
	}
}

static void trace_simulator(struct judgement *j, bool passed)
{
	cJSON *c = ss_trace_check(j->trace, SS_R_SIMULATOR, passed);

	ss_json_add_bool(c, "simulator", j->enr.simulator);
	ss_json_add_bool(c, "allowed", j->v->policy->allow_simulator);
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

	if (j->arch)
		return archived_challenge(j, id, err);
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
	{
		cJSON *c = ss_trace_check(j->trace, SS_R_UNKNOWN_CHALLENGE, true);
		ss_json_add_string(c, "challenge_id", id);
		ss_json_add_bool(c, "pending", true);
	}
	ss_json_add_bool(ss_trace_check(j->trace, SS_R_CHALLENGE_REUSED, true), "consumed_before",
			 false);
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
		if (!ss_policy_allows(p, i, q->pcr[i])) {
			char d[SS_SESSION_DETAIL_MAX];
			ss_policy_pcr_detail(p, i, q->pcr[i], d, sizeof d);
			return deny(j, SS_R_POLICY, "%s", d);
		}
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

	if (j->arch)
		return archived_counters(j);
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
	trace_counters(j, ci, found, last_reset, last_restart, !rollback);
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

/* The AK's enrollment: from the control plane's store, or offline the
 * archived record (its signature checked by the caller) when it is this
 * AK's. */
static int ak_enrollment_lookup(struct judgement *j, const ss_keyring *own, const uint8_t *name,
				size_t len, ss_enrollment *out, bool *found, ss_err *err)
{
	const ss_enrollment *e;

	if (!j->arch)
		return ss_enrollment_lookup(j->v->st, own, name, len, out, found, err);
	e = j->arch->enrollment;
	*found = e->ak_name_len == len && memcmp(e->ak_name, name, len) == 0;
	if (*found)
		*out = *e;
	return SS_OK;
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
	bool found = false, expired, too_old, future, enrolled, mine, ok;
	int rc;

	if ((rc = consume_challenge(j, ev->challenge_id, err)))
		return rc;
	expired = v->now > j->ch.expires_at + p->clock_skew;
	too_old = v->now - j->ch.issued_at > p->max_challenge_age + p->clock_skew;
	future = j->ch.issued_at > v->now + p->clock_skew;
	trace_expiry(j, !expired && !too_old && !future);
	if (expired)
		return deny(j, SS_R_CHALLENGE_EXPIRED, "challenge expired %lld s ago",
			    (long long)(v->now - j->ch.expires_at));
	if (too_old)
		return deny(j, SS_R_CHALLENGE_EXPIRED, "challenge is %lld s old, the policy allows %lld",
			    (long long)(v->now - j->ch.issued_at), (long long)p->max_challenge_age);
	if (future)
		return deny(j, SS_R_CHALLENGE_EXPIRED, "challenge is issued in the future");

	rc = ak_enrollment_lookup(j, v->own, ev->quote.ak_name, ev->quote.ak_name_len, &j->enr,
				  &found, err);
	enrolled = rc == SS_OK && found;
	mine = enrolled && strcmp(j->enr.runner_id, ev->runner_id) == 0;
	trace_enrollment(j, ev, enrolled, mine);
	if (rc == SS_REFUSED)
		return deny(j, SS_R_AK_NOT_ENROLLED, "%s", err->msg);
	if (rc)
		return rc;
	if (!found)
		return deny(j, SS_R_AK_NOT_ENROLLED, "the AK is not enrolled");
	if (!mine)
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
		e.trace = j->trace;
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

	rc = check_policy_values(j, &ev->quote);
	trace_policy(j, &ev->quote, rc == SS_OK);
	if (rc)
		return rc;
	ok = !p->require_clock_safe || a->clockInfo.safe == TPM2_YES;
	trace_clock(j, &a->clockInfo, ok);
	if (!ok)
		return deny(j, SS_R_CLOCK, "the TPM reports clock.safe = no");
	if ((rc = check_counters(j, &a->clockInfo, err)))
		return rc;
	ok = !j->enr.simulator || p->allow_simulator;
	trace_simulator(j, ok);
	if (!ok)
		return deny(j, SS_R_SIMULATOR, "the AK's EK certificate is a simulator's");
	return SS_OK;
}

/* The strict decode, then the checklist: what verify and check-session
 * share.  SS_OK: approve; SS_REFUSED: deny (j->s.reason); other codes: the
 * evidence could not be judged. */
static int decide(struct judgement *j, const ss_evidence *ev, ss_err *err)
{
	ss_quote_blobs qb;
	ss_err decode_err = { 0 };
	int verdict;

	if (ss_quote_decode(ev->quote.attest.data, ev->quote.attest.len, ev->quote.sig.data,
			    ev->quote.sig.len, &qb, &decode_err))
		verdict = deny(j, SS_R_MALFORMED, "%s", decode_err.msg);
	else {
		trace_decoded(j, ev);
		snprintf(j->s.challenge_id, sizeof j->s.challenge_id, "%s", ev->challenge_id);
		verdict = judge(j, ev, &qb, err);
	}
	if ((verdict == SS_OK || verdict == SS_REFUSED) && !j->s.has_execution)
		j->s.challenge_id[0] = 0; /* not one of ours */
	return verdict;
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
	/* What each check compared, for explain (ss/explain.h). */
	ss_json_add_string(rec, "detail", j->s.detail);
	ss_json_add_item(rec, "checks", cJSON_Duplicate(j->trace, 1));
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
	ss_json_add_string(e, "detail", j->s.detail);
	ss_json_add_string(e, "policy_sha256", policy_hex);
	if (j->s.has_binding)
		ss_json_add_hex(e, "session_binding_hash", j->s.binding, sizeof j->s.binding);
	return ss_audit_append(j->v->st, e, err);
}

/* The challenge the evidence answers was issued under another control-plane
 * key than --key: an operator's mistake, not the runner's.  Told before
 * anything is consumed, so a retry with the right key still judges it.  A
 * challenge that is not pending (unknown, already used) is the checklist's
 * to deny. */
static int check_issuer(const ss_hs_verifier *v, const char *id, ss_err *err)
{
	ss_buf text = SS_BUF_INIT;
	cJSON *rec = NULL;
	const cJSON *sig;
	bool found = false;
	ss_err ignore = { 0 };
	int rc = SS_OK;

	if (!ss_store_valid_key(id) ||
	    ss_store_get(v->st, SS_KIND_CHALLENGES, id, &text, &found, &ignore) || !found ||
	    ss_json_parse((const char *)text.data, text.len, &rec, &ignore))
		goto out;
	sig = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "challenge"),
					       "signature");
	sig = cJSON_GetObjectItemCaseSensitive(sig, "key_id");
	if (cJSON_IsString(sig) && strcmp(sig->valuestring, v->cp->key_id) != 0)
		rc = ss_err_set(err, SS_EINPUT,
				"--key: challenge '%s' was issued under key_id %s, --key is key_id %s "
				"(nothing consumed: verify with the key that issued it)",
				id, sig->valuestring, v->cp->key_id);
out:
	if (rec)
		ss_json_wipe_delete(rec);
	ss_buf_wipe_free(&text);
	return rc;
}

int ss_hs_verify(const ss_hs_verifier *v, const cJSON *evidence_doc, cJSON **session,
		 ss_err *err)
{
	struct judgement j;
	ss_evidence ev;
	ss_secret secret = SS_SECRET_INIT;
	ss_output out = SS_OUTPUT_INIT;
	uint8_t ph[32];
	char policy_hex[65];
	cJSON *doc = NULL;
	int rc, verdict;

	*session = NULL;
	memset(&j, 0, sizeof j);
	j.v = v;
	if ((rc = ss_evidence_parse(evidence_doc, &ev, err)))
		return ss_err_prefix(err, "evidence");
	if (!(j.trace = cJSON_CreateArray()))
		ss_oom();
	if ((rc = ss_sha256(v->policy->text.data, v->policy->text.len, ph, err)))
		goto out;
	ss_hex_encode(ph, sizeof ph, policy_hex);
	j.s.verified_at = v->now;
	snprintf(j.s.runner_id, sizeof j.s.runner_id, "%s", ev.runner_id);
	if ((rc = check_issuer(v, ev.challenge_id, err))) {
		audit_aborted(&j, ev.challenge_id, policy_hex, err);
		goto out;
	}

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
	verdict = decide(&j, &ev, err);
	if (verdict != SS_OK && verdict != SS_REFUSED) {
		rc = verdict; /* could not judge: no decision to record */
		goto abort;
	}
	if (verdict == SS_OK) {
		if ((rc = seal(&j, evidence_doc, &ev, &secret, err)))
			goto abort;
		j.s.approved = true;
		snprintf(j.s.reason, sizeof j.s.reason, "%s", SS_R_APPROVED);
		snprintf(j.s.detail, sizeof j.s.detail, "every check passed");
	}
	doc = ss_session_to_json(&j.s);
	if ((rc = ss_doc_sign(doc, v->cp, err)) ||
	    (rc = archive(&j, evidence_doc, doc, policy_hex, err)) ||
	    (verdict == SS_OK && (rc = ss_output_write(&out, secret.p, secret.len, err))) ||
	    (rc = audit(&j, policy_hex, err)) ||
	    (rc = ss_store_commit(v->st, verdict == SS_OK ? v->secret_out : NULL, err)))
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
	cJSON_Delete(j.trace);
	ss_buf_wipe_free(&j.pending_text);
	ss_secret_free(&j.cp_eph);
	ss_evidence_free(&ev);
	return rc;
}

/* ---- check-session: an archived decision re-checked offline --------------- */

/* Offline, the archived challenge is the one the evidence must answer.
 * Whether it was still pending, or used before, is the control plane's
 * state, which no archive holds: a decision that says so stands as
 * recorded. */
static int archived_challenge(struct judgement *j, const char *id, ss_err *err)
{
	const ss_session *rec = j->arch->recorded;
	int rc;

	if ((rc = ss_challenge_parse(j->arch->challenge_doc, &j->ch, err)))
		return rc;
	if (strcmp(id, j->ch.challenge_id) != 0)
		return deny(j, SS_R_UNKNOWN_CHALLENGE,
			    "the evidence answers challenge '%s', not the archived '%s'", id,
			    j->ch.challenge_id);
	if (strcmp(rec->reason, SS_R_UNKNOWN_CHALLENGE) == 0)
		return deny(j, SS_R_UNKNOWN_CHALLENGE, "challenge '%s' was not pending (as recorded)",
			    id);
	j->s.has_execution = true;
	j->s.exec = j->ch.exec;
	if (strcmp(rec->reason, SS_R_CHALLENGE_REUSED) == 0)
		return deny(j, SS_R_CHALLENGE_REUSED, "challenge '%s' was already used (as recorded)",
			    id);
	if (!(j->challenge_doc = cJSON_Duplicate(j->arch->challenge_doc, 1)))
		ss_oom();
	return SS_OK;
}

/* Offline, the counters last seen for the AK are the control plane's
 * state too: a rollback the verifier recorded stands as recorded. */
static int archived_counters(struct judgement *j)
{
	if (strcmp(j->arch->recorded->reason, SS_R_ROLLBACK) == 0)
		return deny(j, SS_R_ROLLBACK,
			    "resetCount/restartCount below the last seen for the AK (as recorded)");
	return SS_OK;
}

/* The first member in which two decisions differ; key_confirmation is not
 * compared (it takes the session secret, which the archive never holds). */
static const char *differing_member(const ss_session *a, const ss_session *b)
{
	if (a->approved != b->approved)
		return "approved";
	if (strcmp(a->reason, b->reason) != 0)
		return "reason";
	if (strcmp(a->challenge_id, b->challenge_id) != 0)
		return "challenge_id";
	if (a->has_execution != b->has_execution ||
	    strcmp(a->exec.execution_id, b->exec.execution_id) != 0)
		return "execution_id";
	if (strcmp(a->exec.tenant_id, b->exec.tenant_id) != 0)
		return "tenant_id";
	if (strcmp(a->exec.operator_id, b->exec.operator_id) != 0)
		return "operator_id";
	if (strcmp(a->exec.fingerprint, b->exec.fingerprint) != 0)
		return "fingerprint";
	if (strcmp(a->runner_id, b->runner_id) != 0)
		return "runner_id";
	if (a->ak_name_len != b->ak_name_len || memcmp(a->ak_name, b->ak_name, a->ak_name_len) != 0)
		return "ak_name";
	if (a->pcr_digest_len != b->pcr_digest_len ||
	    memcmp(a->pcr_digest, b->pcr_digest, a->pcr_digest_len) != 0)
		return "pcr_digest";
	if (a->has_clock != b->has_clock ||
	    (a->has_clock && (a->clock.reset_count != b->clock.reset_count ||
			      a->clock.restart_count != b->clock.restart_count ||
			      a->clock.clock != b->clock.clock || a->clock.safe != b->clock.safe)))
		return "clock";
	if (a->expires_at != b->expires_at)
		return "expires_at";
	return NULL;
}

static cJSON *check_report(const ss_session *rec, const struct judgement *j, bool judged,
			   const char *failed, const char *detail)
{
	cJSON *o = ss_json_new_object(), *r;

	ss_json_add_string(o, "type", "ss.session-check.v1");
	ss_json_add_string_or_null(o, "challenge_id", rec->challenge_id[0] ? rec->challenge_id : NULL);
	ss_json_add_time(o, "verified_at", rec->verified_at);
	r = ss_json_add_object(o, "recorded");
	ss_json_add_bool(r, "approved", rec->approved);
	ss_json_add_string(r, "reason", rec->reason);
	if (judged) {
		r = ss_json_add_object(o, "rechecked");
		ss_json_add_bool(r, "approved", j->s.approved);
		ss_json_add_string(r, "reason", j->s.reason);
		ss_json_add_string(r, "detail", j->s.detail);
	} else
		ss_json_add_null(o, "rechecked");
	ss_json_add_bool(o, "confirmed", failed == NULL);
	ss_json_add_string_or_null(o, "failed", failed);
	ss_json_add_string(o, "detail", detail);
	return o;
}

/* A document's control-plane signature: SS_OK, SS_REFUSED with the reason
 * in why, or SS_EINPUT (a malformed signature member) in err. */
static int signed_by_cp(const cJSON *doc, const ss_keyring *cp, const char *what, ss_err *why,
			ss_err *err)
{
	int rc = ss_doc_verify(doc, cp, what, why);

	if (rc && rc != SS_REFUSED) {
		*err = *why;
		if (strncmp(err->msg, what, strlen(what)) != 0)
			ss_err_prefix(err, "%s", what);
	}
	return rc;
}

int ss_hs_check_session(const ss_hs_check *c, const cJSON *session_doc, cJSON **verdict,
			ss_err *err)
{
	ss_session rec;
	ss_challenge ch;
	ss_enrollment enr;
	ss_evidence ev;
	struct judgement j;
	struct archive arch;
	ss_hs_verifier v;
	ss_err why = { 0 };
	const char *failed = NULL, *member;
	char detail[1200] = "the decision is confirmed by the re-checked checklist", t1[SS_TIME_LEN],
	     t2[SS_TIME_LEN];
	uint8_t binding[32];
	bool judged = false;
	int rc;

	*verdict = NULL;
	memset(&j, 0, sizeof j);
	if ((rc = ss_session_parse(session_doc, &rec, err)))
		return ss_err_prefix(err, "session");
	if ((rc = ss_challenge_parse(c->challenge_doc, &ch, err)))
		return ss_err_prefix(err, "challenge");
	if ((rc = ss_enrollment_parse(c->enrollment_doc, &enr, err)))
		return ss_err_prefix(err, "enrollment");
	if ((rc = ss_evidence_parse(c->evidence_doc, &ev, err)))
		return ss_err_prefix(err, "evidence");

	/* What the archive holds must be the control plane's own. */
	if ((rc = signed_by_cp(session_doc, c->cp, "session", &why, err))) {
		if (rc != SS_REFUSED)
			goto out;
		failed = "session_signature";
		goto report;
	}
	if ((rc = signed_by_cp(c->challenge_doc, c->cp, "challenge", &why, err))) {
		if (rc != SS_REFUSED)
			goto out;
		failed = "challenge";
		goto report;
	}
	if (rec.challenge_id[0] && strcmp(rec.challenge_id, ch.challenge_id) != 0) {
		failed = "challenge";
		snprintf(why.msg, sizeof why.msg,
			 "challenge: the session decides challenge '%s', the archived one is '%s'",
			 rec.challenge_id, ch.challenge_id);
		goto report;
	}
	if ((rc = signed_by_cp(c->enrollment_doc, c->cp, "enrollment", &why, err))) {
		if (rc != SS_REFUSED)
			goto out;
		failed = "enrollment";
		goto report;
	}
	if (enr.enrolled_at > rec.verified_at) {
		failed = "enrollment";
		ss_time_format(enr.enrolled_at, t1);
		ss_time_format(rec.verified_at, t2);
		snprintf(why.msg, sizeof why.msg,
			 "enrollment: the AK was enrolled at %s, after the decision at %s", t1, t2);
		goto report;
	}

	/* The checklist again, as of the decision's own time. */
	v = (ss_hs_verifier){ NULL, NULL, c->cp, c->policy, NULL, rec.verified_at };
	arch = (struct archive){ c->challenge_doc, &enr, &rec };
	j.v = &v;
	j.arch = &arch;
	j.s.verified_at = rec.verified_at;
	snprintf(j.s.runner_id, sizeof j.s.runner_id, "%s", ev.runner_id);
	if (!(j.trace = cJSON_CreateArray()))
		ss_oom();
	rc = decide(&j, &ev, err);
	if (rc != SS_OK && rc != SS_REFUSED)
		goto out;
	judged = true;
	if (rc == SS_OK) {
		j.s.approved = true;
		snprintf(j.s.reason, sizeof j.s.reason, "%s", SS_R_APPROVED);
		snprintf(j.s.detail, sizeof j.s.detail, "every check passed");
		j.s.expires_at = rec.verified_at + c->policy->session_lifetime;
	}
	if (j.s.approved != rec.approved || strcmp(j.s.reason, rec.reason) != 0) {
		failed = "evidence";
		snprintf(why.msg, sizeof why.msg, "evidence: recorded %s, re-checked %s: %.800s",
			 rec.reason, j.s.reason, j.s.detail);
	} else if ((member = differing_member(&j.s, &rec))) {
		failed = "evidence";
		snprintf(why.msg, sizeof why.msg,
			 "evidence: the decision's '%s' is not the re-checked one (is this the policy "
			 "that judged it?)", member);
	} else if (rec.approved) {
		if ((rc = ss_hs_session_binding(c->challenge_doc, c->evidence_doc, binding, err)))
			goto out;
		if (!ss_ct_equal(binding, rec.binding, sizeof binding)) {
			failed = "binding";
			snprintf(why.msg, sizeof why.msg,
				 "binding: session_binding_hash is not the binding of the archived "
				 "challenge and evidence");
		}
	}
report:
	if (failed)
		snprintf(detail, sizeof detail, "%s", why.msg);
	*verdict = check_report(&rec, &j, judged, failed, detail);
	rc = failed ? ss_err_set(err, SS_REFUSED, "not confirmed: %s", detail) : SS_OK;
out:
	cJSON_Delete(j.trace);
	cJSON_Delete(j.challenge_doc);
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
