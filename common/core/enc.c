#include "ss/enc.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

static const char hexdigits[] = "0123456789abcdef";

void ss_hex_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 15];
	}
	out[2 * n] = 0;
}

void ss_hex_append(ss_buf *b, const void *in, size_t n)
{
	ss_buf_reserve(b, 2 * n);
	ss_hex_encode(in, n, (char *)b->data + b->len);
	b->len += 2 * n;
}

static int hexval(char c, bool any_case)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (any_case && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex_decode(const char *in, size_t inlen, void *out, size_t max, size_t *outlen,
		       bool any_case)
{
	unsigned char *o = out;

	if (inlen % 2 || inlen / 2 > max)
		return false;
	for (size_t i = 0; i < inlen / 2; i++) {
		int hi = hexval(in[2 * i], any_case), lo = hexval(in[2 * i + 1], any_case);
		if (hi < 0 || lo < 0)
			return false;
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	if (outlen)
		*outlen = inlen / 2;
	return true;
}

bool ss_hex_decode(const char *in, size_t inlen, void *out, size_t max, size_t *outlen)
{
	return hex_decode(in, inlen, out, max, outlen, false);
}

bool ss_hex_decode_any_case(const char *in, size_t inlen, void *out, size_t max, size_t *outlen)
{
	return hex_decode(in, inlen, out, max, outlen, true);
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t ss_b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void ss_b64_append(ss_buf *b, const void *in, size_t n)
{
	const unsigned char *p = in;
	char *o;
	size_t i;

	ss_buf_reserve(b, ss_b64_encoded_len(n));
	o = (char *)b->data + b->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = b64chars[(v >> 6) & 63];
		*o++ = b64chars[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = b64chars[(v >> 6) & 63];
		*o++ = '=';
	}
	b->len = (size_t)((unsigned char *)o - b->data);
	b->data[b->len] = 0;
}

/* The value of each base64 character, -1 for anything else. */
static signed char b64table[256];
static pthread_once_t b64table_once = PTHREAD_ONCE_INIT;

static void b64table_init(void)
{
	memset(b64table, -1, sizeof b64table);
	for (int i = 0; i < 64; i++)
		b64table[(unsigned char)b64chars[i]] = (signed char)i;
}

static int b64val(char c)
{
	return b64table[(unsigned char)c];
}

bool ss_b64_decode(const char *in, size_t inlen, ss_buf *out)
{
	size_t start = out->len;

	pthread_once(&b64table_once, b64table_init);
	if (inlen % 4)
		return false;
	ss_buf_reserve(out, inlen / 4 * 3);
	for (size_t i = 0; i < inlen; i += 4) {
		int v[4], pad = 0;
		bool last = i + 4 == inlen;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && last && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				goto bad; /* data after '=' */
			v[k] = b64val(in[i + k]);
			if (v[k] < 0)
				goto bad;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* Canonical form only: the bits that padding discards must be 0. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			goto bad;
		out->data[out->len++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out->data[out->len++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out->data[out->len++] = (unsigned char)w;
	}
	out->data[out->len] = 0;
	return true;
bad:
	out->len = start;
	out->data[start] = 0;
	return false;
}
