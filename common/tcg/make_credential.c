#include "ss/make_credential.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "ss/crypto.h"
#include "ss/secret.h"
#include "ss/tpm_kdf.h"
#include "ss/tpm_public.h"

/* The secret-sharing label of credential protection; RSA-OAEP takes it with
 * its terminating NUL, KDFe adds the NUL itself. */
#define IDENTITY_LABEL "IDENTITY"

static const TPMT_SYM_DEF_OBJECT *ek_symmetric(const TPMT_PUBLIC *ek)
{
	return ek->type == TPM2_ALG_RSA ? &ek->parameters.rsaDetail.symmetric
					: &ek->parameters.eccDetail.symmetric;
}

static const EVP_CIPHER *aes_cfb(uint16_t bits)
{
	switch (bits) {
	case 128: return EVP_aes_128_cfb128();
	case 192: return EVP_aes_192_cfb128();
	case 256: return EVP_aes_256_cfb128();
	default: return NULL;
	}
}

/* The NIST curves a TCG EK template uses: OpenSSL group and field bytes. */
static const char *ecc_group(TPMI_ECC_CURVE curve, size_t *field)
{
	switch (curve) {
	case TPM2_ECC_NIST_P256: *field = 32; return "P-256";
	case TPM2_ECC_NIST_P384: *field = 48; return "P-384";
	case TPM2_ECC_NIST_P521: *field = 66; return "P-521";
	default: return NULL;
	}
}

/* Whether ek can protect a credential; *digest_len is its nameAlg's size. */
static int check_ek(const TPMT_PUBLIC *ek, size_t *digest_len, ss_err *err)
{
	const EVP_MD *md = ss_md_for_alg(ek->nameAlg);
	const TPMT_SYM_DEF_OBJECT *sym;
	size_t field;

	if (!md)
		return ss_err_set(err, SS_EINPUT, "EK: unsupported name algorithm 0x%04x",
				  ek->nameAlg);
	if (ek->type != TPM2_ALG_RSA && ek->type != TPM2_ALG_ECC)
		return ss_err_set(err, SS_EINPUT, "EK: key type 0x%04x is not RSA or ECC", ek->type);
	if (ek->type == TPM2_ALG_ECC && !ecc_group(ek->parameters.eccDetail.curveID, &field))
		return ss_err_set(err, SS_EINPUT, "EK: unsupported ECC curve 0x%04x",
				  ek->parameters.eccDetail.curveID);
	if (!(ek->objectAttributes & TPMA_OBJECT_RESTRICTED) ||
	    !(ek->objectAttributes & TPMA_OBJECT_DECRYPT) ||
	    (ek->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT))
		return ss_err_set(err, SS_EINPUT, "EK: not a restricted decryption key");
	sym = ek_symmetric(ek);
	if (sym->algorithm != TPM2_ALG_AES || sym->mode.aes != TPM2_ALG_CFB ||
	    !aes_cfb(sym->keyBits.aes))
		return ss_err_set(err, SS_EINPUT, "EK: symmetric algorithm is not AES-CFB");
	*digest_len = (size_t)EVP_MD_get_size(md);
	return SS_OK;
}

static void marshal_secret(const TPM2B_ENCRYPTED_SECRET *s, ss_buf *out)
{
	uint8_t tmp[sizeof *s];
	size_t off = 0;

	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(s, tmp, sizeof tmp, &off) != TSS2_RC_SUCCESS)
		ss_oom(); /* cannot happen: the buffer holds the largest one */
	ss_buf_add(out, tmp, off);
}

static int rsa_seed_encrypt(const TPMT_PUBLIC *ek, const uint8_t *seed, size_t seedlen,
			    ss_buf *secret, ss_err *err)
{
	static const char label[] = IDENTITY_LABEL; /* sizeof includes the NUL */
	const char *md = EVP_MD_get0_name(ss_md_for_alg(ek->nameAlg));
	TPM2B_ENCRYPTED_SECRET es = { 0 };
	OSSL_PARAM params[5], *p = params;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	size_t outlen = sizeof es.secret;
	int rc;

	if ((rc = ss_tpm_public_to_pkey(ek, &pkey, err)))
		return ss_err_prefix(err, "EK");
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE,
						(char *)OSSL_PKEY_RSA_PAD_MODE_OAEP, 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, (char *)md, 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, (char *)md, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, (void *)label,
						 sizeof label);
	*p = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx || EVP_PKEY_encrypt_init(ctx) != 1 || EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
	    EVP_PKEY_encrypt(ctx, es.secret, &outlen, seed, seedlen) != 1) {
		rc = ss_err_ssl(err, "RSA-OAEP encrypt seed");
		goto out;
	}
	es.size = (UINT16)outlen;
	marshal_secret(&es, secret);
	rc = SS_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return rc;
}

