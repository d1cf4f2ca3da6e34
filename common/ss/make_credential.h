/* TPM2_MakeCredential in software (TPM 2.0 Part 1, "Credential Protection"
 * and "Secret Sharing"): wrap a credential so that only the TPM holding the
 * EK can recover it, and only while an object with the given name (the AK)
 * is loaded beside it — TPM2_ActivateCredential checks both.
 *
 *   seed       RSA EK: random, nameAlg digest size, encrypted with
 *              RSA-OAEP(hash = nameAlg, label "IDENTITY\0").
 *              ECC EK: an ephemeral key on the EK's curve; Z = x of the
 *              ECDH point; seed = KDFe(nameAlg, Z, "IDENTITY", ephemeral x,
 *              EK x); the encrypted secret is the ephemeral TPMS_ECC_POINT.
 *   symKey     KDFa(nameAlg, seed, "STORAGE", AK name, -, EK symmetric bits)
 *   encIdentity AES-CFB(symKey, IV 0, marshaled TPM2B_DIGEST(credential))
 *   hmacKey    KDFa(nameAlg, seed, "INTEGRITY", -, -, digest bits)
 *   outerHMAC  HMAC_nameAlg(hmacKey, encIdentity || AK name)
 *   ID object  TPM2B_ID_OBJECT(TPM2B_DIGEST(outerHMAC) || encIdentity)
 *
 * The EK must be a restricted decryption key with AES-CFB as its symmetric
 * algorithm (every TCG EK template is): RSA, or ECC on NIST P-256, P-384 or
 * P-521.  Seeds and derived keys are wiped on every path. */
#ifndef SS_MAKE_CREDENTIAL_H
#define SS_MAKE_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "ss/buf.h"
#include "ss/err.h"

/* A credential fits in a TPM2B_DIGEST. */
#define SS_CREDENTIAL_MAX sizeof(TPMU_HA)

/* Append the marshaled TPM2B_ID_OBJECT to id_object and the marshaled
 * TPM2B_ENCRYPTED_SECRET to secret (the two halves of what
 * tpm2_makecredential writes after its file header).  An EK that does not
 * qualify is SS_EINPUT. */
int ss_make_credential(const TPMT_PUBLIC *ek, const uint8_t *credential, size_t credlen,
		       const uint8_t *ak_name, size_t ak_name_len, ss_buf *id_object,
		       ss_buf *secret, ss_err *err);

/* The two halves on their own, for known-answer tests.
 * ss_makecred_ecc_seed: the ECC seed with a given ephemeral key (NULL: a
 * fresh one, as ss_make_credential uses); seed receives the nameAlg digest
 * size in bytes (*seedlen), secret the marshaled TPM2B_ENCRYPTED_SECRET.
 * ss_makecred_wrap: the ID object for a seed. */
int ss_makecred_ecc_seed(const TPMT_PUBLIC *ek, EVP_PKEY *ephemeral, uint8_t *seed,
			 size_t *seedlen, ss_buf *secret, ss_err *err);
int ss_makecred_wrap(const TPMT_PUBLIC *ek, const uint8_t *seed, size_t seedlen,
		     const uint8_t *credential, size_t credlen, const uint8_t *ak_name,
		     size_t ak_name_len, ss_buf *id_object, ss_err *err);

#endif
