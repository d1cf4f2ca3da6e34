/* One line of ss-collision-check: the record extractor
 * (collide/collision_record.c) - fuzz-dict: json
 *
 * Differential: the one-pass validating scan (ss_collision_extract) is held
 * to the strict path through a cJSON tree (ss_collision_extract_tree): same
 * status, same message, same record (fields present, refusal flag, hashes,
 * bytes of each value).  The scan runs twice, since the second run reads
 * member names through what the first remembered of them.  What is
 * accepted is a well-formed document by the toolkit's rules, and each
 * value is the one its member holds, read again here from the tree. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "ss/buf.h"
#include "ss/collision_record.h"
#include "ss/json.h"

static void same_record(const ss_collision_rec *a, const ss_buf *sa, const ss_collision_rec *b,
			const ss_buf *sb, const char *what)
{
	FUZZ_CHECK(a->present == b->present && a->flags == b->flags,
		   "%s: fields 0x%x flags 0x%x, the tree 0x%x 0x%x", what, a->present, a->flags,
		   b->present, b->flags);
	for (int f = 0; f < SS_CF_COUNT; f++) {
		if (!(a->present & SS_CF_BIT(f)))
			continue;
		FUZZ_CHECK(a->hash[f] == b->hash[f], "%s: %s hashes differ", what,
			   ss_collision_field_name(f));
		if (f == SS_CF_BINDING)
			FUZZ_CHECK(memcmp(a->binding, b->binding, sizeof a->binding) == 0,
				   "%s: bindings differ", what);
		else if (f == SS_CF_KEY)
			FUZZ_CHECK(memcmp(a->key_id, b->key_id, sizeof a->key_id) == 0,
				   "%s: key ids differ", what);
		else
			FUZZ_CHECK(a->len[f] == b->len[f] && a->off[f] + a->len[f] <= sa->len &&
					   b->off[f] + b->len[f] <= sb->len &&
					   memcmp(sa->data + a->off[f], sb->data + b->off[f],
						  a->len[f]) == 0,
				   "%s: %s values differ", what, ss_collision_field_name(f));
	}
}

/* The member of field f, at the top or under "data", as a string; NULL
 * when absent, null or "". */
static const char *member(const cJSON *doc, enum ss_collision_field f)
{
	const char *name = ss_collision_field_name(f);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, name);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");

	if ((!m || cJSON_IsNull(m) || (cJSON_IsString(m) && !*m->valuestring)) &&
	    cJSON_IsObject(data))
		m = cJSON_GetObjectItemCaseSensitive(data, name);
	return cJSON_IsString(m) && *m->valuestring ? m->valuestring : NULL;
}

/* What was accepted is what the line says. */
static void check_values(const uint8_t *data, size_t size, const ss_collision_rec *r,
			 const ss_buf *s)
{
	cJSON *doc = cJSON_ParseWithLengthOpts((const char *)data, size, NULL, 0);
	ss_err err = { 0 };

	FUZZ_CHECK(ss_json_validate((const char *)data, size, &err) == SS_OK,
		   "a record that is not well-formed was accepted: %s", err.msg);
	FUZZ_CHECK(cJSON_IsObject(doc), "a record that is not an object was accepted");
	for (int f = 0; f < SS_CF_COUNT; f++) {
		const char *v = member(doc, f);
		char hex[2 * SS_COLLISION_BINDING_LEN + 1];
		bool present = r->present & SS_CF_BIT(f);

		FUZZ_CHECK(present == (v != NULL), "%s: %s in the line, %s in the record",
			   ss_collision_field_name(f), v ? "given" : "absent",
			   present ? "present" : "absent");
		if (!v)
			continue;
		if (f == SS_CF_BINDING || f == SS_CF_KEY) {
			const uint8_t *raw = f == SS_CF_BINDING ? r->binding : r->key_id;
			size_t n = f == SS_CF_BINDING ? SS_COLLISION_BINDING_LEN : SS_COLLISION_KEY_LEN;
			for (size_t i = 0; i < n; i++)
				snprintf(hex + 2 * i, 3, "%02x", raw[i]);
			FUZZ_CHECK(strcmp(hex, v) == 0, "%s '%s' read as %s",
				   ss_collision_field_name(f), v, hex);
			FUZZ_CHECK(r->hash[f] == ss_collision_hash(raw, n), "%s: hash of other bytes",
				   ss_collision_field_name(f));
		} else {
			FUZZ_CHECK(strlen(v) == r->len[f] && memcmp(v, s->data + r->off[f], r->len[f]) == 0,
				   "%s '%s' read as '%.*s'", ss_collision_field_name(f), v, r->len[f],
				   (const char *)s->data + r->off[f]);
			FUZZ_CHECK(r->hash[f] == ss_collision_hash(v, strlen(v)), "%s: hash of other bytes",
				   ss_collision_field_name(f));
		}
	}
	cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_collision_rec fast, again, tree;
	ss_buf sf = SS_BUF_INIT, sa = SS_BUF_INIT, st = SS_BUF_INIT;
	ss_err ef = { 0 }, ea = { 0 }, et = { 0 };
	const char *line = (const char *)data;
	int rf = ss_collision_extract(line, size, &fast, &sf, &ef);
	int ra = ss_collision_extract(line, size, &again, &sa, &ea);
	int rt = ss_collision_extract_tree(line, size, &tree, &st, &et);

	fuzz_check_input(rf, &ef);
	fuzz_check_input(ra, &ea);
	fuzz_check_input(rt, &et);
	FUZZ_CHECK(rf == rt && ra == rt, "the scan says %d (%s), again %d (%s), the tree %d (%s)",
		   rf, ef.msg, ra, ea.msg, rt, et.msg);
	if (rt) {
		FUZZ_CHECK(strcmp(ef.msg, et.msg) == 0 && strcmp(ea.msg, et.msg) == 0,
			   "'%s' and '%s' against '%s'", ef.msg, ea.msg, et.msg);
	} else {
		same_record(&fast, &sf, &tree, &st, "the scan");
		same_record(&again, &sa, &tree, &st, "the scan again");
		check_values(data, size, &tree, &st);
	}
	ss_buf_free(&sf);
	ss_buf_free(&sa);
	ss_buf_free(&st);
	return 0;
}
