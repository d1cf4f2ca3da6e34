/* MakeCredential in software, and the EK templates it runs on.
 *
 * The ECC seed is held to a published known answer (a vector validated
 * against TPM2_ActivateCredential by its authors, recomputed here
 * independently before use).  For every EK template the blob is opened again
 * by a software ActivateCredential written in this file from the TPM 2.0
 * Part 1 description, with the EK's private key: the credential must come
 * back, and a flipped bit or another AK name must fail the integrity check
 * the way a TPM's would.  Real TPMs (swtpm) check the rest in the bats
 * suites. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include "ss/crypto.h"
#include "ss/ek_template.h"
#include "ss/enc.h"
#include "ss/make_credential.h"
#include "ss/tpm_kdf.h"
#include "ss/tpm_public.h"
#include "unit.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!ss_hex_decode(s, strlen(s), out, max, &n))
		return 0;
	return n;
}

static EVP_PKEY *keygen(const ss_ek_template *t)
{
	if (t->type == TPM2_ALG_RSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)t->rsa_bits);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC",
				 t->curve == TPM2_ECC_NIST_P256 ? "P-256"
				 : t->curve == TPM2_ECC_NIST_P384 ? "P-384" : "P-521");
}

/* The seed, recovered with the EK's private key. */
static bool recover_seed(const TPMT_PUBLIC *ek, EVP_PKEY *ek_priv, const ss_buf *secret,
			 uint8_t *seed, size_t *seedlen)
{
	TPM2B_ENCRYPTED_SECRET es = { 0 };
	size_t off = 0, dlen = (size_t)EVP_MD_get_size(ss_md_for_alg(ek->nameAlg));
	ss_err err = { 0 };

	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(secret->data, secret->len, &off, &es) ||
	    off != secret->len)
		return false;
	if (ek->type == TPM2_ALG_RSA) {
		const char *md = EVP_MD_get0_name(ss_md_for_alg(ek->nameAlg));
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek_priv, NULL);
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE,
							 (char *)"oaep", 0),
			OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST,
							 (char *)md, 0),
			OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
							  (char *)"IDENTITY", 9),
			OSSL_PARAM_construct_end(),
		};
		uint8_t plain[512];
		size_t plen = sizeof plain;
		bool ok;

		/* OpenSSL wants room for a whole modulus, whatever the padding. */
		ok = ctx && EVP_PKEY_decrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_params(ctx, p) == 1 &&
		     EVP_PKEY_decrypt(ctx, plain, &plen, es.secret, es.size) == 1 && plen == dlen;
		EVP_PKEY_CTX_free(ctx);
		if (ok)
			memcpy(seed, plain, plen);
		*seedlen = plen;
		return ok;
	}
	{
		TPMS_ECC_POINT pt = { 0 };
		TPMT_PUBLIC eph = *ek;
		EVP_PKEY *eph_key = NULL;
		EVP_PKEY_CTX *ctx = NULL;
		uint8_t z[66];
		size_t zlen = sizeof z;
		bool ok;

		off = 0;
		if (Tss2_MU_TPMS_ECC_POINT_Unmarshal(es.secret, es.size, &off, &pt) || off != es.size)
			return false;
		eph.unique.ecc = pt;
		ok = ss_tpm_public_to_pkey(&eph, &eph_key, &err) == SS_OK &&
		     (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek_priv, NULL)) &&
		     EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, eph_key) == 1 &&
		     EVP_PKEY_derive(ctx, z, &zlen) == 1 &&
		     ss_tpm_kdfe(ek->nameAlg, z, zlen, "IDENTITY", pt.x.buffer, pt.x.size,
				 ek->unique.ecc.x.buffer, ek->unique.ecc.x.size, seed, dlen,
				 &err) == SS_OK;
		*seedlen = dlen;
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(eph_key);
		return ok;
	}
}

/* TPM2_ActivateCredential's unwrapping, given the seed: integrity first,
 * then decryption.  Returns the credential length, 0 on any failure. */
