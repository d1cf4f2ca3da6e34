/* The quote verifier, on quotes made in software: a P-256 key plays the AK,
 * TPMS_ATTEST is built and marshaled here and signed with OpenSSL, so every
 * check of the checklist can be hit exactly and in order. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "ss/quote_check.h"
#include "ss/quote.h"
#include "unit.h"

static EVP_PKEY *ak_key;
static TPMT_PUBLIC ak_pub;
static const uint8_t extra[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static uint8_t pcr[SS_PCR_COUNT][SS_MAX_DIGEST];
static ss_pcrsel sel;

static void make_ak(void)
{
	BIGNUM *x = NULL, *y = NULL;

	ak_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY_get_bn_param(ak_key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
	EVP_PKEY_get_bn_param(ak_key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
	memset(&ak_pub, 0, sizeof ak_pub);
	ak_pub.type = TPM2_ALG_ECC;
	ak_pub.nameAlg = TPM2_ALG_SHA256;
	ak_pub.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	ak_pub.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	ak_pub.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	ak_pub.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	ak_pub.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	ak_pub.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	ak_pub.unique.ecc.x.size = (UINT16)BN_bn2binpad(x, ak_pub.unique.ecc.x.buffer, 32);
	ak_pub.unique.ecc.y.size = (UINT16)BN_bn2binpad(y, ak_pub.unique.ecc.y.buffer, 32);
	BN_free(x);
	BN_free(y);
	sel.hash = ss_hash_by_name("sha256");
	sel.mask = 0x7; /* PCRs 0-2 */
	for (int i = 0; i < SS_PCR_COUNT; i++)
		memset(pcr[i], i, 32);
}

/* A well-formed quote of PCRs 0-2 over extra; callers then spoil one thing. */
static void make_attest(TPMS_ATTEST *a)
{
	memset(a, 0, sizeof *a);
	a->magic = TPM2_GENERATED_VALUE;
	a->type = TPM2_ST_ATTEST_QUOTE;
	a->qualifiedSigner.size = 34;
	a->extraData.size = sizeof extra;
	memcpy(a->extraData.buffer, extra, sizeof extra);
	a->clockInfo.safe = TPM2_YES;
	a->attested.quote.pcrSelect.count = 1;
	a->attested.quote.pcrSelect.pcrSelections[0].hash = TPM2_ALG_SHA256;
	a->attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 3;
	a->attested.quote.pcrSelect.pcrSelections[0].pcrSelect[0] = 0x07;
	a->attested.quote.pcrDigest.size = 32;
	ss_pcr_digest(&sel, (const uint8_t(*)[SS_MAX_DIGEST])pcr, TPM2_ALG_SHA256,
		      a->attested.quote.pcrDigest.buffer, NULL, NULL);
}

struct blob {
	uint8_t attest[sizeof(TPMS_ATTEST)];
	size_t attest_len;
	uint8_t sig[sizeof(TPMT_SIGNATURE)];
	size_t sig_len;
};

static void sign(const TPMS_ATTEST *a, struct blob *b, const EVP_MD *md, uint16_t hash_alg)
{
	unsigned char digest[64], *der = NULL;
	unsigned int dlen = 0;
	size_t siglen = 0;
	TPMT_SIGNATURE s;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ak_key, NULL);
	const BIGNUM *r, *sv;
	ECDSA_SIG *es;
	const unsigned char *p;

	b->attest_len = 0;
	Tss2_MU_TPMS_ATTEST_Marshal(a, b->attest, sizeof b->attest, &b->attest_len);
	EVP_Digest(b->attest, b->attest_len, digest, &dlen, md, NULL);
	EVP_PKEY_sign_init(ctx);
	EVP_PKEY_sign(ctx, NULL, &siglen, digest, dlen);
	der = OPENSSL_malloc(siglen);
	EVP_PKEY_sign(ctx, der, &siglen, digest, dlen);
	p = der;
	es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	ECDSA_SIG_get0(es, &r, &sv);
	memset(&s, 0, sizeof s);
	s.sigAlg = TPM2_ALG_ECDSA;
	s.signature.ecdsa.hash = hash_alg;
	s.signature.ecdsa.signatureR.size = (UINT16)BN_bn2binpad(r, s.signature.ecdsa.signatureR.buffer, 32);
	s.signature.ecdsa.signatureS.size = (UINT16)BN_bn2binpad(sv, s.signature.ecdsa.signatureS.buffer, 32);
	b->sig_len = 0;
	Tss2_MU_TPMT_SIGNATURE_Marshal(&s, b->sig, sizeof b->sig, &b->sig_len);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(ctx);
}

