/* The control plane's enrollment operations: enroll-challenge,
 * enroll-verify and revoke (store layout and rules in ss/enroll.h). */
#include "ss/enroll.h"

#include <stdio.h>
#include <string.h>

#include "ss/audit.h"
#include "ss/crypto.h"
#include "ss/ek_cert.h"
#include "ss/ek_template.h"
#include "ss/enc.h"
#include "ss/json.h"
#include "ss/make_credential.h"
#include "ss/revocation.h"
#include "ss/secret.h"
#include "ss/timefmt.h"

#define NAME_HEX_MAX (2 * SS_TPM_NAME_MAX + 1)
#define CREDENTIAL_LEN 32
#define CHALLENGE_ID_BYTES 16

/* A pending enrollment: what enroll-challenge learned and enroll-verify
 * needs, stored as "ss.enroll-pending.v1" and signed by the control plane. */
typedef struct pending {
	char challenge_id[SS_ID_MAX];
	char runner_id[SS_ID_MAX];
	uint8_t ak_name[SS_TPM_NAME_MAX];
	size_t ak_name_len;
	ss_buf ak_public_area;
	char ak_alg[16];
	char ek_alg[16];
	uint8_t ek_cert_sha256[SS_SHA256_LEN];
	char ek_issuer[SS_EKCERT_ISSUER_MAX];
	bool simulator;
	uint8_t expected_proof[32];
	int64_t issued_at;
	int64_t expires_at;
} pending;

static void pending_free(pending *p)
{
	ss_buf_free(&p->ak_public_area);
	ss_wipe(p, sizeof *p);
}

static cJSON *pending_to_json(const pending *p)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.enroll-pending.v1");
	ss_json_add_string(o, "challenge_id", p->challenge_id);
	ss_json_add_string(o, "runner_id", p->runner_id);
	ss_json_add_hex(o, "ak_name", p->ak_name, p->ak_name_len);
	ss_json_add_b64(o, "ak_public_area_b64", p->ak_public_area.data, p->ak_public_area.len);
	ss_json_add_string(o, "ak_alg", p->ak_alg);
	ss_json_add_string(o, "ek_alg", p->ek_alg);
	ss_json_add_hex(o, "ek_certificate_sha256", p->ek_cert_sha256, sizeof p->ek_cert_sha256);
	ss_json_add_string(o, "ek_issuer", p->ek_issuer);
	ss_json_add_bool(o, "simulator", p->simulator);
	ss_json_add_hex(o, "expected_proof", p->expected_proof, sizeof p->expected_proof);
	ss_json_add_time(o, "issued_at", p->issued_at);
	ss_json_add_time(o, "expires_at", p->expires_at);
	return o;
}

static int short_string(const cJSON *o, const char *name, char *out, size_t outlen, ss_err *err)
{
	const char *s;
	int rc = ss_json_string(o, "", name, &s, err);

	if (rc)
		return rc;
	if (strlen(s) >= outlen)
		return ss_err_set(err, SS_EINPUT, "member '%s' is too long", name);
	snprintf(out, outlen, "%s", s);
	return SS_OK;
}

