/* RFC 8785 (JCS) against the RFC's own examples. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ss/jcs.h"
#include "unit.h"

static char *canon_lenient(const char *json)
{
	/* The RFC examples hold fractions and exponents, which the toolkit's
	 * strict reader refuses by design; cJSON parses them here so the
	 * canonical writer can be checked on the RFC's full examples. */
	cJSON *v = cJSON_Parse(json);
	ss_buf b = SS_BUF_INIT;
	char *s;

	if (!v)
		return strdup("(parse error)");
	if (!ss_jcs_write(v, &b))
		ss_buf_adds(&b, "(unrepresentable)");
	cJSON_Delete(v);
	s = strdup(ss_buf_str(&b));
	ss_buf_free(&b);
	return s;
}

/* RFC 8785 section 3.2.2: the main example. */
TEST(rfc8785_main_example)
{
	char *got = canon_lenient(
		"{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		"  \"literals\": [null, true, false]\n}");
	CHECK_STR(got, "{\"literals\":[null,true,false],"
		       "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
		       "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
	free(got);
}

/* RFC 8785 section 3.2.3: members sorted by UTF-16 code units. */
TEST(rfc8785_sorting_example)
{
	char *got = canon_lenient(
		"{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\","
		" \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\","
		" \"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\","
		" \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}");
	CHECK_STR(got, "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
		       "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		       "\"\xe2\x82\xac\":\"Euro Sign\","
		       "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		       "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
	free(got);
}

static double from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof d);
	return d;
}

/* RFC 8785 appendix B: number serialization samples. */
TEST(rfc8785_number_samples)
{
	static const struct {
		uint64_t bits;
		const char *want;
	} v[] = {
		{ 0x0000000000000000ULL, "0" },
		{ 0x8000000000000000ULL, "0" },
		{ 0x0000000000000001ULL, "5e-324" },
		{ 0x8000000000000001ULL, "-5e-324" },
		{ 0x7fefffffffffffffULL, "1.7976931348623157e+308" },
		{ 0xffefffffffffffffULL, "-1.7976931348623157e+308" },
		{ 0x4340000000000000ULL, "9007199254740992" },
		{ 0xc340000000000000ULL, "-9007199254740992" },
		{ 0x4430000000000000ULL, "295147905179352830000" },
		{ 0x44b52d02c7e14af5ULL, "9.999999999999997e+22" },
		{ 0x44b52d02c7e14af6ULL, "1e+23" },
		{ 0x44b52d02c7e14af7ULL, "1.0000000000000001e+23" },
		{ 0x444b1ae4d6e2ef4eULL, "999999999999999700000" },
		{ 0x444b1ae4d6e2ef4fULL, "999999999999999900000" },
		{ 0x444b1ae4d6e2ef50ULL, "1e+21" },
		{ 0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7" },
		{ 0x3eb0c6f7a0b5ed8dULL, "0.000001" },
		{ 0x41b3de4355555553ULL, "333333333.3333332" },
		{ 0x41b3de4355555554ULL, "333333333.33333325" },
		{ 0x41b3de4355555555ULL, "333333333.3333333" },
		{ 0x41b3de4355555556ULL, "333333333.3333334" },
		{ 0x41b3de4355555557ULL, "333333333.33333343" },
		{ 0xbecbf647612f3696ULL, "-0.0000033333333333333333" },
		{ 0x43143ff3c1cb0959ULL, "1424953923781206.2" },
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		ss_buf b = SS_BUF_INIT;
		CHECK(ss_jcs_number(from_bits(v[i].bits), &b));
		CHECK_STR(ss_buf_str(&b), v[i].want);
		ss_buf_free(&b);
	}
	{
		ss_buf b = SS_BUF_INIT;
		CHECK(!ss_jcs_number(from_bits(0x7fffffffffffffffULL), &b)); /* NaN */
		CHECK(!ss_jcs_number(from_bits(0x7ff0000000000000ULL), &b)); /* Infinity */
		ss_buf_free(&b);
	}
}

TEST(jcs_without_skips_signature_only_at_top)
{
	cJSON *v = cJSON_Parse("{\"b\":1,\"signature\":{\"x\":1},\"a\":{\"signature\":2}}");
	ss_buf b = SS_BUF_INIT;

	CHECK(ss_jcs_write_without(v, "signature", &b));
	CHECK_STR(ss_buf_str(&b), "{\"a\":{\"signature\":2},\"b\":1}");
	ss_buf_free(&b);
	cJSON_Delete(v);
}

TEST(jcs_escapes_controls_in_lowercase)
{
	ss_buf b = SS_BUF_INIT;

	ss_jcs_string("a\x01\x1f\"\\\b\f\n\r\t/", &b);
	CHECK_STR(ss_buf_str(&b), "\"a\\u0001\\u001f\\\"\\\\\\b\\f\\n\\r\\t/\"");
	ss_buf_free(&b);
}

int main(void)
{
	RUN(rfc8785_main_example);
	RUN(rfc8785_sorting_example);
	RUN(rfc8785_number_samples);
	RUN(jcs_without_skips_signature_only_at_top);
	RUN(jcs_escapes_controls_in_lowercase);
	return unit_done();
}
