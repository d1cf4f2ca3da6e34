/* The attestation handshake's two middle documents.
 *
 * ss.challenge.v1 (control plane -> runner, signed): challenge_id,
 *   execution (an ss.execution.v1 document), nonce (64 hex), pcr_selection
 *   ("sha256:0,1,..." canonical), cp_ephemeral_x25519 (base64 of 32 raw
 *   bytes), issued_at, expires_at, signature.
 * ss.evidence.v1 (runner -> control plane): challenge_id, runner_id,
 *   runner_ephemeral_x25519 (base64, 32 raw bytes), quote (an ss.quote.v1
 *   without its type). */
#ifndef SS_CHALLENGE_H
#define SS_CHALLENGE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/execution.h"
#include "ss/pcr_select.h"
#include "ss/quote.h"
#include "ss/x25519.h"

#define SS_NONCE_LEN 32

typedef struct ss_challenge {
	char challenge_id[SS_ID_MAX];
	ss_execution exec;
	uint8_t nonce[SS_NONCE_LEN];
	ss_pcrsel sel;
	uint8_t cp_ephemeral[SS_X25519_LEN];
	int64_t issued_at;
	int64_t expires_at;
} ss_challenge;

/* Strict; the signature member is allowed and left to ss_doc_verify. */
int ss_challenge_parse(const cJSON *doc, ss_challenge *out, ss_err *err);
/* The unsigned document. */
cJSON *ss_challenge_to_json(const ss_challenge *c);

typedef struct ss_evidence {
	char challenge_id[SS_ID_MAX];
	char runner_id[SS_ID_MAX];
	uint8_t runner_ephemeral[SS_X25519_LEN];
	ss_quote quote;
} ss_evidence;

int ss_evidence_parse(const cJSON *doc, ss_evidence *out, ss_err *err);
cJSON *ss_evidence_to_json(const ss_evidence *e);
void ss_evidence_free(ss_evidence *e);

#endif