static int pending_parse(const cJSON *o, pending *p, ss_err *err)
{
	static const char *const members[] = { "type", "challenge_id", "runner_id", "ak_name",
					       "ak_public_area_b64", "ak_alg", "ek_alg",
					       "ek_certificate_sha256", "ek_issuer", "simulator",
					       "expected_proof", "issued_at", "expires_at",
					       "signature", NULL };
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = ss_json_type(o, "ss.enroll-pending.v1", err)) ||
	    (rc = ss_json_only(o, "", members, err)) ||
	    (rc = short_string(o, "challenge_id", p->challenge_id, sizeof p->challenge_id, err)) ||
	    (rc = short_string(o, "runner_id", p->runner_id, sizeof p->runner_id, err)) ||
	    (rc = ss_json_hex(o, "", "ak_name", 0, p->ak_name, sizeof p->ak_name, &p->ak_name_len,
			      err)) ||
	    (rc = ss_json_b64(o, "", "ak_public_area_b64", &p->ak_public_area, err)) ||
	    (rc = short_string(o, "ak_alg", p->ak_alg, sizeof p->ak_alg, err)) ||
	    (rc = short_string(o, "ek_alg", p->ek_alg, sizeof p->ek_alg, err)) ||
	    (rc = ss_json_hex(o, "", "ek_certificate_sha256", sizeof p->ek_cert_sha256,
			      p->ek_cert_sha256, sizeof p->ek_cert_sha256, NULL, err)) ||
	    (rc = short_string(o, "ek_issuer", p->ek_issuer, sizeof p->ek_issuer, err)) ||
	    (rc = ss_json_bool(o, "", "simulator", &p->simulator, err)) ||
	    (rc = ss_json_hex(o, "", "expected_proof", sizeof p->expected_proof,
			      p->expected_proof, sizeof p->expected_proof, NULL, err)) ||
	    (rc = ss_json_time(o, "", "issued_at", &p->issued_at, err)) ||
	    (rc = ss_json_time(o, "", "expires_at", &p->expires_at, err)))
		pending_free(p);
	return rc;
}

/* cJSON frees strings without wiping them: clear a secret member first. */
static void wipe_member(cJSON *o, const char *name)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	if (m && cJSON_IsString(m) && m->valuestring)
		ss_wipe(m->valuestring, strlen(m->valuestring));
}

static cJSON *enrollment_to_json(const pending *p, int64_t enrolled_at)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.enrollment.v1");
	ss_json_add_string(o, "runner_id", p->runner_id);
	ss_json_add_hex(o, "ak_name", p->ak_name, p->ak_name_len);
	ss_json_add_b64(o, "ak_public_area_b64", p->ak_public_area.data, p->ak_public_area.len);
	ss_json_add_string(o, "ak_alg", p->ak_alg);
	ss_json_add_string(o, "ek_alg", p->ek_alg);
	ss_json_add_hex(o, "ek_certificate_sha256", p->ek_cert_sha256, sizeof p->ek_cert_sha256);
	ss_json_add_string(o, "ek_issuer", p->ek_issuer);
	ss_json_add_bool(o, "simulator", p->simulator);
	ss_json_add_string(o, "challenge_id", p->challenge_id);
	ss_json_add_time(o, "enrolled_at", enrolled_at);
	return o;
}

/* ---- audit log ----------------------------------------------------------- */

/* A refusal is logged with its reason and stands, unless the log itself
 * cannot be written: then that failure is what the caller reports. */
static int audit_refusal(ss_store *st, cJSON *entry, ss_err *err)
{
	ss_err log_err = { 0 };

	ss_json_add_string(entry, "reason", err->msg);
	if (ss_audit_append(st, entry, &log_err)) {
		*err = log_err;
		return log_err.code;
	}
	return SS_REFUSED;
}

/* ---- checks -------------------------------------------------------------- */

/* The EK: its certificate chains to the bundle and certifies the key the
 * identity names; the template of its NV index gives the public area. */
