#include "ss/json.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ss/enc.h"
#include "ss/io.h"
#include "ss/jcs.h"

/* ---- validating scan ---------------------------------------------------- */

struct scan {
	const unsigned char *p;
	size_t len;
	size_t pos;
	int depth;
	ss_err *err;
};

static int fail(struct scan *s, const char *what)
{
	return ss_err_set(s->err, SS_EINPUT, "%s at byte %zu", what, s->pos);
}

static int unexpected(struct scan *s)
{
	unsigned char c;

	if (s->pos >= s->len)
		return fail(s, "unexpected end of JSON");
	c = s->p[s->pos];
	if (c > 0x20 && c < 0x7f)
		return ss_err_set(s->err, SS_EINPUT, "unexpected character '%c' at byte %zu", c,
				  s->pos);
	return ss_err_set(s->err, SS_EINPUT, "unexpected byte 0x%02x at byte %zu", c, s->pos);
}

static void skip_ws(struct scan *s)
{
	while (s->pos < s->len) {
		unsigned char c = s->p[s->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		s->pos++;
	}
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		if (c == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else
		return 0;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static int hex4(struct scan *s, size_t at, unsigned *out)
{
	unsigned v = 0;

	if (at + 4 > s->len) {
		s->pos = s->len;
		return fail(s, "unexpected end of JSON");
	}
	for (size_t i = 0; i < 4; i++) {
		unsigned char c = s->p[at + i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(s, "invalid \\u escape");
	}
	*out = v;
	return SS_OK;
}

static int scan_string(struct scan *s)
{
	s->pos++; /* opening quote */
	for (;;) {
		unsigned char c;

		if (s->pos >= s->len)
			return fail(s, "unexpected end of JSON");
		c = s->p[s->pos];
		if (c == '"') {
			s->pos++;
			return SS_OK;
		}
		if (c < 0x20)
			return c ? fail(s, "control character in a string")
				 : fail(s, "U+0000 in a string");
		if (c == '\\') {
			unsigned u, u2;
			if (s->pos + 1 >= s->len) {
				s->pos = s->len;
				return fail(s, "unexpected end of JSON");
			}
			c = s->p[s->pos + 1];
			if (strchr("\"\\/bfnrt", c) && c) {
				s->pos += 2;
				continue;
			}
			if (c != 'u')
				return fail(s, "invalid escape");
			if (hex4(s, s->pos + 2, &u))
				return s->err ? s->err->code : SS_EINPUT;
			if (u == 0)
				return fail(s, "U+0000 in a string");
			if (u >= 0xdc00 && u <= 0xdfff)
				return fail(s, "unpaired surrogate escape");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (s->pos + 12 > s->len || s->p[s->pos + 6] != '\\' ||
				    s->p[s->pos + 7] != 'u')
					return fail(s, "unpaired surrogate escape");
				if (hex4(s, s->pos + 8, &u2))
					return s->err ? s->err->code : SS_EINPUT;
				if (u2 < 0xdc00 || u2 > 0xdfff)
					return fail(s, "unpaired surrogate escape");
				s->pos += 12;
			} else
				s->pos += 6;
			continue;
		}
		if (c < 0x80) {
			s->pos++;
			continue;
		}
		size_t n = utf8_seq(s->p + s->pos, s->len - s->pos);
		if (!n)
			return fail(s, "invalid UTF-8");
		s->pos += n;
	}
}

static int scan_number(struct scan *s)
{
	size_t start = s->pos, digits = 0;
	uint64_t v = 0;

	if (s->p[s->pos] == '-')
		s->pos++;
	if (s->pos >= s->len)
		return fail(s, "unexpected end of JSON");
	if (s->p[s->pos] == '0') {
		s->pos++;
		digits = 1;
	} else if (s->p[s->pos] >= '1' && s->p[s->pos] <= '9') {
		while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
			if (++digits <= 17)
				v = v * 10 + (uint64_t)(s->p[s->pos] - '0');
			s->pos++;
		}
	} else
		return unexpected(s);
	if (s->pos < s->len &&
	    (s->p[s->pos] == '.' || s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
		s->pos = start;
		return fail(s, "number with a fraction or exponent");
	}
	if (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
		return fail(s, "number with a leading zero");
	if (digits > 16 || v > (uint64_t)SS_JSON_MAX_INT) {
		s->pos = start;
		return fail(s, "integer beyond 2^53");
	}
	return SS_OK;
}

static int scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->len - s->pos < n || memcmp(s->p + s->pos, lit, n) != 0)
		return unexpected(s);
	s->pos += n;
	return SS_OK;
}

static int scan_value(struct scan *s);

static int scan_container(struct scan *s, unsigned char close)
{
	int rc;

	if (++s->depth > SS_JSON_MAX_DEPTH)
		return fail(s, "nesting deeper than 32 levels");
	s->pos++;
	skip_ws(s);
	if (s->pos < s->len && s->p[s->pos] == close) {
		s->pos++;
		s->depth--;
		return SS_OK;
	}
	for (;;) {
		skip_ws(s);
		if (close == '}') {
			if (s->pos >= s->len || s->p[s->pos] != '"')
				return unexpected(s);
			if ((rc = scan_string(s)))
				return rc;
			skip_ws(s);
			if (s->pos >= s->len || s->p[s->pos] != ':')
				return unexpected(s);
			s->pos++;
			skip_ws(s);
		}
		if ((rc = scan_value(s)))
			return rc;
		skip_ws(s);
		if (s->pos >= s->len)
			return unexpected(s);
		if (s->p[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (s->p[s->pos] != close)
			return unexpected(s);
		s->pos++;
		s->depth--;
		return SS_OK;
	}
}

static int scan_value(struct scan *s)
{
	if (s->pos >= s->len)
		return unexpected(s);
	switch (s->p[s->pos]) {
	case '{':
		return scan_container(s, '}');
	case '[':
		return scan_container(s, ']');
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (s->p[s->pos] == '-' || (s->p[s->pos] >= '0' && s->p[s->pos] <= '9'))
			return scan_number(s);
		return unexpected(s);
	}
}

int ss_json_validate(const char *text, size_t len, ss_err *err)
{
	struct scan s = { (const unsigned char *)text, len, 0, 0, err };
	int rc;

	if (len > SS_JSON_MAX_SIZE)
		return ss_err_set(err, SS_EINPUT, "document larger than 1 MiB");
	skip_ws(&s);
	if (s.pos < s.len && s.p[s.pos] != '{') {
		if (s.p[s.pos] == '[' || s.p[s.pos] == '"' || s.p[s.pos] == '-' ||
		    (s.p[s.pos] >= '0' && s.p[s.pos] <= '9') || s.p[s.pos] == 't' ||
		    s.p[s.pos] == 'f' || s.p[s.pos] == 'n')
			return fail(&s, "expected a JSON object");
		return unexpected(&s);
	}
	if ((rc = scan_value(&s)))
		return rc;
	skip_ws(&s);
	if (s.pos != s.len)
		return fail(&s, "trailing data after the document");
	return SS_OK;
}

/* ---- duplicate members --------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *find_duplicate(const cJSON *v)
{
	const cJSON *c;
	const char *dup;

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return NULL;
	if (cJSON_IsObject(v)) {
		size_t n = 0, i = 0;
		for (c = v->child; c; c = c->next)
			n++;
		if (n > 1) {
			const char **names = ss_xmalloc(n * sizeof *names);
			for (c = v->child; c; c = c->next)
				names[i++] = c->string;
			qsort(names, n, sizeof *names, cmp_names);
			for (i = 1; i < n; i++)
				if (strcmp(names[i - 1], names[i]) == 0)
					break;
			dup = i < n ? names[i] : NULL;
			free(names);
			if (dup)
				return dup;
		}
	}
	for (c = v->child; c; c = c->next)
		if ((dup = find_duplicate(c)))
			return dup;
	return NULL;
}

static void *cjson_malloc(size_t n)
{
	return ss_xmalloc(n);
}

/* cJSON's allocator hooks are one process-wide variable that every cJSON
 * call reads: they are set exactly once, and every reader is ordered after
 * that write.  pthread_once orders the callers of this file's entry points,
 * whichever thread comes first; the constructor sets them before main, so
 * that a thread calling cJSON directly (cJSON_CreateString on a document of
 * its own) is covered too. */
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void set_hooks(void)
{
	cJSON_Hooks h = { cjson_malloc, free };

	cJSON_InitHooks(&h);
}

static void init_hooks(void)
{
	pthread_once(&hooks_once, set_hooks);
}

__attribute__((constructor)) static void init_hooks_before_main(void)
{
	init_hooks();
}

int ss_json_parse(const char *text, size_t len, cJSON **out, ss_err *err)
{
	const char *dup;
	cJSON *doc;
	int rc;

	*out = NULL;
	if ((rc = ss_json_validate(text, len, err)))
		return rc;
	init_hooks();
	doc = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
	if (!doc)
		return ss_err_set(err, SS_EINPUT, "JSON parse failed");
	if ((dup = find_duplicate(doc))) {
		ss_err_set(err, SS_EINPUT, "duplicate member '%s'", dup);
		cJSON_Delete(doc);
		return SS_EINPUT;
	}
	*out = doc;
	return SS_OK;
}

/* ---- getters ------------------------------------------------------------ */

#define PATH(where, name) ((where) && *(where) ? (where) : ""), ((where) && *(where) ? "." : ""), (name)

int ss_json_only(const cJSON *obj, const char *where, const char *const *names, ss_err *err)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		size_t i;
		for (i = 0; names[i]; i++)
			if (strcmp(names[i], c->string) == 0)
				break;
		if (!names[i])
			return ss_err_set(err, SS_EINPUT, "unknown member '%s%s%s'",
					  PATH(where, c->string));
	}
	return SS_OK;
}

int ss_json_member(const cJSON *obj, const char *where, const char *name, const cJSON **out,
		   ss_err *err)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!m)
		return ss_err_set(err, SS_EINPUT, "member '%s%s%s' is missing", PATH(where, name));
	*out = m;
	return SS_OK;
}

