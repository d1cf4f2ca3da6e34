/* ss-collision-check's library: the one-pass line reader answers exactly
 * as the cJSON reference (status, message, record) on hand-picked and on
 * randomly mutated lines; the partition hash is fixed; the tracker's rules;
 * partitions merged equal a single run; reports survive their own parser. */
#include <stdlib.h>
#include <string.h>

#include "ss/collision_record.h"
#include "ss/collision_report.h"
#include "ss/collision_tracker.h"
#include "ss/json.h"
#include "unit.h"

#define B1 "5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9"
#define B2 "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
#define K1 "d1a5ac9a015fac2ef7b341673635512a"
#define K2 "6ab9f1eb8f7d3388f4f9d586f66e99fd"

static const char *const valid[] = {
	/* as gen_records.py writes them */
	"{\"type\":\"ss.session.v1\",\"approved\":true,\"tenant_id\":\"tenant-0\","
	"\"execution_id\":\"exec-0\",\"session_binding_hash\":\"" B1 "\",\"key_id\":\"" K1 "\"}",
	/* an approved ss.session.v1 */
	"{\"type\":\"ss.session.v1\",\"approved\":true,\"reason\":\"approved\","
	"\"challenge_id\":\"ch-0123456789abcdef\",\"execution_id\":\"exec-1\",\"tenant_id\":\"tenant-a\","
	"\"operator_id\":\"operator-1\",\"fingerprint\":\"sha256:" B2 "\",\"runner_id\":\"runner-1\","
	"\"ak_name\":\"000b" B1 "\",\"pcr_digest\":\"" B2 "\",\"clock\":{\"reset_count\":0,"
	"\"restart_count\":0,\"clock\":123456789,\"safe\":true},\"session_binding_hash\":\"" B1 "\","
	"\"key_confirmation\":\"" B2 "\",\"verified_at\":\"2026-11-25T18:12:30Z\","
	"\"expires_at\":\"2026-11-25T19:12:30Z\",\"signature\":{\"alg\":\"ed25519\",\"key_id\":\"" B2
	"\",\"value\":\"QUJD+/==\"}}",
	/* an ss.key.v1, its PEM full of escapes */
	"{\"type\":\"ss.key.v1\",\"key_id\":\"" K2 "\",\"kind\":\"ed25519\",\"purpose\":\"execution\","
	"\"public_key_pem\":\"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEA\\n-----END PUBLIC KEY-----\\n\","
	"\"execution_id\":\"exec-1\",\"tenant_id\":\"tenant-a\",\"operator_id\":\"operator-1\","
	"\"session_binding_hash\":\"" B1 "\",\"context_hash\":\"" B2 "\","
	"\"derived_at\":\"2026-11-25T18:12:31Z\"}",
	/* a CloudEvents telemetry event, the fields under data */
	" {\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"/ss-fc-launch/runner-1\","
	"\"type\":\"dev.ss.fc.launched\",\"time\":\"2026-11-25T18:12:32Z\","
	"\"datacontenttype\":\"application/json\",\"data\":{\"execution_id\":\"exec-1\","
	"\"tenant_id\":\"tenant-a\",\"operator_id\":\"operator-1\",\"session_binding_hash\":\"" B1 "\","
	"\"key_id\":\"" K2 "\",\"vm\":{\"kernel_sha256\":\"" B2 "\",\"drives\":[{\"id\":\"root\","
	"\"sha256\":\"" B2 "\"}],\"vcpu_count\":2},\"timings_ms\":[1,2,-3],\"note\":\"caf\xc3\xa9 \\u00e9\"}} \r",
	/* a denied session: nulls, approved false */
	"{\"type\":\"ss.session.v1\",\"approved\":false,\"reason\":\"challenge_reused\","
	"\"challenge_id\":\"ch-0123456789abcdef\",\"execution_id\":null,\"tenant_id\":null,"
	"\"session_binding_hash\":null,\"nested\":[[[{}]],[]]}",
};