static int check_ek(const ss_identity *id, const char *bundle, size_t bundle_len, int64_t now,
		    ss_ekcert *cert, TPMT_PUBLIC *ek_pub, const ss_ek_template **tmpl, ss_err *err)
{
	EVP_PKEY *claimed = NULL;
	int rc;

	if (!id->ek.certificate_pem.len)
		return ss_err_set(err, SS_REFUSED,
				  "EK certificate: the identity has none (ek.certificate_pem is null); "
				  "put the TPM vendor's EK certificate in the runner's TPM NV (a swtpm: "
				  "swtpm_setup --create-ek-cert), run 'ss-tpm-identity enroll' there "
				  "again and send the new identity");
	if ((rc = ss_ekcert_parse((const char *)id->ek.certificate_pem.data,
				  id->ek.certificate_pem.len, cert, err)) ||
	    (rc = ss_ekcert_verify_chain(cert, bundle, bundle_len, now, err)) ||
	    (rc = ss_ekcert_check_profile(cert, err)))
		return rc;
	if ((rc = ss_pkey_from_public_pem((const char *)id->ek.public_pem.data,
					  id->ek.public_pem.len, &claimed, err)))
		return ss_err_prefix(err, "member 'ek.public_pem'");
	rc = ss_ekcert_check_key(cert, claimed, err);
	EVP_PKEY_free(claimed);
	if (rc)
		return rc;
	if (!id->ek.nv_index)
		return ss_err_set(err, SS_REFUSED,
				  "EK certificate: no NV index (ek.nv_index is null), so no EK template");
	if (!(*tmpl = ss_ek_template_by_nv(id->ek.nv_index)))
		return ss_err_set(err, SS_REFUSED,
				  "EK certificate: NV index 0x%08x is not a TCG EK certificate index",
				  id->ek.nv_index);
	if ((rc = ss_ek_template_public(*tmpl, ss_ekcert_key(cert), ek_pub, err)))
		return ss_err_prefix(err, "EK certificate");
	if (strcmp(id->ek.alg, (*tmpl)->key) != 0)
		return ss_err_set(err, SS_REFUSED,
				  "EK: the identity says '%s', the certificate holds an %s key",
				  id->ek.alg, (*tmpl)->key);
	return SS_OK;
}

static int check_ak(const ss_identity *id, const char *name_hex, ss_err *err)
{
	const char *why = NULL;
	char alg[16];

	if (!ss_tpm_public_alg(&id->ak.pub.publicArea, alg, sizeof alg))
		return ss_err_set(err, SS_REFUSED, "AK '%s': not an RSA or NIST-curve ECC key",
				  name_hex);
	if (strcmp(alg, id->ak.alg) != 0)
		return ss_err_set(err, SS_REFUSED,
				  "AK '%s': the identity says '%s', the public area holds an %s key",
				  name_hex, id->ak.alg, alg);
	if (!ss_tpm_public_is_tcg_ak(&id->ak.pub.publicArea, &why))
		return ss_err_set(err, SS_REFUSED, "AK '%s': not an attestation key: %s", name_hex,
				  why);
	return SS_OK;
}

/* Revoked AKs never come back; an enrolled AK stays with its runner.  The
 * existing record is read without its signature checked: it can only make
 * this refuse, never accept. */
static int check_standing(ss_store *st, const char *name_hex, const char *runner_id,
			  ss_err *err)
{
	const cJSON *rid;
	cJSON *doc = NULL;
	bool found = false;
	int rc;

	if (ss_store_exists(st, SS_KIND_REVOKED, name_hex))
		return ss_err_set(err, SS_REFUSED, "AK '%s': revoked (enroll a new AK)", name_hex);
	if ((rc = ss_store_get_json(st, SS_KIND_ENROLLED, name_hex, &doc, &found, err)) || !found)
		return rc;
	rid = cJSON_GetObjectItemCaseSensitive(doc, "runner_id");
	if (!cJSON_IsString(rid) || strcmp(rid->valuestring, runner_id) != 0)
		rc = ss_err_set(err, SS_REFUSED, "AK '%s': enrolled for runner '%.128s'", name_hex,
				cJSON_IsString(rid) ? rid->valuestring : "?");
	cJSON_Delete(doc);
	return rc;
}

/* ---- enroll-challenge ---------------------------------------------------- */

static int store_pending(ss_store *st, const ss_signer *cp, const pending *p, ss_err *err)
{
	cJSON *doc = pending_to_json(p);
	ss_buf text = SS_BUF_INIT;
	int rc;

	if (!(rc = ss_doc_sign(doc, cp, err))) {
		ss_json_write(doc, &text);
		rc = ss_store_put(st, SS_KIND_ENROLL_PENDING, p->challenge_id, text.data, text.len,
				  true, err);
	}
	wipe_member(doc, "expected_proof");
	cJSON_Delete(doc);
	ss_buf_wipe_free(&text);
	return rc;
}

