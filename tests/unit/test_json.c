/* The strict document reader: every general rule of the contracts. */
#include <stdlib.h>
#include <string.h>

#include "ss/json.h"
#include "unit.h"

static int parse(const char *s, ss_err *err)
{
	cJSON *doc = NULL;
	int rc = ss_json_parse(s, strlen(s), &doc, err);

	cJSON_Delete(doc);
	return rc;
}

static void expect_refused(const char *json, const char *msg)
{
	ss_err err = { 0 };
	int rc = parse(json, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, msg);
}

TEST(json_accepts_plain_object)
{
	ss_err err = { 0 };
	CHECK(parse(" {\"a\":[1,-2,true,false,null,{\"b\":\"c\"}],\"d\":\"\\u00e9\\ud83d\\ude00\"}\n", &err) == SS_OK);
}

TEST(json_refuses_nul_escape)
{
	expect_refused("{\"a\":\"a\\u0000b\"}", "U+0000 in a string at byte 7");
}

TEST(json_refuses_raw_control)
{
	expect_refused("{\"a\":\"a\tb\"}", "control character in a string at byte 7");
}

TEST(json_refuses_invalid_utf8)
{
	expect_refused("{\"a\":\"\xc3\x28\"}", "invalid UTF-8 at byte 6");
	expect_refused("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 6");          /* overlong */
	expect_refused("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 6");      /* surrogate */
	expect_refused("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8 at byte 6");  /* > U+10FFFF */
	expect_refused("{\"a\":\"\xe2\x82\"}", "invalid UTF-8 at byte 6");          /* truncated */
}

TEST(json_refuses_lone_surrogates)
{
	expect_refused("{\"a\":\"\\ud83d\"}", "unpaired surrogate escape at byte 6");
	expect_refused("{\"a\":\"\\ude00\"}", "unpaired surrogate escape at byte 6");
	expect_refused("{\"a\":\"\\ud83d\\u0041\"}", "unpaired surrogate escape at byte 6");
}

TEST(json_refuses_fractions_exponents_and_big_integers)
{
	ss_err err = { 0 };

	expect_refused("{\"a\":1.5}", "number with a fraction or exponent at byte 5");
	expect_refused("{\"a\":1e400}", "number with a fraction or exponent at byte 5");
	expect_refused("{\"a\":9007199254740993}", "integer beyond 2^53 at byte 5");
	expect_refused("{\"a\":-9007199254740993}", "integer beyond 2^53 at byte 5");
	expect_refused("{\"a\":123456789012345678901}", "integer beyond 2^53 at byte 5");
	expect_refused("{\"a\":01}", "number with a leading zero at byte 6");
	CHECK(parse("{\"a\":9007199254740992,\"b\":-9007199254740992}", &err) == SS_OK);
}

TEST(json_refuses_duplicates_trailing_and_depth)
{
	char deep[200] = "";
	ss_err err = { 0 };

	expect_refused("{\"a\":1,\"a\":2}", "duplicate member 'a'");
	expect_refused("{\"x\":{\"a\":1,\"\\u0061\":2}}", "duplicate member 'a'");
	expect_refused("{\"a\":1} x", "trailing data after the document at byte 8");
	expect_refused("{\"a\":1}{}", "trailing data after the document at byte 7");
	expect_refused("{\"a\":1", "unexpected end of JSON at byte 6");
	expect_refused("", "unexpected end of JSON at byte 0");
	expect_refused("[1]", "expected a JSON object at byte 0");
	expect_refused("{'a':1}", "unexpected character ''' at byte 1");
	expect_refused("{\"a\":tru}", "unexpected character 't' at byte 5");
	for (int i = 0; i < 32; i++)
		strcat(deep, i ? "{\"a\":" : "{\"a\":");
	strcat(deep, "1");
	for (int i = 0; i < 32; i++)
		strcat(deep, "}");
	CHECK(parse(deep, &err) == SS_OK); /* 32 levels: allowed */
	{
		char deeper[256] = "{\"b\":";
		strcat(deeper, deep);
		strcat(deeper, "}");
		expect_refused(deeper, "nesting deeper than 32 levels at byte 160");
	}
}

