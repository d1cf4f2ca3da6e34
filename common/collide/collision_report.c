#include "ss/collision_report.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ss/jcs.h"
#include "ss/json.h"

/* NULL-terminated, so that it is also the member list of by_kind. */
static const char *const kind_names[SS_CK_COUNT + 1] = {
	[SS_CK_BINDING_CROSS_TENANT] = "binding_cross_tenant",
	[SS_CK_KEY_REUSE] = "key_reuse",
	[SS_CK_NONCE_REUSE] = "nonce_reuse",
	[SS_CK_EXECUTION_CROSS_TENANT] = "execution_cross_tenant",
	[SS_CK_MISSING_FIELD] = "missing_field",
};

const char *ss_collision_kind_name(enum ss_collision_kind k)
{
	return (unsigned)k < SS_CK_COUNT ? kind_names[k] : "?";
}

uint64_t ss_collision_report_violations(const ss_collision_report *r)
{
	uint64_t n = 0;

	for (int k = 0; k < SS_CK_COUNT; k++)
		n += r->by_kind[k];
	return n;
}

const ss_collision_side *ss_collision_example_at(const ss_collision_example *e)
{
	return e->has_second ? &e->second : &e->first;
}

bool ss_collision_name_ok(const char *name)
{
	ss_buf b = SS_BUF_INIT;
	ss_err err;
	bool ok;

	/* A name goes into the report as a JSON string: it must be text. */
	ss_buf_adds(&b, "{\"n\":");
	ss_jcs_string(name, &b);
	ss_buf_addc(&b, '}');
	ok = *name && ss_json_validate((const char *)b.data, b.len, &err) == SS_OK;
	ss_buf_free(&b);
	return ok;
}

/* ---- writing ------------------------------------------------------------ */

static void add_string_or_null(cJSON *o, const char *name, const char *s)
{
	ss_json_add_string_or_null(o, name, *s ? s : NULL);
}

static cJSON *side_json(const ss_collision_report *r, const ss_collision_side *s)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "file", r->inputs[s->input]);
	ss_json_add_int(o, "line", (int64_t)s->line);
	add_string_or_null(o, "tenant_id", s->tenant);
	if (s->has_execution)
		add_string_or_null(o, "execution_id", s->execution);
	return o;
}

cJSON *ss_collision_report_to_json(const ss_collision_report *r)
{
	cJSON *o = ss_json_new_object(), *a, *k;
	uint64_t v = ss_collision_report_violations(r);

	ss_json_add_string(o, "type", "ss.collision-report.v1");
	a = cJSON_CreateArray();
	ss_json_add_item(o, "inputs", a);
	for (size_t i = 0; i < r->ninputs; i++) {
		cJSON *s = cJSON_CreateString(r->inputs[i]);
		if (!s || !cJSON_AddItemToArray(a, s))
			ss_oom();
	}
	if (r->part_count) {
		cJSON *p = ss_json_add_object(o, "partition");
		ss_json_add_int(p, "index", r->part_index);
		ss_json_add_int(p, "count", r->part_count);
		ss_json_add_string(p, "hash", SS_COLLISION_HASH_NAME);
	}
	ss_json_add_int(o, "records", (int64_t)r->records);
	ss_json_add_int(o, "violations", (int64_t)v);
	k = ss_json_add_object(o, "by_kind");
	for (int i = 0; i < SS_CK_COUNT; i++)
		ss_json_add_int(k, kind_names[i], (int64_t)r->by_kind[i]);
	a = cJSON_CreateArray();
	ss_json_add_item(o, "examples", a);
	for (size_t i = 0; i < r->nexamples; i++) {
		const ss_collision_example *e = &r->examples[i];
		cJSON *x = ss_json_new_object();
		ss_json_add_string(x, "kind", kind_names[e->kind]);
		ss_json_add_string(x, "value", e->value);
		ss_json_add_item(x, "first", side_json(r, &e->first));
		if (e->has_second)
			ss_json_add_item(x, "second", side_json(r, &e->second));
		else
			ss_json_add_null(x, "second");
		if (!cJSON_AddItemToArray(a, x))
			ss_oom();
	}
	ss_json_add_int(o, "max_examples", (int64_t)r->max_examples);
	ss_json_add_bool(o, "passed", v == 0);
	if (r->has_stress) {
		cJSON *s = ss_json_add_object(o, "stress");
		ss_json_add_int(s, "tenants", (int64_t)r->stress.tenants);
		ss_json_add_int(s, "executions", (int64_t)r->stress.executions);
		ss_json_add_u64hex(s, "seed", r->stress.seed);
		ss_json_add_int(s, "derivations", (int64_t)r->stress.derivations);
		ss_json_add_int(s, "jobs", r->stress.jobs);
		ss_json_add_int(s, "milliseconds", (int64_t)r->stress.milliseconds);
		ss_json_add_int(s, "per_second", (int64_t)r->stress.per_second);
	}
	return o;
}