static size_t activate(const TPMT_PUBLIC *ek, const uint8_t *seed, size_t seedlen,
		       const ss_buf *id_object, const uint8_t *name, size_t namelen, uint8_t *cred)
{
	const EVP_MD *md = ss_md_for_alg(ek->nameAlg);
	const TPMT_SYM_DEF_OBJECT *sym = ek->type == TPM2_ALG_RSA ? &ek->parameters.rsaDetail.symmetric
								  : &ek->parameters.eccDetail.symmetric;
	TPM2B_ID_OBJECT id = { 0 };
	TPM2B_DIGEST d = { 0 };
	uint8_t hkey[64], skey[32], mac[64], buf[256], plain[128], iv[16] = { 0 };
	size_t off = 0, dlen = (size_t)EVP_MD_get_size(md), enclen, mlen = 0;
	int len = 0, fin = 0;
	EVP_CIPHER_CTX *c;
	ss_err err = { 0 };

	if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(id_object->data, id_object->len, &off, &id) ||
	    off != id_object->len || id.size < 2 + dlen ||
	    ((id.credential[0] << 8) | id.credential[1]) != (int)dlen)
		return 0;
	enclen = id.size - 2 - dlen;
	if (ss_tpm_kdfa(ek->nameAlg, seed, seedlen, "INTEGRITY", NULL, 0, NULL, 0, hkey, dlen, &err))
		return 0;
	memcpy(buf, id.credential + 2 + dlen, enclen);
	memcpy(buf + enclen, name, namelen);
	if (ss_hmac(md, hkey, dlen, buf, enclen + namelen, mac, &mlen, &err) ||
	    memcmp(mac, id.credential + 2, dlen) != 0)
		return 0;
	if (ss_tpm_kdfa(ek->nameAlg, seed, seedlen, "STORAGE", name, namelen, NULL, 0, skey,
			sym->keyBits.aes / 8, &err))
		return 0;
	c = EVP_CIPHER_CTX_new();
	EVP_DecryptInit_ex(c, sym->keyBits.aes == 128 ? EVP_aes_128_cfb128() : EVP_aes_256_cfb128(),
			   NULL, skey, iv);
	EVP_DecryptUpdate(c, plain, &len, id.credential + 2 + dlen, (int)enclen);
	EVP_DecryptFinal_ex(c, plain + len, &fin);
	EVP_CIPHER_CTX_free(c);
	off = 0;
	if (Tss2_MU_TPM2B_DIGEST_Unmarshal(plain, (size_t)(len + fin), &off, &d) ||
	    off != (size_t)(len + fin))
		return 0;
	memcpy(cred, d.buffer, d.size);
	return d.size;
}

static const uint32_t all_indices[] = { 0x01c00002, 0x01c0000a, 0x01c00012, 0x01c00014,
					0x01c00016, 0x01c00018, 0x01c0001c, 0x01c0001e };

TEST(credential_round_trips_through_a_software_activation_for_every_template)
{
	static const uint8_t credential[32] = "the credential, 32 bytes long..";
	uint8_t name[34] = { 0x00, 0x0b }, other[34], seed[64], out[64];
	ss_err err = { 0 };

	memset(name + 2, 0xa5, 32);
	memcpy(other, name, sizeof other);
	other[33] ^= 1;
	for (size_t i = 0; i < sizeof all_indices / sizeof all_indices[0]; i++) {
		const ss_ek_template *t = ss_ek_template_by_nv(all_indices[i]);
		EVP_PKEY *key = t ? keygen(t) : NULL;
		TPMT_PUBLIC ek;
		ss_buf id = SS_BUF_INIT, secret = SS_BUF_INIT;
		size_t seedlen = 0;

		CHECK(key != NULL);
		if (!key)
			continue;
		printf("# template %s\n", t->name);
		CHECK(ss_ek_template_public(t, key, &ek, &err) == SS_OK);
		CHECK(ss_make_credential(&ek, credential, sizeof credential, name, sizeof name, &id,
					 &secret, &err) == SS_OK);
		CHECK(recover_seed(&ek, key, &secret, seed, &seedlen));
		CHECK(activate(&ek, seed, seedlen, &id, name, sizeof name, out) == sizeof credential &&
		      memcmp(out, credential, sizeof credential) == 0);
		/* Bound to the AK's name: any other name fails the integrity check. */
		CHECK(activate(&ek, seed, seedlen, &id, other, sizeof other, out) == 0);
		/* One flipped bit of encIdentity fails it too. */
		id.data[id.len - 1] ^= 0x01;
		CHECK(activate(&ek, seed, seedlen, &id, name, sizeof name, out) == 0);
		ss_buf_free(&id);
		ss_buf_free(&secret);
		EVP_PKEY_free(key);
	}
}

