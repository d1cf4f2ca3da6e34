/* A key record against its session, offline (ss/key_check.h). */
#include "ss/key_check.h"

#include <stdio.h>
#include <string.h>

#include "ss/buf.h"
#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/execution_key.h"
#include "ss/secret.h"
#include "ss/timefmt.h"

/* One identifier of the key against the session's. */
static int same_id(const char *what, const char *key, const char *session, ss_err *err)
{
	if (strcmp(key, session) != 0)
		return ss_err_set(err, SS_REFUSED, "key: names %s '%s', the session '%s'", what, key,
				  session);
	return SS_OK;
}

int ss_keyrec_check(const ss_keyrec *k, const cJSON *session_doc, const ss_session *s,
		    const ss_keyring *ring, ss_err *err)
{
	char when[SS_TIME_LEN], verified[SS_TIME_LEN], khex[17], shex[17];
	unsigned char hash[32];
	ss_buf context = SS_BUF_INIT;
	int rc;

	/* Signed, approved and unexpired when the key was derived: what
	 * ss-derive-key required of it then. */
	if ((rc = ss_session_accept(session_doc, s, ring, NULL, k->derived_at, err)))
		return rc;
	if (k->derived_at < s->verified_at) {
		ss_time_format(k->derived_at, when);
		ss_time_format(s->verified_at, verified);
		return ss_err_set(err, SS_REFUSED,
				  "key: derived at %s, before the session was verified at %s", when,
				  verified);
	}
	if (!k->has_binding)
		return ss_err_set(err, SS_REFUSED,
				  "key: derived from a bare root, not from an attested session");
	if (!ss_ct_equal(k->session_binding_hash, s->binding, sizeof s->binding)) {
		ss_hex_encode(k->session_binding_hash, 8, khex);
		ss_hex_encode(s->binding, 8, shex);
		return ss_err_set(err, SS_REFUSED,
				  "key: bound to session binding %s..., the session's is %s...", khex,
				  shex);
	}
	if ((rc = same_id("execution", k->execution_id, s->exec.execution_id, err)) ||
	    (rc = same_id("tenant", k->tenant_id, s->exec.tenant_id, err)) ||
	    (rc = same_id("operator", k->operator_id, s->exec.operator_id, err)))
		return rc;
	ss_execkey_context(&s->exec, k->kind, k->purpose, &context);
	rc = ss_sha256(context.data, context.len, hash, err);
	ss_buf_free(&context);
	if (rc)
		return rc;
	if (!ss_ct_equal(hash, k->context_hash, sizeof hash))
		return ss_err_set(err, SS_REFUSED,
				  "key: context_hash is not SHA-256 of its context (the session's "
				  "execution, kind '%s', purpose '%s')",
				  ss_key_kind_name(k->kind), k->purpose);
	return SS_OK;
}
