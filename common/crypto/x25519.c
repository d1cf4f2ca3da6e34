#include "ss/x25519.h"

#include <openssl/evp.h>

int ss_x25519_keygen(ss_secret *priv, uint8_t pub[SS_X25519_LEN], ss_err *err)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t plen = SS_X25519_LEN, slen = SS_X25519_LEN;
	int rc;

	if (!k)
		return ss_err_ssl(err, "generate X25519 key");
	if ((rc = ss_secret_alloc(priv, SS_X25519_LEN, err)))
		goto out;
	if (EVP_PKEY_get_raw_private_key(k, priv->p, &slen) != 1 ||
	    EVP_PKEY_get_raw_public_key(k, pub, &plen) != 1) {
		ss_secret_free(priv);
		rc = ss_err_ssl(err, "export X25519 key");
	}
out:
	EVP_PKEY_free(k); /* OpenSSL wipes the private key it held */
	return rc;
}

int ss_x25519_shared(const ss_secret *priv, const uint8_t peer[SS_X25519_LEN], uint8_t out[32],
		     ss_err *err)
{
	static const uint8_t zero[32];
	EVP_PKEY *mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv->p, priv->len);
	EVP_PKEY *theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, SS_X25519_LEN);
	EVP_PKEY_CTX *ctx = mine ? EVP_PKEY_CTX_new(mine, NULL) : NULL;
	size_t len = 32;
	int rc = SS_OK;

	if (!mine || !theirs || !ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, theirs) != 1 || EVP_PKEY_derive(ctx, out, &len) != 1 ||
	    len != 32)
		rc = ss_err_ssl(err, "X25519");
	else if (ss_ct_equal(out, zero, 32))
		rc = ss_err_set(err, SS_REFUSED, "X25519: the peer's key is of low order");
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(theirs);
	return rc;
}