/* Verify a blob with the standard expectations; returns the reason or "ok". */
static const char *verdict_of(struct blob *b, const TPMT_PUBLIC *pub, unsigned hashes)
{
	static ss_quote_verdict v;
	ss_quote_blobs q;
	ss_err err = { 0 };
	ss_quote_expect e = { pub, extra, sizeof extra, &sel, &sel,
			      (const uint8_t(*)[SS_MAX_DIGEST])pcr, hashes };
	int rc;

	if (ss_quote_decode(b->attest, b->attest_len, b->sig, b->sig_len, &q, &err))
		return SS_R_MALFORMED;
	rc = ss_quote_verify(b->attest, b->attest_len, &q, &e, &v, &err);
	if (rc == SS_OK)
		return "ok";
	return rc == SS_REFUSED ? v.reason : "error";
}

TEST(good_quote_passes)
{
	TPMS_ATTEST a;
	struct blob b;

	make_attest(&a);
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), "ok");
}

TEST(trailing_byte_is_malformed)
{
	TPMS_ATTEST a;
	struct blob b;

	make_attest(&a);
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	b.attest[b.attest_len++] = 0;
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_MALFORMED);
	b.attest_len -= 2; /* truncated */
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_MALFORMED);
}

TEST(ak_without_restricted_is_refused_first)
{
	TPMS_ATTEST a;
	struct blob b;
	TPMT_PUBLIC loose = ak_pub;

	loose.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	make_attest(&a);
	a.magic = 0; /* also wrong, but attributes come first */
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	CHECK_STR(verdict_of(&b, &loose, SS_HASH_DEFAULT), SS_R_AK_ATTRIBUTES);
	loose = ak_pub;
	loose.objectAttributes |= TPMA_OBJECT_DECRYPT;
	CHECK_STR(verdict_of(&b, &loose, SS_HASH_DEFAULT), SS_R_AK_ATTRIBUTES);
}

TEST(bad_magic_even_when_signed)
{
	TPMS_ATTEST a;
	struct blob b;

	make_attest(&a);
	a.magic = 0x12345678;
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_BAD_MAGIC);
}

TEST(certify_is_not_a_quote)
{
	TPMS_ATTEST a;
	struct blob b;

	make_attest(&a);
	memset(&a.attested, 0, sizeof a.attested);
	a.type = TPM2_ST_ATTEST_CERTIFY;
	a.attested.certify.name.size = 2;
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_WRONG_TYPE);
}

TEST(signature_bit_flip_and_scheme)
{
	TPMS_ATTEST a;
	struct blob b;

	make_attest(&a);
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	b.sig[b.sig_len - 1] ^= 1;
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_SIGNATURE);
	/* A SHA-384 signature from an AK that pins SHA-256. */
	sign(&a, &b, EVP_sha384(), TPM2_ALG_SHA384);
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_SIGNATURE);
	/* One attest bit flipped after signing. */
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	b.attest[b.attest_len - 40] ^= 0x10;
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_SIGNATURE);
}

TEST(sha1_is_not_allowed_by_default)
{
	TPMS_ATTEST a;
	struct blob b;
	TPMT_PUBLIC sha1ak = ak_pub;

	sha1ak.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA1;
	make_attest(&a);
	sign(&a, &b, EVP_sha1(), TPM2_ALG_SHA1);
	CHECK_STR(verdict_of(&b, &sha1ak, SS_HASH_DEFAULT), SS_R_HASH);
}

TEST(binding_selection_and_digest)
{
	TPMS_ATTEST a;
	struct blob b;

	make_attest(&a);
	a.extraData.buffer[0] ^= 1;
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_BINDING);

	make_attest(&a);
	a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[0] = 0x0f; /* PCRs 0-3 */
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_SELECTION);

	make_attest(&a);
	a.attested.quote.pcrDigest.buffer[5] ^= 1;
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	CHECK_STR(verdict_of(&b, &ak_pub, SS_HASH_DEFAULT), SS_R_DIGEST);
}

/* The checks a quote's verification ran, as explain shows them:
 * "check=outcome" in the order they completed, into out. */
