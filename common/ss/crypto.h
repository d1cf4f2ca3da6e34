/* Small OpenSSL helpers shared by the tools: digests by TPM algorithm id,
 * HMAC, randomness, public keys in PEM and their key ids. */
#ifndef SS_CRYPTO_H
#define SS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ss/buf.h"
#include "ss/err.h"

#define SS_SHA256_LEN 32
#define SS_MAX_DIGEST 64

/* Once, before any other call into OpenSSL: no clean-up at exit, and a
 * random generator that needs only SHA-256. */
void ss_crypto_init(void);
/* Before verifying an X.509 signature: OpenSSL looks the signature's digest
 * up by name in its legacy table of digests, which ss_crypto_init leaves
 * empty (filling it at start-up costs every run; see crypto.c).  Fills it
 * with every digest a certificate signature can name, once per process. */
void ss_crypto_x509_digests(void);

/* EVP_MD for a TPM2_ALG_* hash id, NULL when unknown. */
const EVP_MD *ss_md_for_alg(uint16_t tpm_alg);

/* out must hold EVP_MAX_MD_SIZE bytes; *outlen gets the digest size. */
int ss_digest(const EVP_MD *md, const void *p, size_t n, unsigned char *out, size_t *outlen,
	      ss_err *err);
int ss_sha256(const void *p, size_t n, unsigned char out[SS_SHA256_LEN], ss_err *err);
int ss_hmac(const EVP_MD *md, const void *key, size_t keylen, const void *p, size_t n,
	    unsigned char *out, size_t *outlen, ss_err *err);
int ss_random(void *p, size_t n, ss_err *err);

/* PEM (SubjectPublicKeyInfo) of a public key. */
int ss_pkey_public_pem(EVP_PKEY *pkey, ss_buf *out, ss_err *err);
/* Read one public key from PEM text / a file (SS_EINPUT when unreadable). */
int ss_pkey_from_public_pem(const char *pem, size_t len, EVP_PKEY **out, ss_err *err);
int ss_pkey_load_public(const char *path, EVP_PKEY **out, ss_err *err);
/* A private key from a file that only its owner can read (ss_secret rules). */
int ss_pkey_load_private(const char *path, EVP_PKEY **out, ss_err *err);
/* key_id: SHA-256 of the SubjectPublicKeyInfo DER. */
int ss_pkey_spki_sha256(EVP_PKEY *pkey, unsigned char out[SS_SHA256_LEN], ss_err *err);

#endif
