#include "ss/crypto.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ss/io.h"
#include "ss/key_codec.h"
#include "ss/secret.h"

const EVP_MD *ss_md_for_alg(uint16_t tpm_alg)
{
	switch (tpm_alg) {
	case 0x0004: return EVP_sha1();
	case 0x000b: return EVP_sha256();
	case 0x000c: return EVP_sha384();
	case 0x000d: return EVP_sha512();
	default: return NULL;
	}
}

int ss_digest(const EVP_MD *md, const void *p, size_t n, unsigned char *out, size_t *outlen,
	      ss_err *err)
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, md, NULL) != 1)
		return ss_err_ssl(err, "digest");
	if (outlen)
		*outlen = len;
	return SS_OK;
}

int ss_sha256(const void *p, size_t n, unsigned char out[SS_SHA256_LEN], ss_err *err)
{
	return ss_digest(EVP_sha256(), p, n, out, NULL, err);
}

int ss_hmac(const EVP_MD *md, const void *key, size_t keylen, const void *p, size_t n,
	    unsigned char *out, size_t *outlen, ss_err *err)
{
	unsigned int len = 0;

	if (!HMAC(md, key, (int)keylen, p, n, out, &len))
		return ss_err_ssl(err, "HMAC");
	if (outlen)
		*outlen = len;
	return SS_OK;
}

int ss_random(void *p, size_t n, ss_err *err)
{
	if (RAND_bytes(p, (int)n) != 1)
		return ss_err_ssl(err, "random bytes");
	return SS_OK;
}

int ss_pkey_public_pem(EVP_PKEY *pkey, ss_buf *out, ss_err *err)
{
	return ss_spki_pem(pkey, out, err);
}

int ss_pkey_from_public_pem(const char *pem, size_t len, EVP_PKEY **out, ss_err *err)
{
	return ss_spki_from_pem(pem, len, out, err);
}

int ss_pkey_load_public(const char *path, EVP_PKEY **out, ss_err *err)
{
	ss_buf b = SS_BUF_INIT;
	int rc = ss_read_path(path, 64 * 1024, &b, err);

	if (!rc && ss_pem_is_encrypted((const char *)b.data, b.len))
		rc = ss_err_set(err, SS_EINPUT,
				"'%s' is an encrypted private key, not a public key: give the control "
				"plane's public key (openssl pkey -in KEY -pubout)", path);
	else if (!rc && (rc = ss_pkey_from_public_pem((const char *)b.data, b.len, out, err)))
		ss_err_prefix(err, "'%s'", path);
	ss_buf_free(&b);
	return rc;
}

int ss_pkey_load_private(const char *path, EVP_PKEY **out, ss_err *err)
{
	ss_secret s = SS_SECRET_INIT;
	int rc;

	if ((rc = ss_secret_read_file(path, 1, 64 * 1024, &s, err)))
		return rc;
	if (ss_pem_is_encrypted((const char *)s.p, s.len)) {
		ss_secret_free(&s);
		return ss_err_set(err, SS_EINPUT,
				  "'%s' is an encrypted private key, and no passphrase is ever asked: "
				  "store it unencrypted in a file only its owner can read (openssl pkey "
				  "-in KEY -out PLAIN.pem)", path);
	}
	rc = ss_pkcs8_from_pem(s.p, s.len, out, err);
	ss_secret_free(&s);
	if (rc)
		return ss_err_set(err, SS_EINPUT, "'%s' is not a PEM private key", path);
	return SS_OK;
}

int ss_pkey_spki_sha256(EVP_PKEY *pkey, unsigned char out[SS_SHA256_LEN], ss_err *err)
{
	ss_buf der = SS_BUF_INIT;
	int rc = ss_spki_der(pkey, &der, err);

	if (!rc)
		rc = ss_sha256(der.data, der.len, out, err);
	ss_buf_free(&der);
	return rc;
}

void ss_crypto_init(void)
{
	/* OpenSSL's start-up and clean-up cost more than most of what these
	 * short-lived tools do.  The default CTR-DRBG fetches the whole cipher
	 * table to find AES; HASH-DRBG over SHA-256 (SP 800-90A as well) needs
	 * only the digest the tools use anyway.  The clean-up at exit frees
	 * what the process exit frees; keys are freed, and wiped, by the code
	 * that made them.  OpenSSL's configuration file (openssl.cnf, or
	 * $OPENSSL_CONF) is not read: every algorithm here comes from the
	 * default provider, which loads without it, and parsing the file
	 * costs each run more than a signature.  The legacy table of cipher
	 * names is not filled either: only EVP_get_cipherbyname reads it (for
	 * encrypted PEM and PKCS#8 keys, which the tools refuse), AES is
	 * reached through EVP_aes_*() and fetched by its provider name, and
	 * copying the table's 200 names into the provider name map was a
	 * fifth of a run's instructions.  Nor is the legacy table of digests
	 * filled here: certificate verification is the one reader, and
	 * ss_crypto_x509_digests fills it when a certificate is verified.
	 * Nor are OpenSSL's error texts loaded: the first error state a run
	 * creates (every decoder sets a mark) would hash all of them in, an
	 * eighth of a run's instructions, for a text that only a failing run
	 * prints; ss_err_ssl prints OpenSSL's code instead. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG |
				    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
				    OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
			    NULL);
	RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256");
}

static void add_x509_digests(void)
{
	const EVP_MD *const mds[] = {
		EVP_md5(),      EVP_sha1(),       EVP_sha224(),     EVP_sha256(),
		EVP_sha384(),   EVP_sha512(),     EVP_sha512_224(), EVP_sha512_256(),
		EVP_sha3_224(), EVP_sha3_256(),   EVP_sha3_384(),   EVP_sha3_512(),
		EVP_ripemd160(),
#ifndef OPENSSL_NO_SM3
		EVP_sm3(),
#endif
	};

	for (size_t i = 0; i < sizeof mds / sizeof mds[0]; i++)
		EVP_add_digest(mds[i]);
}

void ss_crypto_x509_digests(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, add_x509_digests);
}
