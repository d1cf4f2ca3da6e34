/* KDFa and KDFe against published vectors, each recomputed independently
 * from the formulas in TPM 2.0 Part 1 before being written down here:
 *  - KDFa: the KDF self-test vector of the TPM reference code (key, label
 *    "KDFSELFTESTLABEL", two 8-byte contexts, 160 bits) for each hash;
 *  - KDFe: entries of a public TPM test-vector suite whose outputs are whole
 *    bytes. */
#include <string.h>

#include <tss2/tss2_tpm2_types.h>

#include "ss/enc.h"
#include "ss/tpm_kdf.h"
#include "unit.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!ss_hex_decode(s, strlen(s), out, max, &n))
		return (size_t)-1;
	return n;
}

static bool equals_hex(const uint8_t *p, size_t n, const char *want)
{
	char got[1024];

	if (2 * n + 1 > sizeof got)
		return false;
	ss_hex_encode(p, n, got);
	if (strcmp(got, want) != 0) {
		printf("#   got  %s\n#   want %s\n", got, want);
		return false;
	}
	return true;
}

TEST(kdfa_matches_the_tpm_self_test_vector_for_every_hash)
{
	static const struct {
		uint16_t alg;
		const char *out;
	} v[] = {
		{ TPM2_ALG_SHA1, "55b5a7184aa07423c47dae766c26a2377d7cf851" },
		{ TPM2_ALG_SHA256, "bb0259e1c8ba607e6a2cd704b69a902e9ade84c4" },
		{ TPM2_ALG_SHA384, "1dce70c9113eb2dba47bd9cfc72bf46f45b09312" },
		{ TPM2_ALG_SHA512, "8be2c1b85b78569b9fa759f5857c56d684810fd3" },
	};
	uint8_t key[20], u[8], vv[8], out[20];
	ss_err err = { 0 };

	CHECK(unhex("271fa08bbdc5060ec3dfa928ff9b73123a12da0c", key, sizeof key) == 20);
	CHECK(unhex("ce244f395dca7391", u, sizeof u) == 8);
	CHECK(unhex("da504031ddf12e83", vv, sizeof vv) == 8);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		memset(out, 0, sizeof out);
		CHECK(ss_tpm_kdfa(v[i].alg, key, sizeof key, "KDFSELFTESTLABEL", u, sizeof u, vv,
				  sizeof vv, out, sizeof out, &err) == SS_OK);
		CHECK(equals_hex(out, sizeof out, v[i].out));
	}
}

TEST(kdfa_contexts_are_concatenated_and_may_be_empty)
{
	uint8_t key[32], a[40], b[40], ctx[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	ss_err err = { 0 };

	memset(key, 0x5a, sizeof key);
	/* U || V with the split moved gives the same bytes. */
	CHECK(ss_tpm_kdfa(TPM2_ALG_SHA256, key, sizeof key, "STORAGE", ctx, 3, ctx + 3, 5, a,
			  sizeof a, &err) == SS_OK);
	CHECK(ss_tpm_kdfa(TPM2_ALG_SHA256, key, sizeof key, "STORAGE", ctx, 8, NULL, 0, b,
			  sizeof b, &err) == SS_OK);
	CHECK(memcmp(a, b, sizeof a) == 0);
	/* No context at all is allowed (the INTEGRITY key) and differs. */
	CHECK(ss_tpm_kdfa(TPM2_ALG_SHA256, key, sizeof key, "STORAGE", NULL, 0, NULL, 0, b,
			  sizeof b, &err) == SS_OK);
	CHECK(memcmp(a, b, sizeof a) != 0);
}

TEST(kdfe_matches_published_vectors)
{
	static const struct {
		uint16_t alg;
		const char *z, *label, *u, *v, *out;
	} v[] = {
		{ TPM2_ALG_SHA1, "9b050039c8e5ca60deeb978f2faf573c94af61", "IDENTITY",
		  "ff1a1852db7b60a5c963f17eb306f3a905d100ae", "0047ee45771a256d58b091b6d6",
		  "94c3c160" },
		{ TPM2_ALG_SHA256, "00", "OBFUSCATE",
		  "ebcb3cd4a002941ed496ef1d32a70b0b7f6f05b8a51803d5a9ff9b",
		  "a1f79a7ee2beee21e2bfaee67769874687bfe21b2468fc8e721b6e967e12ff",
		  "dcd14d72e0d5d8ec15b5ea15ae060e02f0e042f3af7efbd73650bb4457d73b060ef8f78bdf8cea09"
		  "9fe98fad6359bcfe92c1c6be8a157c1064c85ada3ad2" },
		{ TPM2_ALG_SHA256, "fd4f9daba331a0a50a4e4c5fdf55034267", "CFB", "93bc3d509a00",
		  "beb773b718a4642d40ac3f80d34f2361b7c5f47cf7f69bb397a45b00",
		  "cf21b4a548a004a64acf5e5a5a199cfa3407fe691f0eb73a7ec664a973bb22c9fd79155cd0972e0f"
		  "2b1c135e61749723833e7cfc9e82df2e74e46ab0c3a9a25d64016c1de347bb48d134d9c92e370434"
		  "97839c57aec585b0f434c79ff5" },
		{ TPM2_ALG_SHA384, "ff1f419e5f1dbb2077d6a82e82a928a56bedf5c8c223a10c6646ca5f0db99f91f0",
		  "XOR",
		  "6dcf4b9a62a0438b83c7e27d18ecd75075341ae7bd1d3a2615ff09885363abcef324eb1396816c3bb196",
		  "004352c8abc6f41bc955e09f9eeab29e83b3451f",
		  "af807b1ff3cf665c976579e765cb93d6c1f35159364fb8e5b6f1742015" },
	};
	uint8_t z[64], u[64], vv[64], out[128];
	ss_err err = { 0 };

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t zl = unhex(v[i].z, z, sizeof z), ul = unhex(v[i].u, u, sizeof u);
		size_t vl = unhex(v[i].v, vv, sizeof vv), ol = strlen(v[i].out) / 2;

		CHECK(zl != (size_t)-1 && ul != (size_t)-1 && vl != (size_t)-1);
		memset(out, 0, sizeof out);
		CHECK(ss_tpm_kdfe(v[i].alg, z, zl, v[i].label, u, ul, vv, vl, out, ol, &err) == SS_OK);
		CHECK(equals_hex(out, ol, v[i].out));
	}
}

TEST(kdfs_refuse_an_unknown_hash_and_empty_keys)
{
	uint8_t key[4] = { 1, 2, 3, 4 }, out[16];
	ss_err err = { 0 };

	CHECK(ss_tpm_kdfa(0x0012, key, sizeof key, "X", NULL, 0, NULL, 0, out, sizeof out, &err) ==
	      SS_ECRYPTO);
	CHECK_STR(err.msg, "KDFa: unsupported hash 0x0012");
	CHECK(ss_tpm_kdfa(TPM2_ALG_SHA256, key, 0, "X", NULL, 0, NULL, 0, out, sizeof out, &err) ==
	      SS_ECRYPTO);
	CHECK(ss_tpm_kdfe(TPM2_ALG_SHA256, key, 0, "X", NULL, 0, NULL, 0, out, sizeof out, &err) ==
	      SS_ECRYPTO);
}

int main(void)
{
	RUN(kdfa_matches_the_tpm_self_test_vector_for_every_hash);
	RUN(kdfa_contexts_are_concatenated_and_may_be_empty);
	RUN(kdfe_matches_published_vectors);
	RUN(kdfs_refuse_an_unknown_hash_and_empty_keys);
	return unit_done();
}