TEST(every_credential_uses_a_fresh_seed)
{
	const ss_ek_template *t = ss_ek_template_by_nv(0x01c00016);
	EVP_PKEY *key = keygen(t);
	uint8_t cred[32] = { 7 }, name[34] = { 0x00, 0x0b };
	ss_buf id1 = SS_BUF_INIT, id2 = SS_BUF_INIT, s1 = SS_BUF_INIT, s2 = SS_BUF_INIT;
	TPMT_PUBLIC ek;
	ss_err err = { 0 };

	CHECK(ss_ek_template_public(t, key, &ek, &err) == SS_OK);
	CHECK(ss_make_credential(&ek, cred, sizeof cred, name, sizeof name, &id1, &s1, &err) == 0);
	CHECK(ss_make_credential(&ek, cred, sizeof cred, name, sizeof name, &id2, &s2, &err) == 0);
	CHECK(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) != 0);
	CHECK(id1.len == id2.len && memcmp(id1.data, id2.data, id1.len) != 0);
	ss_buf_free(&id1);
	ss_buf_free(&id2);
	ss_buf_free(&s1);
	ss_buf_free(&s2);
	EVP_PKEY_free(key);
}

/* An EC private key on P-256 from its scalar (public point computed). */
static EVP_PKEY *p256_from_scalar(const char *hex)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *pt = EC_POINT_new(g);
	BIGNUM *d = NULL;
	unsigned char pub[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;

	BN_hex2bn(&d, hex);
	EC_POINT_mul(g, pt, d, NULL, NULL, NULL);
	EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL);
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub);
	params = OSSL_PARAM_BLD_to_param(bld);
	if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return key;
}

TEST(ecc_seed_matches_a_known_answer_checked_by_activate_credential)
{
	/* TPMT_PUBLIC of a restricted P-256 decryption key (SHA-256,
	 * AES-256-CFB), an ephemeral scalar, and the expected seed and
	 * ephemeral point. */
	static const char pub_hex[] =
		"0023000b0003046000000006010000430010000300100020fe4cf1f3e8f583c19e1af6190a7c20"
		"751658914a93cd77efb871cb1557377560002007b6b7c55bea1d17b1a9d96f367cf315b2942d51"
		"7fd8642e9d9157036831c4d5";
	static const char eph_scalar[] =
		"9efafbaf83563f8ac5a27815eae1017ca78c92f9cde976b1a2e0ad95b8a19bc1";
	static const char want_seed[] =
		"2a03ff2b874e44d36a567e67a0bf08227b9e65a0e9ca5215d4a9e573c23159a1";
	static const char want_point[] =
		"002017ca41bd94c7f12436cf135ff1852408ef6a1ee1989e4e6250ef73c348dd6fa90020346f60"
		"16d6f6a2ef8e07df6d7b53b362005fc21cda1e1ab25e61f38a87e017b8";
	uint8_t raw[256], seed[64];
	char hex[512];
	size_t n = unhex(pub_hex, raw, sizeof raw), off = 0, seedlen = 0;
	TPMT_PUBLIC ek = { 0 };
	EVP_PKEY *eph = p256_from_scalar(eph_scalar);
	ss_buf secret = SS_BUF_INIT;
	ss_err err = { 0 };

	CHECK(Tss2_MU_TPMT_PUBLIC_Unmarshal(raw, n, &off, &ek) == TSS2_RC_SUCCESS && off == n);
	CHECK(eph != NULL);
	CHECK(ss_makecred_ecc_seed(&ek, eph, seed, &seedlen, &secret, &err) == SS_OK);
	CHECK(seedlen == 32);
	ss_hex_encode(seed, seedlen, hex);
	CHECK_STR(hex, want_seed);
	/* TPM2B_ENCRYPTED_SECRET: its size, then the marshaled point. */
	CHECK(secret.len == 2 + 68 && secret.data[0] == 0 && secret.data[1] == 68);
	ss_hex_encode(secret.data + 2, secret.len - 2, hex);
	CHECK_STR(hex, want_point);
	ss_buf_free(&secret);
	EVP_PKEY_free(eph);
}

