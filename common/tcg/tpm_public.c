#include "ss/tpm_public.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include "ss/crypto.h"

int ss_tpm2b_public_parse(const uint8_t *p, size_t n, TPM2B_PUBLIC *out, ss_err *err)
{
	uint8_t again[sizeof(TPM2B_PUBLIC) + 8];
	size_t off = 0, aoff = 0;
	TSS2_RC rc;

	memset(out, 0, sizeof *out);
	if (n < 2)
		return ss_err_set(err, SS_EINPUT, "TPM2B_PUBLIC: truncated");
	rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(p, n, &off, out);
	if (rc != TSS2_RC_SUCCESS)
		return ss_err_set(err, SS_EINPUT, "TPM2B_PUBLIC: malformed");
	if (off != n)
		return ss_err_set(err, SS_EINPUT, "TPM2B_PUBLIC: %zu trailing bytes", n - off);
	/* The declared size must be exactly what the inner structure used. */
	if ((size_t)((p[0] << 8) | p[1]) != n - 2)
		return ss_err_set(err, SS_EINPUT, "TPM2B_PUBLIC: size field does not match");
	if (n == 2)
		return ss_err_set(err, SS_EINPUT, "TPM2B_PUBLIC: empty");
	/* Names and keys are computed from the decoded structure: only its one
	 * encoding stands for it, or two byte strings would share a name. */
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(out, again, sizeof again, &aoff) != TSS2_RC_SUCCESS ||
	    aoff != n || memcmp(again, p, n) != 0)
		return ss_err_set(err, SS_EINPUT, "TPM2B_PUBLIC: not in its canonical encoding");
	return SS_OK;
}

void ss_tpm2b_public_marshal(const TPM2B_PUBLIC *pub, ss_buf *out)
{
	uint8_t tmp[sizeof(TPM2B_PUBLIC) + 8];
	size_t off = 0;
	TPM2B_PUBLIC copy = *pub;

	copy.size = 0; /* let MU compute it */
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&copy, tmp, sizeof tmp, &off) != TSS2_RC_SUCCESS)
		ss_oom(); /* cannot happen with a buffer this size */
	ss_buf_add(out, tmp, off);
}

int ss_tpm_public_name(const TPMT_PUBLIC *pub, uint8_t name[SS_TPM_NAME_MAX], size_t *len,
		       ss_err *err)
{
	uint8_t tmp[sizeof(TPMT_PUBLIC) + 8];
	size_t off = 0, dlen = 0;
	const EVP_MD *md = ss_md_for_alg(pub->nameAlg);
	unsigned char d[EVP_MAX_MD_SIZE];
	int rc;

	if (!md)
		return ss_err_set(err, SS_EINPUT, "TPM public area: unsupported name algorithm 0x%04x",
				  pub->nameAlg);
	if (Tss2_MU_TPMT_PUBLIC_Marshal(pub, tmp, sizeof tmp, &off) != TSS2_RC_SUCCESS)
		return ss_err_set(err, SS_EINPUT, "TPM public area: cannot marshal");
	if ((rc = ss_digest(md, tmp, off, d, &dlen, err)))
		return rc;
	name[0] = (uint8_t)(pub->nameAlg >> 8);
	name[1] = (uint8_t)pub->nameAlg;
	memcpy(name + 2, d, dlen);
	*len = 2 + dlen;
	return SS_OK;
}

static const char *curve_group(TPMI_ECC_CURVE curve, size_t *field)
{
	switch (curve) {
	case TPM2_ECC_NIST_P256: *field = 32; return "prime256v1";
	case TPM2_ECC_NIST_P384: *field = 48; return "secp384r1";
	case TPM2_ECC_NIST_P521: *field = 66; return "secp521r1";
	default: return NULL;
	}
}

static int pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out, ss_err *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	int ok;

	*out = NULL;
	ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	     EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (!ok) {
		ERR_clear_error();
		return ss_err_set(err, SS_EINPUT, "TPM public area: not a valid %s public key", type);
	}
	return SS_OK;
}

int ss_tpm_public_to_pkey(const TPMT_PUBLIC *pub, EVP_PKEY **out, ss_err *err)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = NULL, *e = NULL;
	int rc;

	if (!bld)
		ss_oom();
	if (pub->type == TPM2_ALG_RSA) {
		const TPM2B_PUBLIC_KEY_RSA *m = &pub->unique.rsa;
		uint32_t exp = pub->parameters.rsaDetail.exponent ? pub->parameters.rsaDetail.exponent
								   : 65537;
		if (m->size == 0 || m->size * 8 != pub->parameters.rsaDetail.keyBits) {
			OSSL_PARAM_BLD_free(bld);
			return ss_err_set(err, SS_EINPUT, "TPM public area: RSA modulus size mismatch");
		}
		n = BN_bin2bn(m->buffer, m->size, NULL);
		e = BN_new();
		if (!n || !e || !BN_set_word(e, exp) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			ss_oom();
		rc = pkey_from_params("RSA", bld, out, err);
	} else if (pub->type == TPM2_ALG_ECC) {
		size_t field = 0;
		const char *group = curve_group(pub->parameters.eccDetail.curveID, &field);
		const TPMS_ECC_POINT *pt = &pub->unique.ecc;
		unsigned char point[1 + 2 * 66];

		if (!group) {
			OSSL_PARAM_BLD_free(bld);
			return ss_err_set(err, SS_EINPUT, "TPM public area: unsupported ECC curve 0x%04x",
					  pub->parameters.eccDetail.curveID);
		}
		if (pt->x.size == 0 || pt->x.size > field || pt->y.size == 0 || pt->y.size > field) {
			OSSL_PARAM_BLD_free(bld);
			return ss_err_set(err, SS_EINPUT, "TPM public area: bad ECC point size");
		}
		/* Uncompressed point; TPM coordinates may omit leading zeros. */
		memset(point, 0, sizeof point);
		point[0] = 4;
		memcpy(point + 1 + field - pt->x.size, pt->x.buffer, pt->x.size);
		memcpy(point + 1 + 2 * field - pt->y.size, pt->y.buffer, pt->y.size);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
						      1 + 2 * field))
			ss_oom();
		rc = pkey_from_params("EC", bld, out, err);
	} else
		rc = ss_err_set(err, SS_EINPUT, "TPM public area: key type 0x%04x is not RSA or ECC",
				pub->type);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

