#include "ss/sign.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/jcs.h"
#include "ss/json.h"

/* Which of our two signature algorithms a key is for, or NULL. */
static const char *key_alg(EVP_PKEY *key)
{
	char group[32];
	size_t len = 0;

	if (EVP_PKEY_is_a(key, "ED25519"))
		return "ed25519";
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					   &len) == 1 &&
	    (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0))
		return "ecdsa-p256-sha256";
	return NULL;
}

static int key_id_hex(EVP_PKEY *key, char out[SS_KEY_ID_HEX], ss_err *err)
{
	unsigned char d[SS_SHA256_LEN];
	int rc = ss_pkey_spki_sha256(key, d, err);

	if (!rc)
		ss_hex_encode(d, sizeof d, out);
	return rc;
}

int ss_signer_load(const char *path, ss_signer *s, ss_err *err)
{
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = ss_pkey_load_private(path, &s->key, err)))
		return rc;
	s->alg = key_alg(s->key);
	if (!s->alg) {
		ss_signer_free(s);
		return ss_err_set(err, SS_EINPUT, "'%s': signing key must be Ed25519 or ECDSA P-256",
				  path);
	}
	if ((rc = key_id_hex(s->key, s->key_id, err))) {
		ss_signer_free(s);
		return rc;
	}
	return SS_OK;
}

void ss_signer_free(ss_signer *s)
{
	EVP_PKEY_free(s->key);
	memset(s, 0, sizeof *s);
}

static int ring_add(ss_keyring *ring, EVP_PKEY *key, const char *name, ss_err *err)
{
	const char *alg = key_alg(key);
	int rc;

	if (!alg) {
		EVP_PKEY_free(key);
		return ss_err_set(err, SS_EINPUT, "%s: public key must be Ed25519 or ECDSA P-256",
				  name);
	}
	if (ring->n == SS_KEYRING_MAX) {
		EVP_PKEY_free(key);
		return ss_err_set(err, SS_EUSAGE, "at most %d pinned control-plane keys",
				  SS_KEYRING_MAX);
	}
	if ((rc = key_id_hex(key, ring->k[ring->n].key_id, err))) {
		EVP_PKEY_free(key);
		return rc;
	}
	ring->k[ring->n].key = key;
	ring->k[ring->n].alg = alg;
	ring->n++;
	return SS_OK;
}

int ss_keyring_add_file(ss_keyring *ring, const char *path, ss_err *err)
{
	EVP_PKEY *key;
	char name[4200];
	int rc;

	if ((rc = ss_pkey_load_public(path, &key, err)))
		return rc;
	snprintf(name, sizeof name, "'%s'", path);
	return ring_add(ring, key, name, err);
}

int ss_keyring_add_pem(ss_keyring *ring, const char *pem, size_t len, const char *name,
		       ss_err *err)
{
	EVP_PKEY *key;
	int rc;

	if ((rc = ss_pkey_from_public_pem(pem, len, &key, err)))
		return rc;
	return ring_add(ring, key, name, err);
}

int ss_keyring_add_signer(ss_keyring *ring, const ss_signer *s, ss_err *err)
{
	if (EVP_PKEY_up_ref(s->key) != 1)
		return ss_err_ssl(err, "reference key");
	return ring_add(ring, s->key, "signing key", err);
}

void ss_keyring_free(ss_keyring *ring)
{
	for (int i = 0; i < ring->n; i++)
		EVP_PKEY_free(ring->k[i].key);
	memset(ring, 0, sizeof *ring);
}

static const EVP_MD *md_for(const char *alg)
{
	/* Ed25519 signs the message itself (PureEdDSA): no digest. */
	return strcmp(alg, "ed25519") == 0 ? NULL : EVP_sha256();
}