static cJSON *issued_entry(const pending *p, const ss_identity *id, const ss_ekcert *cert,
			   const TPMT_PUBLIC *ek_pub, const ss_ek_template *tmpl, int64_t now)
{
	cJSON *e = ss_audit_entry("enroll-challenge", "issued", now);
	uint8_t ek_name[SS_TPM_NAME_MAX];
	size_t ek_name_len = 0;

	ss_json_add_string(e, "challenge_id", p->challenge_id);
	ss_json_add_string(e, "runner_id", p->runner_id);
	ss_json_add_hex(e, "ak_name", p->ak_name, p->ak_name_len);
	/* The EK's name, from the certificate and the template: comparing it
	 * with what the TPM reports shows the template was the right one. */
	if (ss_tpm_public_name(ek_pub, ek_name, &ek_name_len, NULL) == SS_OK)
		ss_json_add_hex(e, "ek_name", ek_name, ek_name_len);
	ss_json_add_string(e, "ek_template", tmpl->name);
	ss_json_add_hex(e, "ek_certificate_sha256", cert->der_sha256, sizeof cert->der_sha256);
	ss_json_add_string(e, "ek_issuer", cert->issuer);
	ss_json_add_string(e, "tpm_manufacturer", cert->tpm_manufacturer);
	ss_json_add_string(e, "tpm_model", cert->tpm_model);
	ss_json_add_string(e, "tpm_version", cert->tpm_version);
	ss_json_add_bool(e, "simulator", cert->simulator);
	ss_json_add_string_or_null(e, "simulator_why", cert->simulator_why);
	ss_json_add_bool(e, "claimed_simulator", id->tpm.simulator);
	ss_json_add_time(e, "expires_at", p->expires_at);
	return e;
}

int ss_enroll_challenge(ss_store *st, const ss_signer *cp, const ss_identity *id,
			const char *ca_bundle_pem, size_t ca_bundle_len, int64_t now, int64_t ttl,
			cJSON **challenge, ss_err *err)
{
	char name_hex[NAME_HEX_MAX];
	uint8_t credential[CREDENTIAL_LEN], cid[CHALLENGE_ID_BYTES];
	const ss_ek_template *tmpl = NULL;
	ss_ekcert cert = { 0 };
	TPMT_PUBLIC ek_pub;
	ss_cred_challenge ch = { 0 };
	pending p = { 0 };
	cJSON *refusal;
	int rc;

	*challenge = NULL;
	if (ttl < 1 || ttl > SS_ENROLL_TTL_MAX)
		return ss_err_set(err, SS_EUSAGE, "challenge lifetime %lld is not in 1..%d",
				  (long long)ttl, SS_ENROLL_TTL_MAX);
	ss_hex_encode(id->ak.name, id->ak.name_len, name_hex);
	if ((rc = check_ek(id, ca_bundle_pem, ca_bundle_len, now, &cert, &ek_pub, &tmpl, err)) ||
	    (rc = check_ak(id, name_hex, err)) ||
	    (rc = check_standing(st, name_hex, id->runner_id, err))) {
		if (rc == SS_REFUSED) {
			refusal = ss_audit_entry("enroll-challenge", "refused", now);
			ss_json_add_string(refusal, "runner_id", id->runner_id);
			ss_json_add_hex(refusal, "ak_name", id->ak.name, id->ak.name_len);
			rc = audit_refusal(st, refusal, err);
		}
		goto out;
	}

	snprintf(p.runner_id, sizeof p.runner_id, "%s", id->runner_id);
	memcpy(p.ak_name, id->ak.name, id->ak.name_len);
	p.ak_name_len = id->ak.name_len;
	ss_buf_add(&p.ak_public_area, id->ak.public_area.data, id->ak.public_area.len);
	snprintf(p.ak_alg, sizeof p.ak_alg, "%s", id->ak.alg);
	snprintf(p.ek_alg, sizeof p.ek_alg, "%s", tmpl->key);
	memcpy(p.ek_cert_sha256, cert.der_sha256, sizeof p.ek_cert_sha256);
	snprintf(p.ek_issuer, sizeof p.ek_issuer, "%s", cert.issuer);
	p.simulator = cert.simulator;
	p.issued_at = now;
	p.expires_at = now + ttl;
	if ((rc = ss_random(cid, sizeof cid, err)) || (rc = ss_random(ch.nonce, sizeof ch.nonce, err)) ||
	    (rc = ss_random(credential, sizeof credential, err)))
		goto out;
	ss_hex_encode(cid, sizeof cid, p.challenge_id);
	if ((rc = ss_make_credential(&ek_pub, credential, sizeof credential, id->ak.name,
				     id->ak.name_len, &ch.credential_blob, &ch.encrypted_secret,
				     err)) ||
	    (rc = ss_cred_proof(credential, sizeof credential, ch.nonce, id->ak.name,
				id->ak.name_len, p.expected_proof, err)))
		goto out;
	ss_wipe(credential, sizeof credential);
	if ((rc = store_pending(st, cp, &p, err)) ||
	    (rc = ss_audit_append(st, issued_entry(&p, id, &cert, &ek_pub, tmpl, now), err)))
		goto out;

	memcpy(ch.challenge_id, p.challenge_id, sizeof ch.challenge_id);
	memcpy(ch.runner_id, p.runner_id, sizeof ch.runner_id);
	memcpy(ch.ak_name, p.ak_name, p.ak_name_len);
	ch.ak_name_len = p.ak_name_len;
	ch.issued_at = p.issued_at;
	ch.expires_at = p.expires_at;
	*challenge = ss_cred_challenge_to_json(&ch);
	/* Signed like every document the control plane issues: the runner
	 * activates only its own control plane's credentials. */
	if ((rc = ss_doc_sign(*challenge, cp, err))) {
		cJSON_Delete(*challenge);
		*challenge = NULL;
		goto out;
	}
	rc = SS_OK;
out:
	ss_wipe(credential, sizeof credential);
	ss_cred_challenge_free(&ch);
	pending_free(&p);
	ss_ekcert_free(&cert);
	return rc;
}

