/* The checks a verify ran, recorded with its decision, and the
 * explanation read back from the archive (ss/explain.h). */
#include "ss/explain.h"

#include <stdio.h>
#include <string.h>

#include "ss/audit.h"
#include "ss/enroll.h"
#include "ss/escape.h"
#include "ss/utf8.h"
#include "ss/handshake.h"
#include "ss/json.h"
#include "ss/quote_check.h"

const char *const ss_checklist[] = {
	SS_R_MALFORMED,    SS_R_UNKNOWN_CHALLENGE, SS_R_CHALLENGE_REUSED, SS_R_CHALLENGE_EXPIRED,
	SS_R_AK_NOT_ENROLLED, SS_R_AK_ATTRIBUTES, SS_R_BAD_MAGIC,        SS_R_WRONG_TYPE,
	SS_R_SIGNATURE,    SS_R_HASH,              SS_R_BINDING,          SS_R_SELECTION,
	SS_R_DIGEST,       SS_R_POLICY,            SS_R_CLOCK,            SS_R_ROLLBACK,
	SS_R_SIMULATOR,    NULL,
};

cJSON *ss_trace_check(cJSON *trace, const char *check, bool passed)
{
	cJSON *c;

	if (!trace)
		return NULL;
	c = ss_json_new_object();
	ss_json_add_string(c, "check", check);
	ss_json_add_string(c, "outcome", passed ? "passed" : "failed");
	if (!cJSON_AddItemToArray(trace, c))
		ss_oom();
	return ss_json_add_object(c, "compared");
}

/* ---- explain --------------------------------------------------------------- */

/* A member copied from src to dst, or null when src has no such member. */
static void copy_member(cJSON *dst, const cJSON *src, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(src, name);

	ss_json_add_item(dst, name, m ? cJSON_Duplicate(m, 1) : cJSON_CreateNull());
}

static const cJSON *recorded(const cJSON *checks, const char *code)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, checks) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "check");
		if (cJSON_IsString(name) && strcmp(name->valuestring, code) == 0)
			return c;
	}
	return NULL;
}

/* Every check of the checklist, in order: as recorded, or not_run.  A
 * decision archived before checks were recorded has its outcomes from its
 * reason: the checks before it passed, it failed, the rest did not run. */
static cJSON *checklist(const cJSON *checks, const char *reason, bool approved)
{
	cJSON *out = cJSON_CreateArray();
	bool past = false;

	if (!out)
		ss_oom();
	for (const char *const *code = ss_checklist; *code; code++) {
		const cJSON *r = checks ? recorded(checks, *code) : NULL;
		cJSON *c;
		const char *outcome;

		if (r) {
			if (!cJSON_AddItemToArray(out, cJSON_Duplicate(r, 1)))
				ss_oom();
			continue;
		}
		if (checks)
			outcome = "not_run";
		else if (approved)
			outcome = "passed";
		else if (past)
			outcome = "not_run";
		else if (reason && strcmp(reason, *code) == 0)
			outcome = "failed", past = true;
		else
			outcome = "passed";
		c = ss_json_new_object();
		ss_json_add_string(c, "check", *code);
		ss_json_add_string(c, "outcome", outcome);
		ss_json_add_null(c, "compared");
		if (!cJSON_AddItemToArray(out, c))
			ss_oom();
	}
	return out;
}

/* The policy file as it was read, when it is text a document can carry. */
static void add_policy(ss_store *st, cJSON *out, const char *sha256)
{
	cJSON *p = ss_json_add_object(out, "policy");
	ss_buf text = SS_BUF_INIT;
	bool found = false, ok;
	size_t k;

	ss_json_add_string_or_null(p, "sha256", sha256);
	ok = sha256 && ss_store_valid_key(sha256) &&
	     !ss_store_get(st, SS_KIND_POLICIES, sha256, &text, &found, NULL) && found;
	for (size_t i = 0; ok && i < text.len; i += k)
		ok = text.data[i] && (k = ss_utf8_seq(text.data + i, text.len - i)) != 0;
	ss_json_add_string_or_null(p, "text", ok ? (const char *)text.data : NULL);
	ss_buf_free(&text);
}

/* The audit lines naming the challenge; the verify's own line gives the
 * detail of a decision archived before details were (detail: "" when
 * none). */