int ss_signer_sign(const ss_signer *s, const void *msg, size_t n, ss_buf *sig, ss_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = 0;
	int rc = SS_OK;

	if (!ctx)
		ss_oom();
	if (EVP_DigestSignInit(ctx, NULL, md_for(s->alg), NULL, s->key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, msg, n) != 1) {
		rc = ss_err_ssl(err, "sign");
		goto out;
	}
	ss_buf_reserve(sig, siglen);
	if (EVP_DigestSign(ctx, sig->data + sig->len, &siglen, msg, n) != 1) {
		rc = ss_err_ssl(err, "sign");
		goto out;
	}
	sig->len += siglen;
	sig->data[sig->len] = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ss_keyring_verify(const ss_keyring *ring, const char *alg, const char *key_id,
		      const void *msg, size_t n, const void *sig, size_t siglen,
		      const char *what, ss_err *err)
{
	EVP_MD_CTX *ctx;
	int i, rc = SS_OK;

	for (i = 0; i < ring->n; i++)
		if (strcmp(ring->k[i].key_id, key_id) == 0)
			break;
	if (i == ring->n)
		return ss_err_set(err, SS_REFUSED,
				  "%s: signed by a key that is not pinned (key_id %.64s)", what,
				  key_id);
	if (strcmp(ring->k[i].alg, alg) != 0)
		return ss_err_set(err, SS_REFUSED,
				  "%s: signature algorithm '%.32s' does not match the pinned key",
				  what, alg);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		ss_oom();
	if (EVP_DigestVerifyInit(ctx, NULL, md_for(alg), NULL, ring->k[i].key) != 1)
		rc = ss_err_ssl(err, "%s: verify signature", what);
	else if (EVP_DigestVerify(ctx, sig, siglen, msg, n) != 1) {
		ERR_clear_error();
		rc = ss_err_set(err, SS_REFUSED, "%s: signature does not verify", what);
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ss_doc_sign(cJSON *doc, const ss_signer *s, ss_err *err)
{
	ss_buf msg = SS_BUF_INIT, sig = SS_BUF_INIT;
	cJSON *sigobj;
	int rc;

	if (cJSON_GetObjectItemCaseSensitive(doc, "signature")) {
		rc = ss_err_set(err, SS_EINPUT, "document is already signed");
		goto out;
	}
	if (!ss_jcs_write(doc, &msg)) {
		rc = ss_err_set(err, SS_EINPUT, "document has no canonical form");
		goto out;
	}
	if ((rc = ss_signer_sign(s, msg.data, msg.len, &sig, err))) {
		ss_err_prefix(err, "document");
		goto out;
	}
	sigobj = ss_json_add_object(doc, "signature");
	ss_json_add_string(sigobj, "alg", s->alg);
	ss_json_add_string(sigobj, "key_id", s->key_id);
	ss_json_add_b64(sigobj, "value", sig.data, sig.len);
out:
	ss_buf_free(&sig);
	ss_buf_free(&msg);
	return rc;
}

/* The signature member's form: alg, key_id, and value into sig. */
static int signature_member(const cJSON *doc, const char **alg, const char **key_id, ss_buf *sig,
			    ss_err *err)
{
	static const char *const members[] = { "alg", "key_id", "value", NULL };
	const cJSON *sigobj;
	int rc;

	if ((rc = ss_json_object(doc, "", "signature", &sigobj, err)) ||
	    (rc = ss_json_only(sigobj, "signature", members, err)) ||
	    (rc = ss_json_string(sigobj, "signature", "alg", alg, err)) ||
	    (rc = ss_json_string(sigobj, "signature", "key_id", key_id, err)) ||
	    (rc = ss_json_b64(sigobj, "signature", "value", sig, err)))
		return rc;
	return SS_OK;
}

int ss_doc_signature_form(const cJSON *doc, ss_err *err)
{
	const char *alg, *key_id;
	ss_buf sig = SS_BUF_INIT;
	int rc = signature_member(doc, &alg, &key_id, &sig, err);

	ss_buf_free(&sig);
	return rc;
}

int ss_doc_verify(const cJSON *doc, const ss_keyring *ring, const char *what, ss_err *err)
{
	const char *alg, *key_id;
	ss_buf sig = SS_BUF_INIT, msg = SS_BUF_INIT;
	int rc;

	if ((rc = signature_member(doc, &alg, &key_id, &sig, err)))
		goto out;
	if (!ss_jcs_write_without(doc, "signature", &msg)) {
		rc = ss_err_set(err, SS_EINPUT, "%s: document has no canonical form", what);
		goto out;
	}
	rc = ss_keyring_verify(ring, alg, key_id, msg.data, msg.len, sig.data, sig.len, what, err);
out:
	ss_buf_free(&sig);
	ss_buf_free(&msg);
	return rc;
}
