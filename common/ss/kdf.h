/* HKDF-SHA256 (RFC 5869) with OpenSSL.
 *
 * Two implementations of one function:
 *  - ss_hkdf, ss_hkdf_extract, ss_hkdf_expand: OpenSSL's EVP_KDF "HKDF",
 *    a new KDF context per call.  This is the reference.
 *  - ss_hkdf_prk: HKDF-Expand on an HMAC-SHA256 context keyed once with
 *    the PRK and re-initialised from that keyed state for every block, for
 *    callers that expand many outputs under one PRK (batch derivation).
 *    It is still OpenSSL's HMAC; what it saves is the per-call KDF
 *    context and the HMAC key schedule.  Unit tests hold it to the
 *    reference and to RFC 5869's test vectors.
 * Output lengths are 1 .. 255 * 32 bytes, as RFC 5869 allows. */
#ifndef SS_KDF_H
#define SS_KDF_H

#include <stddef.h>

#include <openssl/evp.h>

#include "ss/err.h"

#define SS_HKDF_PRK_LEN 32
#define SS_HKDF_MAX_OKM (255 * 32)

/* Extract and expand.  An empty salt (saltlen 0) is RFC 5869's default:
 * 32 zero bytes. */
int ss_hkdf(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen, const void *info,
	    size_t infolen, unsigned char *okm, size_t okmlen, ss_err *err);
/* PRK = HMAC-SHA256(salt, IKM). */
int ss_hkdf_extract(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
		    unsigned char prk[SS_HKDF_PRK_LEN], ss_err *err);
/* OKM = T(1) || T(2) || ... from a PRK of at least 32 bytes. */
int ss_hkdf_expand(const unsigned char *prk, size_t prklen, const void *info, size_t infolen,
		   unsigned char *okm, size_t okmlen, ss_err *err);

/* The keyed fast path.  Not thread-safe: one per thread. */
typedef struct ss_hkdf_prk {
	EVP_MAC_CTX *hmac; /* keyed with the PRK */
} ss_hkdf_prk;

#define SS_HKDF_PRK_INIT { NULL }

int ss_hkdf_prk_init(ss_hkdf_prk *k, const unsigned char *prk, size_t prklen, ss_err *err);
/* HKDF-Expand(PRK, info, okmlen), identical to ss_hkdf_expand. */
int ss_hkdf_prk_expand(ss_hkdf_prk *k, const void *info, size_t infolen, unsigned char *okm,
		       size_t okmlen, ss_err *err);
/* Frees the context; OpenSSL wipes the key material it held. */
void ss_hkdf_prk_free(ss_hkdf_prk *k);

#endif
