/* The per-execution key contract behind ss-derive-key and ss.key.v1:
 *
 *   context      = {"execution": <ss.execution.v1>, "kind": K, "purpose": P}
 *   info         = "ss-derive-key v1" || 0x00 || JCS(context)
 *   OKM          = HKDF-SHA256(IKM, salt = session binding (32 bytes) or
 *                  empty, info, 32 bytes)
 *   context_hash = SHA-256(JCS(context))
 *   key_id       = first 32 hex digits of HMAC-SHA256(OKM, "ss-key-id v1")
 *
 * IKM is a session secret (salt = its binding) or a root secret (empty
 * salt).  An ed25519 or x25519 private key is the OKM itself.
 *
 * ss_execkey_derive runs RFC 5869 in full through EVP_KDF.
 * ss_execkey_from_prk starts from an extracted PRK (a TPM-resident root,
 * see ss/tpm_hmac.h) and expands with EVP_KDF.  ss_execkey_batch derives
 * many keys under one PRK on pre-keyed HMAC contexts; it must give the same
 * bytes as the other two, which the unit tests check. */
#ifndef SS_EXECUTION_KEY_H
#define SS_EXECUTION_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/execution.h"
#include "ss/kdf.h"

#define SS_EXECKEY_LEN 32
#define SS_KEY_ID_HEX_LEN 32
#define SS_EXECKEY_INFO_LABEL "ss-derive-key v1" /* followed by one 0x00 byte */
#define SS_EXECKEY_ID_LABEL "ss-key-id v1"
#define SS_PURPOSE_DEFAULT "execution"

typedef enum ss_key_kind {
	SS_KEY_ED25519, /* the default: telemetry signing */
	SS_KEY_X25519,
	SS_KEY_AES256,
	SS_KEY_RAW,
} ss_key_kind;

#define SS_KEY_KIND_DEFAULT SS_KEY_ED25519

/* "ed25519", "x25519", "aes-256", "raw". */
const char *ss_key_kind_name(ss_key_kind kind);
bool ss_key_kind_parse(const char *name, ss_key_kind *out);
/* ed25519 and x25519: the key has a public half (public_key_pem). */
bool ss_key_kind_has_public(ss_key_kind kind);

typedef struct ss_execkey {
	unsigned char okm[SS_EXECKEY_LEN];             /* secret: wipe after use */
	char key_id[SS_KEY_ID_HEX_LEN + 1];
	unsigned char context_hash[32];
} ss_execkey;

/* Append JCS(context) to out.  purpose must be an identifier (callers
 * validate it; identifiers need no escaping). */
void ss_execkey_context(const ss_execution *e, ss_key_kind kind, const char *purpose,
			ss_buf *out);

/* HKDF in full (EVP_KDF).  saltlen 0: no binding. */
int ss_execkey_derive(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen,
		      const ss_execution *e, ss_key_kind kind, const char *purpose,
		      ss_execkey *out, ss_err *err);
/* HKDF-Expand (EVP_KDF) from an already extracted PRK. */
int ss_execkey_from_prk(const unsigned char prk[SS_HKDF_PRK_LEN], const ss_execution *e,
			ss_key_kind kind, const char *purpose, ss_execkey *out, ss_err *err);

/* Many keys under one PRK.  One per thread. */
typedef struct ss_execkey_batch {
	ss_hkdf_prk expand;      /* HMAC keyed with the PRK */
	EVP_MAC_CTX *key_id_mac; /* HMAC-SHA256, re-keyed with each OKM */
	EVP_MD *sha256;
	EVP_MD_CTX *digest;
	ss_buf info;             /* label, 0x00, JCS(context): reused */
} ss_execkey_batch;

int ss_execkey_batch_init(ss_execkey_batch *b, const unsigned char prk[SS_HKDF_PRK_LEN],
			  ss_err *err);
int ss_execkey_batch_derive(ss_execkey_batch *b, const ss_execution *e, ss_key_kind kind,
			    const char *purpose, ss_execkey *out, ss_err *err);
void ss_execkey_batch_free(ss_execkey_batch *b);

void ss_execkey_wipe(ss_execkey *k);

#endif
