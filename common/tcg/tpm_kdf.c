#include "ss/tpm_kdf.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "ss/buf.h"
#include "ss/crypto.h"

/* Run one EVP_KDF over params; out is wiped when the derivation fails. */
static int derive(const char *kdf_name, const char *what, OSSL_PARAM *params, uint8_t *out,
		  size_t outlen, ss_err *err)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, kdf_name, NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int rc = SS_OK;

	if (!ctx || EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		OPENSSL_cleanse(out, outlen);
		rc = ss_err_ssl(err, "%s", what);
	}
	EVP_KDF_CTX_free(ctx); /* wipes its copies of the key material */
	EVP_KDF_free(kdf);
	return rc;
}

static const char *digest_name(uint16_t hash_alg)
{
	const EVP_MD *md = ss_md_for_alg(hash_alg);

	return md ? EVP_MD_get0_name(md) : NULL;
}

int ss_tpm_kdfa(uint16_t hash_alg, const uint8_t *key, size_t keylen, const char *label,
		const uint8_t *context_u, size_t ulen, const uint8_t *context_v, size_t vlen,
		uint8_t *out, size_t outlen, ss_err *err)
{
	const char *md = digest_name(hash_alg);
	ss_buf context = SS_BUF_INIT;
	OSSL_PARAM params[9], *p = params;
	int use_l = 1, use_separator = 1, rc;

	if (!md)
		return ss_err_set(err, SS_ECRYPTO, "KDFa: unsupported hash 0x%04x", hash_alg);
	if (!keylen || !outlen)
		return ss_err_set(err, SS_ECRYPTO, "KDFa: empty key or output");
	/* contextU || contextV is SP800-108's Context; both are public values
	 * (names, points), so the concatenation needs no wiping. */
	ss_buf_add(&context, context_u, ulen);
	ss_buf_add(&context, context_v, vlen);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"COUNTER", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	/* SP800-108's Label is OpenSSL's "salt"; the separator is the 0x00
	 * after it and L is [bits]32, exactly the TPM's layout. */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label,
						 strlen(label));
	if (context.len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, context.data,
							 context.len);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_L, &use_l);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_KBKDF_USE_SEPARATOR, &use_separator);
	*p = OSSL_PARAM_construct_end();
	rc = derive("KBKDF", "KDFa", params, out, outlen, err);
	ss_buf_free(&context);
	return rc;
}

int ss_tpm_kdfe(uint16_t hash_alg, const uint8_t *z, size_t zlen, const char *label,
		const uint8_t *party_u, size_t ulen, const uint8_t *party_v, size_t vlen,
		uint8_t *out, size_t outlen, ss_err *err)
{
	const char *md = digest_name(hash_alg);
	ss_buf info = SS_BUF_INIT;
	OSSL_PARAM params[4], *p = params;
	int rc;

	if (!md)
		return ss_err_set(err, SS_ECRYPTO, "KDFe: unsupported hash 0x%04x", hash_alg);
	if (!zlen || !outlen)
		return ss_err_set(err, SS_ECRYPTO, "KDFe: empty secret or output");
	/* SP800-56A's FixedInfo (OpenSSL's "info"): label || 0x00 || U || V,
	 * all public. */
	ss_buf_adds(&info, label);
	ss_buf_addc(&info, 0);
	ss_buf_add(&info, party_u, ulen);
	ss_buf_add(&info, party_v, vlen);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data, info.len);
	*p = OSSL_PARAM_construct_end();
	rc = derive("SSKDF", "KDFe", params, out, outlen, err);
	ss_buf_free(&info);
	return rc;
}