/* ---- enroll-verify ------------------------------------------------------- */

/* Take the pending record out of play (of two concurrent verifies exactly
 * one moves it), then read it back with the control plane's signature
 * checked. */
static int consume_pending(ss_store *st, const ss_signer *cp, const char *challenge_id,
			   pending *p, bool *taken, ss_err *err)
{
	char what[200];
	ss_keyring ring = { 0 };
	cJSON *doc = NULL;
	bool moved = false, found = false;
	int rc;

	if (!ss_store_valid_key(challenge_id))
		return ss_err_set(err, SS_REFUSED, "credential response: unknown challenge '%s'",
				  challenge_id);
	if ((rc = ss_store_move(st, SS_KIND_ENROLL_PENDING, SS_KIND_ENROLL_CONSUMED, challenge_id,
				&moved, err)))
		return rc;
	*taken = moved;
	if (!moved) {
		if (ss_store_exists(st, SS_KIND_ENROLL_CONSUMED, challenge_id))
			return ss_err_set(err, SS_REFUSED,
					  "credential response: challenge '%s' was already used",
					  challenge_id);
		return ss_err_set(err, SS_REFUSED, "credential response: unknown challenge '%s'",
				  challenge_id);
	}
	/* Whatever the store holds must be the control plane's own record;
	 * anything else (not JSON, unsigned, signed by another key, malformed)
	 * is refused, not taken for invalid input. */
	if ((rc = ss_store_get_json(st, SS_KIND_ENROLL_CONSUMED, challenge_id, &doc, &found, err)))
		return rc == SS_EINPUT ? (err->code = SS_REFUSED) : rc;
	if (!found)
		return ss_err_set(err, SS_EIO, "store record %s/%s vanished",
				  SS_KIND_ENROLL_CONSUMED, challenge_id);
	snprintf(what, sizeof what, "pending enrollment '%s'", challenge_id);
	if (!(rc = ss_keyring_add_signer(&ring, cp, err)) &&
	    (rc = ss_doc_verify(doc, &ring, what, err)) == SS_EINPUT) {
		ss_err_prefix(err, "%s", what);
		rc = err->code = SS_REFUSED;
	}
	if (!rc && (rc = pending_parse(doc, p, err))) {
		ss_err_prefix(err, "%s", what);
		if (rc == SS_EINPUT)
			rc = err->code = SS_REFUSED;
	}
	if (!rc && strcmp(p->challenge_id, challenge_id) != 0)
		rc = ss_err_set(err, SS_REFUSED, "%s: stored under another challenge", what);
	ss_keyring_free(&ring);
	wipe_member(doc, "expected_proof");
	cJSON_Delete(doc);
	return rc;
}

