/* ss.session.v1: the control plane's signed decision on one attestation.
 *
 * Approved: every member set, reason "approved".  Denied: approved false,
 * reason is the checklist's reason code and detail says why in values (the
 * same line the verifier prints on stderr), members the verifier could not
 * establish are null, and there is no session_binding_hash or
 * key_confirmation. */
#ifndef SS_SESSION_H
#define SS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/execution.h"
#include "ss/sign.h"
#include "ss/tpm_public.h"

typedef struct ss_tpm_clock {
	uint32_t reset_count;
	uint32_t restart_count;
	uint64_t clock;
	bool safe;
} ss_tpm_clock;

/* The detail of a decision: one line saying why, in words and values
 * (for a PCR: its index, the quoted value, the values the policy allows). */
#define SS_SESSION_DETAIL_MAX 1024

typedef struct ss_session {
	bool approved;
	char reason[64];
	char detail[SS_SESSION_DETAIL_MAX]; /* "every check passed" when approved */
	bool has_execution;             /* challenge known: the fields below are set */
	char challenge_id[SS_ID_MAX];   /* "" when unknown */
	ss_execution exec;
	char runner_id[SS_ID_MAX];      /* "" when unknown */
	uint8_t ak_name[SS_TPM_NAME_MAX];
	size_t ak_name_len;             /* 0 when unknown */
	uint8_t pcr_digest[64];
	size_t pcr_digest_len;          /* 0 when unknown */
	bool has_clock;
	ss_tpm_clock clock;
	bool has_binding;               /* approved sessions only */
	uint8_t binding[32];
	uint8_t key_confirmation[32];
	int64_t verified_at;
	int64_t expires_at;             /* 0 when none (denied) */
} ss_session;

/* Strict parse of a whole document (its signature member is allowed and
 * left to ss_doc_verify). */
int ss_session_parse(const cJSON *doc, ss_session *out, ss_err *err);
/* The unsigned document. */
cJSON *ss_session_to_json(const ss_session *s);

/* key_confirmation = HMAC-SHA256(HKDF-SHA256(session secret, salt =
 * binding, info = "ss-session v1 confirm", 32), binding).  Made from the
 * session secret, so that whoever holds a secret can tell whether it is
 * this session's: the control plane and the runner (finish) check each
 * other with it, ss-derive-key checks the secret it is given. */
#define SS_SESSION_CONFIRM_INFO "ss-session v1 confirm"
int ss_session_confirmation(const uint8_t *secret, size_t len, const uint8_t binding[32],
			    uint8_t out[32], ss_err *err);
/* The secret is this approved session's: its confirmation equals the
 * session's key_confirmation (constant time).  SS_REFUSED "session secret
 * does not belong to session '<challenge_id>'" when not. */
int ss_session_secret_check(const ss_session *s, const uint8_t *secret, size_t len,
			    ss_err *err);

/* What a consumer requires before using a session for exec: signed by a
 * pinned key, approved, unexpired at now, and naming the same execution,
 * tenant, operator and fingerprint.  SS_REFUSED with the reason. */
int ss_session_accept(const cJSON *doc, const ss_session *s, const ss_keyring *ring,
		      const ss_execution *exec, int64_t now, ss_err *err);

#endif