/* ---- reading ------------------------------------------------------------ */

void ss_collision_report_free(ss_collision_report *r)
{
	for (size_t i = 0; i < r->ninputs; i++)
		free(r->inputs[i]);
	free(r->inputs);
	free(r->examples);
	memset(r, 0, sizeof *r);
}

static int count_member(const cJSON *o, const char *where, const char *name, uint64_t *out,
			ss_err *err)
{
	int64_t v;
	int rc;

	if ((rc = ss_json_int(o, where, name, 0, SS_JSON_MAX_INT, &v, err)))
		return rc;
	*out = (uint64_t)v;
	return SS_OK;
}

/* An identifier or null into out ("" for null). */
static int id_or_null(const cJSON *o, const char *where, const char *name, char *out,
		      ss_err *err)
{
	const char *s;
	int rc;

	if ((rc = ss_json_string_or_null(o, where, name, &s, err)))
		return rc;
	if (s && !ss_valid_id(s))
		return ss_err_set(err, SS_EINPUT,
				  "member '%s.%s' is not an identifier ([A-Za-z0-9._:-]{1,128})",
				  where, name);
	snprintf(out, SS_COLLISION_ID_MAX + 1, "%s", s ? s : "");
	return SS_OK;
}

static int parse_side(const cJSON *o, const char *where, const ss_collision_report *r,
		      bool with_execution, ss_collision_side *s, ss_err *err)
{
	static const char *const with[] = { "file", "line", "tenant_id", "execution_id", NULL };
	static const char *const without[] = { "file", "line", "tenant_id", NULL };
	const char *file;
	int64_t line;
	size_t i;
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = ss_json_only(o, where, with_execution ? with : without, err)) ||
	    (rc = ss_json_string(o, where, "file", &file, err)) ||
	    (rc = ss_json_int(o, where, "line", 1, SS_JSON_MAX_INT, &line, err)) ||
	    (rc = id_or_null(o, where, "tenant_id", s->tenant, err)))
		return rc;
	if (with_execution &&
	    (rc = id_or_null(o, where, "execution_id", s->execution, err)))
		return rc;
	s->has_execution = with_execution;
	for (i = 0; i < r->ninputs; i++)
		if (strcmp(r->inputs[i], file) == 0)
			break;
	if (i == r->ninputs)
		return ss_err_set(err, SS_EINPUT, "member '%s.file' is not one of the inputs", where);
	s->input = (uint32_t)i;
	s->line = (uint64_t)line;
	return SS_OK;
}

static int parse_kind(const char *s, enum ss_collision_kind *out)
{
	for (int k = 0; k < SS_CK_COUNT; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			*out = (enum ss_collision_kind)k;
			return 1;
		}
	return 0;
}