/* Lines that leave the one pass and must still agree. */
static const char *const unusual[] = {
	"{\"tenant_id\":\"t\\u002d1\",\"execution_id\":\"e\",\"session_binding_hash\":\"" B1 "\"}",
	"{\"tenant\\u005fid\":\"t\",\"execution_id\":\"e\",\"session_binding_hash\":\"" B1 "\"}",
	"{\"tenant_id\":\"t\",\"tenant_id\":\"u\",\"execution_id\":\"e\"}",
	"{\"data\":{\"tenant_id\":\"t\",\"tenant_id\":\"t\"}}",
	"{\"data\":{},\"data\":{}}",
	"{\"tenant_id\":\"t\",\"data\":{\"tenant_id\":\"u\"}}",
	"{\"tenant_id\":\"t\",\"data\":{\"tenant_id\":null}}",
	"{\"tenant_id\":\"\",\"data\":{\"tenant_id\":\"u\"}}",
	"{\"tenant_id\":7}",
	"{\"tenant_id\":\"a b\"}",
	"{\"tenant_id\":\"\xc3\xa9\"}",
	"{\"approved\":\"yes\"}",
	"{\"approved\":0}",
	"{\"type\":7}",
	"{\"type\":\"x.denied\",\"tenant_id\":\"t\"}",
	"{\"type\":\"x.denie\\u0064\",\"tenant_id\":\"t\"}",
	"{\"data\":{\"approved\":false},\"tenant_id\":\"t\"}",
	"{\"session_binding_hash\":\"" B1 "0\"}",
	"{\"session_binding_hash\":\"5FECEB66FFC86F38D952786C6D696C79C2DBC239DD4E91B46729D73A27FB57E9\"}",
	"{\"key_id\":\"" B1 "\"}",
	"{\"key_id\":\"d1a5ac9a015fac2ef7b341673635512g\"}",
	"{\"data\":\"x\",\"tenant_id\":\"t\"}",
	"{\"data\":[{\"tenant_id\":\"t\"}]}",
	"{\"x\":{\"tenant_id\":7}}",
	"{\"x\":1.5}",
	"{\"x\":1e3}",
	"{\"x\":01}",
	"{\"x\":9007199254740993}",
	"{\"x\":-9007199254740992}",
	"{\"x\":\"\\u0000\"}",
	"{\"x\":\"\\ud800\"}",
	"{\"x\":\"\\ud83d\\ude00\"}",
	"{\"x\":\"\xed\xa0\x80\"}",
	"{\"x\":\"\xf4\x90\x80\x80\"}",
	"{\"x\":\"\x01\"}",
	"{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	"{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	"{\"x\":tru}",
	"{} {}",
	"[]",
	"\"x\"",
	"",
	" ",
	"{",
	"{\"tenant_id\":\"t\",}",
	"\xef\xbb\xbf{}",
	"{\"tenant_id\":\"t\"}\x00",
};

static void set_base(ss_collision_rec *r)
{
	memset(r, 0x5a, sizeof *r);
}

/* Both readers on the same text: same status, message and record. */
static int agree(const char *text, size_t len)
{
	ss_collision_rec a, b;
	ss_buf sa = SS_BUF_INIT, sb = SS_BUF_INIT;
	ss_err ea = { 0 }, eb = { 0 };
	int ra, rb, ok = 1;

	set_base(&a);
	set_base(&b);
	ra = ss_collision_extract(text, len, &a, &sa, &ea);
	rb = ss_collision_extract_tree(text, len, &b, &sb, &eb);
	if (ra != rb || strcmp(ea.msg, eb.msg) != 0) {
		printf("#   differ on '%.*s': %d '%s' vs %d '%s'\n", (int)len, text, ra, ea.msg, rb,
		       eb.msg);
		ok = 0;
	} else if (!ra) {
		ok = a.present == b.present && a.flags == b.flags;
		for (int f = 0; f < SS_CF_COUNT && ok; f++) {
			if (!(a.present & SS_CF_BIT(f)))
				continue;
			ok = a.hash[f] == b.hash[f];
			if (f == SS_CF_BINDING)
				ok = ok && memcmp(a.binding, b.binding, sizeof a.binding) == 0;
			else if (f == SS_CF_KEY)
				ok = ok && memcmp(a.key_id, b.key_id, sizeof a.key_id) == 0;
			else
				ok = ok && a.len[f] == b.len[f] &&
				     memcmp(sa.data + a.off[f], sb.data + b.off[f], a.len[f]) == 0;
		}
		if (!ok)
			printf("#   different records for '%.*s'\n", (int)len, text);
	}
	ss_buf_free(&sa);
	ss_buf_free(&sb);
	return ok;
}

static int agree_str(const char *s)
{
	return agree(s, strlen(s));
}

TEST(valid_lines_agree)
{
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
		CHECK(agree_str(valid[i]));
}

TEST(unusual_lines_agree)
{
	for (size_t i = 0; i < sizeof unusual / sizeof unusual[0]; i++)
		CHECK(agree_str(unusual[i]));
	CHECK(agree("{\"tenant_id\":\"t\"}\x00", 18));
	CHECK(agree("{\"x\":\"a\x00b\"}", 11));
}

static const char *field_text(const ss_collision_rec *r, const ss_buf *s, int f, char *out)
{
	memcpy(out, s->data + r->off[f], r->len[f]);
	out[r->len[f]] = 0;
	return out;
}

TEST(fields_are_read_where_each_document_keeps_them)
{
	ss_collision_rec r;
	ss_buf s = SS_BUF_INIT;
	ss_err err = { 0 };
	char t[200];
	const unsigned want = SS_CF_BIT(SS_CF_TENANT) | SS_CF_BIT(SS_CF_EXECUTION) |
			      SS_CF_BIT(SS_CF_BINDING);

	CHECK(ss_collision_extract(valid[1], strlen(valid[1]), &r, &s, &err) == SS_OK);
	CHECK(r.present == (want | SS_CF_BIT(SS_CF_NONCE)));
	CHECK(r.flags == 0);
	CHECK_STR(field_text(&r, &s, SS_CF_NONCE, t), "ch-0123456789abcdef");
	CHECK_STR(field_text(&r, &s, SS_CF_TENANT, t), "tenant-a");
	CHECK(r.binding[0] == 0x5f && r.binding[31] == 0xe9);

	CHECK(ss_collision_extract(valid[2], strlen(valid[2]), &r, &s, &err) == SS_OK);
	CHECK(r.present == (want | SS_CF_BIT(SS_CF_KEY)));
	CHECK(r.key_id[0] == 0x6a && r.key_id[15] == 0xfd);

	CHECK(ss_collision_extract(valid[3], strlen(valid[3]), &r, &s, &err) == SS_OK);
	CHECK(r.present == (want | SS_CF_BIT(SS_CF_KEY)));
	CHECK_STR(field_text(&r, &s, SS_CF_EXECUTION, t), "exec-1");
	CHECK(r.flags == 0);

	CHECK(ss_collision_extract(valid[4], strlen(valid[4]), &r, &s, &err) == SS_OK);
	CHECK(r.flags == SS_CREC_REFUSAL);
	CHECK(r.present == SS_CF_BIT(SS_CF_NONCE));
	ss_buf_free(&s);
}

TEST(malformed_tracked_members_are_named)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "{\"tenant_id\":7}", "member 'tenant_id' must be a string" },
		{ "{\"data\":{\"tenant_id\":\"a b\"}}",
		  "member 'data.tenant_id' is not an identifier ([A-Za-z0-9._:-]{1,128})" },
		{ "{\"session_binding_hash\":\"ab\"}",
		  "member 'session_binding_hash' must be 64 lowercase hex digits" },
		{ "{\"key_id\":\"" B1 "\"}", "member 'key_id' must be 32 lowercase hex digits" },
		{ "{\"approved\":null,\"data\":{\"approved\":1}}",
		  "member 'data.approved' must be true or false" },
		{ "{\"tenant_id\":\"t\",\"data\":{\"tenant_id\":\"t\"}}",
		  "members 'tenant_id' and 'data.tenant_id' both given" },
		{ "{\"data\":{\"key_id\":null,\"key_id\":null}}", "duplicate member 'data.key_id'" },
		{ "{\"tenant_id\":\"t\"} x", "trailing data after the document at byte 18" },
		{ "{\"x\":1.0}", "number with a fraction or exponent at byte 5" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ss_collision_rec r;
		ss_buf s = SS_BUF_INIT;
		ss_err err = { 0 };
		CHECK(ss_collision_extract(cases[i].line, strlen(cases[i].line), &r, &s, &err) ==
		      SS_EINPUT);
		CHECK_STR(err.msg, cases[i].msg);
		ss_buf_free(&s);
	}
}

