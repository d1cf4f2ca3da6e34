/* The software parts of ss-tpm-identity's TPM modules: the EK profile's
 * policy digests, qualified names, the AK template, the simulator rule. */
#include <string.h>

#include "ss/enc.h"
#include "ss/tpm_ak.h"
#include "ss/tpm_ek.h"
#include "ss/tpm_info.h"
#include "ss/tpm_public.h"
#include "unit.h"

static int digest_is(const uint8_t *d, size_t len, const char *hex)
{
	char got[2 * 64 + 1];

	if (len * 2 != strlen(hex))
		return 0;
	ss_hex_encode(d, len, got);
	if (strcmp(got, hex) != 0) {
		printf("#   got  %s\n#   want %s\n", got, hex);
		return 0;
	}
	return 1;
}

/* TCG EK Credential Profile, "Computing PolicyA" / "Computing PolicyB". */
TEST(ek_policy_a_matches_the_profile)
{
	uint8_t d[64];
	size_t n = 0;

	CHECK(ss_ek_policy_a(TPM2_ALG_SHA256, d, &n, NULL) == SS_OK);
	CHECK(digest_is(d, n, "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa"));
	CHECK(ss_ek_policy_a(TPM2_ALG_SHA384, d, &n, NULL) == SS_OK);
	CHECK(digest_is(d, n, "8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e"
			      "143e8bb1133824ccb431053871c6db53"));
	CHECK(ss_ek_policy_a(TPM2_ALG_SHA512, d, &n, NULL) == SS_OK);
	CHECK(digest_is(d, n, "1e3b76502c8a1425aa0b7b3fc646a1b0fae063b03b5368f9c4cddecaff0891dd"
			      "682bac1a85d4d832b781ea451915de5fc5bf0dc4a1917cd42fa041e3f998e0ee"));
}

TEST(ek_policy_b_matches_the_profile)
{
	uint8_t d[64];
	size_t n = 0;

	CHECK(ss_ek_policy_b(TPM2_ALG_SHA256, d, &n, NULL) == SS_OK);
	CHECK(digest_is(d, n, "ca3d0a99a2b93906f7a3342414efcfb3a385d44cd1fd459089d19b5071c0b7a0"));
	CHECK(ss_ek_policy_b(TPM2_ALG_SHA384, d, &n, NULL) == SS_OK);
	CHECK(digest_is(d, n, "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419ca"
			      "cb47ba09699646150f9fc000f3f80e12"));
	CHECK(ss_ek_policy_b(TPM2_ALG_SHA512, d, &n, NULL) == SS_OK);
	CHECK(digest_is(d, n, "b8221ca69e8550a4914de3faa6a18c072cc01208073a928d5d66d59ef79e49a4"
			      "29c41a6b269571d57edb25fbdb1838425608b413cd616a5f6db5b6071af99bea"));
}

TEST(ek_policy_refuses_unsupported_hashes)
{
	uint8_t d[64];
	size_t n = 0;
	ss_err err = { 0 };

	CHECK(ss_ek_policy_a(TPM2_ALG_SHA1, d, &n, &err) == SS_ETPM);
	CHECK(ss_ek_policy_b(TPM2_ALG_SM3_256, d, &n, &err) == SS_ETPM);
	CHECK_STR(err.msg, "EK profile policy: name algorithm 0x0012 is not supported");
}

/* swtpm's ECC P-384 EK at 0x81010016 as tpm2_readpublic showed it: the
 * qualified name of a primary key is H(hierarchy handle || name). */
TEST(qualified_name_of_a_primary_key)
{
	static const char name_hex[] = "000cd4cf8a44bcaaab0d3be75947fa8366511cf506fa800e91018558d2e5"
				       "f8ad131fd04b50c26c3f9f95b29815789ff17ee2";
	static const char qn_hex[] = "000c64885df8a13ee52d3a848d8f672eb440ddca0b1bb3d718241caf68f2"
				     "8b01249b850e20efff7a6c7325630732020209bd";
	static const uint8_t endorsement[4] = { 0x40, 0x00, 0x00, 0x0b };
	uint8_t name[SS_TPM_NAME_MAX];
	size_t n = 0;
	TPM2B_NAME qn;

	CHECK(ss_hex_decode(name_hex, strlen(name_hex), name, sizeof name, &n) && n == 50);
	CHECK(ss_tpm_qualified_name(TPM2_ALG_SHA384, endorsement, 4, name, n, &qn, NULL) == SS_OK);
	CHECK(digest_is(qn.name, qn.size, qn_hex));
}

TEST(ak_templates_are_restricted_signers)
{
	TPM2B_PUBLIC t;
	const char *why = "unset";
	char alg[16];

	ss_tpm_ak_template(SS_AK_ECC, &t);
	CHECK(ss_tpm_public_is_ak(&t.publicArea, &why) && why == NULL);
	CHECK(t.publicArea.parameters.eccDetail.scheme.scheme == TPM2_ALG_ECDSA);
	CHECK(t.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256);
	t.publicArea.unique.ecc.x.size = t.publicArea.unique.ecc.y.size = 32;
	CHECK_STR(ss_tpm_public_alg(&t.publicArea, alg, sizeof alg), "ecc");
	CHECK_STR(alg, ss_ak_alg_name(SS_AK_ECC));

	ss_tpm_ak_template(SS_AK_RSA, &t);
	CHECK(ss_tpm_public_is_ak(&t.publicArea, &why));
	CHECK(t.publicArea.parameters.rsaDetail.scheme.scheme == TPM2_ALG_RSASSA);
	CHECK_STR(ss_tpm_public_alg(&t.publicArea, alg, sizeof alg), "rsa");
	CHECK_STR(alg, ss_ak_alg_name(SS_AK_RSA));
	CHECK(t.publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH);
	CHECK(!(t.publicArea.objectAttributes & TPMA_OBJECT_ADMINWITHPOLICY));
}

TEST(simulator_rule_reads_the_vendor_string)
{
	CHECK(ss_tpm_vendor_is_simulator("SW   TPM"));
	CHECK(ss_tpm_vendor_is_simulator("SW TPM"));
	CHECK(ss_tpm_vendor_is_simulator("swtpm"));
	CHECK(!ss_tpm_vendor_is_simulator("SLB9670"));
	CHECK(!ss_tpm_vendor_is_simulator("SW   TPM2"));
	CHECK(!ss_tpm_vendor_is_simulator("SW"));
	CHECK(!ss_tpm_vendor_is_simulator(""));
}

int main(void)
{
	RUN(ek_policy_a_matches_the_profile);
	RUN(ek_policy_b_matches_the_profile);
	RUN(ek_policy_refuses_unsupported_hashes);
	RUN(qualified_name_of_a_primary_key);
	RUN(ak_templates_are_restricted_signers);
	RUN(simulator_rule_reads_the_vendor_string);
	return unit_done();
}