static int parse_example(const cJSON *x, const char *where, const ss_collision_report *r,
			 ss_collision_example *e, ss_err *err)
{
	static const char *const members[] = { "kind", "value", "first", "second", NULL };
	const char *kind, *value;
	const cJSON *first, *second;
	char w[64];
	bool with_execution;
	int rc;

	memset(e, 0, sizeof *e);
	if (!cJSON_IsObject(x))
		return ss_err_set(err, SS_EINPUT, "member '%s' must be an object", where);
	if ((rc = ss_json_only(x, where, members, err)) ||
	    (rc = ss_json_string(x, where, "kind", &kind, err)))
		return rc;
	if (!parse_kind(kind, &e->kind))
		return ss_err_set(err, SS_EINPUT, "member '%s.kind' is not a kind of violation",
				  where);
	if ((rc = ss_json_string(x, where, "value", &value, err)))
		return rc;
	if (!*value || strlen(value) > SS_COLLISION_ID_MAX)
		return ss_err_set(err, SS_EINPUT, "member '%s.value' must be 1 to %d characters",
				  where, SS_COLLISION_ID_MAX);
	snprintf(e->value, sizeof e->value, "%s", value);
	with_execution = e->kind == SS_CK_KEY_REUSE || e->kind == SS_CK_MISSING_FIELD;
	snprintf(w, sizeof w, "%s.first", where);
	if ((rc = ss_json_object(x, where, "first", &first, err)) ||
	    (rc = parse_side(first, w, r, with_execution, &e->first, err)))
		return rc;
	snprintf(w, sizeof w, "%s.second", where);
	if ((rc = ss_json_member(x, where, "second", &second, err)))
		return rc;
	if (e->kind == SS_CK_MISSING_FIELD) {
		if (!cJSON_IsNull(second))
			return ss_err_set(err, SS_EINPUT, "member '%s' must be null", w);
		return SS_OK;
	}
	if (!cJSON_IsObject(second))
		return ss_err_set(err, SS_EINPUT, "member '%s' must be an object", w);
	e->has_second = true;
	return parse_side(second, w, r, with_execution, &e->second, err);
}

static int parse_inputs(const cJSON *doc, ss_collision_report *r, ss_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, "inputs"), *s;
	size_t n;

	if (!a)
		return ss_err_set(err, SS_EINPUT, "member 'inputs' is missing");
	if (!cJSON_IsArray(a))
		return ss_err_set(err, SS_EINPUT, "member 'inputs' must be an array");
	n = (size_t)cJSON_GetArraySize(a);
	if (n > SS_COLLISION_MAX_INPUTS)
		return ss_err_set(err, SS_EINPUT, "member 'inputs' lists more than %d files",
				  SS_COLLISION_MAX_INPUTS);
	r->inputs = ss_xcalloc(n ? n : 1, sizeof *r->inputs);
	cJSON_ArrayForEach(s, a)
	{
		if (!cJSON_IsString(s) || !*s->valuestring)
			return ss_err_set(err, SS_EINPUT, "member 'inputs' must hold file names");
		for (size_t i = 0; i < r->ninputs; i++)
			if (strcmp(r->inputs[i], s->valuestring) == 0)
				return ss_err_set(err, SS_EINPUT, "member 'inputs' names '%.200s' twice",
						  s->valuestring);
		r->inputs[r->ninputs++] = ss_xstrdup(s->valuestring);
	}
	return SS_OK;
}

static int parse_partition(const cJSON *doc, ss_collision_report *r, ss_err *err)
{
	static const char *const members[] = { "index", "count", "hash", NULL };
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "partition");
	const char *hash;
	int64_t index, count;
	int rc;

	if (!p)
		return SS_OK;
	if ((rc = ss_json_object(doc, "", "partition", &p, err)) ||
	    (rc = ss_json_only(p, "partition", members, err)) ||
	    (rc = ss_json_int(p, "partition", "count", 1, SS_COLLISION_MAX_PARTITIONS, &count,
			      err)) ||
	    (rc = ss_json_int(p, "partition", "index", 1, count, &index, err)) ||
	    (rc = ss_json_string(p, "partition", "hash", &hash, err)))
		return rc;
	if (strcmp(hash, SS_COLLISION_HASH_NAME) != 0)
		return ss_err_set(err, SS_EINPUT,
				  "partition hash '%.64s' is not this version's ('%s')", hash,
				  SS_COLLISION_HASH_NAME);
	r->part_index = (uint32_t)index;
	r->part_count = (uint32_t)count;
	return SS_OK;
}

