#include "ss/key_material.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "ss/buf.h"
#include "ss/crypto.h"
#include "ss/key_codec.h"

int ss_keymat_pkey_type(ss_key_kind kind)
{
	switch (kind) {
	case SS_KEY_ED25519: return EVP_PKEY_ED25519;
	case SS_KEY_X25519: return EVP_PKEY_X25519;
	default: return 0;
	}
}

const char *ss_keymat_file_suffix(ss_key_kind kind)
{
	return ss_key_kind_has_public(kind) ? ".pem" : ".key";
}

/* PKCS#8 PEM of pkey into a secret (ss/key_codec.h). */
static int private_pem(EVP_PKEY *pkey, ss_secret *out, ss_err *err)
{
	return ss_pkcs8_pem(pkey, out, err);
}

int ss_keymat_export(ss_key_kind kind, const unsigned char okm[SS_EXECKEY_LEN],
		     char public_pem[SS_PUBLIC_PEM_MAX], ss_secret *secret, ss_err *err)
{
	int type = ss_keymat_pkey_type(kind);
	ss_buf pem = SS_BUF_INIT;
	EVP_PKEY *pkey;
	int rc;

	public_pem[0] = 0;
	if (!type) {
		if (!secret)
			return SS_OK;
		if ((rc = ss_secret_alloc(secret, SS_EXECKEY_LEN, err)))
			return rc;
		memcpy(secret->p, okm, SS_EXECKEY_LEN);
		return SS_OK;
	}
	pkey = EVP_PKEY_new_raw_private_key(type, NULL, okm, SS_EXECKEY_LEN);
	if (!pkey)
		return ss_err_ssl(err, "make %s key", ss_key_kind_name(kind));
	rc = ss_pkey_public_pem(pkey, &pem, err);
	if (!rc && pem.len >= SS_PUBLIC_PEM_MAX)
		rc = ss_err_set(err, SS_ECRYPTO, "%s public key PEM is %zu bytes",
				ss_key_kind_name(kind), pem.len);
	if (!rc) {
		memcpy(public_pem, pem.data, pem.len + 1);
		if (secret)
			rc = private_pem(pkey, secret, err);
	}
	if (rc)
		public_pem[0] = 0;
	ss_buf_free(&pem);
	EVP_PKEY_free(pkey); /* OpenSSL wipes the private key it copied */
	return rc;
}
