/* HKDF-SHA256: RFC 5869's test vectors (cases 1-3, the SHA-256 ones)
 * through both implementations, and the keyed fast path held to EVP_KDF
 * over many lengths. */
#include <stdlib.h>
#include <string.h>

#include "ss/enc.h"
#include "ss/kdf.h"
#include "unit.h"

struct vector {
	const char *name;
	unsigned char ikm[80], salt[80], info[80];
	size_t ikmlen, saltlen, infolen, okmlen;
	const char *prk, *okm;
};

static void range(unsigned char *p, unsigned from, unsigned to)
{
	for (unsigned v = from; v < to; v++)
		*p++ = (unsigned char)v;
}

/* RFC 5869 appendix A.1-A.3. */
static void vectors(struct vector v[3])
{
	memset(v, 0, 3 * sizeof *v);
	v[0].name = "A.1";
	memset(v[0].ikm, 0x0b, v[0].ikmlen = 22);
	range(v[0].salt, 0x00, 0x0d);
	v[0].saltlen = 13;
	range(v[0].info, 0xf0, 0xfa);
	v[0].infolen = 10;
	v[0].okmlen = 42;
	v[0].prk = "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5";
	v[0].okm = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		   "34007208d5b887185865";

	v[1].name = "A.2";
	range(v[1].ikm, 0x00, 0x50);
	v[1].ikmlen = 80;
	range(v[1].salt, 0x60, 0xb0);
	v[1].saltlen = 80;
	range(v[1].info, 0xb0, 0x100);
	v[1].infolen = 80;
	v[1].okmlen = 82;
	v[1].prk = "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244";
	v[1].okm = "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		   "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
		   "cc30c58179ec3e87c14c01d5c1f3434f1d87";

	v[2].name = "A.3";
	memset(v[2].ikm, 0x0b, v[2].ikmlen = 22);
	v[2].okmlen = 42;
	v[2].prk = "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04";
	v[2].okm = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		   "9d201395faa4b61a96c8";
}

static const char *hex(const unsigned char *p, size_t n)
{
	static char out[2 * 200 + 1];

	ss_hex_encode(p, n, out);
	return out;
}

TEST(rfc5869_vectors_evp_kdf_one_shot)
{
	struct vector v[3];
	unsigned char okm[100];
	ss_err err = { 0 };

	vectors(v);
	for (int i = 0; i < 3; i++) {
		CHECK(ss_hkdf(v[i].ikm, v[i].ikmlen, v[i].salt, v[i].saltlen, v[i].info,
			      v[i].infolen, okm, v[i].okmlen, &err) == SS_OK);
		CHECK_STR(hex(okm, v[i].okmlen), v[i].okm);
	}
}

TEST(rfc5869_vectors_evp_kdf_extract_then_expand)
{
	struct vector v[3];
	unsigned char prk[SS_HKDF_PRK_LEN], okm[100];
	ss_err err = { 0 };

	vectors(v);
	for (int i = 0; i < 3; i++) {
		CHECK(ss_hkdf_extract(v[i].salt, v[i].saltlen, v[i].ikm, v[i].ikmlen, prk, &err) ==
		      SS_OK);
		CHECK_STR(hex(prk, sizeof prk), v[i].prk);
		CHECK(ss_hkdf_expand(prk, sizeof prk, v[i].info, v[i].infolen, okm, v[i].okmlen,
				     &err) == SS_OK);
		CHECK_STR(hex(okm, v[i].okmlen), v[i].okm);
	}
}

