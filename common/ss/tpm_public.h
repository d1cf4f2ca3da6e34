/* TPM public areas (TPM2B_PUBLIC / TPMT_PUBLIC): strict unmarshaling, TPM
 * names, conversion to OpenSSL keys, and the attribute rules for an AK.
 * Pure software: the verifier uses it without a TPM. */
#ifndef SS_TPM_PUBLIC_H
#define SS_TPM_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "ss/buf.h"
#include "ss/err.h"

#define SS_TPM_NAME_MAX (2 + 64)

/* Unmarshal a TPM2B_PUBLIC that must fill exactly n bytes (tss2-mu checks
 * neither trailing bytes nor a zeroed destination; this does both).  The
 * inner size must match too.  SS_EINPUT with what was wrong. */
int ss_tpm2b_public_parse(const uint8_t *p, size_t n, TPM2B_PUBLIC *out, ss_err *err);
void ss_tpm2b_public_marshal(const TPM2B_PUBLIC *pub, ss_buf *out);

/* name = nameAlg (2 bytes, big-endian) || H_nameAlg(marshaled TPMT_PUBLIC). */
int ss_tpm_public_name(const TPMT_PUBLIC *pub, uint8_t name[SS_TPM_NAME_MAX], size_t *len,
		       ss_err *err);

/* The public key as an EVP_PKEY: RSA (exponent 0 means 65537) or ECC on
 * NIST P-256, P-384 or P-521. */
int ss_tpm_public_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **out, ss_err *err);
/* The same as a PEM public key (SubjectPublicKeyInfo), appended to out. */
int ss_tpm_public_pem(const TPMT_PUBLIC *pub, ss_buf *out, ss_err *err);

/* An attestation key: fixedTPM, fixedParent, sensitiveDataOrigin,
 * restricted, sign, and not decrypt.  On false, *why says which. */
bool ss_tpm_public_is_ak(const TPMT_PUBLIC *pub, const char **why);

/* The TCG AK template on top of that (what enrollment requires):
 * userWithAuth set, adminWithPolicy clear, and an empty authPolicy.  On
 * false, *why says which rule failed, each with its own words. */
bool ss_tpm_public_is_tcg_ak(const TPMT_PUBLIC *pub, const char **why);

/* The names of the attributes set, lowercase as tpm2-tools spells them
 * ("fixedtpm", "userwithauth", ...), in bit order; returns how many. */
#define SS_TPM_ATTRIBUTES_MAX 11
size_t ss_tpm_attribute_names(TPMA_OBJECT attrs, const char *names[SS_TPM_ATTRIBUTES_MAX]);

/* "ecc" / "rsa" (NULL for anything else), and the curve or key size as
 * text for documents ("ecc-p256", "rsa-2048", ...). */
const char *ss_tpm_public_alg(const TPMT_PUBLIC *pub, char *out, size_t outlen);

#endif
