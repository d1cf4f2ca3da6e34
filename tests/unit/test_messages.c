/* One error is one line: what input puts in a message is escaped and cut
 * (ss/escape.h), and every other conversion formats as printf does. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/escape.h"
#include "unit.h"

TEST(escape_controls_del_c1_and_invalid_utf8)
{
	char out[256];

	ss_escape("a\nb\rc\x1b[2K\x7f", 10, SS_ESCAPE_ALL, out, sizeof out);
	CHECK_STR(out, "a\\x0ab\\x0dc\\x1b[2K\\x7f");
	/* U+0085 (NEL) and U+009F are C1; U+00A0 and U+00E9 are not. */
	ss_escape("\xc2\x85\xc2\x9f\xc2\xa0\xc3\xa9", 8, SS_ESCAPE_ALL, out, sizeof out);
	CHECK_STR(out, "\\xc2\\x85\\xc2\\x9f\xc2\xa0\xc3\xa9");
	/* A lone continuation byte, an overlong '/', a surrogate, a truncated sequence. */
	ss_escape("\x80\xc0\xaf\xed\xa0\x80\xe2\x82", 8, SS_ESCAPE_ALL, out, sizeof out);
	CHECK_STR(out, "\\x80\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82");
	/* NUL inside a counted value. */
	ss_escape("a\0b", 3, SS_ESCAPE_ALL, out, sizeof out);
	CHECK_STR(out, "a\\x00b");
}

TEST(escape_cuts_on_a_character_boundary)
{
	char out[256];

	ss_escape("abcdef", 6, 4, out, sizeof out);
	CHECK_STR(out, "abcd\xe2\x80\xa6");
	ss_escape("abcd", 4, 4, out, sizeof out);
	CHECK_STR(out, "abcd");
	/* "é" is two bytes: a cut at 3 keeps one of them whole. */
	ss_escape("\xc3\xa9\xc3\xa9", 4, 3, out, sizeof out);
	CHECK_STR(out, "\xc3\xa9\xe2\x80\xa6");
	/* The output buffer bounds everything, NUL included. */
	ss_escape("abcdef", 6, SS_ESCAPE_ALL, out, 4);
	CHECK_STR(out, "abc");
}

TEST(format_escapes_every_string_argument)
{
	char out[512], long_value[400];

	ss_format(out, sizeof out, "member '%s' at %zu", "x\ny", (size_t)7);
	CHECK_STR(out, "member 'x\\x0ay' at 7");
	ss_format(out, sizeof out, "'%.3s' '%c' '%c'", "abcdef", 'q', '\n');
	CHECK_STR(out, "'abc\xe2\x80\xa6' 'q' '\\x0a'");
	memset(long_value, 'a', sizeof long_value - 1);
	long_value[sizeof long_value - 1] = 0;
	ss_format(out, sizeof out, "%s", long_value);
	CHECK(strlen(out) == SS_ESCAPE_CUT + 3);
	CHECK(strcmp(out + SS_ESCAPE_CUT, "\xe2\x80\xa6") == 0);
}

TEST(format_numbers_as_printf)
{
	char out[256], want[256];
	long long ll = -9007199254740993LL;
	unsigned long long ull = 18446744073709551615ULL;

	ss_format(out, sizeof out, "%d %u %x %08x %04o %lld %llu %zu %02x %% %5d|%-5d|%.2f %s",
		  -5, 7u, 0xabcu, 0x1234u, 0644u, ll, ull, (size_t)42, 0xffu, 12, 34, 1.5, "end");
	snprintf(want, sizeof want, "%d %u %x %08x %04o %lld %llu %zu %02x %% %5d|%-5d|%.2f %s",
		 -5, 7u, 0xabcu, 0x1234u, 0644u, ll, ull, (size_t)42, 0xffu, 12, 34, 1.5, "end");
	CHECK_STR(out, want);
	ss_format(out, sizeof out, "%*d|%.*s|%ld|%jd|%hhu", 4, 9, 2, "xyz", -3L, (intmax_t)5, 300);
	CHECK_STR(out, "   9|xy\xe2\x80\xa6|-3|5|44");
}

TEST(err_set_and_prefix_escape_their_arguments)
{
	ss_err e = { 0 };

	ss_err_set(&e, SS_EINPUT, "unknown member '%s'", "a\r\nb");
	CHECK(e.code == SS_EINPUT);
	CHECK_STR(e.msg, "unknown member 'a\\x0d\\x0ab'");
	ss_err_prefix(&e, "policy '%s'", "p\n.yaml");
	CHECK_STR(e.msg, "policy 'p\\x0a.yaml': unknown member 'a\\x0d\\x0ab'");
}

/* The tools leave OpenSSL's error texts unloaded (ss_crypto_init): an
 * OpenSSL failure still says which one it was, by OpenSSL's code. */
TEST(err_ssl_names_the_openssl_code)
{
	static const unsigned char short_key[3];
	char want[256];
	unsigned long code;
	ss_err e = { 0 };

	ss_crypto_init();
	CHECK(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, short_key, sizeof short_key) ==
	      NULL);
	code = ERR_peek_error();
	CHECK(code != 0);
	CHECK(ss_err_ssl(&e, "key '%s'", "k\n") == SS_ECRYPTO);
	snprintf(want, sizeof want, "key 'k\\x0a': OpenSSL error code %lX", code);
	CHECK_STR(e.msg, want);
	CHECK(ERR_peek_error() == 0);
	ss_err_ssl(&e, "nothing queued");
	CHECK_STR(e.msg, "nothing queued: OpenSSL error");
}

int main(void)
{
	RUN(escape_controls_del_c1_and_invalid_utf8);
	RUN(escape_cuts_on_a_character_boundary);
	RUN(format_escapes_every_string_argument);
	RUN(format_numbers_as_printf);
	RUN(err_set_and_prefix_escape_their_arguments);
	RUN(err_ssl_names_the_openssl_code);
	return unit_done();
}
