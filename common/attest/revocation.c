/* ss.revocation.v1 records: building, strict parsing, and listing them
 * from revoked/ with their control-plane signature checked. */
#include "ss/revocation.h"

#include <stdio.h>
#include <string.h>

#include "ss/enroll.h"
#include "ss/escape.h"
#include "ss/utf8.h"
#include "ss/json.h"
#include "ss/timefmt.h"

bool ss_revocation_valid_reason(const char *s)
{
	size_t n = strlen(s), k;

	if (n < 1 || n > SS_REVOCATION_REASON_MAX)
		return false;
	for (size_t i = 0; i < n; i += k) {
		const unsigned char *p = (const unsigned char *)s + i;
		if (*p < 0x20 || *p == 0x7f || !(k = ss_utf8_seq(p, n - i)))
			return false;
		/* C1 controls, U+0080..U+009F */
		if (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			return false;
	}
	return true;
}

cJSON *ss_revocation_to_json(const char *ak_name_hex, const char *runner_id, const char *reason,
			     int64_t revoked_at, const cJSON *enrollment)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.revocation.v1");
	ss_json_add_string(o, "ak_name", ak_name_hex);
	ss_json_add_string_or_null(o, "runner_id", runner_id);
	ss_json_add_string(o, "reason", reason);
	ss_json_add_time(o, "revoked_at", revoked_at);
	ss_json_add_item(o, "enrollment", cJSON_Duplicate(enrollment, 1));
	return o;
}

/* The old form, {revoked_at, enrollment}: the AK's name and runner from
 * the enrollment it kept, as far as it names them. */
static int parse_old(const cJSON *doc, ss_revocation *out, ss_err *err)
{
	static const char *const members[] = { "revoked_at", "enrollment", NULL };
	const cJSON *enr, *m;
	int rc;

	if ((rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_time(doc, "", "revoked_at", &out->revoked_at, err)) ||
	    (rc = ss_json_object(doc, "", "enrollment", &enr, err)))
		return rc;
	m = cJSON_GetObjectItemCaseSensitive(enr, "ak_name");
	if (cJSON_IsString(m) && strlen(m->valuestring) < sizeof out->ak_name)
		snprintf(out->ak_name, sizeof out->ak_name, "%s", m->valuestring);
	m = cJSON_GetObjectItemCaseSensitive(enr, "runner_id");
	if (cJSON_IsString(m) && ss_valid_id(m->valuestring))
		snprintf(out->runner_id, sizeof out->runner_id, "%s", m->valuestring);
	return SS_OK;
}

int ss_revocation_parse(const cJSON *doc, ss_revocation *out, ss_err *err)
{
	static const char *const members[] = { "type", "ak_name", "runner_id", "reason",
					       "revoked_at", "enrollment", "signature", NULL };
	uint8_t name[SS_TPM_NAME_MAX];
	const char *runner_id, *reason;
	const cJSON *enr;
	size_t name_len = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (!cJSON_GetObjectItemCaseSensitive(doc, "type"))
		return parse_old(doc, out, err);
	if ((rc = ss_json_type(doc, "ss.revocation.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_hex(doc, "", "ak_name", 0, name, sizeof name, &name_len, err)) ||
	    (rc = ss_json_string_or_null(doc, "", "runner_id", &runner_id, err)) ||
	    (rc = ss_json_string(doc, "", "reason", &reason, err)) ||
	    (rc = ss_json_time(doc, "", "revoked_at", &out->revoked_at, err)) ||
	    (rc = ss_json_object(doc, "", "enrollment", &enr, err)))
		return rc;
	if (name_len < 2)
		return ss_err_set(err, SS_EINPUT, "member 'ak_name' is not a TPM name");
	if (runner_id && !ss_valid_id(runner_id))
		return ss_err_set(err, SS_EINPUT, "member 'runner_id' is not an identifier");
	if (!ss_revocation_valid_reason(reason))
		return ss_err_set(err, SS_EINPUT,
				  "member 'reason' is not one line of 1 to %d bytes",
				  SS_REVOCATION_REASON_MAX);
	snprintf(out->ak_name, sizeof out->ak_name, "%s",
		 cJSON_GetObjectItemCaseSensitive(doc, "ak_name")->valuestring);
	snprintf(out->runner_id, sizeof out->runner_id, "%s", runner_id ? runner_id : "");
	snprintf(out->reason, sizeof out->reason, "%s", reason);
	out->signed_record = true;
	return SS_OK;
}

/* One revoked record by its key, checked as ss_revocation_list says. */
static int read_record(ss_store *st, const ss_keyring *cp, const char *key, cJSON **doc,
		       ss_err *err)
{
	ss_revocation r;
	char what[300];
	bool found = false;
	int rc;

	*doc = NULL;
	snprintf(what, sizeof what, "revoked record '%s'", key);
	if ((rc = ss_store_get_json(st, SS_KIND_REVOKED, key, doc, &found, err)) || !found) {
		if (rc == SS_EINPUT)
			rc = err->code = SS_REFUSED;
		return rc;
	}
	if ((rc = ss_revocation_parse(*doc, &r, err))) {
		ss_err_prefix(err, "%s", what);
		rc = err->code = SS_REFUSED;
		goto fail;
	}
	if (cp && !r.signed_record) {
		rc = ss_err_set(err, SS_REFUSED,
				"%s: not signed (revoked before revocations were signed)", what);
		goto fail;
	}
	if (cp && (rc = ss_doc_verify(*doc, cp, what, err))) {
		if (rc == SS_EINPUT) {
			ss_err_prefix(err, "%s", what);
			rc = err->code = SS_REFUSED;
		}
		goto fail;
	}
	if (r.signed_record && strcmp(r.ak_name, key) != 0) {
		rc = ss_err_set(err, SS_REFUSED, "%s: names another AK", what);
		goto fail;
	}
	return SS_OK;
fail:
	cJSON_Delete(*doc);
	*doc = NULL;
	return rc;
}

int ss_revocation_list(ss_store *st, const ss_keyring *cp, cJSON **records, ss_err *err)
{
	char **keys = NULL;
	size_t n = 0;
	int rc;

	*records = cJSON_CreateArray();
	if (!*records)
		ss_oom();
	if ((rc = ss_store_keys(st, SS_KIND_REVOKED, &keys, &n, err)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		cJSON *doc = NULL;

		if ((rc = read_record(st, cp, keys[i], &doc, err)))
			goto fail;
		if (doc && !cJSON_AddItemToArray(*records, doc))
			ss_oom();
	}
	ss_store_keys_free(keys, n);
	return SS_OK;
fail:
	ss_store_keys_free(keys, n);
	cJSON_Delete(*records);
	*records = NULL;
	return rc;
}