static const char alphabet[] = "\"\\{}[],: \t\r\n0123456789abcdefABuntrls-._\x01\x7f\xc3\xa9\xff\xed";

TEST(random_mutations_agree)
{
	char buf[2048];
	int disagreements = 0, accepted = 0;

	srand(11);
	for (int round = 0; round < 300000 && disagreements < 5; round++) {
		const char *base = valid[round % (sizeof valid / sizeof valid[0])];
		size_t n = strlen(base);
		int edits = 1 + rand() % 3;

		memcpy(buf, base, n);
		for (int e = 0; e < edits; e++) {
			size_t at = (size_t)rand() % n;
			char c = alphabet[rand() % (int)(sizeof alphabet - 1)];
			switch (rand() % 3) {
			case 0:
				buf[at] = c;
				break;
			case 1:
				if (n + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default:
				if (n > 1) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
			}
		}
		if (!agree(buf, n))
			disagreements++;
		else {
			ss_collision_rec r;
			ss_buf s = SS_BUF_INIT;
			ss_err err = { 0 };
			accepted += ss_collision_extract(buf, n, &r, &s, &err) == SS_OK;
			ss_buf_free(&s);
		}
	}
	CHECK(disagreements == 0);
	CHECK(accepted > 10000); /* mutations that keep a valid line do occur */
}

/* The hash as its definition reads, byte by byte. */
static uint64_t reference_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0x87c37b91114253d5ull), w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		w = 0;
		for (int b = 0; b < 8; b++)
			w |= (uint64_t)p[i + b] << (8 * b);
		w *= 0x87c37b91114253d5ull;
		w = (w << 31) | (w >> 33);
		h ^= w * 0x4cf5ad432745937full;
		h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
	}
	if (i < n) {
		w = 0;
		for (int b = 0; i + (size_t)b < n; b++)
			w |= (uint64_t)p[i + b] << (8 * b);
		w *= 0x87c37b91114253d5ull;
		w = (w << 31) | (w >> 33);
		h ^= w * 0x4cf5ad432745937full;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Partitions depend on it: it must never change under the same name. */
TEST(partition_hash_is_fixed)
{
	unsigned char buf[64];

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (size_t n = 0; n <= 48; n++)
		for (size_t at = 0; at < 8; at++)
			CHECK(ss_collision_hash(buf + at, n) == reference_hash(buf + at, n));
	CHECK(strcmp(SS_COLLISION_HASH_NAME, "ss-collide-64a") == 0);
	CHECK(ss_collision_hash("", 0) == 0x9ca066f1a4ab2eeaull);
	CHECK(ss_collision_hash("tenant-0", 8) == 0xff67b7ad9d9faeb0ull);
	CHECK(ss_collision_hash("exec-123456789", 14) == 0x56194ea0e473f899ull);
}

/* ---- the tracker ------------------------------------------------------- */

struct line {
	const char *tenant, *execution, *binding, *key, *nonce;
	bool refusal;
};

static void make_rec(const struct line *l, ss_collision_rec *r, ss_buf *s)
{
	uint8_t raw[32];

	ss_collision_rec_clear(r);
	if (l->tenant)
		ss_collision_rec_set_id(r, s, SS_CF_TENANT, l->tenant);
	if (l->execution)
		ss_collision_rec_set_id(r, s, SS_CF_EXECUTION, l->execution);
	if (l->nonce)
		ss_collision_rec_set_id(r, s, SS_CF_NONCE, l->nonce);
	if (l->binding) {
		memset(raw, 0, sizeof raw);
		memcpy(raw, l->binding, strlen(l->binding) < 32 ? strlen(l->binding) : 32);
		ss_collision_rec_set_binding(r, raw);
	}
	if (l->key) {
		memset(raw, 0, sizeof raw);
		memcpy(raw, l->key, strlen(l->key) < 16 ? strlen(l->key) : 16);
		ss_collision_rec_set_key(r, raw);
	}
	if (l->refusal)
		r->flags |= SS_CREC_REFUSAL;
}

static void track_lines(ss_collision_tracker *t, const struct line *lines, size_t n)
{
	ss_collision_rec *recs = calloc(n, sizeof *recs);
	ss_buf s = SS_BUF_INIT;
	ss_err err = { 0 };

	for (size_t i = 0; i < n; i++)
		make_rec(&lines[i], &recs[i], &s);
	CHECK(ss_collision_track(t, recs, n, (const char *)s.data, &err) == SS_OK);
	ss_buf_free(&s);
	free(recs);
}

static const struct line story[] = {
	/* 1 */ { "ta", "e1", "b1", NULL, "c1", false },   /* session */
	/* 2 */ { "ta", "e1", "b1", "k1", NULL, false },   /* its key */
	/* 3 */ { "ta", "e1", "b1", "k1", NULL, false },   /* its telemetry */
	/* 4 */ { "ta", "e1", "b1", "k1", "c1", false },   /* the session again */
	/* 5 */ { "tb", "e2", "b1", NULL, "c2", false },   /* b1 under another tenant */
	/* 6 */ { "tb", "e2", "b2", "k1", NULL, false },   /* k1 elsewhere */
	/* 7 */ { "tb", "e3", "b3", NULL, "c1", false },   /* c1 again, another session */
	/* 8 */ { "tc", "e1", "b4", NULL, NULL, false },   /* e1 claimed by tc */
	/* 9 */ { NULL, "e9", "b9", NULL, NULL, false },   /* no tenant */
	/* 10 */ { "ta", "e1", NULL, NULL, NULL, false },  /* no binding */
	/* 11 */ { NULL, NULL, NULL, NULL, "c1", true },   /* a refusal reusing c1 */
	/* 12 */ { "ta", "e5", "b5", "k5", NULL, false },
	/* 13 */ { "ta", "e6", "b5", "k6", NULL, false },  /* b5 again, same tenant: fine */
	/* 14 */ { "ta", "e5", "b7", "k5", NULL, false },  /* k5, same execution: fine */
	/* 15 */ { "ta", "e6", "b8", "k5", NULL, false },  /* k5, other execution */
};

TEST(tracker_counts_each_kind_by_its_rule)
{
	ss_collision_tracker *t = ss_collision_tracker_new(0, 0, 20);
	ss_collision_report r;

	ss_collision_tracker_input(t, "story.jsonl");
	track_lines(t, story, sizeof story / sizeof story[0]);
	ss_collision_tracker_report(t, &r);
	CHECK(r.records == 15);
	CHECK(r.by_kind[SS_CK_BINDING_CROSS_TENANT] == 1);
	CHECK(r.by_kind[SS_CK_KEY_REUSE] == 2);
	CHECK(r.by_kind[SS_CK_NONCE_REUSE] == 1);
	CHECK(r.by_kind[SS_CK_EXECUTION_CROSS_TENANT] == 1);
	CHECK(r.by_kind[SS_CK_MISSING_FIELD] == 2);
	CHECK(r.nexamples == 7);
	if (r.nexamples == 7) {
		const ss_collision_example *e = r.examples;
		/* in input order, by the record that showed them */
		CHECK(e[0].kind == SS_CK_BINDING_CROSS_TENANT && e[0].first.line == 1 &&
		      e[0].second.line == 5);
		CHECK_STR(e[0].first.tenant, "ta");
		CHECK_STR(e[0].second.tenant, "tb");
		CHECK(e[1].kind == SS_CK_KEY_REUSE && e[1].first.line == 2 && e[1].second.line == 6);
		CHECK_STR(e[1].first.execution, "e1");
		CHECK_STR(e[1].second.execution, "e2");
		CHECK(e[2].kind == SS_CK_NONCE_REUSE && e[2].first.line == 1 &&
		      e[2].second.line == 7);
		CHECK_STR(e[2].value, "c1");
		CHECK(e[3].kind == SS_CK_EXECUTION_CROSS_TENANT && e[3].second.line == 8);
		CHECK_STR(e[3].second.tenant, "tc");
		CHECK(e[4].kind == SS_CK_MISSING_FIELD && e[4].first.line == 9 && !e[4].has_second);
		CHECK_STR(e[4].value, "tenant_id");
		CHECK(e[5].kind == SS_CK_MISSING_FIELD && e[5].first.line == 10);
		CHECK_STR(e[5].value, "session_binding_hash");
		CHECK(e[6].kind == SS_CK_KEY_REUSE && e[6].first.line == 12 && e[6].second.line == 15);
	}
	ss_collision_report_free(&r);
	ss_collision_tracker_free(t);
}

TEST(examples_stop_at_the_maximum_counts_do_not)
{
	ss_collision_tracker *t = ss_collision_tracker_new(0, 0, 2);
	ss_collision_report r;

	ss_collision_tracker_input(t, "a");
	track_lines(t, story, 8);
	ss_collision_tracker_input(t, "b");
	track_lines(t, story + 8, sizeof story / sizeof story[0] - 8);
	ss_collision_tracker_report(t, &r);
	CHECK(ss_collision_report_violations(&r) == 7);
	CHECK(r.nexamples == 2);
	CHECK(r.examples[1].second.line == 6 && r.examples[1].second.input == 0);
	ss_collision_report_free(&r);

	/* lines are counted per input */
	t = (ss_collision_tracker_free(t), ss_collision_tracker_new(0, 0, 20));
	ss_collision_tracker_input(t, "a");
	track_lines(t, story, 8);
	ss_collision_tracker_input(t, "b");
	track_lines(t, story + 8, sizeof story / sizeof story[0] - 8);
	ss_collision_tracker_report(t, &r);
	CHECK(r.nexamples == 7);
	CHECK(r.examples[4].first.input == 1 && r.examples[4].first.line == 1);
	CHECK(r.examples[6].first.input == 1 && r.examples[6].first.line == 4 &&
	      r.examples[6].second.line == 7);
	ss_collision_report_free(&r);
	ss_collision_tracker_free(t);
}

static char *report_text(const ss_collision_report *r)
{
	cJSON *doc = ss_collision_report_to_json(r);
	ss_buf b = SS_BUF_INIT;
	char *s;

	ss_json_write(doc, &b);
	cJSON_Delete(doc);
	s = ss_xstrdup(ss_buf_str(&b));
	ss_buf_free(&b);
	return s;
}

/* Many records with collisions of every kind; n partitions merged give
 * the single run's report, byte for byte. */
TEST(partitions_merged_equal_one_run)
{
	enum { N = 20000 };
	struct line *lines = calloc(N, sizeof *lines);
	char (*text)[5][24] = calloc(N, sizeof *text);
	ss_collision_report single, *parts, merged;
	ss_collision_tracker *t;
	ss_err err = { 0 };
	char *want, *got;

	srand(5);
	for (int i = 0; i < N; i++) {
		snprintf(text[i][0], 24, "t%d", rand() % 50);
		snprintf(text[i][1], 24, "e%d", rand() % 15000);
		snprintf(text[i][2], 24, "b%d", rand() % 18000);
		snprintf(text[i][3], 24, "k%d", rand() % 19000);
		snprintf(text[i][4], 24, "c%d", rand() % 19500);
		lines[i].tenant = rand() % 500 ? text[i][0] : NULL;
		lines[i].execution = text[i][1];
		lines[i].binding = rand() % 400 ? text[i][2] : NULL;
		lines[i].key = rand() % 2 ? text[i][3] : NULL;
		lines[i].nonce = rand() % 3 ? NULL : text[i][4];
		lines[i].refusal = rand() % 100 == 0;
	}
	t = ss_collision_tracker_new(0, 0, 25);
	ss_collision_tracker_input(t, "x");
	track_lines(t, lines, N);
	ss_collision_tracker_report(t, &single);
	ss_collision_tracker_free(t);
	for (int k = 0; k < SS_CK_COUNT; k++)
		CHECK(single.by_kind[k] > 25); /* every kind, more than the examples */
	want = report_text(&single);

	for (uint32_t n = 1; n <= 7; n += 3) {
		parts = calloc(n, sizeof *parts);
		for (uint32_t i = 0; i < n; i++) {
			/* given in any order */
			t = ss_collision_tracker_new(n - i, n, 25);
			ss_collision_tracker_input(t, "x");
			track_lines(t, lines, N);
			ss_collision_tracker_report(t, &parts[i]);
			ss_collision_tracker_free(t);
		}
		CHECK(ss_collision_merge(parts, n, &merged, &err) == SS_OK);
		got = report_text(&merged);
		CHECK_STR(got, want);
		free(got);
		ss_collision_report_free(&merged);
		for (uint32_t i = 0; i < n; i++)
			ss_collision_report_free(&parts[i]);
		free(parts);
	}
	free(want);
	ss_collision_report_free(&single);
	free(lines);
	free(text);
}

TEST(merge_refuses_what_does_not_fit)
{
	ss_collision_tracker *t;
	ss_collision_report p[3], out;
	ss_err err = { 0 };

	for (int i = 0; i < 3; i++) {
		t = ss_collision_tracker_new((uint32_t)(i == 2 ? 2 : i + 1), 3, 10);
		ss_collision_tracker_input(t, "x");
		track_lines(t, story, sizeof story / sizeof story[0]);
		ss_collision_tracker_report(t, &p[i]);
		ss_collision_tracker_free(t);
	}
	CHECK(ss_collision_merge(p, 3, &out, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "partition 2/3 is given twice");
	CHECK(ss_collision_merge(p, 2, &out, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "partition 3/3 is missing");
	p[1].records++;
	CHECK(ss_collision_merge(p, 2, &out, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "report 2 counted 16 records, report 1 15");
	p[1].part_count = 0;
	CHECK(ss_collision_merge(p, 2, &out, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "report 2 is not a partial report (no partition)");
	for (int i = 0; i < 3; i++)
		ss_collision_report_free(&p[i]);
}

TEST(reports_read_back_as_written)
{
	ss_collision_tracker *t = ss_collision_tracker_new(2, 3, 10);
	ss_collision_report r, back;
	cJSON *doc;
	ss_err err = { 0 };
	char *a, *b;

	ss_collision_tracker_input(t, "a b.jsonl");
	ss_collision_tracker_input(t, "-");
	track_lines(t, story, sizeof story / sizeof story[0]);
	ss_collision_tracker_report(t, &r);
	a = report_text(&r);
	CHECK(ss_json_parse(a, strlen(a), &doc, &err) == SS_OK);
	CHECK(ss_collision_report_parse(doc, &back, &err) == SS_OK);
	b = report_text(&back);
	CHECK_STR(b, a);
	cJSON_Delete(doc);
	free(a);
	free(b);
	ss_collision_report_free(&r);
	ss_collision_report_free(&back);
	ss_collision_tracker_free(t);
}

TEST(tracker_state_is_counted)
{
	ss_collision_tracker *t = ss_collision_tracker_new(0, 0, 10);
	ss_collision_stats st;

	ss_collision_tracker_input(t, "x");
	track_lines(t, story, sizeof story / sizeof story[0]);
	ss_collision_tracker_stats(t, &st);
	CHECK(st.distinct[SS_CF_BINDING] == 7);
	CHECK(st.distinct[SS_CF_TENANT] == 3);
	CHECK(st.distinct[SS_CF_KEY] == 3);
	CHECK(st.binding_bytes > 0 && st.total_bytes > st.binding_bytes);
	ss_collision_tracker_free(t);
}

/* Enough distinct values that every table's index grows past a megabyte
 * several times and later pages are carved from outgrown indexes: values
 * from the start must still be found at the end. */
TEST(big_tables_keep_every_value)
{
	enum { N = 400000 };
	ss_collision_tracker *t = ss_collision_tracker_new(0, 0, 10);
	ss_collision_rec *recs = calloc(N + 3, sizeof *recs);
	ss_collision_report r;
	ss_collision_stats st;
	ss_buf s = SS_BUF_INIT;
	ss_err err = { 0 };
	char id[32];
	uint8_t raw[32];

	for (int i = 0; i < N + 3; i++) {
		int v = i < N ? i : (i - N) * 1000 + 7; /* the last three repeat early values */
		ss_collision_rec_clear(&recs[i]);
		snprintf(id, sizeof id, "t%d", i < N ? i % 100 : 100 + i);
		ss_collision_rec_set_id(&recs[i], &s, SS_CF_TENANT, id);
		snprintf(id, sizeof id, "e%d", v);
		ss_collision_rec_set_id(&recs[i], &s, SS_CF_EXECUTION, id);
		memset(raw, 0, sizeof raw);
		memcpy(raw, &v, sizeof v);
		ss_collision_rec_set_binding(&recs[i], raw);
		raw[15] = 1;
		ss_collision_rec_set_key(&recs[i], raw);
	}
	ss_collision_tracker_input(t, "big");
	for (int i = 0; i < N + 3; i += 5000)
		CHECK(ss_collision_track(t, recs + i, N + 3 - i < 5000 ? (size_t)(N + 3 - i) : 5000,
					 (const char *)s.data, &err) == SS_OK);
	ss_collision_tracker_stats(t, &st);
	CHECK(st.distinct[SS_CF_BINDING] == N);
	CHECK(st.distinct[SS_CF_EXECUTION] == N);
	ss_collision_tracker_report(t, &r);
	CHECK(r.by_kind[SS_CK_BINDING_CROSS_TENANT] == 3);
	CHECK(r.by_kind[SS_CK_EXECUTION_CROSS_TENANT] == 3);
	CHECK(r.by_kind[SS_CK_KEY_REUSE] == 3);
	CHECK(r.nexamples == 9);
	CHECK(r.examples[3].kind == SS_CK_BINDING_CROSS_TENANT && r.examples[3].first.line == 1008 &&
	      r.examples[3].second.line == N + 2);
	CHECK_STR(r.examples[3].first.tenant, "t7");
	ss_collision_report_free(&r);
	ss_collision_tracker_free(t);
	ss_buf_free(&s);
	free(recs);
}

int main(void)
{
	cJSON_Delete(ss_json_new_object());
	RUN(valid_lines_agree);
	RUN(unusual_lines_agree);
	RUN(fields_are_read_where_each_document_keeps_them);
	RUN(malformed_tracked_members_are_named);
	RUN(random_mutations_agree);
	RUN(partition_hash_is_fixed);
	RUN(tracker_counts_each_kind_by_its_rule);
	RUN(examples_stop_at_the_maximum_counts_do_not);
	RUN(partitions_merged_equal_one_run);
	RUN(merge_refuses_what_does_not_fit);
	RUN(reports_read_back_as_written);
	RUN(tracker_state_is_counted);
	RUN(big_tables_keep_every_value);
	return unit_done();
}
