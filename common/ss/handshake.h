/* Mutual attestation between a runner and the control plane.
 *
 *   control plane                        runner
 *   ss_hs_challenge  -- challenge -->    ss_hs_respond (checks the signature,
 *                                          ephemeral X25519, TPM quote)
 *   ss_hs_verify     <-- evidence --
 *                    -- session -->      ss_hs_finish (checks the signature and
 *                                          key confirmation, same secret)
 *
 * Bindings (ss-toolkit(7), BINDINGS AND KEYS):
 *   extraData   = SHA-256("ss-attest v1" || 0x00 || JCS(challenge) || runner eph)
 *   binding     = SHA-256("ss-session v1" || 0x00 || JCS(challenge) || JCS(evidence))
 *   shared      = X25519(cp eph, runner eph)
 *   secret      = HKDF-SHA256(shared, salt = binding, "ss-session v1 secret", 32)
 *   confirmation= HMAC-SHA256(HKDF-SHA256(secret, binding, "ss-session v1 confirm", 32), binding)
 * JCS(challenge) is of the whole signed challenge as issued.  The verifier
 * recomputes extraData from the challenge it stored, never from evidence.
 * Ephemeral private keys are deleted once used. */
#ifndef SS_HANDSHAKE_H
#define SS_HANDSHAKE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/challenge.h"
#include "ss/err.h"
#include "ss/execution.h"
#include "ss/identity.h"
#include "ss/policy.h"
#include "ss/secret.h"
#include "ss/sign.h"
#include "ss/store.h"
#include "ss/tpm.h"
#include "ss/x25519.h"

#define SS_SESSION_SECRET_LEN 32

/* Store kinds (see ss/store.h).  Control plane: */
#define SS_KIND_CHALLENGES "challenges"   /* pending: {challenge, cp_ephemeral_b64} */
#define SS_KIND_CONSUMED "consumed"       /* {challenge} once a verify has used it */
#define SS_KIND_DECISIONS "decisions"     /* archive: {evidence, session, policy_sha256,
					   * detail, checks (ss/explain.h)} */
#define SS_KIND_POLICIES "policies"       /* archive, by SHA-256 of the policy file */
#define SS_KIND_COUNTERS "counters"       /* last resetCount/restartCount per AK */
/* Runner: */
#define SS_KIND_RUNNER_PENDING "runner-pending" /* {challenge, evidence, runner_ephemeral_b64} */
#define SS_KIND_RUNNER_ANSWERED "runner-answered" /* {challenge_id, expires_at}: answered, ever */

int ss_hs_quote_binding(const cJSON *challenge_doc, const uint8_t runner_eph[SS_X25519_LEN],
			uint8_t out[32], ss_err *err);
int ss_hs_session_binding(const cJSON *challenge_doc, const cJSON *evidence_doc,
			  uint8_t out[32], ss_err *err);
/* secret: allocated here (32 bytes, locked). */
int ss_hs_session_keys(const uint8_t shared[32], const uint8_t binding[32], ss_secret *secret,
		       uint8_t confirmation[32], ss_err *err);

/* Control plane: a signed ss.challenge.v1, stored as pending with its
 * ephemeral private key. */
int ss_hs_challenge(ss_store *st, const ss_signer *cp, const ss_execution *exec,
		    const ss_pcrsel *sel, int64_t ttl, int64_t now, cJSON **out, ss_err *err);

typedef struct ss_hs_verifier {
	ss_store *st;
	const ss_signer *cp;        /* signs the session */
	const ss_keyring *own;      /* checks the control plane's own records */
	const ss_policy *policy;
	const char *secret_out;     /* new 0600 file for the session secret */
	int64_t now;
} ss_hs_verifier;

/* Run the checklist on one ss.evidence.v1.  SS_OK: approved, and the
 * session secret is in secret_out; SS_REFUSED: denied.  Either way *session
 * is the signed ss.session.v1, the challenge is consumed and the decision
 * archived and in the audit log, all durable before it returns.  Other
 * codes: the evidence could not be judged (e.g. SS_EINPUT "evidence: ..."
 * for a document that is not an ss.evidence.v1, or SS_EINPUT "--key: ..."
 * naming both key ids when the pending challenge was issued under another
 * key than v->cp: then nothing is consumed), or a write failed. */
int ss_hs_verify(const ss_hs_verifier *v, const cJSON *evidence_doc, cJSON **session,
		 ss_err *err);

/* An archived decision re-checked offline (check-session): no TPM, no
 * state read or written.  The inputs are the documents a run keeps. */
typedef struct ss_hs_check {
	const ss_keyring *cp;         /* pinned control-plane keys */
	const ss_policy *policy;      /* the policy that judged it */
	const cJSON *challenge_doc;   /* the signed ss.challenge.v1, as issued */
	const cJSON *evidence_doc;    /* the ss.evidence.v1, as received */
	const cJSON *enrollment_doc;  /* the signed ss.enrollment.v1 of the AK */
} ss_hs_check;

/* Check, in this order, stopping at the first that fails (its name is the
 * verdict's "failed"): the session's signature (session_signature); the
 * challenge's signature and that the session decides it (challenge); the
 * enrollment's signature and that it predates the decision (enrollment);
 * the verifier's checklist run again on the evidence at the session's
 * verified_at, with the archived challenge and enrollment in place of the
 * store, giving the same decision member for member (evidence); for an
 * approved session, its session_binding_hash recomputed from the challenge
 * and evidence (binding).  What only the control plane's state can tell
 * (a challenge not pending or used before, a counter rollback) stands as
 * recorded; key_confirmation needs the session secret and is not checked.
 * *verdict: ss.session-check.v1.  SS_OK: confirmed; SS_REFUSED "not
 * confirmed: ..."; SS_EINPUT: a document is malformed ("session: ...",
 * "challenge: ...", ...), with no verdict. */
int ss_hs_check_session(const ss_hs_check *c, const cJSON *session_doc, cJSON **verdict,
			ss_err *err);

/* Runner: check the challenge (pinned signature, unexpired, never answered
 * here), make the ephemeral key, quote with the runner's enrolled AK (id's
 * handle, checked to hold id's key), keep what finish needs.  A challenge is answered once, ever: its id (never a key)
 * stays in runner-answered until it expires, whatever finish does, and is
 * claimed exclusively, so two concurrent responds cannot both answer. */
int ss_hs_respond(ss_store *st, const ss_keyring *cp, ss_tpm *tpm, const ss_identity *id,
		  const cJSON *challenge_doc, int64_t now, cJSON **evidence, ss_err *err);
/* Runner: check the session (pinned signature, approved, unexpired, same
 * binding, key confirmation), write the same secret to secret_out (a new
 * 0600 file), delete the ephemeral key.  Refusals are SS_REFUSED. */
int ss_hs_finish(ss_store *st, const ss_keyring *cp, const cJSON *session_doc, int64_t now,
		 const char *secret_out, ss_err *err);

/* Either side: remove pending challenges, ephemeral keys and answered
 * marks past their expiry (plus skew); *report is an ss.gc.v1 summary
 * (removed_answered_challenges counts challenge ids).  Temporary files
 * that interrupted writes left (older than the skew, and than a minute)
 * go too: *temps counts them. */
int ss_hs_gc(ss_store *st, int64_t now, int64_t skew, cJSON **report, size_t *temps,
	     ss_err *err);

#endif