static int want(const cJSON *obj, const char *where, const char *name, int type,
		const char *type_name, bool null_ok, const cJSON **out, ss_err *err)
{
	const cJSON *m = NULL;
	int rc;

	if ((rc = ss_json_member(obj, where, name, &m, err)))
		return rc;
	if ((m->type & 0xff) != type && !(null_ok && cJSON_IsNull(m)))
		return ss_err_set(err, SS_EINPUT, "member '%s%s%s' must be %s%s", PATH(where, name),
				  type_name, null_ok ? " or null" : "");
	*out = m;
	return SS_OK;
}

int ss_json_string(const cJSON *obj, const char *where, const char *name, const char **out,
		   ss_err *err)
{
	const cJSON *m = NULL;
	int rc;

	if ((rc = want(obj, where, name, cJSON_String, "a string", false, &m, err)))
		return rc;
	*out = m->valuestring;
	return SS_OK;
}

int ss_json_string_or_null(const cJSON *obj, const char *where, const char *name,
			   const char **out, ss_err *err)
{
	const cJSON *m = NULL;
	int rc;

	if ((rc = want(obj, where, name, cJSON_String, "a string", true, &m, err)))
		return rc;
	*out = cJSON_IsNull(m) ? NULL : m->valuestring;
	return SS_OK;
}

