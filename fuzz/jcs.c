/* RFC 8785 canonical form (core/jcs.c) - fuzz-dict: json
 *
 * Every document the strict reader accepts has a canonical form; that form
 * is itself accepted and is its own canonical form (members sorted once,
 * strings and numbers in their one spelling); leaving "signature" out is
 * the same as deleting it first. */
#include "harness.h"

#include <string.h>

#include "ss/buf.h"
#include "ss/jcs.h"
#include "ss/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_buf a = SS_BUF_INIT, b = SS_BUF_INIT, w = SS_BUF_INIT, d = SS_BUF_INIT;
	cJSON *doc = fuzz_doc(data, size), *again = NULL;
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	FUZZ_CHECK(ss_jcs_write(doc, &a), "an accepted document without a canonical form");
	if (a.len <= SS_JSON_MAX_SIZE) {
		rc = ss_json_parse((const char *)a.data, a.len, &again, &err);
		FUZZ_CHECK(rc == SS_OK, "its canonical form refused: %s", err.msg);
		FUZZ_CHECK(ss_jcs_write(again, &b), "the canonical form has none");
		FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
			   "canonical form not canonical:\n  %.*s\n  %.*s", (int)a.len,
			   (const char *)a.data, (int)b.len, (const char *)b.data);
	}
	FUZZ_CHECK(ss_jcs_write_without(doc, "signature", &w), "no form without signature");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "signature");
	FUZZ_CHECK(ss_jcs_write(doc, &d), "no form after deleting signature");
	FUZZ_CHECK(w.len == d.len && memcmp(w.data, d.data, w.len) == 0,
		   "leaving out 'signature' differs from deleting it");
	cJSON_Delete(again);
	cJSON_Delete(doc);
	ss_buf_free(&a);
	ss_buf_free(&b);
	ss_buf_free(&w);
	ss_buf_free(&d);
	return 0;
}
