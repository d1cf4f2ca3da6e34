#include "ss/challenge.h"

#include <stdio.h>
#include <string.h>

#include "ss/json.h"
#include "ss/timefmt.h"

static int x25519_member(const cJSON *doc, const char *name, uint8_t out[SS_X25519_LEN],
			 ss_err *err)
{
	ss_buf b = SS_BUF_INIT;
	int rc = ss_json_b64(doc, "", name, &b, err);

	if (!rc && b.len != SS_X25519_LEN)
		rc = ss_err_set(err, SS_EINPUT, "member '%s' must be 32 bytes of base64", name);
	if (!rc)
		memcpy(out, b.data, SS_X25519_LEN);
	ss_buf_free(&b);
	return rc;
}

int ss_challenge_parse(const cJSON *doc, ss_challenge *c, ss_err *err)
{
	static const char *const members[] = { "type", "challenge_id", "execution", "nonce",
					       "pcr_selection", "cp_ephemeral_x25519", "issued_at",
					       "expires_at", "signature", NULL };
	const char *cid, *sel;
	const cJSON *exec;
	char canon[128];
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = ss_json_type(doc, "ss.challenge.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_id(doc, "", "challenge_id", &cid, err)) ||
	    (rc = ss_json_object(doc, "", "execution", &exec, err)) ||
	    (rc = ss_execution_parse(exec, "execution", &c->exec, err)) ||
	    (rc = ss_json_hex(doc, "", "nonce", SS_NONCE_LEN, c->nonce, sizeof c->nonce, NULL, err)) ||
	    (rc = ss_json_string(doc, "", "pcr_selection", &sel, err)))
		return rc;
	if ((rc = ss_pcrsel_parse(sel, &c->sel, err)))
		return ss_err_prefix(err, "member 'pcr_selection'");
	ss_pcrsel_format(&c->sel, canon, sizeof canon);
	if (strcmp(canon, sel) != 0)
		return ss_err_set(err, SS_EINPUT, "member 'pcr_selection' is not canonical ('%s')",
				  canon);
	if ((rc = x25519_member(doc, "cp_ephemeral_x25519", c->cp_ephemeral, err)) ||
	    (rc = ss_json_time(doc, "", "issued_at", &c->issued_at, err)) ||
	    (rc = ss_json_time(doc, "", "expires_at", &c->expires_at, err)))
		return rc;
	snprintf(c->challenge_id, sizeof c->challenge_id, "%s", cid);
	return SS_OK;
}

cJSON *ss_challenge_to_json(const ss_challenge *c)
{
	cJSON *o = ss_json_new_object();
	char sel[128];

	ss_pcrsel_format(&c->sel, sel, sizeof sel);
	ss_json_add_string(o, "type", "ss.challenge.v1");
	ss_json_add_string(o, "challenge_id", c->challenge_id);
	ss_json_add_item(o, "execution", ss_execution_to_json(&c->exec));
	ss_json_add_hex(o, "nonce", c->nonce, sizeof c->nonce);
	ss_json_add_string(o, "pcr_selection", sel);
	ss_json_add_b64(o, "cp_ephemeral_x25519", c->cp_ephemeral, sizeof c->cp_ephemeral);
	ss_json_add_time(o, "issued_at", c->issued_at);
	ss_json_add_time(o, "expires_at", c->expires_at);
	return o;
}

int ss_evidence_parse(const cJSON *doc, ss_evidence *e, ss_err *err)
{
	static const char *const members[] = { "type", "challenge_id", "runner_id",
					       "runner_ephemeral_x25519", "quote", NULL };
	const char *cid, *rid;
	const cJSON *q;
	int rc;

	memset(e, 0, sizeof *e);
	if ((rc = ss_json_type(doc, "ss.evidence.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_id(doc, "", "challenge_id", &cid, err)) ||
	    (rc = ss_json_id(doc, "", "runner_id", &rid, err)) ||
	    (rc = x25519_member(doc, "runner_ephemeral_x25519", e->runner_ephemeral, err)) ||
	    (rc = ss_json_object(doc, "", "quote", &q, err)) ||
	    (rc = ss_quote_parse(q, "quote", false, &e->quote, err)))
		return rc;
	snprintf(e->challenge_id, sizeof e->challenge_id, "%s", cid);
	snprintf(e->runner_id, sizeof e->runner_id, "%s", rid);
	return SS_OK;
}

cJSON *ss_evidence_to_json(const ss_evidence *e)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.evidence.v1");
	ss_json_add_string(o, "challenge_id", e->challenge_id);
	ss_json_add_string(o, "runner_id", e->runner_id);
	ss_json_add_b64(o, "runner_ephemeral_x25519", e->runner_ephemeral,
			sizeof e->runner_ephemeral);
	ss_json_add_item(o, "quote", ss_quote_to_json(&e->quote, false));
	return o;
}

void ss_evidence_free(ss_evidence *e)
{
	ss_quote_free(&e->quote);
}