bool ss_valid_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
		if (n >= 128)
			return false;
	}
	return n >= 1;
}

int ss_json_id(const cJSON *obj, const char *where, const char *name, const char **out,
	       ss_err *err)
{
	int rc;

	if ((rc = ss_json_string(obj, where, name, out, err)))
		return rc;
	if (!ss_valid_id(*out))
		return ss_err_set(err, SS_EINPUT,
				  "member '%s%s%s' is not an identifier ([A-Za-z0-9._:-]{1,128})",
				  PATH(where, name));
	return SS_OK;
}

int ss_json_int(const cJSON *obj, const char *where, const char *name, int64_t min, int64_t max,
		int64_t *out, ss_err *err)
{
	const cJSON *m = NULL;
	int64_t v;
	int rc;

	if ((rc = want(obj, where, name, cJSON_Number, "an integer", false, &m, err)))
		return rc;
	v = (int64_t)m->valuedouble; /* exact: the scan allowed only |n| <= 2^53 */
	if (v < min || v > max)
		return ss_err_set(err, SS_EINPUT, "member '%s%s%s' is out of range (%lld..%lld)",
				  PATH(where, name), (long long)min, (long long)max);
	*out = v;
	return SS_OK;
}

int ss_json_bool(const cJSON *obj, const char *where, const char *name, bool *out, ss_err *err)
{
	const cJSON *m = NULL;
	int rc;

	if ((rc = ss_json_member(obj, where, name, &m, err)))
		return rc;
	if (!cJSON_IsBool(m))
		return ss_err_set(err, SS_EINPUT, "member '%s%s%s' must be true or false",
				  PATH(where, name));
	*out = cJSON_IsTrue(m);
	return SS_OK;
}

