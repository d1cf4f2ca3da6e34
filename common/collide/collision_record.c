#include "ss/collision_record.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ss/json.h"

/* ---- what is tracked, and where ---------------------------------------- */

/* The fields read from a record: the five compared values, and two that
 * only decide whether the record is a refusal. */
enum { X_TYPE = SS_CF_COUNT, X_APPROVED, X_COUNT };

/* Every place a field is read from.  Documents (ss.session.v1, ss.key.v1)
 * carry their fields at the top level; CloudEvents telemetry (ss-fc-launch)
 * carries them in "data", with the same names.  A field found in two
 * places is invalid input. */
static const struct {
	const char *path;
	int field;
} tracked[] = {
	{ "type", X_TYPE },
	{ "approved", X_APPROVED },
	{ "tenant_id", SS_CF_TENANT },
	{ "execution_id", SS_CF_EXECUTION },
	{ "session_binding_hash", SS_CF_BINDING },
	{ "key_id", SS_CF_KEY },
	{ "challenge_id", SS_CF_NONCE },
	{ "data.approved", X_APPROVED },
	{ "data.tenant_id", SS_CF_TENANT },
	{ "data.execution_id", SS_CF_EXECUTION },
	{ "data.session_binding_hash", SS_CF_BINDING },
	{ "data.key_id", SS_CF_KEY },
	{ "data.challenge_id", SS_CF_NONCE },
};

#define NPATHS (sizeof tracked / sizeof tracked[0])
#define MAX_CONTEXTS 8
#define MAX_MEMBERS 16
/* Paths and members are counted in bits of a uint32_t. */
_Static_assert(NPATHS <= 32 && MAX_MEMBERS <= 32, "too many tracked members");

static const char *const field_names[SS_CF_COUNT] = {
	[SS_CF_TENANT] = "tenant_id",
	[SS_CF_EXECUTION] = "execution_id",
	[SS_CF_BINDING] = "session_binding_hash",
	[SS_CF_KEY] = "key_id",
	[SS_CF_NONCE] = "challenge_id",
};

const char *ss_collision_field_name(enum ss_collision_field f)
{
	return (unsigned)f < SS_CF_COUNT ? field_names[f] : "?";
}

/* The table as a tree of objects: context 0 is the record itself, and each
 * name on the way to a tracked member that is not the last is an object
 * with a context of its own. */
struct member {
	char name[32];
	size_t len;
	int path;   /* index in tracked[] of a leaf, or -1 */
	int child;  /* context of an object on a path, or -1 */
};

struct context {
	char where[64]; /* "" or "data.", for messages */
	struct member m[MAX_MEMBERS];
	int n;
	signed char by_len[32];         /* the first member with a name this long, or -1 */
	signed char next[MAX_MEMBERS];  /* the next one as long */
};

static struct context contexts[MAX_CONTEXTS];
static int ncontexts;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static int find_member(int c, const char *name, size_t len)
{
	for (int i = 0; i < contexts[c].n; i++)
		if (contexts[c].m[i].len == len && memcmp(contexts[c].m[i].name, name, len) == 0)
			return i;
	return -1;
}

static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t load32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* a and b, both n bytes, are equal: words that stay inside them. */
static inline bool same_name(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		for (size_t k = 0; k + 8 < n; k += 8)
			if (load64(a + k) != load64(b + k))
				return false;
		return load64(a + n - 8) == load64(b + n - 8);
	}
	if (n >= 4)
		return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
	for (size_t k = 0; k < n; k++)
		if (a[k] != b[k])
			return false;
	return true;
}

/* The member of context c named name, or -1: called for every member name
 * of a record, so by length first. */
static inline int context_member(int c, const char *name, size_t len)
{
	const struct context *x = &contexts[c];

	if (len >= sizeof x->by_len)
		return -1;
	for (int i = x->by_len[len]; i >= 0; i = x->next[i])
		if (same_name(x->m[i].name, name, len))
			return i;
	return -1;
}

/* The table is fixed at compile time; one that does not fit the limits
 * here (or names a member both as a value and as an object) is a
 * programming error, and the first test to run stops on it. */
static void table_error(const char *path)
{
	fprintf(stderr, "collision_record.c: tracked member '%s' does not fit\n", path);
	abort();
}