TEST(only_restricted_aes_cfb_decryption_keys_can_protect_a_credential)
{
	const ss_ek_template *t = ss_ek_template_by_nv(0x01c0000a);
	EVP_PKEY *key = keygen(t);
	uint8_t cred[32] = { 1 }, name[34] = { 0x00, 0x0b };
	ss_buf id = SS_BUF_INIT, secret = SS_BUF_INIT;
	TPMT_PUBLIC ek, bad;
	ss_err err = { 0 };

	CHECK(ss_ek_template_public(t, key, &ek, &err) == SS_OK);
	bad = ek;
	bad.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	CHECK(ss_make_credential(&bad, cred, sizeof cred, name, sizeof name, &id, &secret, &err) ==
	      SS_EINPUT);
	CHECK_STR(err.msg, "EK: not a restricted decryption key");
	bad = ek;
	bad.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CBC;
	CHECK(ss_make_credential(&bad, cred, sizeof cred, name, sizeof name, &id, &secret, &err) ==
	      SS_EINPUT);
	CHECK_STR(err.msg, "EK: symmetric algorithm is not AES-CFB");
	CHECK(ss_make_credential(&ek, cred, 0, name, sizeof name, &id, &secret, &err) == SS_EINPUT);
	CHECK(id.len == 0 && secret.len == 0); /* nothing appended on failure */
	ss_buf_free(&id);
	ss_buf_free(&secret);
	EVP_PKEY_free(key);
}

TEST(ek_template_refuses_a_key_that_does_not_fit)
{
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *rsa3 = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	unsigned int three = 3;
	OSSL_PARAM p[] = { OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &three),
			   OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &(unsigned int){ 2048 }),
			   OSSL_PARAM_construct_end() };
	TPMT_PUBLIC ek;
	ss_err err = { 0 };

	CHECK(ss_ek_template_by_nv(0x01c0001a) == NULL); /* H-5, SM2: not supported */
	CHECK(ss_ek_template_by_nv(0x01c00003) == NULL);
	CHECK(ss_ek_template_public(ss_ek_template_by_nv(0x01c00002), p256, &ek, &err) ==
	      SS_REFUSED);
	CHECK_STR(err.msg, "holds an ecc-p256 key, template L-1 is for rsa-2048");
	CHECK(ss_ek_template_public(ss_ek_template_by_nv(0x01c00016), p256, &ek, &err) ==
	      SS_REFUSED);
	CHECK_STR(err.msg, "holds an ecc-p256 key, template H-3 is for ecc-p384");
	CHECK(EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_params(ctx, p) == 1 &&
	      EVP_PKEY_generate(ctx, &rsa3) == 1);
	CHECK(ss_ek_template_public(ss_ek_template_by_nv(0x01c00002), rsa3, &ek, &err) ==
	      SS_REFUSED);
	CHECK_STR(err.msg, "RSA exponent is not 65537, as template L-1 requires");
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(rsa3);
	EVP_PKEY_free(p256);
}

TEST(ek_template_public_area_names_the_key_it_was_given)
{
	const ss_ek_template *t = ss_ek_template_by_nv(0x01c00016);
	EVP_PKEY *key = keygen(t), *back = NULL;
	TPMT_PUBLIC ek;
	ss_err err = { 0 };

	CHECK(ss_ek_template_public(t, key, &ek, &err) == SS_OK);
	CHECK(ek.nameAlg == TPM2_ALG_SHA384 && ek.objectAttributes == 0x000300f2);
	CHECK(ek.authPolicy.size == 48 && ek.authPolicy.buffer[0] == 0xb2);
	CHECK(ek.parameters.eccDetail.symmetric.keyBits.aes == 256);
	CHECK(ss_tpm_public_to_pkey(&ek, &back, &err) == SS_OK && EVP_PKEY_eq(key, back) == 1);
	EVP_PKEY_free(back);
	EVP_PKEY_free(key);
}

int main(void)
{
	RUN(credential_round_trips_through_a_software_activation_for_every_template);
	RUN(every_credential_uses_a_fresh_seed);
	RUN(ecc_seed_matches_a_known_answer_checked_by_activate_credential);
	RUN(only_restricted_aes_cfb_decryption_keys_can_protect_a_credential);
	RUN(ek_template_refuses_a_key_that_does_not_fit);
	RUN(ek_template_public_area_names_the_key_it_was_given);
	return unit_done();
}