int ss_tpm_public_pem(const TPMT_PUBLIC *pub, ss_buf *out, ss_err *err)
{
	EVP_PKEY *key = NULL;
	int rc = ss_tpm_public_to_pkey(pub, &key, err);

	if (!rc)
		rc = ss_pkey_public_pem(key, out, err);
	EVP_PKEY_free(key);
	return rc;
}

bool ss_tpm_public_is_ak(const TPMT_PUBLIC *pub, const char **why)
{
	static const struct {
		TPMA_OBJECT bit;
		bool want;
		const char *name;
	} rules[] = {
		{ TPMA_OBJECT_FIXEDTPM, true, "fixedTPM is not set" },
		{ TPMA_OBJECT_FIXEDPARENT, true, "fixedParent is not set" },
		{ TPMA_OBJECT_SENSITIVEDATAORIGIN, true, "sensitiveDataOrigin is not set" },
		{ TPMA_OBJECT_RESTRICTED, true, "restricted is not set" },
		{ TPMA_OBJECT_SIGN_ENCRYPT, true, "sign is not set" },
		{ TPMA_OBJECT_DECRYPT, false, "decrypt is set" },
	};

	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (!!(pub->objectAttributes & rules[i].bit) != rules[i].want) {
			*why = rules[i].name;
			return false;
		}
	*why = NULL;
	return true;
}

bool ss_tpm_public_is_tcg_ak(const TPMT_PUBLIC *pub, const char **why)
{
	/* Beyond an AK's signing rules: authorized by its own password, never
	 * by a policy, as the template of the TCG EK Credential Profile's AK
	 * (and of ss-tpm-identity and tpm2_createak) has it.  A policy could
	 * let someone who does not hold the AK's auth use it. */
	if (!ss_tpm_public_is_ak(pub, why))
		return false;
	if (!(pub->objectAttributes & TPMA_OBJECT_USERWITHAUTH))
		*why = "userWithAuth is not set";
	else if (pub->objectAttributes & TPMA_OBJECT_ADMINWITHPOLICY)
		*why = "adminWithPolicy is set";
	else if (pub->authPolicy.size)
		*why = "authPolicy is not empty";
	else
		return true;
	return false;
}

size_t ss_tpm_attribute_names(TPMA_OBJECT attrs, const char *names[SS_TPM_ATTRIBUTES_MAX])
{
	static const struct {
		TPMA_OBJECT bit;
		const char *name;
	} all[] = {
		{ TPMA_OBJECT_FIXEDTPM, "fixedtpm" },
		{ TPMA_OBJECT_STCLEAR, "stclear" },
		{ TPMA_OBJECT_FIXEDPARENT, "fixedparent" },
		{ TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitivedataorigin" },
		{ TPMA_OBJECT_USERWITHAUTH, "userwithauth" },
		{ TPMA_OBJECT_ADMINWITHPOLICY, "adminwithpolicy" },
		{ TPMA_OBJECT_NODA, "noda" },
		{ TPMA_OBJECT_ENCRYPTEDDUPLICATION, "encryptedduplication" },
		{ TPMA_OBJECT_RESTRICTED, "restricted" },
		{ TPMA_OBJECT_DECRYPT, "decrypt" },
		{ TPMA_OBJECT_SIGN_ENCRYPT, "sign" },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof all / sizeof all[0] && n < SS_TPM_ATTRIBUTES_MAX; i++)
		if (attrs & all[i].bit)
			names[n++] = all[i].name;
	return n;
}

const char *ss_tpm_public_alg(const TPMT_PUBLIC *pub, char *out, size_t outlen)
{
	size_t field;

	if (pub->type == TPM2_ALG_RSA) {
		snprintf(out, outlen, "rsa-%u", pub->parameters.rsaDetail.keyBits);
		return "rsa";
	}
	if (pub->type == TPM2_ALG_ECC && curve_group(pub->parameters.eccDetail.curveID, &field)) {
		snprintf(out, outlen, "ecc-p%zu", field == 66 ? (size_t)521 : field * 8);
		return "ecc";
	}
	snprintf(out, outlen, "unknown");
	return NULL;
}