static void build_table(void)
{
	ncontexts = 1;
	for (size_t p = 0; p < NPATHS; p++) {
		const char *s = tracked[p].path;
		int c = 0;

		for (;;) {
			const char *dot = strchr(s, '.');
			size_t len = dot ? (size_t)(dot - s) : strlen(s);
			int i = find_member(c, s, len);
			struct member *m;

			if (len == 0 || len >= sizeof contexts[0].m[0].name)
				table_error(tracked[p].path);
			if (i < 0) {
				if (contexts[c].n == MAX_MEMBERS)
					table_error(tracked[p].path);
				i = contexts[c].n++;
				m = &contexts[c].m[i];
				memcpy(m->name, s, len);
				m->name[len] = 0;
				m->len = len;
				m->path = m->child = -1;
			}
			m = &contexts[c].m[i];
			if (!dot) {
				if (m->path >= 0 || m->child >= 0)
					table_error(tracked[p].path);
				m->path = (int)p;
				break;
			}
			if (m->path >= 0 || (m->child < 0 && ncontexts == MAX_CONTEXTS))
				table_error(tracked[p].path);
			if (m->child < 0) {
				char where[sizeof contexts[0].where];
				snprintf(where, sizeof where, "%s%s.", contexts[c].where, m->name);
				m->child = ncontexts++;
				memcpy(contexts[m->child].where, where, sizeof where);
			}
			c = m->child;
			s = dot + 1;
		}
	}
	for (int c = 0; c < ncontexts; c++) {
		struct context *x = &contexts[c];
		memset(x->by_len, -1, sizeof x->by_len);
		for (int i = x->n - 1; i >= 0; i--) {
			x->next[i] = x->by_len[x->m[i].len];
			x->by_len[x->m[i].len] = (signed char)i;
		}
	}
}

static void table_ready(void)
{
	pthread_once(&table_once, build_table);
}

/* ---- the fixed hash ----------------------------------------------------- */

static inline uint64_t fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Eight bytes at a time (little-endian words, whatever the host), then
 * MurmurHash3's finaliser.  Its output is what partitions are made of,
 * so it is written out here rather than taken from a library that could
 * change it. */
static inline uint64_t hash_bytes(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0x87c37b91114253d5ull);
	size_t total = n;

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w = load64(p);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		w *= 0x87c37b91114253d5ull;
		w = (w << 31) | (w >> 33);
		h ^= w * 0x4cf5ad432745937full;
		h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
	}
	if (n) {
		/* the last n bytes as a little-endian number */
		uint64_t w = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (total >= 8)
			w = load64(end - 8) >> (8 * (8 - n));
		else
#endif
			for (size_t i = 0; i < n; i++)
				w |= (uint64_t)p[i] << (8 * i);
		w *= 0x87c37b91114253d5ull;
		w = (w << 31) | (w >> 33);
		h ^= w * 0x4cf5ad432745937full;
	}
	(void)end;
	(void)total;
	return fmix64(h);
}

uint64_t ss_collision_hash(const void *data, size_t n)
{
	return hash_bytes(data, n);
}

/* ---- filling a record --------------------------------------------------- */

void ss_collision_rec_clear(ss_collision_rec *rec)
{
	memset(rec, 0, sizeof *rec);
}

static inline void set_text(ss_collision_rec *rec, ss_buf *strings, int f, const char *s,
			    size_t n)
{
	if (strings->cap - strings->len <= n)
		ss_buf_reserve(strings, n < 4096 ? 4096 : n);
	rec->off[f] = (uint32_t)strings->len;
	rec->len[f] = (uint8_t)n;
	memcpy(strings->data + strings->len, s, n);
	strings->len += n;
	strings->data[strings->len] = 0;
	rec->hash[f] = hash_bytes((const unsigned char *)s, n);
	rec->present |= (uint8_t)SS_CF_BIT(f);
}

void ss_collision_rec_set_id(ss_collision_rec *rec, ss_buf *strings, enum ss_collision_field f,
			     const char *id)
{
	set_text(rec, strings, f, id, strlen(id));
}

void ss_collision_rec_set_binding(ss_collision_rec *rec, const uint8_t b[SS_COLLISION_BINDING_LEN])
{
	memcpy(rec->binding, b, SS_COLLISION_BINDING_LEN);
	rec->hash[SS_CF_BINDING] = ss_collision_hash(b, SS_COLLISION_BINDING_LEN);
	rec->present |= (uint8_t)SS_CF_BIT(SS_CF_BINDING);
}

