/* ss.collision-report.v1 as ss-collision-check merge reads it, and the
 * merge itself (collide/collision_report.c) - fuzz-dict: json
 *
 * Input: partial reports, one per line, as merge reads a file.  Each line
 * is read strictly (SS_OK or SS_EINPUT); what is accepted is what was
 * understood (the report written again from the parsed value is the
 * line).  When every line is a report, the merge is SS_OK or SS_EINPUT,
 * and the report it makes can be read back as one: the tool never prints
 * a report it would refuse. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "ss/buf.h"
#include "ss/collision_report.h"
#include "ss/jcs.h"
#include "ss/json.h"

#define MAX_LINES 64

/* The RFC 8785 forms of doc and rebuilt are the same (every string by its
 * bytes: fuzz_same_document reads "0x..." as numbers, and an example's
 * value is any text).  Deletes rebuilt. */
static void same_report(const cJSON *doc, cJSON *rebuilt, const char *what)
{
	ss_buf a = SS_BUF_INIT, b = SS_BUF_INIT;

	FUZZ_CHECK(rebuilt && ss_jcs_write(doc, &a) && ss_jcs_write(rebuilt, &b),
		   "%s: no RFC 8785 form", what);
	FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
		   "%s: accepted\n  %.*s\nbut understood\n  %.*s", what, (int)a.len,
		   (const char *)a.data, (int)b.len, (const char *)b.data);
	ss_buf_free(&a);
	ss_buf_free(&b);
	cJSON_Delete(rebuilt);
}

/* The merged report, written and read again: a whole report (no
 * partition) that writes back to the same text. */
static void check_merged(const ss_collision_report *whole)
{
	cJSON *doc = ss_collision_report_to_json(whole), *back = NULL;
	ss_collision_report r;
	ss_buf text = SS_BUF_INIT;
	ss_err err = { 0 };
	int rc;

	ss_json_write(doc, &text);
	rc = ss_json_parse((const char *)text.data, text.len, &back, &err);
	FUZZ_CHECK(rc == SS_OK, "the merged report is not a document: %s\n  %.*s", err.msg,
		   (int)text.len, (const char *)text.data);
	rc = ss_collision_report_parse(back, &r, &err);
	FUZZ_CHECK(rc == SS_OK, "the merged report cannot be read back: %s\n  %.*s", err.msg,
		   (int)text.len, (const char *)text.data);
	FUZZ_CHECK(r.part_count == 0, "the merged report names a partition");
	same_report(back, ss_collision_report_to_json(&r), "merged report");
	ss_collision_report_free(&r);
	cJSON_Delete(back);
	cJSON_Delete(doc);
	ss_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_collision_report parts[MAX_LINES], whole;
	const uint8_t *p = data, *end = data + size;
	size_t n = 0;
	bool all = true;
	ss_err err = { 0 };
	int rc;

	while (p < end && n < MAX_LINES) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		cJSON *doc = NULL;

		if ((rc = ss_json_parse((const char *)p, len, &doc, &err)) == SS_OK)
			rc = ss_collision_report_parse(doc, &parts[n], &err);
		fuzz_check_input(rc, &err);
		if (rc == SS_OK) {
			same_report(doc, ss_collision_report_to_json(&parts[n]), "report");
			n++;
		} else
			all = false;
		cJSON_Delete(doc);
		p += len + (nl != NULL);
	}
	if (all && n) {
		rc = ss_collision_merge(parts, n, &whole, &err);
		fuzz_check_input(rc, &err);
		if (rc == SS_OK) {
			check_merged(&whole);
			ss_collision_report_free(&whole);
		}
	}
	for (size_t i = 0; i < n; i++)
		ss_collision_report_free(&parts[i]);
	return 0;
}
