/* The YAML policy: defaults, values, and line-numbered refusals. */
#include <string.h>

#include "ss/quote_check.h"
#include "ss/policy.h"
#include "unit.h"

#define H32 "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969"
#define H32B "0000000000000000000000000000000000000000000000000000000000000000"

static int parse(const char *y, ss_policy *p, ss_err *err)
{
	return ss_policy_parse(y, strlen(y), "policy 'p.yaml'", p, err);
}

TEST(policy_defaults_are_strict)
{
	ss_policy p;
	ss_err err = { 0 };

	CHECK(parse("pcrs: any\n", &p, &err) == SS_OK);
	CHECK(p.any_pcrs && !p.mask);
	CHECK(p.allowed_hashes == SS_HASH_DEFAULT && !(p.allowed_hashes & SS_HASH_SHA1));
	CHECK(!p.allow_simulator && p.require_clock_safe);
	CHECK(p.max_challenge_age == 300 && p.clock_skew == 30 && p.session_lifetime == 900);
	ss_policy_free(&p);
}

TEST(policy_values_and_lists)
{
	ss_policy p;
	ss_err err = { 0 };
	uint8_t v[32];

	CHECK(parse("version: 1\npcr_bank: sha256\npcrs:\n  0: " H32 "\n  7: [" H32B ", " H32 "]\n"
		    "signature_hashes: [sha1, sha256]\nallow_simulator: true\nclock_skew: 5\n",
		    &p, &err) == SS_OK);
	CHECK(p.mask == ((1u << 0) | (1u << 7)) && p.nvalues[7] == 2);
	CHECK(p.allowed_hashes == (SS_HASH_SHA1 | SS_HASH_SHA256));
	CHECK(p.allow_simulator && p.clock_skew == 5);
	memset(v, 0, sizeof v);
	CHECK(ss_policy_allows(&p, 7, v));
	CHECK(!ss_policy_allows(&p, 0, v));
	CHECK(ss_policy_allows(&p, 3, v)); /* no expectation */
	ss_policy_free(&p);
}

static void refused(const char *y, const char *msg)
{
	ss_policy p;
	ss_err err = { 0 };

	CHECK(parse(y, &p, &err) == SS_EINPUT);
	CHECK_STR(err.msg, msg);
	ss_policy_free(&p);
}

TEST(policy_refusals_name_the_line)
{
	refused("pcr_bank: sha256\nbogus: 1\n", "policy 'p.yaml' line 2: unknown key 'bogus'");
	refused("pcr_bank: sha256\npcrs:\n  0: zz\n", "policy 'p.yaml' line 3: PCR 0: value is not hex");
	refused("pcr_bank: sha256\npcrs:\n  0: abcd\n",
		"policy 'p.yaml' line 3: PCR 0: value is 2 bytes, sha256 values are 32");
	refused("pcr_bank: sha256\npcrs:\n  24: " H32 "\n", "policy 'p.yaml' line 3: '24' is not a PCR index 0-23");
	refused("pcrs:\n  0: " H32 "\n", "policy 'p.yaml' line 2: 'pcrs' needs 'pcr_bank' before it");
	refused("pcr_bank: md5\n", "policy 'p.yaml' line 1: unknown PCR bank 'md5'");
	refused("allow_simulator: yes\n", "policy 'p.yaml' line 1: 'allow_simulator' must be true or false");
	refused("clock_skew: -1\n", "policy 'p.yaml' line 1: 'clock_skew' must be a number of seconds in range");
	refused("clock_skew: 1\nclock_skew: 2\n", "policy 'p.yaml' line 2: duplicate key 'clock_skew'");
	refused("signature_hashes: [sha256, md5]\n", "policy 'p.yaml' line 1: unknown hash 'md5'");
	refused("version: 2\n", "policy 'p.yaml' line 1: 'version' must be 1");
	refused("- a\n- b\n", "policy 'p.yaml': expected a mapping of policy keys");
	refused("a: [1\n", "policy 'p.yaml' line 2: did not find expected ',' or ']'");
}

/* Fail closed: one document, plain scalars for booleans, numbers and PCR
 * indexes, no tags, and PCR values named (or 'pcrs: any' said outright). */