static int bn_param_padded(EVP_PKEY *pkey, const char *name, uint8_t *out, size_t len,
			   ss_err *err)
{
	BIGNUM *bn = NULL;
	int ok = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1 && BN_bn2binpad(bn, out, (int)len) > 0;

	BN_free(bn);
	return ok ? SS_OK : ss_err_ssl(err, "read ECC public point");
}

int ss_makecred_ecc_seed(const TPMT_PUBLIC *ek, EVP_PKEY *ephemeral, uint8_t *seed,
			 size_t *seedlen, ss_buf *secret, ss_err *err)
{
	uint8_t z[66];
	size_t zlen = sizeof z, field = 0, digest_len;
	const char *group;
	EVP_PKEY *ek_key = NULL, *eph = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	TPMS_ECC_POINT point = { 0 };
	TPM2B_ENCRYPTED_SECRET es = { 0 };
	size_t off = 0;
	int rc;

	if ((rc = check_ek(ek, &digest_len, err)))
		return rc;
	if (ek->type != TPM2_ALG_ECC)
		return ss_err_set(err, SS_EINPUT, "EK: not an ECC key");
	group = ecc_group(ek->parameters.eccDetail.curveID, &field);
	if ((rc = ss_tpm_public_to_pkey(ek, &ek_key, err)))
		return ss_err_prefix(err, "EK");
	if (ephemeral) {
		if (EVP_PKEY_up_ref(ephemeral) != 1) {
			rc = ss_err_ssl(err, "reference ephemeral key");
			goto out;
		}
		eph = ephemeral;
	} else if (!(eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group))) {
		rc = ss_err_ssl(err, "generate ephemeral %s key", group);
		goto out;
	}
	/* Z is the x coordinate of the shared point, as wide as the field:
	 * what OpenSSL's ECDH derivation returns.  Setting the peer also
	 * checks that both keys are on the same curve. */
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) != 1 || EVP_PKEY_derive_set_peer(dctx, ek_key) != 1 ||
	    EVP_PKEY_derive(dctx, z, &zlen) != 1) {
		rc = ss_err_ssl(err, "ECDH with the EK");
		goto out;
	}
	if ((rc = bn_param_padded(eph, OSSL_PKEY_PARAM_EC_PUB_X, point.x.buffer, field, err)) ||
	    (rc = bn_param_padded(eph, OSSL_PKEY_PARAM_EC_PUB_Y, point.y.buffer, field, err)))
		goto out;
	point.x.size = point.y.size = (UINT16)field;
	if ((rc = ss_tpm_kdfe(ek->nameAlg, z, zlen, IDENTITY_LABEL, point.x.buffer, field,
			      ek->unique.ecc.x.buffer, ek->unique.ecc.x.size, seed, digest_len,
			      err)))
		goto out;
	if (Tss2_MU_TPMS_ECC_POINT_Marshal(&point, es.secret, sizeof es.secret, &off) !=
	    TSS2_RC_SUCCESS) {
		ss_wipe(seed, digest_len);
		rc = ss_err_set(err, SS_ECRYPTO, "marshal ephemeral point");
		goto out;
	}
	es.size = (UINT16)off;
	marshal_secret(&es, secret);
	*seedlen = digest_len;
	rc = SS_OK;
out:
	ss_wipe(z, sizeof z);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(eph); /* the ephemeral private key is cleared as it is freed */
	EVP_PKEY_free(ek_key);
	return rc;
}

static int aes_cfb_encrypt(const EVP_CIPHER *cipher, const uint8_t *key, const uint8_t *in,
			   size_t n, uint8_t *out, ss_err *err)
{
	static const uint8_t zero_iv[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, cipher, NULL, key, zero_iv) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &len, in, (int)n) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + len, &fin) == 1 && (size_t)(len + fin) == n;
	EVP_CIPHER_CTX_free(ctx); /* clears the expanded key */
	return ok ? SS_OK : ss_err_ssl(err, "AES-CFB encrypt credential");
}

