#include "ss/session.h"

#include <stdio.h>
#include <string.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/json.h"
#include "ss/kdf.h"
#include "ss/secret.h"
#include "ss/timefmt.h"

static const char *const members[] = {
	"type", "approved", "reason", "detail", "challenge_id", "execution_id", "tenant_id", "operator_id",
	"fingerprint", "runner_id", "ak_name", "pcr_digest", "clock", "session_binding_hash",
	"key_confirmation", "verified_at", "expires_at", "signature", NULL
};

/* An identifier that a denied session may leave null. */
static int id_or_null(const cJSON *doc, const char *name, bool required, char out[SS_ID_MAX],
		      ss_err *err)
{
	const cJSON *m;
	const char *s;
	int rc;

	if ((rc = ss_json_member(doc, "", name, &m, err)))
		return rc;
	if (cJSON_IsNull(m) && !required) {
		out[0] = 0;
		return SS_OK;
	}
	if ((rc = ss_json_id(doc, "", name, &s, err)))
		return rc;
	snprintf(out, SS_ID_MAX, "%s", s);
	return SS_OK;
}

static int hex_or_null(const cJSON *doc, const char *name, bool required, uint8_t *out,
		       size_t max, size_t *len, ss_err *err)
{
	const cJSON *m;
	int rc;

	if ((rc = ss_json_member(doc, "", name, &m, err)))
		return rc;
	if (cJSON_IsNull(m) && !required) {
		*len = 0;
		return SS_OK;
	}
	return ss_json_hex(doc, "", name, 0, out, max, len, err);
}

static int parse_clock(const cJSON *doc, bool required, ss_session *s, ss_err *err)
{
	static const char *const clock_members[] = { "reset_count", "restart_count", "clock",
						     "safe", NULL };
	const cJSON *c;
	int64_t reset, restart;
	int rc;

	if ((rc = ss_json_member(doc, "", "clock", &c, err)))
		return rc;
	if (cJSON_IsNull(c) && !required) {
		s->has_clock = false;
		return SS_OK;
	}
	if ((rc = ss_json_object(doc, "", "clock", &c, err)) ||
	    (rc = ss_json_only(c, "clock", clock_members, err)) ||
	    (rc = ss_json_int(c, "clock", "reset_count", 0, UINT32_MAX, &reset, err)) ||
	    (rc = ss_json_int(c, "clock", "restart_count", 0, UINT32_MAX, &restart, err)) ||
	    (rc = ss_json_u64hex(c, "clock", "clock", &s->clock.clock, err)) ||
	    (rc = ss_json_bool(c, "clock", "safe", &s->clock.safe, err)))
		return rc;
	s->clock.reset_count = (uint32_t)reset;
	s->clock.restart_count = (uint32_t)restart;
	s->has_clock = true;
	return SS_OK;
}

int ss_session_parse(const cJSON *doc, ss_session *s, ss_err *err)
{
	const char *reason, *detail, *fp;
	const cJSON *m;
	size_t n;
	bool req;
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = ss_json_type(doc, "ss.session.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_bool(doc, "", "approved", &s->approved, err)) ||
	    (rc = ss_json_string(doc, "", "reason", &reason, err)))
		return rc;
	if (!ss_valid_id(reason) || strlen(reason) >= sizeof s->reason)
		return ss_err_set(err, SS_EINPUT, "member 'reason' is not a reason code");
	snprintf(s->reason, sizeof s->reason, "%s", reason);
	if ((rc = ss_json_string(doc, "", "detail", &detail, err)))
		return rc;
	if (strlen(detail) >= sizeof s->detail)
		return ss_err_set(err, SS_EINPUT, "member 'detail' is longer than %zu bytes",
				  sizeof s->detail - 1);
	snprintf(s->detail, sizeof s->detail, "%s", detail);
	req = s->approved;
	if ((rc = id_or_null(doc, "challenge_id", req, s->challenge_id, err)) ||
	    (rc = id_or_null(doc, "execution_id", req, s->exec.execution_id, err)) ||
	    (rc = id_or_null(doc, "tenant_id", req, s->exec.tenant_id, err)) ||
	    (rc = id_or_null(doc, "operator_id", req, s->exec.operator_id, err)) ||
	    (rc = id_or_null(doc, "runner_id", req, s->runner_id, err)) ||
	    (rc = hex_or_null(doc, "ak_name", req, s->ak_name, sizeof s->ak_name, &s->ak_name_len, err)) ||
	    (rc = hex_or_null(doc, "pcr_digest", req, s->pcr_digest, sizeof s->pcr_digest,
			      &s->pcr_digest_len, err)) ||
	    (rc = parse_clock(doc, req, s, err)) ||
	    (rc = ss_json_member(doc, "", "fingerprint", &m, err)))
		return rc;
	if (!cJSON_IsNull(m) || req) {
		if ((rc = ss_json_string(doc, "", "fingerprint", &fp, err)))
			return rc;
		if (!ss_valid_fingerprint(fp))
			return ss_err_set(err, SS_EINPUT,
					  "member 'fingerprint' must be sha256:<64 lowercase hex>");
		snprintf(s->exec.fingerprint, sizeof s->exec.fingerprint, "%s", fp);
	}
	s->has_execution = s->exec.execution_id[0] != 0;
	if ((rc = ss_json_time(doc, "", "verified_at", &s->verified_at, err)))
		return rc;
	if ((rc = ss_json_member(doc, "", "expires_at", &m, err)))
		return rc;
	if (!cJSON_IsNull(m) || req)
		if ((rc = ss_json_time(doc, "", "expires_at", &s->expires_at, err)))
			return rc;
	if (s->approved) {
		if (strcmp(s->reason, "approved") != 0)
			return ss_err_set(err, SS_EINPUT, "an approved session must have reason 'approved'");
		if ((rc = ss_json_hex(doc, "", "session_binding_hash", 32, s->binding,
				      sizeof s->binding, &n, err)) ||
		    (rc = ss_json_hex(doc, "", "key_confirmation", 32, s->key_confirmation,
				      sizeof s->key_confirmation, &n, err)))
			return rc;
		s->has_binding = true;
	} else if (cJSON_GetObjectItemCaseSensitive(doc, "session_binding_hash") ||
		   cJSON_GetObjectItemCaseSensitive(doc, "key_confirmation"))
		return ss_err_set(err, SS_EINPUT,
				  "a denied session carries no session_binding_hash or key_confirmation");
	return SS_OK;
}