int ss_collision_report_parse(const cJSON *doc, ss_collision_report *r, ss_err *err)
{
	static const char *const members[] = { "type", "inputs", "partition", "records",
					       "violations", "by_kind", "examples",
					       "max_examples", "passed", NULL };
	const cJSON *by_kind, *ex, *x;
	uint64_t violations, max;
	bool passed;
	size_t i = 0;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = ss_json_type(doc, "ss.collision-report.v1", err)))
		goto fail;
	if (cJSON_GetObjectItemCaseSensitive(doc, "stress")) {
		rc = ss_err_set(err, SS_EINPUT, "a stress report is not a partial report");
		goto fail;
	}
	if ((rc = ss_json_only(doc, "", members, err)) || (rc = parse_inputs(doc, r, err)) ||
	    (rc = parse_partition(doc, r, err)) ||
	    (rc = count_member(doc, "", "records", &r->records, err)) ||
	    (rc = count_member(doc, "", "violations", &violations, err)) ||
	    (rc = ss_json_object(doc, "", "by_kind", &by_kind, err)) ||
	    (rc = ss_json_only(by_kind, "by_kind", (const char *const *)kind_names, err)))
		goto fail;
	/* Each kind counts once per record (ss-collision-check(1), RULES). */
	for (int k = 0; k < SS_CK_COUNT; k++) {
		if ((rc = count_member(by_kind, "by_kind", kind_names[k], &r->by_kind[k], err)))
			goto fail;
		if (r->by_kind[k] > r->records) {
			rc = ss_err_set(err, SS_EINPUT,
					"member 'by_kind.%s' counts more than the records",
					kind_names[k]);
			goto fail;
		}
	}
	if ((rc = count_member(doc, "", "max_examples", &max, err)) ||
	    (rc = ss_json_bool(doc, "", "passed", &passed, err)))
		goto fail;
	if (max > SS_COLLISION_MAX_EXAMPLES) {
		rc = ss_err_set(err, SS_EINPUT, "member 'max_examples' is out of range (0..%d)",
				SS_COLLISION_MAX_EXAMPLES);
		goto fail;
	}
	r->max_examples = (size_t)max;
	if (violations != ss_collision_report_violations(r) || passed != (violations == 0)) {
		rc = ss_err_set(err, SS_EINPUT,
				"members 'violations' and 'passed' do not agree with 'by_kind'");
		goto fail;
	}
	ex = cJSON_GetObjectItemCaseSensitive(doc, "examples");
	if (!ex || !cJSON_IsArray(ex)) {
		rc = ss_err_set(err, SS_EINPUT, "member 'examples' %s",
				ex ? "must be an array" : "is missing");
		goto fail;
	}
	r->nexamples = (size_t)cJSON_GetArraySize(ex);
	if (r->nexamples > r->max_examples || r->nexamples > violations) {
		rc = ss_err_set(err, SS_EINPUT, "member 'examples' holds more than %s",
				r->nexamples > r->max_examples ? "max_examples" : "the violations");
		goto fail;
	}
	r->examples = ss_xcalloc(r->nexamples ? r->nexamples : 1, sizeof *r->examples);
	cJSON_ArrayForEach(x, ex)
	{
		char where[32];
		snprintf(where, sizeof where, "examples[%zu]", i);
		if ((rc = parse_example(x, where, r, &r->examples[i], err)))
			goto fail;
		i++;
	}
	return SS_OK;
fail:
	ss_collision_report_free(r);
	return rc;
}

/* ---- merging ------------------------------------------------------------ */