void ss_collision_rec_set_key(ss_collision_rec *rec, const uint8_t k[SS_COLLISION_KEY_LEN])
{
	memcpy(rec->key_id, k, SS_COLLISION_KEY_LEN);
	rec->hash[SS_CF_KEY] = ss_collision_hash(k, SS_COLLISION_KEY_LEN);
	rec->present |= (uint8_t)SS_CF_BIT(SS_CF_KEY);
}

/* [A-Za-z0-9._:-] */
#define ID_RANGE(a, b) [a ... b] = 1
static const unsigned char id_table[256] = {
	['-'] = 1, ['.'] = 1, ID_RANGE('0', ':'), ID_RANGE('A', 'Z'), ['_'] = 1,
	ID_RANGE('a', 'z'),
};

static inline bool id_char(unsigned char c)
{
	return id_table[c];
}

static bool valid_id(const unsigned char *s, size_t n)
{
	if (n < 1 || n > SS_COLLISION_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			return false;
	return true;
}

/* Lowercase hex digit values, -1 for anything else. */
static const signed char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16,
};

/* Exactly 2 * n lowercase hex digits into out (n a multiple of 8 where
 * SSE2 is there: 16 digits at a time). */
static bool lower_hex(const unsigned char *s, size_t len, uint8_t *out, size_t n)
{
	unsigned bad = 0;
	size_t i = 0;

	if (len != 2 * n)
		return false;
#ifdef __SSE2__
	for (; i + 8 <= n; i += 8) {
		const __m128i nine = _mm_set1_epi8(9), five = _mm_set1_epi8(5);
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * i));
		__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
		__m128i l = _mm_sub_epi8(x, _mm_set1_epi8('a'));
		/* unsigned d <= 9, l <= 5 */
		__m128i is_d = _mm_cmpeq_epi8(_mm_max_epu8(d, nine), nine);
		__m128i is_l = _mm_cmpeq_epi8(_mm_max_epu8(l, five), five);
		__m128i v, w;

		if (_mm_movemask_epi8(_mm_or_si128(is_d, is_l)) != 0xffff)
			return false;
		v = _mm_or_si128(_mm_and_si128(is_d, d),
				 _mm_and_si128(is_l, _mm_add_epi8(l, _mm_set1_epi8(10))));
		/* each 16-bit lane holds a digit pair, the first in its low byte */
		w = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0x00ff)), 4),
				 _mm_srli_epi16(v, 8));
		_mm_storel_epi64((__m128i *)(void *)(out + i), _mm_packus_epi16(w, w));
	}
#endif
	for (; i < n; i++) {
		int hi = hexval[s[2 * i]], lo = hexval[s[2 * i + 1]];
		bad |= (unsigned)(hi == 0) | (unsigned)(lo == 0);
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return !bad;
}

/* What one tracked member held, as either reader saw it. */
enum vkind { V_NONE, V_NULL, V_STRING, V_TRUE, V_FALSE, V_OTHER };

struct value {
	enum vkind kind;
	const unsigned char *s; /* V_STRING: the decoded bytes */
	size_t n;
};

/* The tracked members of one line: bit p of seen, v[p] set for each path
 * of the table found in it (the rest of v is not read). */
struct values {
	uint32_t seen;
	struct value v[NPATHS];
};

static const char *path_name(size_t p)
{
	return tracked[p].path;
}

/* Turn the tracked members into *rec, checking their types and values and
 * that no field is given twice.  Both readers end here, so they agree on
 * everything after the JSON itself.  report: word the error (the tree
 * reader); the one-pass reader only needs to know that there is one. */
