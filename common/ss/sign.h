/* Control-plane signatures on documents.
 *
 * The signed bytes are the RFC 8785 form of the document without its
 * "signature" member; the member is {alg, key_id, value}: alg "ed25519" or
 * "ecdsa-p256-sha256", key_id the hex SHA-256 of the signer's
 * SubjectPublicKeyInfo DER, value base64 (ECDSA as DER).  Consumers verify
 * against pinned public keys only (a keyring: several, so keys can rotate). */
#ifndef SS_SIGN_H
#define SS_SIGN_H

#include <openssl/evp.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"

#define SS_KEY_ID_HEX 65
#define SS_KEYRING_MAX 8

typedef struct ss_signer {
	EVP_PKEY *key;
	const char *alg;
	char key_id[SS_KEY_ID_HEX];
} ss_signer;

/* A private key file (owner-only, as every secret file): Ed25519 or ECDSA
 * P-256; anything else is SS_EINPUT. */
int ss_signer_load(const char *path, ss_signer *s, ss_err *err);
void ss_signer_free(ss_signer *s);

typedef struct ss_keyring {
	struct {
		EVP_PKEY *key;
		const char *alg;
		char key_id[SS_KEY_ID_HEX];
	} k[SS_KEYRING_MAX];
	int n;
} ss_keyring;

/* Pin one more public key from a PEM file (Ed25519 or ECDSA P-256). */
int ss_keyring_add_file(ss_keyring *ring, const char *path, ss_err *err);
/* Pin a public key from PEM text; name says where it came from in messages. */
int ss_keyring_add_pem(ss_keyring *ring, const char *pem, size_t len, const char *name,
		       ss_err *err);
/* The signer's own public key (a control plane verifies what it signed). */
int ss_keyring_add_signer(ss_keyring *ring, const ss_signer *s, ss_err *err);
void ss_keyring_free(ss_keyring *ring);

/* Add "signature" to doc (which must not have one yet). */
int ss_doc_sign(cJSON *doc, const ss_signer *s, ss_err *err);
/* Check doc's signature against the ring.  A missing or malformed
 * signature member is SS_EINPUT; an unknown key or a signature that does
 * not verify is SS_REFUSED "<what>: ...". */
int ss_doc_verify(const cJSON *doc, const ss_keyring *ring, const char *what, ss_err *err);
/* Only the signature member's form, as ss_doc_verify checks it (SS_EINPUT
 * when missing or malformed), for a signed document read where no key is
 * pinned to verify it. */
int ss_doc_signature_form(const cJSON *doc, ss_err *err);

/* The same two operations on bytes, for signatures that travel in another
 * shape (the telemetry events of ss-fc-launch carry alg, key id and value
 * as three attributes).  ss_signer_sign appends the raw signature (ECDSA as
 * DER) to sig.  ss_keyring_verify finds the pinned key by key_id and alg
 * and answers as ss_doc_verify does: SS_REFUSED "<what>: ..." when the key
 * is not pinned, the algorithm differs or the signature does not verify. */
int ss_signer_sign(const ss_signer *s, const void *msg, size_t n, ss_buf *sig, ss_err *err);
int ss_keyring_verify(const ss_keyring *ring, const char *alg, const char *key_id,
		      const void *msg, size_t n, const void *sig, size_t siglen,
		      const char *what, ss_err *err);

#endif