static int check_response(const pending *p, const ss_cred_response *r, int64_t now, ss_err *err)
{
	char t[SS_TIME_LEN];

	if (now > p->expires_at) {
		ss_time_format(p->expires_at, t);
		return ss_err_set(err, SS_REFUSED, "credential response: challenge '%s' expired at %s",
				  p->challenge_id, t);
	}
	if (strcmp(r->runner_id, p->runner_id) != 0)
		return ss_err_set(err, SS_REFUSED,
				  "credential response: runner '%s' is not the one challenged ('%s')",
				  r->runner_id, p->runner_id);
	if (r->ak_name_len != p->ak_name_len || memcmp(r->ak_name, p->ak_name, p->ak_name_len) != 0)
		return ss_err_set(err, SS_REFUSED,
				  "credential response: AK name is not the one challenged");
	if (!ss_ct_equal(r->proof, p->expected_proof, sizeof p->expected_proof))
		return ss_err_set(err, SS_REFUSED, "credential response: proof does not verify");
	return SS_OK;
}

static int store_enrollment(ss_store *st, const pending *p, const cJSON *doc, int64_t now,
			    ss_err *err)
{
	char name_hex[NAME_HEX_MAX];
	ss_buf text = SS_BUF_INIT;
	cJSON *entry;
	int rc;

	ss_hex_encode(p->ak_name, p->ak_name_len, name_hex);
	/* Under the lock: a revoke or another enrollment of this AK between
	 * the check and the write cannot slip through. */
	if ((rc = ss_store_lock(st, err)))
		return rc;
	if ((rc = check_standing(st, name_hex, p->runner_id, err)))
		goto out;
	entry = ss_audit_entry("enroll-verify", "enrolled", now);
	ss_json_add_string(entry, "challenge_id", p->challenge_id);
	ss_json_add_string(entry, "runner_id", p->runner_id);
	ss_json_add_hex(entry, "ak_name", p->ak_name, p->ak_name_len);
	ss_json_add_bool(entry, "simulator", p->simulator);
	if ((rc = ss_audit_append(st, entry, err)))
		goto out;
	ss_json_write(doc, &text);
	rc = ss_store_put(st, SS_KIND_ENROLLED, name_hex, text.data, text.len, false, err);
out:
	ss_store_unlock(st);
	ss_buf_free(&text);
	return rc;
}

/* An enroll-verify that fails (not a refusal) after it took its pending
 * enrollment gives it back, and the audit log says it aborted and why. */
static void give_back(ss_store *st, const ss_cred_response *resp, int64_t now, const ss_err *why)
{
	ss_err ignore = { 0 };
	cJSON *entry;
	bool moved;

	(void)ss_store_move(st, SS_KIND_ENROLL_CONSUMED, SS_KIND_ENROLL_PENDING, resp->challenge_id,
			    &moved, &ignore);
	entry = ss_audit_entry("enroll-verify", "aborted", now);
	ss_json_add_string(entry, "challenge_id", resp->challenge_id);
	ss_json_add_string(entry, "runner_id", resp->runner_id);
	ss_json_add_hex(entry, "ak_name", resp->ak_name, resp->ak_name_len);
	ss_json_add_string(entry, "reason", why->msg);
	(void)ss_audit_append(st, entry, &ignore);
}