static int finish_record(const struct values *vs, ss_collision_rec *rec, ss_buf *strings,
			 bool report, ss_err *err)
{
	const struct value *v = vs->v;
	int where[X_COUNT];
	bool refusal = false;

#define BAD(...) (report ? ss_err_set(err, SS_EINPUT, __VA_ARGS__) : SS_EINPUT)
	for (int f = 0; f < X_COUNT; f++)
		where[f] = -1;
	/* in table order, so that both readers word the same error */
	for (uint32_t bits = vs->seen; bits; bits &= bits - 1) {
		size_t p = (size_t)__builtin_ctz(bits);
		int f = tracked[p].field;
		const struct value *x = &v[p];

		if (x->kind == V_NONE || x->kind == V_NULL)
			continue;
		if (f == X_APPROVED) {
			if (x->kind != V_TRUE && x->kind != V_FALSE)
				return BAD("member '%s' must be true or false", path_name(p));
		} else if (x->kind != V_STRING)
			return BAD("member '%s' must be a string", path_name(p));
		else if (x->n == 0)
			continue; /* "" is absent, as null is */
		else if ((f == SS_CF_TENANT || f == SS_CF_EXECUTION || f == SS_CF_NONCE) &&
			 !valid_id(x->s, x->n))
			return BAD("member '%s' is not an identifier ([A-Za-z0-9._:-]{1,128})",
				   path_name(p));
		else if (f == SS_CF_BINDING && !lower_hex(x->s, x->n, rec->binding, 32))
			return BAD("member '%s' must be 64 lowercase hex digits", path_name(p));
		else if (f == SS_CF_KEY && !lower_hex(x->s, x->n, rec->key_id, 16))
			return BAD("member '%s' must be 32 lowercase hex digits", path_name(p));
		if (where[f] >= 0)
			return BAD("members '%s' and '%s' both given", path_name((size_t)where[f]),
				   path_name(p));
		where[f] = (int)p;
	}
#undef BAD
	/* room for every identifier of the record at once */
	if (strings->cap - strings->len <= 3 * SS_COLLISION_ID_MAX)
		ss_buf_reserve(strings, 3 * SS_COLLISION_ID_MAX < 4096 ? 4096 : 3 * SS_COLLISION_ID_MAX);
	for (int f = 0; f < SS_CF_COUNT; f++) {
		const struct value *x;

		if (where[f] < 0)
			continue;
		x = &v[where[f]];
		if (f == SS_CF_BINDING || f == SS_CF_KEY) {
			/* decoded into rec above */
			rec->hash[f] = f == SS_CF_BINDING
					       ? hash_bytes(rec->binding, sizeof rec->binding)
					       : hash_bytes(rec->key_id, sizeof rec->key_id);
			rec->present |= (uint8_t)SS_CF_BIT(f);
		} else
			set_text(rec, strings, f, (const char *)x->s, x->n);
	}
	if (where[X_APPROVED] >= 0 && v[where[X_APPROVED]].kind == V_FALSE)
		refusal = true;
	if (where[X_TYPE] >= 0) {
		const struct value *t = &v[where[X_TYPE]];
		static const char denied[] = ".denied";
		size_t dn = sizeof denied - 1;
		if (t->n >= dn && memcmp(t->s + t->n - dn, denied, dn) == 0)
			refusal = true;
	}
	if (refusal)
		rec->flags |= SS_CREC_REFUSAL;
	return SS_OK;
}

/* ---- the reference: a cJSON tree ---------------------------------------- */

/* A tracked name (leaf or object on a path) twice in one object. */
static int tree_duplicates(const cJSON *obj, int c, ss_err *err)
{
	uint32_t seen = 0;

	for (const cJSON *m = obj->child; m; m = m->next) {
		int i = context_member(c, m->string, strlen(m->string));
		if (i < 0)
			continue;
		if (seen & (1u << i))
			return ss_err_set(err, SS_EINPUT, "duplicate member '%s%s'", contexts[c].where,
					  m->string);
		seen |= 1u << i;
	}
	for (const cJSON *m = obj->child; m; m = m->next) {
		int i = context_member(c, m->string, strlen(m->string)), rc;
		if (i >= 0 && contexts[c].m[i].child >= 0 && cJSON_IsObject(m) &&
		    (rc = tree_duplicates(m, contexts[c].m[i].child, err)))
			return rc;
	}
	return SS_OK;
}

static void tree_values(const cJSON *obj, int c, struct values *vs)
{
	for (const cJSON *m = obj->child; m; m = m->next) {
		int i = context_member(c, m->string, strlen(m->string));
		const struct member *mb;
		struct value *x;

		if (i < 0)
			continue;
		mb = &contexts[c].m[i];
		if (mb->child >= 0) {
			if (cJSON_IsObject(m))
				tree_values(m, mb->child, vs);
			continue;
		}
		x = &vs->v[mb->path];
		vs->seen |= 1u << mb->path;
		if (cJSON_IsNull(m))
			x->kind = V_NULL;
		else if (cJSON_IsTrue(m))
			x->kind = V_TRUE;
		else if (cJSON_IsFalse(m))
			x->kind = V_FALSE;
		else if (cJSON_IsString(m)) {
			x->kind = V_STRING;
			x->s = (const unsigned char *)m->valuestring;
			x->n = strlen(m->valuestring); /* no U+0000: the scan refused it */
		} else
			x->kind = V_OTHER;
	}
}