TEST(policy_fails_closed)
{
	refused("allow_simulator: false\npcrs: any\n---\nallow_simulator: true\n",
		"policy 'p.yaml' line 3: a policy is one YAML document; a second one starts here");
	refused("pcrs: any\n...\n---\n",
		"policy 'p.yaml' line 3: a policy is one YAML document; a second one starts here");
	refused("pcrs: any\nallow_simulator: \"true\"\n",
		"policy 'p.yaml' line 2: 'allow_simulator' must be true or false, unquoted");
	refused("pcrs: any\nallow_simulator: 'false'\n",
		"policy 'p.yaml' line 2: 'allow_simulator' must be true or false, unquoted");
	refused("pcrs: any\nallow_simulator: !!str true\n",
		"policy 'p.yaml' line 2: tags are not allowed ('tag:yaml.org,2002:str')");
	refused("pcrs: any\nrequire_clock_safe: !!bool true\n",
		"policy 'p.yaml' line 2: tags are not allowed ('tag:yaml.org,2002:bool')");
	refused("pcrs: !!map {}\n", "policy 'p.yaml' line 1: tags are not allowed ('tag:yaml.org,2002:map')");
	refused("pcrs: any\nclock_skew: 0X10\n",
		"policy 'p.yaml' line 2: 'clock_skew' must be a plain decimal number ('0X10')");
	refused("pcrs: any\nclock_skew: 0x10\n",
		"policy 'p.yaml' line 2: 'clock_skew' must be a plain decimal number ('0x10')");
	refused("pcrs: any\nmax_challenge_age: 010\n",
		"policy 'p.yaml' line 2: 'max_challenge_age' must be a plain decimal number ('010')");
	refused("pcrs: any\nsession_lifetime: +60\n",
		"policy 'p.yaml' line 2: 'session_lifetime' must be a plain decimal number ('+60')");
	refused("pcrs: any\nclock_skew: \"10\"\n",
		"policy 'p.yaml' line 2: 'clock_skew' must be a plain decimal number, unquoted");
	refused("version: \"1\"\npcrs: any\n", "policy 'p.yaml' line 1: 'version' must be 1, unquoted");
	refused("pcr_bank: sha256\npcrs:\n  0X10: " H32 "\n",
		"policy 'p.yaml' line 3: '0X10' is not a PCR index 0-23");
	refused("pcr_bank: sha256\npcrs:\n  010: " H32 "\n",
		"policy 'p.yaml' line 3: '010' is not a PCR index 0-23");
	refused("pcr_bank: sha256\npcrs:\n  \"7\": " H32 "\n",
		"policy 'p.yaml' line 3: PCR index '7' must be a plain integer, unquoted");
	refused("pcr_bank: sha256\npcrs:\n  7: &v " H32 "\n  8: *v\n",
		"policy 'p.yaml' line 3: anchors and aliases are not allowed");
	refused("allow_simulator: true\n",
		"policy 'p.yaml': no 'pcrs': a policy names at least one PCR value, or says 'pcrs: any'");
	refused("pcr_bank: sha256\npcrs: {}\n",
		"policy 'p.yaml' line 2: 'pcrs' names no PCR: give at least one value, or say 'pcrs: any'");
	refused("pcrs: \"any\"\n",
		"policy 'p.yaml' line 1: 'pcrs' must be a mapping of PCR index to value(s), or plain 'any'");
	refused("pcrs: all\n",
		"policy 'p.yaml' line 1: 'pcrs' must be a mapping of PCR index to value(s), or plain 'any'");
	refused("", "policy 'p.yaml': expected a mapping of policy keys");
}

TEST(policy_written_reads_back)
{
	ss_pcrsel sel = { ss_hash_by_name("sha256"), (1u << 0) | (1u << 4) };
	uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST];
	ss_buf out = SS_BUF_INIT;
	ss_policy p;
	ss_err err = { 0 };

	memset(values, 0xab, sizeof values);
	ss_policy_write(&sel, values, false, &out);
	CHECK(parse(ss_buf_str(&out), &p, &err) == SS_OK);
	CHECK(p.mask == sel.mask && p.bank == sel.hash && !p.any_pcrs);
	CHECK(ss_policy_allows(&p, 4, values[4]));
	CHECK(!strstr(ss_buf_str(&out), "any")); /* 'pcrs: any' is never written */
	ss_policy_free(&p);
	ss_buf_free(&out);
}

int main(void)
{
	RUN(policy_defaults_are_strict);
	RUN(policy_values_and_lists);
	RUN(policy_refusals_name_the_line);
	RUN(policy_fails_closed);
	RUN(policy_written_reads_back);
	return unit_done();
}
