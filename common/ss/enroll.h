/* AK enrollment by credential activation, the control plane's side.
 *
 * ss.enrollment.v1 (signed by the control plane):
 *   type, runner_id, ak_name (hex TPM name), ak_public_area_b64 (marshaled
 *   TPM2B_PUBLIC), ak_alg, ek_alg ("rsa-2048", "ecc-p256", ...),
 *   ek_certificate_sha256 (hex SHA-256 of the certificate's DER), ek_issuer
 *   (RFC 2253 text), simulator (by the rule of ss/ek_cert.h), challenge_id,
 *   enrolled_at, signature.
 *
 * Store (ss/store.h), one record per file:
 *   enroll-pending/<challenge_id>   what enroll-verify needs: the expected
 *                                   proof (never the credential), AK, EK
 *                                   facts, expiry; signed by the control
 *                                   plane; secret-equivalent (0600)
 *   enroll-consumed/<challenge_id>  the same, moved there by the one
 *                                   enroll-verify that consumed it
 *   enrolled/<ak_name hex>          the signed ss.enrollment.v1
 *   revoked/<ak_name hex>           the signed ss.revocation.v1 (ss/revocation.h)
 *   audit.jsonl                     one line per decision
 *
 * A revoked AK stays revoked: it can never be enrolled again (the runner
 * makes a new AK).  An enrolled AK can be enrolled again for the same runner
 * (the new record replaces the old), never for another runner.
 *
 * Refusals are SS_REFUSED with a one-line reason and are written to the
 * audit log; malformed input is SS_EINPUT. */
#ifndef SS_ENROLL_H
#define SS_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/credential.h"
#include "ss/err.h"
#include "ss/execution.h"
#include "ss/identity.h"
#include "ss/sign.h"
#include "ss/store.h"
#include "ss/tpm_public.h"

#define SS_ENROLL_TTL_DEFAULT 300
#define SS_ENROLL_TTL_MAX 86400

#define SS_KIND_ENROLL_PENDING "enroll-pending"
#define SS_KIND_ENROLL_CONSUMED "enroll-consumed"
#define SS_KIND_ENROLLED "enrolled"
#define SS_KIND_REVOKED "revoked"

/* Check a runner's identity (EK certificate chain to the bundle, the
 * certified key is the identity's EK, the EK template of its NV index, AK
 * attributes, not revoked, not another runner's), make a fresh credential
 * and nonce, wrap the credential for the EK with MakeCredential, store the
 * pending enrollment and return the ss.credential-challenge.v1 document. */
int ss_enroll_challenge(ss_store *st, const ss_signer *cp, const ss_identity *id,
			const char *ca_bundle_pem, size_t ca_bundle_len, int64_t now, int64_t ttl,
			cJSON **challenge, ss_err *err);

/* Consume the pending enrollment the response answers (once: a replay finds
 * it consumed), check it is the control plane's, unexpired, for the same
 * runner and AK, and the proof (constant time); then store and return the
 * signed ss.enrollment.v1. */
int ss_enroll_verify(ss_store *st, const ss_signer *cp, const ss_cred_response *resp,
		     int64_t now, cJSON **enrollment, ss_err *err);

/* The enrolled records, sorted by AK name, as a JSON array of documents.
 * With cp, each must verify against it; cp NULL lists them parsed but
 * unverified.  A record that fails is SS_REFUSED naming it (as for
 * ss_enrollment_lookup). */
int ss_enroll_list(ss_store *st, const ss_keyring *cp, cJSON **records, ss_err *err);

/* Move an enrolled AK to revoked: *revocation is the signed
 * ss.revocation.v1 (ss/revocation.h) kept as revoked/<ak_name>, and the
 * audit log has the reason.  An AK that is not enrolled is SS_REFUSED
 * ("already revoked" when it was). */
int ss_enroll_revoke(ss_store *st, const ss_signer *cp, const uint8_t *ak_name,
		     size_t ak_name_len, const char *reason, int64_t now, cJSON **revocation,
		     ss_err *err);

/* "rsa-<bits>" or "ecc-p256" / "ecc-p384" / "ecc-p521", as
 * ss_tpm_public_alg spells key algorithms in documents. */
bool ss_enroll_valid_alg(const char *s);

/* What a verifier needs of an enrollment. */
typedef struct ss_enrollment {
	char runner_id[SS_ID_MAX];
	uint8_t ak_name[SS_TPM_NAME_MAX];
	size_t ak_name_len;
	TPM2B_PUBLIC ak_pub;
	bool simulator;
	int64_t enrolled_at;
} ss_enrollment;

/* Strict parse of an ss.enrollment.v1 (its signature member is allowed and
 * left to ss_doc_verify); ak_name must be the name of ak_public_area_b64. */
int ss_enrollment_parse(const cJSON *doc, ss_enrollment *out, ss_err *err);

/* Read enrolled/<hex of ak_name>, verify its signature against cp, parse
 * it.  A record that is unreadable as JSON, unsigned, signed by another key,
 * malformed, or that names another AK than its key is SS_REFUSED.
 * *found = false (SS_OK) when the AK is not enrolled. */
int ss_enrollment_lookup(ss_store *st, const ss_keyring *cp, const uint8_t *ak_name,
			 size_t ak_name_len, ss_enrollment *out, bool *found, ss_err *err);

#endif