int ss_collision_extract_tree(const char *line, size_t len, ss_collision_rec *rec,
			      ss_buf *strings, ss_err *err)
{
	struct values v;
	cJSON *doc;
	int rc;

	table_ready();
	ss_collision_rec_clear(rec);
	v.seen = 0;
	if ((rc = ss_json_validate(line, len, err)))
		return rc;
	doc = cJSON_ParseWithLengthOpts(line, len, NULL, 0);
	if (!doc)
		return ss_err_set(err, SS_EINPUT, "JSON parse failed");
	if (!(rc = tree_duplicates(doc, 0, err))) {
		tree_values(doc, 0, &v);
		rc = finish_record(&v, rec, strings, true, err);
	}
	cJSON_Delete(doc);
	if (rc)
		ss_collision_rec_clear(rec);
	return rc;
}

/* ---- the one-pass reader ------------------------------------------------ */

/* It follows ss_json_validate rule for rule, and gives up (false) on
 * anything the reference would refuse or that needs decoding: the tree
 * reader then gives the answer.  So it only has to be right about what it
 * accepts. */
struct scan {
	const unsigned char *p, *end;
	int depth;
	struct values *v;
};

static inline void skip_ws(struct scan *s)
{
	/* compact JSON has none: one look */
	if (s->p < s->end && *s->p > ' ')
		return;
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0; as json.c. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static bool hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
	unsigned v = 0;

	if (end - p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* The first byte at or after p that is '"', '\\', a control character or
 * not ASCII: sixteen at a time where SSE2 is there. */
static inline const unsigned char *string_stop(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
							 _mm_cmpeq_epi8(x, bslash)),
					    _mm_cmplt_epi8(x, space));
		int m = _mm_movemask_epi8(stop);
		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80)
		p++;
	return p;
}

/* The rest of a string from p, where string_stop stopped on something
 * other than its closing quote. */
static bool scan_string_rest(struct scan *s, const unsigned char *p, bool *escaped)
{
	const unsigned char *end = s->end;

	*escaped = false;
	for (;; p = string_stop(p, end)) {
		if (p >= end)
			return false;
		if (*p == '"') {
			s->p = p + 1;
			return true;
		}
		if (*p < 0x20)
			return false;
		if (*p == '\\') {
			unsigned u, u2;
			*escaped = true;
			if (end - p < 2)
				return false;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return false;
			}
			if (!hex4(p + 2, end, &u) || u == 0 || (u >= 0xdc00 && u <= 0xdfff))
				return false;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    !hex4(p + 8, end, &u2) || u2 < 0xdc00 || u2 > 0xdfff)
					return false;
				p += 12;
			} else
				p += 6;
			continue;
		}
		{
			size_t n = utf8_seq(p, end);
			if (!n)
				return false;
			p += n;
		}
	}
}

/* A string at s->p (its opening quote).  *escaped: it held an escape, so
 * its bytes are not its value.  Most strings end at their first stop. */
static inline bool scan_string(struct scan *s, bool *escaped)
{
	const unsigned char *p = string_stop(s->p + 1, s->end);

	if (p < s->end && *p == '"') {
		*escaped = false;
		s->p = p + 1;
		return true;
	}
	return scan_string_rest(s, p, escaped);
}

static bool scan_number(struct scan *s)
{
	const unsigned char *p = s->p, *end = s->end;
	size_t digits = 0;
	uint64_t v = 0;

	if (*p == '-')
		p++;
	if (p >= end)
		return false;
	if (*p == '0') {
		p++;
		digits = 1;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9') {
			if (++digits <= 17)
				v = v * 10 + (uint64_t)(*p - '0');
			p++;
		}
	} else
		return false;
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
		return false;
	if (digits > 16 || v > (uint64_t)SS_JSON_MAX_INT)
		return false;
	s->p = p;
	return true;
}

static bool scan_literal(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s, int c);

/* The member names of the last object read in each tracked context, in
 * order and as they were written ("name": with its quotes and colon): the
 * records of a stream are most often written alike, and a name that
 * matches one of them byte for byte is a name already scanned and looked
 * up.  One per thread, so the function stays safe to call from several. */
#define MEMO_TEXT 40
#define MEMO_SLOTS 32

struct memo_slot {
	unsigned char text[MEMO_TEXT];
	uint8_t len;                  /* 0: none */
	signed char member;           /* as context_member found it */
};

