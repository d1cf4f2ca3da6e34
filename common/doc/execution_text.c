#include "ss/execution_text.h"

#include <stdint.h>
#include <string.h>

#include "ss/json.h"

enum { M_TYPE, M_EXECUTION_ID, M_TENANT_ID, M_OPERATOR_ID, M_FINGERPRINT, M_COUNT };

/* Member names with their quotes, as they appear in the text. */
static const struct {
	const char *quoted;
	size_t len;
} known[M_COUNT] = {
	[M_TYPE] = { "\"type\"", 6 },
	[M_EXECUTION_ID] = { "\"execution_id\"", 14 },
	[M_TENANT_ID] = { "\"tenant_id\"", 11 },
	[M_OPERATOR_ID] = { "\"operator_id\"", 13 },
	[M_FINGERPRINT] = { "\"fingerprint\"", 13 },
};

static const char type_value[] = "\"ss.execution.v1\"";
static const char fingerprint_prefix[] = "\"sha256:";

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* [A-Za-z0-9._:-] as a bitmap of ASCII: bit c of the 128 (test_exectext
 * checks all 256 byte values against ss_valid_id). */
static const uint64_t id_bits[2] = { 0x07ff600000000000u, 0x07fffffe87fffffeu };

static bool id_char(unsigned char c)
{
	return c < 128 && (id_bits[c >> 6] >> (c & 63) & 1);
}

static bool hex_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10 || (unsigned)(c - 'a') < 6;
}

static bool starts(const char *p, const char *end, const char *s, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* A quoted identifier at *pp, copied to out; false for anything else. */
static bool id_value(const char **pp, const char *end, char out[SS_ID_MAX])
{
	const char *p = *pp, *q;

	if (p >= end || *p != '"')
		return false;
	for (q = p + 1; q < end && q - p <= 128 && id_char((unsigned char)*q); q++)
		;
	if (q >= end || *q != '"' || q == p + 1)
		return false;
	memcpy(out, p + 1, (size_t)(q - p - 1));
	out[q - p - 1] = 0;
	*pp = q + 1;
	return true;
}

static bool fingerprint_value(const char **pp, const char *end, char out[SS_FINGERPRINT_MAX])
{
	const char *p = *pp;
	size_t n = sizeof fingerprint_prefix - 1;

	if (!starts(p, end, fingerprint_prefix, n) || end - p < (ptrdiff_t)(n + 64 + 1) ||
	    p[n + 64] != '"')
		return false;
	for (size_t i = n; i < n + 64; i++)
		if (!hex_digit((unsigned char)p[i]))
			return false;
	memcpy(out, p + 1, 7 + 64);
	out[7 + 64] = 0;
	*pp = p + n + 64 + 1;
	return true;
}

static bool member_value(int m, const char **pp, const char *end, ss_execution *out)
{
	switch (m) {
	case M_TYPE:
		if (!starts(*pp, end, type_value, sizeof type_value - 1))
			return false;
		*pp += sizeof type_value - 1;
		return true;
	case M_EXECUTION_ID: return id_value(pp, end, out->execution_id);
	case M_TENANT_ID: return id_value(pp, end, out->tenant_id);
	case M_OPERATOR_ID: return id_value(pp, end, out->operator_id);
	default: return fingerprint_value(pp, end, out->fingerprint);
	}
}

/* Which known member name (with its quotes) starts at p, or -1.  The
 * first two letters tell them apart. */
static int member_at(const char *p, const char *end)
{
	int m;

	if (end - p < 3 || p[0] != '"')
		return -1;
	switch (p[1]) {
	case 't': m = p[2] == 'y' ? M_TYPE : M_TENANT_ID; break;
	case 'e': m = M_EXECUTION_ID; break;
	case 'o': m = M_OPERATOR_ID; break;
	case 'f': m = M_FINGERPRINT; break;
	default: return -1;
	}
	return starts(p, end, known[m].quoted, known[m].len) ? m : -1;
}

/* The whole text is one object of the five members, each once, with a
 * valid value of the plain form (no escapes), and only JSON whitespace
 * around the tokens.  Such a text is valid JSON by construction (one level,
 * strings of printable ASCII, nothing else), so it needs no separate strict
 * scan.  out is filled as the members are read. */
static bool plain_document(const char *p, const char *end, ss_execution *out)
{
	unsigned seen = 0;

	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return false;
	for (;;) {
		int m;

		p = skip_ws(p, end);
		if ((m = member_at(p, end)) < 0 || (seen & (1u << m)))
			return false;
		seen |= 1u << m;
		p = skip_ws(p + known[m].len, end);
		if (p >= end || *p++ != ':')
			return false;
		p = skip_ws(p, end);
		if (!member_value(m, &p, end, out))
			return false;
		p = skip_ws(p, end);
		if (p >= end)
			return false;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return false;
	}
	return seen == (1u << M_COUNT) - 1 && skip_ws(p + 1, end) == end;
}

static int parse_tree(const char *text, size_t len, ss_execution *out, ss_err *err)
{
	cJSON *doc = NULL;
	int rc;

	if (!(rc = ss_json_parse(text, len, &doc, err)))
		rc = ss_execution_parse(doc, "", out, err);
	cJSON_Delete(doc);
	return rc;
}

int ss_execution_parse_text(const char *text, size_t len, ss_execution *out, ss_err *err)
{
	if (len <= SS_JSON_MAX_SIZE && plain_document(text, text + len, out))
		return SS_OK;
	return parse_tree(text, len, out, err);
}
