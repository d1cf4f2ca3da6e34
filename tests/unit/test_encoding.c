/* hex, base64, PCR selections, numbers and times: one spelling per value. */
#include <string.h>

#include "ss/enc.h"
#include "ss/num.h"
#include "ss/opt.h"
#include "ss/pcr_select.h"
#include "ss/timefmt.h"
#include "unit.h"

TEST(hex_round_trip_lowercase_only)
{
	unsigned char out[4];
	size_t n;
	char s[9];

	ss_hex_encode("\x00\xab\xff\x10", 4, s);
	CHECK_STR(s, "00abff10");
	CHECK(ss_hex_decode("00abff10", 8, out, sizeof out, &n) && n == 4 && memcmp(out, "\x00\xab\xff\x10", 4) == 0);
	CHECK(!ss_hex_decode("00ABff10", 8, out, sizeof out, &n));
	CHECK(ss_hex_decode_any_case("00ABff10", 8, out, sizeof out, &n));
	CHECK(!ss_hex_decode("0ab", 3, out, sizeof out, &n));
	CHECK(!ss_hex_decode("00abff1000", 10, out, sizeof out, &n)); /* too long */
}

TEST(base64_rfc4648_vectors)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };

	for (int i = 0; i < 7; i++) {
		ss_buf b = SS_BUF_INIT, d = SS_BUF_INIT;
		ss_b64_append(&b, plain[i], strlen(plain[i]));
		CHECK_STR(ss_buf_str(&b), enc[i]);
		CHECK(ss_b64_decode(enc[i], strlen(enc[i]), &d));
		CHECK(d.len == strlen(plain[i]) && memcmp(ss_buf_str(&d), plain[i], d.len) == 0);
		ss_buf_free(&b);
		ss_buf_free(&d);
	}
}

TEST(base64_refuses_noncanonical)
{
	ss_buf d = SS_BUF_INIT;

	CHECK(!ss_b64_decode("Zh==", 4, &d));      /* pad bits set */
	CHECK(!ss_b64_decode("Zm9=", 4, &d));      /* pad bits set */
	CHECK(!ss_b64_decode("Zg", 2, &d));        /* no padding */
	CHECK(!ss_b64_decode("Zg=a", 4, &d));      /* data after '=' */
	CHECK(!ss_b64_decode("Zg==Zg==", 8, &d));  /* '=' before the end */
	CHECK(!ss_b64_decode("Zm9v\n", 5, &d));    /* whitespace */
	CHECK(!ss_b64_decode("Zm-v", 4, &d));      /* url alphabet */
	ss_buf_free(&d);
}

TEST(pcr_selection_forms)
{
	ss_pcrsel sel;
	ss_err err = { 0 };
	char s[128];

	CHECK(ss_pcrsel_parse("sha256:0,1,2", &sel, &err) == SS_OK && sel.mask == 7);
	CHECK(ss_pcrsel_parse("sha256:0-7", &sel, &err) == SS_OK && sel.mask == 0xff);
	CHECK(ss_pcrsel_parse("sha1:16,0-3,23", &sel, &err) == SS_OK && sel.mask == 0x81000f);
	ss_pcrsel_format(&sel, s, sizeof s);
	CHECK_STR(s, "sha1:0,1,2,3,16,23");
	CHECK(ss_pcrsel_count(&sel) == 6);
	CHECK(ss_pcrsel_parse("sha256:24", &sel, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "PCR selection 'sha256:24': PCR 24 out of range 0-23");
	CHECK(ss_pcrsel_parse("sha256:1,1", &sel, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "PCR selection 'sha256:1,1': PCR 1 listed twice");
	CHECK(ss_pcrsel_parse("md5:1", &sel, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "PCR selection 'md5:1': unknown bank 'md5'");
	CHECK(ss_pcrsel_parse("sha256:", &sel, &err) == SS_EINPUT);
	CHECK(ss_pcrsel_parse("sha256:7-3", &sel, &err) == SS_EINPUT);
	CHECK(ss_pcrsel_parse("sha256:1,", &sel, &err) == SS_EINPUT);
	CHECK(ss_pcrsel_parse("0,1", &sel, &err) == SS_EINPUT);
	CHECK(ss_pcrsel_parse("sha256:001", &sel, &err) == SS_EINPUT);
}

TEST(numbers_are_range_checked)
{
	uint64_t v;
	ss_err err = { 0 };

	CHECK(ss_parse_u64("0x81010001", 0, UINT32_MAX, &v) && v == 0x81010001);
	CHECK(ss_parse_u64("42", 1, 100, &v) && v == 42);
	CHECK(!ss_parse_u64("42", 43, 100, &v));
	CHECK(!ss_parse_u64("-1", 0, 100, &v));
	CHECK(!ss_parse_u64(" 1", 0, 100, &v));
	CHECK(!ss_parse_u64("1x", 0, 100, &v));
	CHECK(!ss_parse_u64("0x", 0, 100, &v));
	CHECK(!ss_parse_u64("18446744073709551616", 0, UINT64_MAX, &v));
	CHECK(ss_opt_u64("--ttl", "abc", 1, 86400, &v, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "--ttl: 'abc' is not a number in 1..86400");
}

TEST(rfc3339_times)
{
	int64_t t;
	char s[SS_TIME_LEN];

	CHECK(ss_time_parse("2026-11-25T18:12:30Z", &t) && t == 1795630350);
	ss_time_format(t, s);
	CHECK_STR(s, "2026-11-25T18:12:30Z");
	CHECK(ss_time_parse("2024-02-29T00:00:00Z", &t));
	CHECK(!ss_time_parse("2023-02-29T00:00:00Z", &t));
	CHECK(!ss_time_parse("2026-11-25T18:12:30.5Z", &t));
	CHECK(!ss_time_parse("2026-11-25T18:12:30+00:00", &t));
	CHECK(!ss_time_parse("2026-11-25 18:12:30Z", &t));
	CHECK(!ss_time_parse("2026-13-25T18:12:30Z", &t));
}

/* The tools' own UTC arithmetic against the C library's, one time of day
 * per day from 1900 to 2600 (the library reads the time zone; the tools do
 * not need to). */
TEST(utc_arithmetic_matches_libc)
{
	char ours[SS_TIME_LEN], libc[64];
	int64_t back;
	int bad = 0;

	for (int64_t t = -2208988800 + 3723; t < 19880899200; t += 86400 + 17) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(libc, sizeof libc, "%Y-%m-%dT%H:%M:%SZ", &tm);
		ss_time_format(t, ours);
		if (strcmp(ours, libc) != 0 ||
		    (t >= 0 && (!ss_time_parse(ours, &back) || back != t || back != (int64_t)timegm(&tm))))
			bad++;
	}
	CHECK(bad == 0);
	ss_time_format(0, ours);
	CHECK_STR(ours, "1970-01-01T00:00:00Z");
	ss_time_format(-1, ours);
	CHECK_STR(ours, "1969-12-31T23:59:59Z");
	CHECK(ss_time_parse("9999-12-31T23:59:59Z", &back) && back == 253402300799);
	ss_time_format(253402300799, ours);
	CHECK_STR(ours, "9999-12-31T23:59:59Z");
}

int main(void)
{
	RUN(hex_round_trip_lowercase_only);
	RUN(base64_rfc4648_vectors);
	RUN(base64_refuses_noncanonical);
	RUN(pcr_selection_forms);
	RUN(numbers_are_range_checked);
	RUN(rfc3339_times);
	RUN(utc_arithmetic_matches_libc);
	return unit_done();
}