static int cmp_example(const void *a, const void *b)
{
	const ss_collision_example *x = a, *y = b;
	const ss_collision_side *p = ss_collision_example_at(x), *q = ss_collision_example_at(y);

	if (p->input != q->input)
		return p->input < q->input ? -1 : 1;
	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static bool same_inputs(const ss_collision_report *a, const ss_collision_report *b)
{
	if (a->ninputs != b->ninputs)
		return false;
	for (size_t i = 0; i < a->ninputs; i++)
		if (strcmp(a->inputs[i], b->inputs[i]) != 0)
			return false;
	return true;
}

int ss_collision_merge(ss_collision_report *parts, size_t n, ss_collision_report *out,
		       ss_err *err)
{
	const ss_collision_report *p0 = &parts[0];
	unsigned char *seen;
	size_t total = 0;

	memset(out, 0, sizeof *out);
	if (n == 0)
		return ss_err_set(err, SS_EINPUT, "no reports to merge");
	for (size_t i = 0; i < n; i++) {
		const ss_collision_report *p = &parts[i];
		if (!p->part_count)
			return ss_err_set(err, SS_EINPUT,
					  "report %zu is not a partial report (no partition)", i + 1);
		if (p->part_count != p0->part_count)
			return ss_err_set(err, SS_EINPUT,
					  "report %zu is partition %u/%u, report 1 is %u/%u", i + 1,
					  p->part_index, p->part_count, p0->part_index,
					  p0->part_count);
		if (!same_inputs(p, p0))
			return ss_err_set(err, SS_EINPUT,
					  "report %zu is of other inputs than report 1", i + 1);
		if (p->records != p0->records)
			return ss_err_set(err, SS_EINPUT,
					  "report %zu counted %llu records, report 1 %llu", i + 1,
					  (unsigned long long)p->records,
					  (unsigned long long)p0->records);
		if (p->max_examples != p0->max_examples)
			return ss_err_set(err, SS_EINPUT,
					  "report %zu keeps %zu examples, report 1 %zu", i + 1,
					  p->max_examples, p0->max_examples);
	}
	/* A record shows a kind in one partition at most (the one of the value
	 * it is about), so no sum exceeds the records: nor can the merged
	 * report's counts go past what a document can hold. */
	for (int k = 0; k < SS_CK_COUNT; k++) {
		uint64_t sum = 0;
		for (size_t i = 0; i < n; i++) {
			sum += parts[i].by_kind[k];
			if (sum > p0->records)
				return ss_err_set(err, SS_EINPUT,
						  "reports 1 to %zu count more %s violations than "
						  "records (%llu)", i + 1, kind_names[k],
						  (unsigned long long)p0->records);
		}
	}
	seen = ss_xcalloc(p0->part_count, 1);
	for (size_t i = 0; i < n; i++) {
		if (seen[parts[i].part_index - 1]++) {
			ss_err_set(err, SS_EINPUT, "partition %u/%u is given twice",
				   parts[i].part_index, p0->part_count);
			free(seen);
			return SS_EINPUT;
		}
		total += parts[i].nexamples;
	}
	for (uint32_t i = 0; i < p0->part_count; i++)
		if (!seen[i]) {
			ss_err_set(err, SS_EINPUT, "partition %u/%u is missing", i + 1,
				   p0->part_count);
			free(seen);
			return SS_EINPUT;
		}
	free(seen);

	out->inputs = ss_xcalloc(p0->ninputs ? p0->ninputs : 1, sizeof *out->inputs);
	for (size_t i = 0; i < p0->ninputs; i++)
		out->inputs[i] = ss_xstrdup(p0->inputs[i]);
	out->ninputs = p0->ninputs;
	out->records = p0->records;
	out->max_examples = p0->max_examples;
	out->examples = ss_xcalloc(total ? total : 1, sizeof *out->examples);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < SS_CK_COUNT; k++)
			out->by_kind[k] += parts[i].by_kind[k];
		memcpy(out->examples + out->nexamples, parts[i].examples,
		       parts[i].nexamples * sizeof *out->examples);
		out->nexamples += parts[i].nexamples;
	}
	/* Each partition kept its first examples, so the first of the whole
	 * run are among them. */
	qsort(out->examples, out->nexamples, sizeof *out->examples, cmp_example);
	if (out->nexamples > out->max_examples)
		out->nexamples = out->max_examples;
	return SS_OK;
}