static void add_id(cJSON *o, const char *name, const char *v)
{
	ss_json_add_string_or_null(o, name, v[0] ? v : NULL);
}

cJSON *ss_session_to_json(const ss_session *s)
{
	cJSON *o = ss_json_new_object(), *c;

	ss_json_add_string(o, "type", "ss.session.v1");
	ss_json_add_bool(o, "approved", s->approved);
	ss_json_add_string(o, "reason", s->reason);
	ss_json_add_string(o, "detail", s->detail);
	add_id(o, "challenge_id", s->challenge_id);
	add_id(o, "execution_id", s->exec.execution_id);
	add_id(o, "tenant_id", s->exec.tenant_id);
	add_id(o, "operator_id", s->exec.operator_id);
	add_id(o, "fingerprint", s->exec.fingerprint);
	add_id(o, "runner_id", s->runner_id);
	if (s->ak_name_len)
		ss_json_add_hex(o, "ak_name", s->ak_name, s->ak_name_len);
	else
		ss_json_add_null(o, "ak_name");
	if (s->pcr_digest_len)
		ss_json_add_hex(o, "pcr_digest", s->pcr_digest, s->pcr_digest_len);
	else
		ss_json_add_null(o, "pcr_digest");
	if (s->has_clock) {
		c = ss_json_add_object(o, "clock");
		ss_json_add_int(c, "reset_count", s->clock.reset_count);
		ss_json_add_int(c, "restart_count", s->clock.restart_count);
		ss_json_add_u64hex(c, "clock", s->clock.clock);
		ss_json_add_bool(c, "safe", s->clock.safe);
	} else
		ss_json_add_null(o, "clock");
	if (s->approved) {
		ss_json_add_hex(o, "session_binding_hash", s->binding, sizeof s->binding);
		ss_json_add_hex(o, "key_confirmation", s->key_confirmation,
				sizeof s->key_confirmation);
	}
	ss_json_add_time(o, "verified_at", s->verified_at);
	if (s->expires_at)
		ss_json_add_time(o, "expires_at", s->expires_at);
	else
		ss_json_add_null(o, "expires_at");
	return o;
}

int ss_session_accept(const cJSON *doc, const ss_session *s, const ss_keyring *ring,
		      const ss_execution *exec, int64_t now, ss_err *err)
{
	char when[SS_TIME_LEN];
	int rc;

	if ((rc = ss_doc_verify(doc, ring, "session", err)))
		return rc;
	if (!s->approved)
		return ss_err_set(err, SS_REFUSED, "session: not approved (reason '%s')", s->reason);
	if (now >= s->expires_at) {
		ss_time_format(s->expires_at, when);
		return ss_err_set(err, SS_REFUSED, "session: expired at %s", when);
	}
	if (!exec)
		return SS_OK;
	if (strcmp(s->exec.execution_id, exec->execution_id) != 0)
		return ss_err_set(err, SS_REFUSED, "session: names execution '%s', not '%s'",
				  s->exec.execution_id, exec->execution_id);
	if (strcmp(s->exec.tenant_id, exec->tenant_id) != 0)
		return ss_err_set(err, SS_REFUSED, "session: names tenant '%s', not '%s'",
				  s->exec.tenant_id, exec->tenant_id);
	if (strcmp(s->exec.operator_id, exec->operator_id) != 0)
		return ss_err_set(err, SS_REFUSED, "session: names operator '%s', not '%s'",
				  s->exec.operator_id, exec->operator_id);
	if (strcmp(s->exec.fingerprint, exec->fingerprint) != 0)
		return ss_err_set(err, SS_REFUSED, "session: names fingerprint '%s', not '%s'",
				  s->exec.fingerprint, exec->fingerprint);
	return SS_OK;
}

int ss_session_confirmation(const uint8_t *secret, size_t len, const uint8_t binding[32],
			    uint8_t out[32], ss_err *err)
{
	static const char info[] = SS_SESSION_CONFIRM_INFO;
	uint8_t key[32];
	int rc;

	if (!(rc = ss_hkdf(secret, len, binding, 32, info, sizeof info - 1, key, sizeof key, err)))
		rc = ss_hmac(EVP_sha256(), key, sizeof key, binding, 32, out, NULL, err);
	ss_wipe(key, sizeof key);
	return rc;
}

int ss_session_secret_check(const ss_session *s, const uint8_t *secret, size_t len,
			    ss_err *err)
{
	uint8_t want[32];
	bool same;
	int rc;

	if (!s->has_binding)
		return ss_err_set(err, SS_REFUSED, "session: not approved (reason '%s')", s->reason);
	if ((rc = ss_session_confirmation(secret, len, s->binding, want, err)))
		return rc;
	same = ss_ct_equal(want, s->key_confirmation, sizeof want);
	ss_wipe(want, sizeof want);
	if (!same)
		return ss_err_set(err, SS_REFUSED, "session secret does not belong to session '%s'",
				  s->challenge_id);
	return SS_OK;
}
