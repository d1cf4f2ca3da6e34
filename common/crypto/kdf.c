#include "ss/kdf.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "ss/secret.h"

static int check_lengths(const char *what, size_t prklen, size_t okmlen, ss_err *err)
{
	if (prklen < SS_HKDF_PRK_LEN)
		return ss_err_set(err, SS_ECRYPTO, "%s: PRK of %zu bytes, at least %d are required",
				  what, prklen, SS_HKDF_PRK_LEN);
	if (okmlen == 0 || okmlen > SS_HKDF_MAX_OKM)
		return ss_err_set(err, SS_ECRYPTO, "%s: output of %zu bytes, 1..%d are possible",
				  what, okmlen, SS_HKDF_MAX_OKM);
	return SS_OK;
}

/* One EVP_KDF "HKDF" run in the given mode.  Empty salt and info are
 * left out, which is how OpenSSL (and RFC 5869) mean "not provided". */
static int kdf_run(int mode, const char *what, const void *key, size_t keylen, const void *salt,
		   size_t saltlen, const void *info, size_t infolen, unsigned char *out,
		   size_t outlen, ss_err *err)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;
	int rc = SS_OK;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	if (saltlen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	if (infolen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (!ctx || EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		OPENSSL_cleanse(out, outlen);
		rc = ss_err_ssl(err, "%s", what);
	}
	EVP_KDF_CTX_free(ctx); /* wipes the key, salt and info copies it made */
	EVP_KDF_free(kdf);
	return rc;
}

int ss_hkdf(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen, const void *info,
	    size_t infolen, unsigned char *okm, size_t okmlen, ss_err *err)
{
	int rc;

	if ((rc = check_lengths("HKDF", SS_HKDF_PRK_LEN, okmlen, err)))
		return rc;
	return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, "HKDF", ikm, ikmlen, salt, saltlen,
		       info, infolen, okm, okmlen, err);
}

int ss_hkdf_extract(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
		    unsigned char prk[SS_HKDF_PRK_LEN], ss_err *err)
{
	return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, "HKDF-Extract", ikm, ikmlen, salt, saltlen,
		       NULL, 0, prk, SS_HKDF_PRK_LEN, err);
}

int ss_hkdf_expand(const unsigned char *prk, size_t prklen, const void *info, size_t infolen,
		   unsigned char *okm, size_t okmlen, ss_err *err)
{
	int rc;

	if ((rc = check_lengths("HKDF-Expand", prklen, okmlen, err)))
		return rc;
	return kdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, "HKDF-Expand", prk, prklen, NULL, 0, info,
		       infolen, okm, okmlen, err);
}

int ss_hkdf_prk_init(ss_hkdf_prk *k, const unsigned char *prk, size_t prklen, ss_err *err)
{
	EVP_MAC *mac;
	OSSL_PARAM params[2];
	int rc;

	k->hmac = NULL;
	if ((rc = check_lengths("HKDF-Expand", prklen, SS_HKDF_PRK_LEN, err)))
		return rc;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	k->hmac = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (!k->hmac || EVP_MAC_init(k->hmac, prk, prklen, params) != 1) {
		ss_hkdf_prk_free(k);
		return ss_err_ssl(err, "HKDF-Expand: key HMAC-SHA256");
	}
	return SS_OK;
}

int ss_hkdf_prk_expand(ss_hkdf_prk *k, const void *info, size_t infolen, unsigned char *okm,
		       size_t okmlen, ss_err *err)
{
	unsigned char t[SS_HKDF_PRK_LEN];
	size_t tlen = 0, done = 0, n = 0;
	unsigned char counter = 0;
	int rc;

	if ((rc = check_lengths("HKDF-Expand", SS_HKDF_PRK_LEN, okmlen, err)))
		return rc;
	while (done < okmlen) {
		size_t take;

		counter++;
		/* A NULL key re-initialises from the keyed state: the PRK's
		 * key schedule is computed once, in ss_hkdf_prk_init. */
		if (EVP_MAC_init(k->hmac, NULL, 0, NULL) != 1 ||
		    (tlen && EVP_MAC_update(k->hmac, t, tlen) != 1) ||
		    (infolen && EVP_MAC_update(k->hmac, info, infolen) != 1) ||
		    EVP_MAC_update(k->hmac, &counter, 1) != 1 ||
		    EVP_MAC_final(k->hmac, t, &n, sizeof t) != 1 || n != sizeof t) {
			OPENSSL_cleanse(t, sizeof t);
			OPENSSL_cleanse(okm, okmlen);
			return ss_err_ssl(err, "HKDF-Expand");
		}
		tlen = sizeof t;
		take = okmlen - done < tlen ? okmlen - done : tlen;
		memcpy(okm + done, t, take);
		done += take;
	}
	OPENSSL_cleanse(t, sizeof t);
	return SS_OK;
}

void ss_hkdf_prk_free(ss_hkdf_prk *k)
{
	EVP_MAC_CTX_free(k->hmac);
	k->hmac = NULL;
}
