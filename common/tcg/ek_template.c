#include "ss/ek_template.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#define LOW_RANGE_ATTRS                                                                    \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	 TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
#define HIGH_RANGE_ATTRS (LOW_RANGE_ATTRS | TPMA_OBJECT_USERWITHAUTH)

static const ss_ek_template templates[] = {
	{ 0x01c00002, "L-1", "rsa-2048", TPM2_ALG_RSA, 2048, 0, TPM2_ALG_SHA256, 128, false },
	{ 0x01c0000a, "L-2", "ecc-p256", TPM2_ALG_ECC, 0, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 128, false },
	{ 0x01c00012, "H-1", "rsa-2048", TPM2_ALG_RSA, 2048, 0, TPM2_ALG_SHA256, 128, true },
	{ 0x01c00014, "H-2", "ecc-p256", TPM2_ALG_ECC, 0, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 128, true },
	{ 0x01c00016, "H-3", "ecc-p384", TPM2_ALG_ECC, 0, TPM2_ECC_NIST_P384, TPM2_ALG_SHA384, 256, true },
	{ 0x01c00018, "H-4", "ecc-p521", TPM2_ALG_ECC, 0, TPM2_ECC_NIST_P521, TPM2_ALG_SHA512, 256, true },
	{ 0x01c0001c, "H-6", "rsa-3072", TPM2_ALG_RSA, 3072, 0, TPM2_ALG_SHA384, 256, true },
	{ 0x01c0001e, "H-7", "rsa-4096", TPM2_ALG_RSA, 4096, 0, TPM2_ALG_SHA384, 256, true },
};

/* The profile's published policy digests (EK Credential Profile, "Computing
 * PolicyA / PolicyB"). */
static const uint8_t policy_a_sha256[] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};
static const uint8_t policy_b_sha256[] = {
	0xca, 0x3d, 0x0a, 0x99, 0xa2, 0xb9, 0x39, 0x06, 0xf7, 0xa3, 0x34, 0x24, 0x14, 0xef, 0xcf, 0xb3,
	0xa3, 0x85, 0xd4, 0x4c, 0xd1, 0xfd, 0x45, 0x90, 0x89, 0xd1, 0x9b, 0x50, 0x71, 0xc0, 0xb7, 0xa0,
};
static const uint8_t policy_b_sha384[] = {
	0xb2, 0x6e, 0x7d, 0x28, 0xd1, 0x1a, 0x50, 0xbc, 0x53, 0xd8, 0x82, 0xbc, 0xf5, 0xfd, 0x3a, 0x1a,
	0x07, 0x41, 0x48, 0xbb, 0x35, 0xd3, 0xb4, 0xe4, 0xcb, 0x1c, 0x0a, 0xd9, 0xbd, 0xe4, 0x19, 0xca,
	0xcb, 0x47, 0xba, 0x09, 0x69, 0x96, 0x46, 0x15, 0x0f, 0x9f, 0xc0, 0x00, 0xf3, 0xf8, 0x0e, 0x12,
};
static const uint8_t policy_b_sha512[] = {
	0xb8, 0x22, 0x1c, 0xa6, 0x9e, 0x85, 0x50, 0xa4, 0x91, 0x4d, 0xe3, 0xfa, 0xa6, 0xa1, 0x8c, 0x07,
	0x2c, 0xc0, 0x12, 0x08, 0x07, 0x3a, 0x92, 0x8d, 0x5d, 0x66, 0xd5, 0x9e, 0xf7, 0x9e, 0x49, 0xa4,
	0x29, 0xc4, 0x1a, 0x6b, 0x26, 0x95, 0x71, 0xd5, 0x7e, 0xdb, 0x25, 0xfb, 0xdb, 0x18, 0x38, 0x42,
	0x56, 0x08, 0xb4, 0x13, 0xcd, 0x61, 0x6a, 0x5f, 0x6d, 0xb5, 0xb6, 0x07, 0x1a, 0xf9, 0x9b, 0xea,
};

const ss_ek_template *ss_ek_template_by_nv(uint32_t nv_index)
{
	for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++)
		if (templates[i].nv_index == nv_index)
			return &templates[i];
	return NULL;
}

static void set_policy(const ss_ek_template *t, TPM2B_DIGEST *out)
{
	const uint8_t *p = policy_a_sha256;
	size_t n = sizeof policy_a_sha256;

	if (t->high_range) {
		switch (t->name_alg) {
		case TPM2_ALG_SHA384: p = policy_b_sha384; n = sizeof policy_b_sha384; break;
		case TPM2_ALG_SHA512: p = policy_b_sha512; n = sizeof policy_b_sha512; break;
		default: p = policy_b_sha256; n = sizeof policy_b_sha256; break;
		}
	}
	memcpy(out->buffer, p, n);
	out->size = (UINT16)n;
}

