#include "ss/execution_key.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/jcs.h"

static const char *const kind_names[] = {
	[SS_KEY_ED25519] = "ed25519",
	[SS_KEY_X25519] = "x25519",
	[SS_KEY_AES256] = "aes-256",
	[SS_KEY_RAW] = "raw",
};

const char *ss_key_kind_name(ss_key_kind kind)
{
	return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "?";
}

bool ss_key_kind_parse(const char *name, ss_key_kind *out)
{
	for (unsigned i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (ss_key_kind)i;
			return true;
		}
	return false;
}

bool ss_key_kind_has_public(ss_key_kind kind)
{
	return kind == SS_KEY_ED25519 || kind == SS_KEY_X25519;
}

/* name: a literal, with its punctuation. */
#define MEMBER(out, name, value)                         \
	do {                                             \
		ss_buf_add(out, name, sizeof name - 1);  \
		ss_jcs_string(value, out);               \
	} while (0)

/* Written directly rather than through a cJSON tree, because batch mode
 * does this once per record.  The members are in JCS order (sorted by
 * UTF-16 code units), and the execution document is exactly the five
 * members ss_execution_parse admits; test_execkey checks the result
 * against ss_jcs_write of the same context built as a tree. */
void ss_execkey_context(const ss_execution *e, ss_key_kind kind, const char *purpose,
			ss_buf *out)
{
	static const char type[] = ",\"type\":\"ss.execution.v1\"}";

	MEMBER(out, "{\"execution\":{\"execution_id\":", e->execution_id);
	MEMBER(out, ",\"fingerprint\":", e->fingerprint);
	MEMBER(out, ",\"operator_id\":", e->operator_id);
	MEMBER(out, ",\"tenant_id\":", e->tenant_id);
	ss_buf_add(out, type, sizeof type - 1);
	MEMBER(out, ",\"kind\":", ss_key_kind_name(kind));
	MEMBER(out, ",\"purpose\":", purpose);
	ss_buf_addc(out, '}');
}

/* label || 0x00 || JCS(context); returns where the context starts. */
static size_t build_info(const ss_execution *e, ss_key_kind kind, const char *purpose,
			 ss_buf *info)
{
	static const char label[] = SS_EXECKEY_INFO_LABEL;

	ss_buf_add(info, label, sizeof label); /* sizeof counts the 0x00 */
	ss_execkey_context(e, kind, purpose, info);
	return sizeof label;
}

static void key_id_hex(const unsigned char mac[32], char out[SS_KEY_ID_HEX_LEN + 1])
{
	ss_hex_encode(mac, SS_KEY_ID_HEX_LEN / 2, out);
}

/* context_hash and key_id from the info buffer and the OKM, one-shot. */
static int finish(const ss_buf *info, size_t ctx_at, ss_execkey *out, ss_err *err)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	int rc;

	if ((rc = ss_sha256(info->data + ctx_at, info->len - ctx_at, out->context_hash, err)) ||
	    (rc = ss_hmac(EVP_sha256(), out->okm, sizeof out->okm, SS_EXECKEY_ID_LABEL,
			  strlen(SS_EXECKEY_ID_LABEL), mac, NULL, err)))
		return rc;
	key_id_hex(mac, out->key_id);
	return SS_OK;
}

int ss_execkey_derive(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen,
		      const ss_execution *e, ss_key_kind kind, const char *purpose,
		      ss_execkey *out, ss_err *err)
{
	ss_buf info = SS_BUF_INIT;
	size_t at = build_info(e, kind, purpose, &info);
	int rc;

	memset(out, 0, sizeof *out);
	rc = ss_hkdf(ikm, ikmlen, salt, saltlen, info.data, info.len, out->okm, sizeof out->okm,
		     err);
	if (!rc)
		rc = finish(&info, at, out, err);
	if (rc)
		ss_execkey_wipe(out);
	ss_buf_free(&info);
	return rc;
}

int ss_execkey_from_prk(const unsigned char prk[SS_HKDF_PRK_LEN], const ss_execution *e,
			ss_key_kind kind, const char *purpose, ss_execkey *out, ss_err *err)
{
	ss_buf info = SS_BUF_INIT;
	size_t at = build_info(e, kind, purpose, &info);
	int rc;

	memset(out, 0, sizeof *out);
	rc = ss_hkdf_expand(prk, SS_HKDF_PRK_LEN, info.data, info.len, out->okm, sizeof out->okm,
			    err);
	if (!rc)
		rc = finish(&info, at, out, err);
	if (rc)
		ss_execkey_wipe(out);
	ss_buf_free(&info);
	return rc;
}

int ss_execkey_batch_init(ss_execkey_batch *b, const unsigned char prk[SS_HKDF_PRK_LEN],
			  ss_err *err)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	int rc;

	memset(b, 0, sizeof *b);
	if ((rc = ss_hkdf_prk_init(&b->expand, prk, SS_HKDF_PRK_LEN, err)))
		return rc;
	/* Fetched once: an implicit fetch per record costs a method-store
	 * lookup each time. */
	b->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	b->digest = EVP_MD_CTX_new();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	b->key_id_mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!b->sha256 || !b->digest || !b->key_id_mac ||
	    EVP_MAC_CTX_set_params(b->key_id_mac, params) != 1) {
		ss_execkey_batch_free(b);
		return ss_err_ssl(err, "prepare key derivation");
	}
	return SS_OK;
}

int ss_execkey_batch_derive(ss_execkey_batch *b, const ss_execution *e, ss_key_kind kind,
			    const char *purpose, ss_execkey *out, ss_err *err)
{
	static const char id_label[] = SS_EXECKEY_ID_LABEL;
	unsigned char mac[32];
	size_t at, n = 0;
	int rc;

	ss_buf_reset(&b->info); /* keeps the capacity */
	at = build_info(e, kind, purpose, &b->info);
	if ((rc = ss_hkdf_prk_expand(&b->expand, b->info.data, b->info.len, out->okm,
				     sizeof out->okm, err)))
		return rc;
	if (EVP_DigestInit_ex2(b->digest, b->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(b->digest, b->info.data + at, b->info.len - at) != 1 ||
	    EVP_DigestFinal_ex(b->digest, out->context_hash, NULL) != 1)
		goto fail;
	if (EVP_MAC_init(b->key_id_mac, out->okm, sizeof out->okm, NULL) != 1 ||
	    EVP_MAC_update(b->key_id_mac, (const unsigned char *)id_label,
			   sizeof id_label - 1) != 1 ||
	    EVP_MAC_final(b->key_id_mac, mac, &n, sizeof mac) != 1)
		goto fail;
	key_id_hex(mac, out->key_id);
	return SS_OK;
fail:
	ss_execkey_wipe(out);
	return ss_err_ssl(err, "derive key");
}

void ss_execkey_batch_free(ss_execkey_batch *b)
{
	ss_hkdf_prk_free(&b->expand);
	EVP_MAC_CTX_free(b->key_id_mac); /* held the last OKM as its key; freeing wipes it */
	EVP_MD_CTX_free(b->digest);
	EVP_MD_free(b->sha256);
	ss_buf_free(&b->info);
	memset(b, 0, sizeof *b);
}

void ss_execkey_wipe(ss_execkey *k)
{
	OPENSSL_cleanse(k, sizeof *k);
}