int ss_json_object(const cJSON *obj, const char *where, const char *name, const cJSON **out,
		   ss_err *err)
{
	return want(obj, where, name, cJSON_Object, "an object", false, out, err);
}

int ss_json_hex(const cJSON *obj, const char *where, const char *name, size_t wantlen,
		unsigned char *out, size_t max, size_t *outlen, ss_err *err)
{
	const char *s;
	size_t n = 0;
	int rc;

	if ((rc = ss_json_string(obj, where, name, &s, err)))
		return rc;
	if (!ss_hex_decode(s, strlen(s), out, max, &n) || n == 0 || (wantlen && n != wantlen)) {
		if (wantlen)
			return ss_err_set(err, SS_EINPUT,
					  "member '%s%s%s' must be %zu lowercase hex digits",
					  PATH(where, name), 2 * wantlen);
		return ss_err_set(err, SS_EINPUT, "member '%s%s%s' must be lowercase hex",
				  PATH(where, name));
	}
	if (outlen)
		*outlen = n;
	return SS_OK;
}

int ss_json_b64(const cJSON *obj, const char *where, const char *name, ss_buf *out, ss_err *err)
{
	const char *s;
	int rc;

	if ((rc = ss_json_string(obj, where, name, &s, err)))
		return rc;
	if (!ss_b64_decode(s, strlen(s), out))
		return ss_err_set(err, SS_EINPUT, "member '%s%s%s' is not valid base64",
				  PATH(where, name));
	return SS_OK;
}

int ss_json_u64hex(const cJSON *obj, const char *where, const char *name, uint64_t *out,
		   ss_err *err)
{
	const char *s;
	uint64_t v = 0;
	size_t n;
	int rc;

	if ((rc = ss_json_string(obj, where, name, &s, err)))
		return rc;
	n = strlen(s);
	if (n < 3 || n > 18 || s[0] != '0' || s[1] != 'x')
		goto bad;
	for (size_t i = 2; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			goto bad;
	}
	*out = v;
	return SS_OK;
bad:
	return ss_err_set(err, SS_EINPUT, "member '%s%s%s' must be a \"0x...\" hex string",
			  PATH(where, name));
}

int ss_json_type(const cJSON *obj, const char *wanted, ss_err *err)
{
	const char *t;
	int rc;

	if ((rc = ss_json_string(obj, "", "type", &t, err)))
		return rc;
	if (strcmp(t, wanted) != 0)
		return ss_err_set(err, SS_EINPUT, "document type '%s' where '%s' was expected", t,
				  wanted);
	return SS_OK;
}

/* ---- builders ----------------------------------------------------------- */

static cJSON *check(cJSON *item)
{
	if (!item)
		ss_oom();
	return item;
}

cJSON *ss_json_new_object(void)
{
	init_hooks();
	return check(cJSON_CreateObject());
}