TEST(json_refuses_oversize)
{
	size_t n = SS_JSON_MAX_SIZE + 1;
	char *big = malloc(n + 1);
	ss_err err = { 0 };
	cJSON *doc = NULL;

	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = 0;
	CHECK(ss_json_parse(big, n, &doc, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "document larger than 1 MiB");
	free(big);
}

TEST(json_getters_name_the_member)
{
	cJSON *doc = NULL;
	ss_err err = { 0 };
	const char *s;
	int64_t i;
	const cJSON *o;
	static const char *const allowed[] = { "type", "n", "s", "o", NULL };
	const char *text = "{\"type\":\"ss.x.v1\",\"n\":5,\"s\":\"Ab\",\"o\":{\"id\":\"bad id\"},\"extra\":1}";

	CHECK(ss_json_parse(text, strlen(text), &doc, &err) == SS_OK);
	CHECK(ss_json_type(doc, "ss.x.v1", &err) == SS_OK);
	CHECK(ss_json_type(doc, "ss.y.v1", &err) == SS_EINPUT);
	CHECK_STR(err.msg, "document type 'ss.x.v1' where 'ss.y.v1' was expected");
	CHECK(ss_json_only(doc, "", allowed, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "unknown member 'extra'");
	CHECK(ss_json_string(doc, "", "n", &s, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "member 'n' must be a string");
	CHECK(ss_json_int(doc, "", "n", 0, 4, &i, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "member 'n' is out of range (0..4)");
	CHECK(ss_json_int(doc, "", "n", 0, 5, &i, &err) == SS_OK && i == 5);
	CHECK(ss_json_object(doc, "", "o", &o, &err) == SS_OK);
	CHECK(ss_json_id(o, "o", "id", &s, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "member 'o.id' is not an identifier ([A-Za-z0-9._:-]{1,128})");
	CHECK(ss_json_string(o, "o", "missing", &s, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "member 'o.missing' is missing");
	{
		unsigned char h[4];
		CHECK(ss_json_hex(doc, "", "s", 1, h, sizeof h, NULL, &err) == SS_EINPUT);
		CHECK_STR(err.msg, "member 's' must be 2 lowercase hex digits");
	}
	cJSON_Delete(doc);
}

TEST(json_writer_keeps_order_and_escapes)
{
	cJSON *o = ss_json_new_object();
	ss_buf b = SS_BUF_INIT;

	ss_json_add_string(o, "z", "q\"\n");
	ss_json_add_int(o, "a", -9007199254740992LL);
	ss_json_add_string_or_null(o, "n", NULL);
	ss_json_add_u64hex(o, "h", 0x1c00002);
	ss_json_write(o, &b);
	CHECK_STR(ss_buf_str(&b), "{\"z\":\"q\\\"\\n\",\"a\":-9007199254740992,\"n\":null,\"h\":\"0x1c00002\"}");
	ss_buf_free(&b);
	cJSON_Delete(o);
}

TEST(ids_follow_the_contract)
{
	char long_id[130];

	CHECK(ss_valid_id("tenant-1.a_b:c"));
	CHECK(!ss_valid_id(""));
	CHECK(!ss_valid_id("a b"));
	CHECK(!ss_valid_id("a/b"));
	memset(long_id, 'a', 129);
	long_id[129] = 0;
	CHECK(!ss_valid_id(long_id));
	long_id[128] = 0;
	CHECK(ss_valid_id(long_id));
}

int main(void)
{
	RUN(json_accepts_plain_object);
	RUN(json_refuses_nul_escape);
	RUN(json_refuses_raw_control);
	RUN(json_refuses_invalid_utf8);
	RUN(json_refuses_lone_surrogates);
	RUN(json_refuses_fractions_exponents_and_big_integers);
	RUN(json_refuses_duplicates_trailing_and_depth);
	RUN(json_refuses_oversize);
	RUN(json_getters_name_the_member);
	RUN(json_writer_keeps_order_and_escapes);
	RUN(ids_follow_the_contract);
	return unit_done();
}
