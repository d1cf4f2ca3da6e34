/* Public and private keys in PEM/DER for the key types the toolkit uses.
 *
 * OpenSSL 3's generic codecs (OSSL_DECODER / OSSL_ENCODER) cost a few
 * milliseconds per process to set up, which dominates a short-lived tool.
 * For the fixed DER layouts of Ed25519, X25519 and ECDSA P-256 keys —
 * SubjectPublicKeyInfo and the unencrypted PKCS#8 that OpenSSL writes —
 * these functions build and read the bytes directly and hand the raw key
 * material to OpenSSL's EVP constructors; anything else goes through
 * OpenSSL's generic codecs.  Unit tests hold both paths to the same bytes. */
#ifndef SS_KEY_CODEC_H
#define SS_KEY_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/secret.h"

/* SubjectPublicKeyInfo DER, appended to out. */
int ss_spki_der(EVP_PKEY *pkey, ss_buf *out, ss_err *err);
/* "-----BEGIN PUBLIC KEY-----" PEM, appended to out. */
int ss_spki_pem(EVP_PKEY *pkey, ss_buf *out, ss_err *err);
/* One public key from PEM text; SS_EINPUT when it is not one. */
int ss_spki_from_pem(const char *pem, size_t len, EVP_PKEY **out, ss_err *err);
/* Unencrypted PKCS#8 PEM of a private key, into secret memory. */
int ss_pkcs8_pem(EVP_PKEY *pkey, ss_secret *out, ss_err *err);
/* A private key from PEM text (PKCS#8, or anything OpenSSL reads). */
int ss_pkcs8_from_pem(const unsigned char *pem, size_t len, EVP_PKEY **out, ss_err *err);

/* Never a prompt: OpenSSL asks a passphrase callback for an encrypted PEM
 * block and, given none, prompts on the terminal (a CI job hangs, and the
 * prompt ignores SIGTERM).  Every PEM read of libss passes this callback,
 * which refuses; u, when not NULL, is a bool set to true when it was asked. */
int ss_pem_no_passphrase(char *buf, int size, int rwflag, void *u);
/* Whether PEM text holds an encrypted block ("ENCRYPTED PRIVATE KEY", or a
 * "Proc-Type: 4,ENCRYPTED" header). */
bool ss_pem_is_encrypted(const char *pem, size_t len);

/* The same with OpenSSL's generic codecs only (for tests). */
int ss_spki_der_generic(EVP_PKEY *pkey, ss_buf *out, ss_err *err);

#endif