static const char *ecc_group_name(TPMI_ECC_CURVE curve, size_t *field)
{
	switch (curve) {
	case TPM2_ECC_NIST_P256: *field = 32; return "prime256v1";
	case TPM2_ECC_NIST_P384: *field = 48; return "secp384r1";
	case TPM2_ECC_NIST_P521: *field = 66; return "secp521r1";
	default: return NULL;
	}
}

/* How documents spell a key ("rsa-2048", "ecc-p384"), for messages. */
static void describe_key(EVP_PKEY *key, char *out, size_t outlen)
{
	char group[32] = "";
	size_t len = 0;

	if (EVP_PKEY_is_a(key, "RSA")) {
		snprintf(out, outlen, "rsa-%d", EVP_PKEY_get_bits(key));
		return;
	}
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					   &len) == 1) {
		if (strcmp(group, "prime256v1") == 0)
			snprintf(out, outlen, "ecc-p256");
		else if (strcmp(group, "secp384r1") == 0)
			snprintf(out, outlen, "ecc-p384");
		else if (strcmp(group, "secp521r1") == 0)
			snprintf(out, outlen, "ecc-p521");
		else
			snprintf(out, outlen, "ecc-%.20s", group);
		return;
	}
	snprintf(out, outlen, "%.20s", EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key)
								   : "unknown");
}

static int bn_padded(EVP_PKEY *key, const char *param, uint8_t *out, size_t len, ss_err *err)
{
	BIGNUM *bn = NULL;
	int ok = EVP_PKEY_get_bn_param(key, param, &bn) == 1 && BN_bn2binpad(bn, out, (int)len) > 0;

	BN_free(bn);
	return ok ? SS_OK : ss_err_ssl(err, "read EK public key");
}

static int rsa_unique(const ss_ek_template *t, EVP_PKEY *key, TPMT_PUBLIC *out, ss_err *err)
{
	BIGNUM *e = NULL;
	bool e_ok;

	if (!EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_get_bits(key) != t->rsa_bits)
		return SS_REFUSED;
	/* The templates leave the exponent at 0, which means 65537. */
	e_ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1 && BN_is_word(e, 65537);
	BN_free(e);
	ERR_clear_error();
	if (!e_ok)
		return SS_REFUSED;
	out->parameters.rsaDetail.keyBits = t->rsa_bits;
	out->parameters.rsaDetail.exponent = 0;
	out->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	out->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	out->parameters.rsaDetail.symmetric.keyBits.aes = t->aes_bits;
	out->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	out->unique.rsa.size = (UINT16)(t->rsa_bits / 8);
	return bn_padded(key, OSSL_PKEY_PARAM_RSA_N, out->unique.rsa.buffer, t->rsa_bits / 8, err);
}

static int ecc_unique(const ss_ek_template *t, EVP_PKEY *key, TPMT_PUBLIC *out, ss_err *err)
{
	char group[32] = "";
	size_t len = 0, field = 0;
	const char *want = ecc_group_name(t->curve, &field);
	int rc;

	if (!EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					   &len) != 1 ||
	    strcmp(group, want) != 0) {
		ERR_clear_error();
		return SS_REFUSED;
	}
	out->parameters.eccDetail.curveID = t->curve;
	out->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	out->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	out->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	out->parameters.eccDetail.symmetric.keyBits.aes = t->aes_bits;
	out->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	/* Coordinates as wide as the field, as a TPM stores them. */
	out->unique.ecc.x.size = out->unique.ecc.y.size = (UINT16)field;
	if ((rc = bn_padded(key, OSSL_PKEY_PARAM_EC_PUB_X, out->unique.ecc.x.buffer, field, err)))
		return rc;
	return bn_padded(key, OSSL_PKEY_PARAM_EC_PUB_Y, out->unique.ecc.y.buffer, field, err);
}

int ss_ek_template_public(const ss_ek_template *t, EVP_PKEY *key, TPMT_PUBLIC *out, ss_err *err)
{
	char have[32];
	int rc;

	memset(out, 0, sizeof *out);
	out->type = t->type;
	out->nameAlg = t->name_alg;
	out->objectAttributes = t->high_range ? HIGH_RANGE_ATTRS : LOW_RANGE_ATTRS;
	set_policy(t, &out->authPolicy);
	rc = t->type == TPM2_ALG_RSA ? rsa_unique(t, key, out, err) : ecc_unique(t, key, out, err);
	if (rc == SS_REFUSED) {
		describe_key(key, have, sizeof have);
		if (strcmp(have, t->key) == 0)
			return ss_err_set(err, SS_REFUSED,
					  "RSA exponent is not 65537, as template %s requires",
					  t->name);
		return ss_err_set(err, SS_REFUSED, "holds an %s key, template %s is for %s", have,
				  t->name, t->key);
	}
	return rc;
}
