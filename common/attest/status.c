/* The operator's view of a state directory (ss/status.h). */
#include "ss/status.h"

#include <stdio.h>
#include <string.h>

#include "ss/audit.h"
#include "ss/enroll.h"
#include "ss/handshake.h"
#include "ss/json.h"
#include "ss/revocation.h"
#include "ss/timefmt.h"

#define HOUR 3600

static cJSON *new_array(void)
{
	cJSON *a = cJSON_CreateArray();

	if (!a)
		ss_oom();
	return a;
}

static void push(cJSON *array, cJSON *item)
{
	if (!cJSON_AddItemToArray(array, item))
		ss_oom();
}

static void unreadable(cJSON *list, const char *kind, const char *key)
{
	char name[300];

	snprintf(name, sizeof name, "%s/%s", kind, key);
	push(list, cJSON_CreateString(name));
}

static int enrolled(ss_store *st, cJSON *out, cJSON *bad, ss_err *err)
{
	cJSON *list = new_array();
	char **keys;
	size_t n;
	int rc;

	ss_json_add_item(out, "enrolled", list);
	if ((rc = ss_store_keys(st, SS_KIND_ENROLLED, &keys, &n, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		ss_enrollment e;
		cJSON *doc = NULL, *o;
		bool found = false;

		if (ss_store_get_json(st, SS_KIND_ENROLLED, keys[i], &doc, &found, NULL) || !found ||
		    ss_enrollment_parse(doc, &e, NULL)) {
			if (found)
				unreadable(bad, SS_KIND_ENROLLED, keys[i]);
			cJSON_Delete(doc);
			continue;
		}
		o = ss_json_new_object();
		ss_json_add_hex(o, "ak_name", e.ak_name, e.ak_name_len);
		ss_json_add_string(o, "runner_id", e.runner_id);
		ss_json_add_time(o, "enrolled_at", e.enrolled_at);
		ss_json_add_bool(o, "simulator", e.simulator);
		push(list, o);
		cJSON_Delete(doc);
	}
	ss_store_keys_free(keys, n);
	return SS_OK;
}

static int revoked(ss_store *st, cJSON *out, cJSON *bad, ss_err *err)
{
	cJSON *list = new_array();
	char **keys;
	size_t n;
	int rc;

	ss_json_add_item(out, "revoked", list);
	if ((rc = ss_store_keys(st, SS_KIND_REVOKED, &keys, &n, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		ss_revocation r;
		cJSON *doc = NULL, *o;
		bool found = false;

		if (ss_store_get_json(st, SS_KIND_REVOKED, keys[i], &doc, &found, NULL) || !found ||
		    ss_revocation_parse(doc, &r, NULL)) {
			if (found)
				unreadable(bad, SS_KIND_REVOKED, keys[i]);
			cJSON_Delete(doc);
			continue;
		}
		o = ss_json_new_object();
		/* A record from before names its AK by where it is kept. */
		ss_json_add_string(o, "ak_name", r.signed_record ? r.ak_name : keys[i]);
		ss_json_add_string_or_null(o, "runner_id", r.runner_id[0] ? r.runner_id : NULL);
		ss_json_add_time(o, "revoked_at", r.revoked_at);
		ss_json_add_string_or_null(o, "reason", r.reason[0] ? r.reason : NULL);
		ss_json_add_bool(o, "signed", r.signed_record);
		push(list, o);
		cJSON_Delete(doc);
	}
	ss_store_keys_free(keys, n);
	return SS_OK;
}

/* Pending and expired records of a kind, by the expires_at of the record
 * (member NULL) or of its member. */
static int by_expiry(ss_store *st, const char *kind, const char *member, int64_t now,
		     cJSON *out, const char *name, cJSON *bad, ss_err *err)
{
	cJSON *o = ss_json_add_object(out, name);
	int64_t pending = 0, expired = 0;
	char **keys;
	size_t n;
	int rc;

	if ((rc = ss_store_keys(st, kind, &keys, &n, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		cJSON *doc = NULL;
		const cJSON *holder = NULL;
		int64_t expires;
		bool found = false;

		/* These records hold private keys or proofs: wiped once read. */
		if (ss_store_get_json(st, kind, keys[i], &doc, &found, NULL) || !found ||
		    (member ? ss_json_object(doc, "", member, &holder, NULL)
			    : (holder = doc) == NULL) ||
		    ss_json_time(holder, "", "expires_at", &expires, NULL)) {
			if (found)
				unreadable(bad, kind, keys[i]);
		} else if (now > expires)
			expired++;
		else
			pending++;
		if (doc)
			ss_json_wipe_delete(doc);
	}
	ss_store_keys_free(keys, n);
	ss_json_add_int(o, "pending", pending);
	ss_json_add_int(o, "expired", expired);
	return SS_OK;
}

static void count(cJSON *o, const char *name)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	if (m)
		cJSON_SetNumberValue(m, m->valuedouble + 1);
	else
		ss_json_add_int(o, name, 1);
}

/* The verify decisions of the last hour, and the log's state. */
static int last_hour(ss_store *st, int64_t now, cJSON *out, ss_err *err)
{
	cJSON *h = ss_json_add_object(out, "last_hour"), *reasons, *audit;
	ss_audit_filter f = { .has_since = true, .since = now - HOUR,
			      .events = { "verify" }, .nevents = 1 };
	int64_t approved = 0, denied = 0, aborted = 0;
	ss_audit_reader r;
	ss_err why = { 0 };
	const cJSON *e;
	const char *line;
	size_t len;
	int rc;

	ss_json_add_time(h, "since", now - HOUR);
	reasons = ss_json_new_object();
	if ((rc = ss_audit_open(st, &r, err))) {
		cJSON_Delete(reasons);
		return rc;
	}
	while (!(rc = ss_audit_next(&r, &e, &line, &len, &why)) && e) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "decision");
		const cJSON *reason = cJSON_GetObjectItemCaseSensitive(e, "reason");

		if (!ss_audit_match(&f, e) || !cJSON_IsString(d))
			continue;
		if (!strcmp(d->valuestring, "aborted")) {
			aborted++;
			continue;
		}
		if (!strcmp(d->valuestring, "approved"))
			approved++;
		else if (!strcmp(d->valuestring, "denied"))
			denied++;
		else
			continue;
		if (cJSON_IsString(reason))
			count(reasons, reason->valuestring);
	}
	if (rc && rc != SS_REFUSED) {
		*err = why;
		ss_audit_close(&r);
		cJSON_Delete(reasons);
		return rc;
	}
	ss_json_add_int(h, "approved", approved);
	ss_json_add_int(h, "denied", denied);
	ss_json_add_int(h, "aborted", aborted);
	ss_json_add_item(h, "by_reason", reasons);
	audit = ss_json_add_object(out, "audit");
	ss_json_add_int(audit, "lines", (int64_t)(r.broken ? r.broken - 1 : r.lineno));
	ss_json_add_bool(audit, "intact", !r.broken);
	if (r.broken)
		ss_json_add_int(audit, "broken_line", (int64_t)r.broken);
	else
		ss_json_add_null(audit, "broken_line");
	ss_audit_close(&r);
	return SS_OK;
}

int ss_status(ss_store *st, int64_t now, cJSON **out, ss_err *err)
{
	cJSON *doc = ss_json_new_object(), *bad = new_array();
	char **keys = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	ss_json_add_string(doc, "type", "ss.status.v1");
	ss_json_add_string(doc, "state_dir", st->dir);
	ss_json_add_time(doc, "at", now);
	if ((rc = enrolled(st, doc, bad, err)) || (rc = revoked(st, doc, bad, err)) ||
	    (rc = by_expiry(st, SS_KIND_CHALLENGES, "challenge", now, doc, "challenges", bad,
			    err)) ||
	    (rc = by_expiry(st, SS_KIND_ENROLL_PENDING, NULL, now, doc, "enroll_challenges", bad,
			    err)) ||
	    (rc = ss_store_keys(st, SS_KIND_DECISIONS, &keys, &n, err)))
		goto fail;
	ss_store_keys_free(keys, n);
	ss_json_add_int(doc, "decisions", (int64_t)n);
	if ((rc = last_hour(st, now, doc, err)))
		goto fail;
	ss_json_add_item(doc, "unreadable", bad);
	*out = doc;
	return SS_OK;
fail:
	cJSON_Delete(bad);
	cJSON_Delete(doc);
	return rc;
}
