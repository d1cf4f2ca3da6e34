/* A derived key as it leaves the process.
 *
 * ed25519 and x25519: the OKM is the private key; its public half travels
 * in ss.key.v1 as SubjectPublicKeyInfo PEM, and the secret file holds the
 * private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
 * aes-256 and raw: no public half; the secret file holds the 32 bytes. */
#ifndef SS_KEY_MATERIAL_H
#define SS_KEY_MATERIAL_H

#include "ss/err.h"
#include "ss/execution_key.h"
#include "ss/secret.h"

#define SS_PUBLIC_PEM_MAX 256 /* an Ed25519/X25519 SPKI PEM is 113 bytes */

/* public_pem: the PEM text, "" for aes-256 and raw.  secret (may be NULL
 * when only the public half is wanted): the bytes of the secret file. */
int ss_keymat_export(ss_key_kind kind, const unsigned char okm[SS_EXECKEY_LEN],
		     char public_pem[SS_PUBLIC_PEM_MAX], ss_secret *secret, ss_err *err);

/* The secret file's suffix in a batch's --secret-dir: ".pem" for PEM keys,
 * ".key" for raw bytes. */
const char *ss_keymat_file_suffix(ss_key_kind kind);

/* The EVP_PKEY type of an asymmetric kind (EVP_PKEY_ED25519 /
 * EVP_PKEY_X25519), 0 for the symmetric ones. */
int ss_keymat_pkey_type(ss_key_kind kind);

#endif