static int add_audit(ss_store *st, cJSON *out, const char *id, char *detail, size_t len,
		     ss_err *err)
{
	ss_audit_filter f = { .challenge_id = id };
	ss_audit_reader r;
	cJSON *lines = cJSON_CreateArray();
	const cJSON *e;
	const char *line;
	size_t n;
	int rc;

	if (!lines)
		ss_oom();
	ss_json_add_item(out, "audit", lines);
	if ((rc = ss_audit_open(st, &r, err)))
		return rc;
	while (!(rc = ss_audit_next(&r, &e, &line, &n, err)) && e) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "decision");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "detail");

		if (!ss_audit_match(&f, e))
			continue;
		if (!cJSON_AddItemToArray(lines, cJSON_Duplicate(e, 1)))
			ss_oom();
		if (!*detail && cJSON_IsString(d) && cJSON_IsString(m) &&
		    (!strcmp(d->valuestring, "approved") || !strcmp(d->valuestring, "denied")))
			snprintf(detail, len, "%s", m->valuestring);
	}
	ss_audit_close(&r);
	return rc;
}

int ss_explain(ss_store *st, const char *id, cJSON **out, ss_err *err)
{
	cJSON *rec = NULL, *doc;
	const cJSON *session, *checks, *detail, *reason, *approved, *policy;
	char audit_detail[1024] = "";
	bool found = false;
	int rc;

	*out = NULL;
	if (!ss_valid_id(id))
		return ss_err_set(err, SS_EUSAGE, "'%s' is not a challenge id", id);
	if ((rc = ss_store_get_json(st, SS_KIND_DECISIONS, id, &rec, &found, err)))
		return rc;
	if (!found) {
		if (ss_store_exists(st, SS_KIND_CHALLENGES, id))
			return ss_err_set(err, SS_EINPUT,
					  "challenge '%s' is pending: no verify has judged it yet", id);
		if (ss_store_exists(st, SS_KIND_CONSUMED, id))
			return ss_err_set(err, SS_EINPUT,
					  "challenge '%s' was used, but no decision is archived for it",
					  id);
		return ss_err_set(err, SS_EINPUT, "no decision for challenge '%s' in '%s'", id,
				  st->dir);
	}
	if ((rc = ss_json_object(rec, "decision", "session", &session, err)) ||
	    !cJSON_IsBool(approved = cJSON_GetObjectItemCaseSensitive(session, "approved")) ||
	    !cJSON_IsString(reason = cJSON_GetObjectItemCaseSensitive(session, "reason"))) {
		if (!rc)
			rc = ss_err_set(err, SS_EINPUT, "its session has no approved or reason member");
		ss_err_prefix(err, "store record %s/%s", SS_KIND_DECISIONS, id);
		goto out;
	}
	checks = cJSON_GetObjectItemCaseSensitive(rec, "checks");
	if (checks && !cJSON_IsArray(checks)) {
		rc = ss_err_set(err, SS_EINPUT, "store record %s/%s: member 'checks' is not an array",
				SS_KIND_DECISIONS, id);
		goto out;
	}
	detail = cJSON_GetObjectItemCaseSensitive(rec, "detail");
	policy = cJSON_GetObjectItemCaseSensitive(rec, "policy_sha256");

	doc = ss_json_new_object();
	ss_json_add_string(doc, "type", "ss.explanation.v1");
	ss_json_add_string(doc, "challenge_id", id);
	ss_json_add_bool(doc, "approved", cJSON_IsTrue(approved));
	ss_json_add_string(doc, "reason", reason->valuestring);
	ss_json_add_null(doc, "detail"); /* filled in below */
	copy_member(doc, session, "verified_at");
	copy_member(doc, session, "execution_id");
	copy_member(doc, session, "tenant_id");
	copy_member(doc, session, "operator_id");
	copy_member(doc, session, "runner_id");
	copy_member(doc, session, "ak_name");
	ss_json_add_bool(doc, "checks_recorded", checks != NULL);
	ss_json_add_item(doc, "checks",
			 checklist(checks, reason->valuestring, cJSON_IsTrue(approved)));
	add_policy(st, doc, cJSON_IsString(policy) ? policy->valuestring : NULL);
	ss_json_add_item(doc, "session", cJSON_Duplicate(session, 1));
	if ((rc = add_audit(st, doc, id, audit_detail, sizeof audit_detail, err))) {
		cJSON_Delete(doc);
		goto out;
	}
	if (cJSON_IsString(detail) || *audit_detail)
		cJSON_ReplaceItemInObjectCaseSensitive(
			doc, "detail",
			cJSON_CreateString(cJSON_IsString(detail) ? detail->valuestring : audit_detail));
	*out = doc;
out:
	cJSON_Delete(rec);
	return rc;
}
