#include "ss/exectext.h"

#include <string.h>

#include "ss/json.h"

enum { M_TYPE, M_EXECUTION_ID, M_TENANT_ID, M_OPERATOR_ID, M_FINGERPRINT, M_COUNT };

static const struct {
	const char *name;
	size_t len;
} known[M_COUNT] = {
	[M_TYPE] = { "type", 4 },
	[M_EXECUTION_ID] = { "execution_id", 12 },
	[M_TENANT_ID] = { "tenant_id", 9 },
	[M_OPERATOR_ID] = { "operator_id", 11 },
	[M_FINGERPRINT] = { "fingerprint", 11 },
};

struct span {
	const char *p;
	size_t n;
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Bytes a plain string holds: printable ASCII but '"' and '\\'. */
static bool plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* A string of plain bytes at p; false for anything else (an escape, a
 * control character, any non-ASCII byte, no closing quote). */
static bool plain_string(const char **pp, const char *end, struct span *s)
{
	const char *p = *pp, *q;

	if (p >= end || *p != '"')
		return false;
	for (q = p + 1; q < end && plain_byte((unsigned char)*q); q++)
		;
	if (q >= end || *q != '"')
		return false;
	s->p = p + 1;
	s->n = (size_t)(q - p - 1);
	*pp = q + 1;
	return true;
}

/* The whole text is one object of the five members, each once, each a
 * plain string, with only JSON whitespace around the tokens.  Such a text
 * is valid JSON by construction (one level, no numbers, no escapes, ASCII
 * only), so it needs no separate strict scan. */
static bool plain_members(const char *p, const char *end, struct span v[M_COUNT])
{
	unsigned seen = 0;

	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return false;
	for (;;) {
		struct span key;
		int m;

		p = skip_ws(p, end);
		if (!plain_string(&p, end, &key))
			return false;
		for (m = 0; m < M_COUNT; m++)
			if (key.n == known[m].len && memcmp(key.p, known[m].name, key.n) == 0)
				break;
		if (m == M_COUNT || (seen & (1u << m)))
			return false;
		seen |= 1u << m;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return false;
		p = skip_ws(p, end);
		if (!plain_string(&p, end, &v[m]))
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

static bool id_span(const struct span *s)
{
	if (s->n < 1 || s->n > 128)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		char c = s->p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

static bool fingerprint_span(const struct span *s)
{
	if (s->n != 7 + 64 || memcmp(s->p, "sha256:", 7) != 0)
		return false;
	for (size_t i = 7; i < s->n; i++)
		if (!((s->p[i] >= '0' && s->p[i] <= '9') || (s->p[i] >= 'a' && s->p[i] <= 'f')))
			return false;
	return true;
}

static void put(char *dst, const struct span *s)
{
	memcpy(dst, s->p, s->n);
	dst[s->n] = 0;
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
	struct span v[M_COUNT];

	if (len > SS_JSON_MAX_SIZE || !plain_members(text, text + len, v) || v[M_TYPE].n != 15 ||
	    memcmp(v[M_TYPE].p, "ss.execution.v1", 15) != 0 || !id_span(&v[M_EXECUTION_ID]) ||
	    !id_span(&v[M_TENANT_ID]) || !id_span(&v[M_OPERATOR_ID]) ||
	    !fingerprint_span(&v[M_FINGERPRINT]))
		return parse_tree(text, len, out, err);
	put(out->execution_id, &v[M_EXECUTION_ID]);
	put(out->tenant_id, &v[M_TENANT_ID]);
	put(out->operator_id, &v[M_OPERATOR_ID]);
	put(out->fingerprint, &v[M_FINGERPRINT]);
	return SS_OK;
}