static _Thread_local struct memo_slot memo[MAX_CONTEXTS][MEMO_SLOTS];

/* An object or array at s->p.  c: the context of an object on a tracked
 * path, or -1. */
static bool scan_container(struct scan *s, unsigned char close, int c)
{
	uint32_t seen = 0;
	unsigned k = 0;  /* members so far */

	if (++s->depth > SS_JSON_MAX_DEPTH)
		return false;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		int i = -1;

		skip_ws(s);
		if (close == '}' && c >= 0 && k < MEMO_SLOTS && memo[c][k].len &&
		    (size_t)(s->end - s->p) >= memo[c][k].len &&
		    same_name((const char *)s->p, (const char *)memo[c][k].text, memo[c][k].len)) {
			i = memo[c][k].member;
			s->p += memo[c][k].len;
			if (i >= 0) {
				if (seen & (1u << i))
					return false;
				seen |= 1u << i;
			}
			skip_ws(s);
		} else if (close == '}') {
			const unsigned char *name;
			bool escaped;
			size_t n;

			if (s->p >= s->end || *s->p != '"')
				return false;
			name = s->p + 1;
			if (!scan_string(s, &escaped))
				return false;
			n = (size_t)(s->p - 1 - name);
			if (c >= 0) {
				/* An escaped name could spell a tracked one. */
				if (escaped)
					return false;
				i = context_member(c, (const char *)name, n);
				if (i >= 0) {
					if (seen & (1u << i))
						return false;
					seen |= 1u << i;
				}
			}
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return false;
			s->p++;
			if (c >= 0 && k < MEMO_SLOTS && n + 3 <= MEMO_TEXT && s->p == name + n + 2) {
				memcpy(memo[c][k].text, name - 1, n + 3);
				memo[c][k].len = (uint8_t)(n + 3);
				memo[c][k].member = (signed char)i;
			}
			skip_ws(s);
		}
		k++;
		if (i < 0) {
			if (!scan_value(s, -1))
				return false;
		} else if (contexts[c].m[i].child >= 0) {
			if (!scan_value(s, s->p < s->end && *s->p == '{' ? contexts[c].m[i].child : -1))
				return false;
		} else {
			struct value *x = &s->v->v[contexts[c].m[i].path];
			const unsigned char *start = s->p;

			s->v->seen |= 1u << contexts[c].m[i].path;
			if (s->p >= s->end)
				return false;
			switch (*s->p) {
			case '"': {
				bool escaped;
				if (!scan_string(s, &escaped) || escaped)
					return false;
				x->kind = V_STRING;
				x->s = start + 1;
				x->n = (size_t)(s->p - start - 2);
				break;
			}
			case 't':
				if (!scan_literal(s, "true", 4))
					return false;
				x->kind = V_TRUE;
				break;
			case 'f':
				if (!scan_literal(s, "false", 5))
					return false;
				x->kind = V_FALSE;
				break;
			case 'n':
				if (!scan_literal(s, "null", 4))
					return false;
				x->kind = V_NULL;
				break;
			default:
				return false; /* a number, object or array: a type error */
			}
		}
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != close)
			return false;
		s->p++;
		s->depth--;
		return true;
	}
}

static bool scan_value(struct scan *s, int c)
{
	bool escaped;

	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{':
		return scan_container(s, '}', c);
	case '[':
		return scan_container(s, ']', -1);
	case '"':
		return scan_string(s, &escaped);
	case 't':
		return scan_literal(s, "true", 4);
	case 'f':
		return scan_literal(s, "false", 5);
	case 'n':
		return scan_literal(s, "null", 4);
	default:
		return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) && scan_number(s);
	}
}

static bool one_pass(const char *line, size_t len, struct values *v)
{
	struct scan s = { (const unsigned char *)line, (const unsigned char *)line + len, 0, v };

	if (len > SS_JSON_MAX_SIZE)
		return false;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{' || !scan_container(&s, '}', 0))
		return false;
	skip_ws(&s);
	return s.p == s.end;
}

int ss_collision_extract(const char *line, size_t len, ss_collision_rec *rec, ss_buf *strings,
			 ss_err *err)
{
	struct values v;

	table_ready();
	ss_collision_rec_clear(rec);
	v.seen = 0;
	if (one_pass(line, len, &v) && finish_record(&v, rec, strings, false, err) == SS_OK)
		return SS_OK;
	return ss_collision_extract_tree(line, len, rec, strings, err);
}