int ss_makecred_wrap(const TPMT_PUBLIC *ek, const uint8_t *seed, size_t seedlen,
		     const uint8_t *credential, size_t credlen, const uint8_t *ak_name,
		     size_t ak_name_len, ss_buf *id_object, ss_err *err)
{
	const EVP_MD *md = ss_md_for_alg(ek->nameAlg);
	const TPMT_SYM_DEF_OBJECT *sym;
	TPM2B_DIGEST cred = { 0 };
	TPM2B_ID_OBJECT id = { 0 };
	uint8_t sym_key[32], hmac_key[SS_MAX_DIGEST], plain[sizeof(TPM2B_DIGEST)];
	uint8_t enc[sizeof(TPM2B_DIGEST)], mac[SS_MAX_DIGEST];
	uint8_t mac_input[sizeof enc + sizeof(TPMU_NAME)];
	uint8_t tmp[sizeof(TPM2B_ID_OBJECT)];
	size_t digest_len, plain_len = 0, off = 0;
	int rc;

	if ((rc = check_ek(ek, &digest_len, err)))
		return rc;
	if (credlen == 0 || credlen > SS_CREDENTIAL_MAX)
		return ss_err_set(err, SS_EINPUT, "credential of %zu bytes: 1..%zu are possible",
				  credlen, (size_t)SS_CREDENTIAL_MAX);
	if (ak_name_len < 2 || ak_name_len > sizeof(TPMU_NAME))
		return ss_err_set(err, SS_EINPUT, "AK name of %zu bytes is not a TPM name",
				  ak_name_len);
	if (seedlen == 0)
		return ss_err_set(err, SS_ECRYPTO, "credential seed is empty");
	sym = ek_symmetric(ek);
	cred.size = (UINT16)credlen;
	memcpy(cred.buffer, credential, credlen);
	if (Tss2_MU_TPM2B_DIGEST_Marshal(&cred, plain, sizeof plain, &plain_len) !=
	    TSS2_RC_SUCCESS) {
		rc = ss_err_set(err, SS_ECRYPTO, "marshal credential");
		goto out;
	}
	if ((rc = ss_tpm_kdfa(ek->nameAlg, seed, seedlen, "STORAGE", ak_name, ak_name_len, NULL, 0,
			      sym_key, sym->keyBits.aes / 8, err)) ||
	    (rc = aes_cfb_encrypt(aes_cfb(sym->keyBits.aes), sym_key, plain, plain_len, enc, err)) ||
	    (rc = ss_tpm_kdfa(ek->nameAlg, seed, seedlen, "INTEGRITY", NULL, 0, NULL, 0, hmac_key,
			      digest_len, err)))
		goto out;
	memcpy(mac_input, enc, plain_len);
	memcpy(mac_input + plain_len, ak_name, ak_name_len);
	if ((rc = ss_hmac(md, hmac_key, digest_len, mac_input, plain_len + ak_name_len, mac, NULL,
			  err)))
		goto out;
	/* TPMS_ID_OBJECT: integrityHMAC as a TPM2B_DIGEST, then encIdentity
	 * without a size of its own (it runs to the end). */
	id.credential[0] = (uint8_t)(digest_len >> 8);
	id.credential[1] = (uint8_t)digest_len;
	memcpy(id.credential + 2, mac, digest_len);
	memcpy(id.credential + 2 + digest_len, enc, plain_len);
	id.size = (UINT16)(2 + digest_len + plain_len);
	if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, tmp, sizeof tmp, &off) != TSS2_RC_SUCCESS) {
		rc = ss_err_set(err, SS_ECRYPTO, "marshal ID object");
		goto out;
	}
	ss_buf_add(id_object, tmp, off);
	rc = SS_OK;
out:
	ss_wipe(&cred, sizeof cred);
	ss_wipe(plain, sizeof plain);
	ss_wipe(sym_key, sizeof sym_key);
	ss_wipe(hmac_key, sizeof hmac_key);
	return rc;
}

int ss_make_credential(const TPMT_PUBLIC *ek, const uint8_t *credential, size_t credlen,
		       const uint8_t *ak_name, size_t ak_name_len, ss_buf *id_object,
		       ss_buf *secret, ss_err *err)
{
	uint8_t seed[SS_MAX_DIGEST];
	size_t seedlen = 0;
	ss_buf es = SS_BUF_INIT, id = SS_BUF_INIT;
	int rc;

	if ((rc = check_ek(ek, &seedlen, err)))
		return rc;
	if (ek->type == TPM2_ALG_RSA) {
		/* The seed is as long as the EK's nameAlg digest. */
		if ((rc = ss_random(seed, seedlen, err)) ||
		    (rc = rsa_seed_encrypt(ek, seed, seedlen, &es, err)))
			goto out;
	} else if ((rc = ss_makecred_ecc_seed(ek, NULL, seed, &seedlen, &es, err)))
		goto out;
	if ((rc = ss_makecred_wrap(ek, seed, seedlen, credential, credlen, ak_name, ak_name_len,
				   &id, err)))
		goto out;
	ss_buf_add(id_object, id.data, id.len);
	ss_buf_add(secret, es.data, es.len);
out:
	ss_wipe(seed, sizeof seed);
	ss_buf_free(&es);
	ss_buf_free(&id);
	return rc;
}
