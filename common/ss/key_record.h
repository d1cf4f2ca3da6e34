/* ss.key.v1: the public record of one derived key (never the key).
 *
 *   {"type": "ss.key.v1", "key_id": 32 hex, "kind": "ed25519" | "x25519" |
 *    "aes-256" | "raw", "purpose": identifier,
 *    "public_key_pem": SPKI PEM (ed25519, x25519) | null (aes-256, raw),
 *    "execution_id", "tenant_id", "operator_id": identifiers,
 *    "session_binding_hash": 64 hex | null (a bare root secret),
 *    "context_hash": 64 hex, "derived_at": RFC 3339}
 *
 * Every member is always present, so the member set never depends on the
 * kind.  ss-derive-key writes it; ss-fc-launch and ss-collision-check read
 * it. */
#ifndef SS_KEY_RECORD_H
#define SS_KEY_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/execution_key.h"
#include "ss/execution.h"
#include "ss/key_material.h"

typedef struct ss_keyrec {
	char key_id[SS_KEY_ID_HEX_LEN + 1];
	ss_key_kind kind;
	char purpose[SS_ID_MAX];
	char public_key_pem[SS_PUBLIC_PEM_MAX]; /* "" when null */
	char execution_id[SS_ID_MAX];
	char tenant_id[SS_ID_MAX];
	char operator_id[SS_ID_MAX];
	bool has_binding;                       /* false: session_binding_hash null */
	unsigned char session_binding_hash[32];
	unsigned char context_hash[32];
	int64_t derived_at;
} ss_keyrec;

/* The record of a key just derived for e.  binding: the session binding
 * used as salt, NULL for a bare root.  Computes public_key_pem. */
int ss_keyrec_from_key(ss_keyrec *r, const ss_execkey *k, const ss_execution *e,
		       ss_key_kind kind, const char *purpose, const unsigned char *binding,
		       int64_t derived_at, ss_err *err);

/* Strict: exactly the members above; public_key_pem must be a public key
 * of the record's kind, in the canonical PEM form ss-derive-key writes. */
int ss_keyrec_parse(const cJSON *doc, ss_keyrec *out, ss_err *err);
/* The document, members in contract order. */
cJSON *ss_keyrec_to_json(const ss_keyrec *r);
/* The same document as one compact line (without '\n') appended to out,
 * without building a tree: for batch output.  Byte for byte what
 * ss_json_write(ss_keyrec_to_json(r)) gives. */
void ss_keyrec_write(const ss_keyrec *r, ss_buf *out);

#endif