void ss_json_add_item(cJSON *obj, const char *name, cJSON *item)
{
	if (!cJSON_AddItemToObject(obj, name, check(item)))
		ss_oom();
}

cJSON *ss_json_add_object(cJSON *obj, const char *name)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_item(obj, name, o);
	return o;
}

void ss_json_add_string(cJSON *obj, const char *name, const char *value)
{
	ss_json_add_item(obj, name, cJSON_CreateString(value));
}

void ss_json_add_string_or_null(cJSON *obj, const char *name, const char *value)
{
	ss_json_add_item(obj, name, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

void ss_json_add_int(cJSON *obj, const char *name, int64_t value)
{
	ss_json_add_item(obj, name, cJSON_CreateNumber((double)value));
}

void ss_json_add_bool(cJSON *obj, const char *name, bool value)
{
	ss_json_add_item(obj, name, cJSON_CreateBool(value));
}

void ss_json_add_null(cJSON *obj, const char *name)
{
	ss_json_add_item(obj, name, cJSON_CreateNull());
}

void ss_json_add_hex(cJSON *obj, const char *name, const void *p, size_t n)
{
	ss_buf b = SS_BUF_INIT;

	ss_hex_append(&b, p, n);
	ss_json_add_string(obj, name, ss_buf_str(&b));
	ss_buf_free(&b);
}

void ss_json_add_b64(cJSON *obj, const char *name, const void *p, size_t n)
{
	ss_buf b = SS_BUF_INIT;

	ss_b64_append(&b, p, n);
	ss_json_add_string(obj, name, ss_buf_str(&b));
	ss_buf_free(&b);
}

void ss_json_add_u64hex(cJSON *obj, const char *name, uint64_t value)
{
	char s[24];

	snprintf(s, sizeof s, "0x%llx", (unsigned long long)value);
	ss_json_add_string(obj, name, s);
}

static void wipe_tree(cJSON *v)
{
	for (; v; v = v->next) {
		if (v->string)
			OPENSSL_cleanse(v->string, strlen(v->string));
		if (v->valuestring)
			OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
		wipe_tree(v->child);
	}
}

void ss_json_wipe_delete(cJSON *v)
{
	if (!v)
		return;
	wipe_tree(v->child);
	if (v->valuestring)
		OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
	cJSON_Delete(v);
}

/* ---- compact writer ------------------------------------------------------ */

void ss_json_write(const cJSON *v, ss_buf *out)
{
	const cJSON *c;

	switch (v->type & 0xff) {
	case cJSON_NULL:
		ss_buf_adds(out, "null");
		break;
	case cJSON_True:
		ss_buf_adds(out, "true");
		break;
	case cJSON_False:
		ss_buf_adds(out, "false");
		break;
	case cJSON_Number:
		if (!ss_jcs_number(v->valuedouble, out))
			ss_buf_adds(out, "null");
		break;
	case cJSON_String:
		ss_jcs_string(v->valuestring, out);
		break;
	case cJSON_Array:
		ss_buf_addc(out, '[');
		for (c = v->child; c; c = c->next) {
			ss_json_write(c, out);
			if (c->next)
				ss_buf_addc(out, ',');
		}
		ss_buf_addc(out, ']');
		break;
	case cJSON_Object:
		ss_buf_addc(out, '{');
		for (c = v->child; c; c = c->next) {
			ss_jcs_string(c->string, out);
			ss_buf_addc(out, ':');
			ss_json_write(c, out);
			if (c->next)
				ss_buf_addc(out, ',');
		}
		ss_buf_addc(out, '}');
		break;
	default:
		ss_buf_adds(out, "null");
	}
}

int ss_json_print_line(const cJSON *doc, ss_err *err)
{
	ss_buf b = SS_BUF_INIT;
	int rc;

	ss_json_write(doc, &b);
	ss_buf_addc(&b, '\n');
	rc = ss_stdout_write(b.data, b.len, err);
	ss_buf_free(&b);
	return rc;
}