TEST(rfc5869_vectors_keyed_fast_path)
{
	struct vector v[3];
	unsigned char prk[SS_HKDF_PRK_LEN], okm[100];
	ss_err err = { 0 };

	vectors(v);
	for (int i = 0; i < 3; i++) {
		ss_hkdf_prk k = SS_HKDF_PRK_INIT;
		size_t n = 0;

		CHECK(ss_hex_decode(v[i].prk, strlen(v[i].prk), prk, sizeof prk, &n) && n == 32);
		CHECK(ss_hkdf_prk_init(&k, prk, sizeof prk, &err) == SS_OK);
		/* Twice: the second run starts from the state the first left. */
		for (int round = 0; round < 2; round++) {
			memset(okm, 0, sizeof okm);
			CHECK(ss_hkdf_prk_expand(&k, v[i].info, v[i].infolen, okm, v[i].okmlen,
						 &err) == SS_OK);
			CHECK_STR(hex(okm, v[i].okmlen), v[i].okm);
		}
		ss_hkdf_prk_free(&k);
		CHECK(k.hmac == NULL);
	}
}

TEST(keyed_fast_path_equals_evp_kdf_for_every_length)
{
	static const size_t lengths[] = { 1, 16, 31, 32, 33, 63, 64, 65, 100, 1000,
					  SS_HKDF_MAX_OKM };
	unsigned char prk[SS_HKDF_PRK_LEN], info[300];
	unsigned char *a = malloc(SS_HKDF_MAX_OKM), *b = malloc(SS_HKDF_MAX_OKM);
	ss_hkdf_prk k = SS_HKDF_PRK_INIT;
	ss_err err = { 0 };

	srand(5869);
	for (size_t i = 0; i < sizeof prk; i++)
		prk[i] = (unsigned char)rand();
	for (size_t i = 0; i < sizeof info; i++)
		info[i] = (unsigned char)rand();
	CHECK(ss_hkdf_prk_init(&k, prk, sizeof prk, &err) == SS_OK);
	for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
		for (size_t infolen = 0; infolen <= sizeof info; infolen += 75) {
			size_t n = lengths[li];
			CHECK(ss_hkdf_expand(prk, sizeof prk, info, infolen, a, n, &err) == SS_OK);
			CHECK(ss_hkdf_prk_expand(&k, info, infolen, b, n, &err) == SS_OK);
			CHECK(memcmp(a, b, n) == 0);
		}
	ss_hkdf_prk_free(&k);
	free(a);
	free(b);
}

TEST(output_lengths_outside_rfc5869_are_refused)
{
	unsigned char prk[SS_HKDF_PRK_LEN] = { 1 }, okm[8];
	ss_hkdf_prk k = SS_HKDF_PRK_INIT;
	ss_err err = { 0 };

	CHECK(ss_hkdf(prk, 32, NULL, 0, NULL, 0, okm, 0, &err) == SS_ECRYPTO);
	CHECK_STR(err.msg, "HKDF: output of 0 bytes, 1..8160 are possible");
	CHECK(ss_hkdf_expand(prk, 32, NULL, 0, okm, SS_HKDF_MAX_OKM + 1, &err) == SS_ECRYPTO);
	CHECK(ss_hkdf_expand(prk, 31, NULL, 0, okm, 8, &err) == SS_ECRYPTO);
	CHECK_STR(err.msg, "HKDF-Expand: PRK of 31 bytes, at least 32 are required");
	CHECK(ss_hkdf_prk_init(&k, prk, 16, &err) == SS_ECRYPTO);
	CHECK(k.hmac == NULL);
	CHECK(ss_hkdf_prk_init(&k, prk, 32, &err) == SS_OK);
	CHECK(ss_hkdf_prk_expand(&k, NULL, 0, okm, SS_HKDF_MAX_OKM + 1, &err) == SS_ECRYPTO);
	ss_hkdf_prk_free(&k);
}

int main(void)
{
	RUN(rfc5869_vectors_evp_kdf_one_shot);
	RUN(rfc5869_vectors_evp_kdf_extract_then_expand);
	RUN(rfc5869_vectors_keyed_fast_path);
	RUN(keyed_fast_path_equals_evp_kdf_for_every_length);
	RUN(output_lengths_outside_rfc5869_are_refused);
	return unit_done();
}
