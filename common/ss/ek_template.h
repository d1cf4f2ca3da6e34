/* The EK templates of the TCG EK Credential Profile for TPM Family 2.0, by
 * the NV index that holds the EK certificate:
 *
 *   index       template  key        nameAlg  symmetric    policy
 *   0x01c00002  L-1       RSA 2048   SHA-256  AES-128-CFB  PolicyA
 *   0x01c0000a  L-2       ECC P-256  SHA-256  AES-128-CFB  PolicyA
 *   0x01c00012  H-1       RSA 2048   SHA-256  AES-128-CFB  PolicyB
 *   0x01c00014  H-2       ECC P-256  SHA-256  AES-128-CFB  PolicyB
 *   0x01c00016  H-3       ECC P-384  SHA-384  AES-256-CFB  PolicyB
 *   0x01c00018  H-4       ECC P-521  SHA-512  AES-256-CFB  PolicyB
 *   0x01c0001c  H-6       RSA 3072   SHA-384  AES-256-CFB  PolicyB
 *   0x01c0001e  H-7       RSA 4096   SHA-384  AES-256-CFB  PolicyB
 *
 * Low-range EKs have fixedTPM, fixedParent, sensitiveDataOrigin,
 * adminWithPolicy, restricted and decrypt; high-range ones userWithAuth as
 * well.  Policies are the profile's published digests (PolicyA =
 * PolicySecret(TPM_RH_ENDORSEMENT), PolicyB = PolicyOR(PolicyA, PolicyC)).
 * H-5 (SM2) is not supported.
 *
 * A certificate carries only the EK's public key; with the template of its
 * index the whole public area follows, and with it the EK's name and what
 * MakeCredential needs (nameAlg, symmetric definition).  Pure software. */
#ifndef SS_EK_TEMPLATE_H
#define SS_EK_TEMPLATE_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "ss/err.h"

typedef struct ss_ek_template {
	uint32_t nv_index;
	const char *name;       /* "L-1", "H-3", ... */
	const char *key;        /* as documents spell it: "rsa-2048", "ecc-p384" */
	TPMI_ALG_PUBLIC type;
	uint16_t rsa_bits;      /* RSA only */
	TPMI_ECC_CURVE curve;   /* ECC only */
	TPMI_ALG_HASH name_alg;
	uint16_t aes_bits;
	bool high_range;
} ss_ek_template;

/* The template whose certificate lives at nv_index; NULL for any other. */
const ss_ek_template *ss_ek_template_by_nv(uint32_t nv_index);

/* The EK's public area: the template, with key as its unique field.  A key
 * of another type, size or curve than the template's, or an RSA exponent
 * other than 65537 (the templates' 0), is SS_REFUSED with a message that
 * names both. */
int ss_ek_template_public(const ss_ek_template *t, EVP_PKEY *key, TPMT_PUBLIC *out, ss_err *err);

#endif