static void trace_of(struct blob *b, const TPMT_PUBLIC *pub, unsigned hashes, char *out,
		     size_t len, cJSON **trace)
{
	static ss_quote_verdict v;
	ss_quote_blobs q;
	ss_err err = { 0 };
	ss_quote_expect e = { pub, extra, sizeof extra, &sel, &sel,
			      (const uint8_t(*)[SS_MAX_DIGEST])pcr, hashes };
	const cJSON *c;
	size_t n = 0;

	*out = 0;
	*trace = e.trace = cJSON_CreateArray();
	if (ss_quote_decode(b->attest, b->attest_len, b->sig, b->sig_len, &q, &err))
		return;
	(void)ss_quote_verify(b->attest, b->attest_len, &q, &e, &v, &err);
	cJSON_ArrayForEach(c, *trace)
		n += (size_t)snprintf(out + n, len - n, "%s%s=%s", n ? " " : "",
				      cJSON_GetObjectItem(c, "check")->valuestring,
				      cJSON_GetObjectItem(c, "outcome")->valuestring);
}

static const char *compared(const cJSON *trace, const char *check, const char *member)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, trace)
		if (!strcmp(cJSON_GetObjectItem(c, "check")->valuestring, check))
			return cJSON_GetObjectItem(cJSON_GetObjectItem(c, "compared"), member)
				->valuestring;
	return NULL;
}

TEST(trace_records_each_check_and_what_it_compared)
{
	TPMS_ATTEST a;
	struct blob b;
	TPMT_PUBLIC sha1ak = ak_pub;
	char got[600];
	cJSON *t;

	make_attest(&a);
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	trace_of(&b, &ak_pub, SS_HASH_DEFAULT, got, sizeof got, &t);
	CHECK_STR(got, "ak_attributes=passed bad_magic=passed wrong_attest_type=passed "
		       "signature_invalid=passed hash_not_allowed=passed binding_mismatch=passed "
		       "pcr_selection_mismatch=passed pcr_digest_mismatch=passed");
	CHECK_STR(compared(t, "pcr_selection_mismatch", "quoted"), "sha256:0,1,2");
	cJSON_Delete(t);

	a.magic = 0x12345678;
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	trace_of(&b, &ak_pub, SS_HASH_DEFAULT, got, sizeof got, &t);
	CHECK_STR(got, "ak_attributes=passed bad_magic=failed");
	CHECK_STR(compared(t, "bad_magic", "magic"), "0x12345678");
	CHECK_STR(compared(t, "bad_magic", "expected"), "0xff544347");
	cJSON_Delete(t);

	make_attest(&a);
	a.extraData.buffer[0] ^= 1;
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	trace_of(&b, &ak_pub, SS_HASH_DEFAULT, got, sizeof got, &t);
	CHECK(strstr(got, "hash_not_allowed=passed binding_mismatch=failed") != NULL);
	CHECK(strcmp(compared(t, "binding_mismatch", "quoted"),
		     compared(t, "binding_mismatch", "expected")) != 0);
	cJSON_Delete(t);

	/* SHA-1 is refused before the signature is verified. */
	sha1ak.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA1;
	make_attest(&a);
	sign(&a, &b, EVP_sha1(), TPM2_ALG_SHA1);
	trace_of(&b, &sha1ak, SS_HASH_DEFAULT, got, sizeof got, &t);
	CHECK_STR(got, "ak_attributes=passed bad_magic=passed wrong_attest_type=passed "
		       "hash_not_allowed=failed");
	CHECK_STR(compared(t, "hash_not_allowed", "signature_hash"), "sha1");
	cJSON_Delete(t);

	/* A signature that does not verify. */
	make_attest(&a);
	sign(&a, &b, EVP_sha256(), TPM2_ALG_SHA256);
	b.sig[b.sig_len - 1] ^= 1;
	trace_of(&b, &ak_pub, SS_HASH_DEFAULT, got, sizeof got, &t);
	CHECK_STR(got, "ak_attributes=passed bad_magic=passed wrong_attest_type=passed "
		       "signature_invalid=failed");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetArrayItem(t, 3), "compared"), "verified")));
	cJSON_Delete(t);
}

int main(void)
{
	make_ak();
	RUN(good_quote_passes);
	RUN(trailing_byte_is_malformed);
	RUN(ak_without_restricted_is_refused_first);
	RUN(bad_magic_even_when_signed);
	RUN(certify_is_not_a_quote);
	RUN(signature_bit_flip_and_scheme);
	RUN(sha1_is_not_allowed_by_default);
	RUN(binding_selection_and_digest);
	RUN(trace_records_each_check_and_what_it_compared);
	EVP_PKEY_free(ak_key);
	return unit_done();
}