int ss_enroll_verify(ss_store *st, const ss_signer *cp, const ss_cred_response *resp,
		     int64_t now, cJSON **enrollment, ss_err *err)
{
	pending p = { 0 };
	cJSON *doc = NULL, *refusal;
	bool taken = false;
	int rc;

	*enrollment = NULL;
	if ((rc = consume_pending(st, cp, resp->challenge_id, &p, &taken, err)) ||
	    (rc = check_response(&p, resp, now, err)))
		goto out;
	doc = enrollment_to_json(&p, now);
	if ((rc = ss_doc_sign(doc, cp, err)) || (rc = store_enrollment(st, &p, doc, now, err)))
		goto out;
	*enrollment = doc;
	doc = NULL;
	rc = SS_OK;
out:
	if (rc && rc != SS_REFUSED && taken)
		give_back(st, resp, now, err);
	if (rc == SS_REFUSED) {
		refusal = ss_audit_entry("enroll-verify", "refused", now);
		ss_json_add_string(refusal, "challenge_id", resp->challenge_id);
		ss_json_add_string(refusal, "runner_id", resp->runner_id);
		ss_json_add_hex(refusal, "ak_name", resp->ak_name, resp->ak_name_len);
		rc = audit_refusal(st, refusal, err);
	}
	cJSON_Delete(doc);
	pending_free(&p);
	return rc;
}

/* ---- revoke -------------------------------------------------------------- */

int ss_enroll_revoke(ss_store *st, const ss_signer *cp, const uint8_t *ak_name,
		     size_t ak_name_len, const char *reason, int64_t now, cJSON **revocation,
		     ss_err *err)
{
	char name_hex[NAME_HEX_MAX];
	const cJSON *rid;
	cJSON *doc = NULL, *record = NULL, *entry;
	ss_buf text = SS_BUF_INIT;
	bool found = false;
	int rc;

	*revocation = NULL;
	if (ak_name_len < 2 || ak_name_len > SS_TPM_NAME_MAX)
		return ss_err_set(err, SS_EUSAGE, "AK name of %zu bytes is not a TPM name",
				  ak_name_len);
	if (!ss_revocation_valid_reason(reason))
		return ss_err_set(err, SS_EUSAGE, "a reason is one line of 1 to %d bytes",
				  SS_REVOCATION_REASON_MAX);
	ss_hex_encode(ak_name, ak_name_len, name_hex);
	if ((rc = ss_store_lock(st, err)))
		return rc;
	if ((rc = ss_store_get_json(st, SS_KIND_ENROLLED, name_hex, &doc, &found, err)))
		goto out;
	if (!found) {
		rc = ss_err_set(err, SS_REFUSED,
				ss_store_exists(st, SS_KIND_REVOKED, name_hex)
					? "AK '%s' is already revoked"
					: "AK '%s' is not enrolled",
				name_hex);
		entry = ss_audit_entry("revoke", "refused", now);
		ss_json_add_string(entry, "ak_name", name_hex);
		rc = audit_refusal(st, entry, err);
		goto out;
	}
	/* The enrolled record is kept as it was stored, signed or not: the
	 * revocation vouches for the revoking, never for the enrollment. */
	rid = cJSON_GetObjectItemCaseSensitive(doc, "runner_id");
	record = ss_revocation_to_json(name_hex,
				       cJSON_IsString(rid) && ss_valid_id(rid->valuestring)
					       ? rid->valuestring
					       : NULL,
				       reason, now, doc);
	if ((rc = ss_doc_sign(record, cp, err)))
		goto out;
	entry = ss_audit_entry("revoke", "revoked", now);
	ss_json_add_string(entry, "ak_name", name_hex);
	if (cJSON_IsString(rid))
		ss_json_add_string(entry, "runner_id", rid->valuestring);
	ss_json_add_string(entry, "reason", reason);
	if ((rc = ss_audit_append(st, entry, err)))
		goto out;
	/* Keep the signed record, then drop the AK from the enrolled store; a
	 * crash in between leaves it enrolled and the revoke can simply be
	 * repeated. */
	ss_json_write(record, &text);
	if ((rc = ss_store_put(st, SS_KIND_REVOKED, name_hex, text.data, text.len, false, err)) ||
	    (rc = ss_store_remove(st, SS_KIND_ENROLLED, name_hex, &found, err)))
		goto out;
	*revocation = record;
	record = NULL;
	rc = SS_OK;
out:
	ss_store_unlock(st);
	cJSON_Delete(doc);
	cJSON_Delete(record);
	ss_buf_free(&text);
	return rc;
}
