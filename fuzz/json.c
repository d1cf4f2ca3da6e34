/* The strict JSON reader (core/json.c) - fuzz-dict: json
 *
 * The scan alone (ss_json_validate) refuses whatever the reader refuses,
 * with the same words, and accepts what it accepts (duplicate members
 * aside: the reader finds those in the tree).  What the reader accepts,
 * printed compactly (ss_json_write), is accepted again and prints the
 * same. */
#include "harness.h"

#include <string.h>

#include "ss/buf.h"
#include "ss/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_err err = { 0 }, verr = { 0 }, err2 = { 0 };
	ss_buf out = SS_BUF_INIT, out2 = SS_BUF_INIT;
	cJSON *doc = NULL, *again = NULL;
	int rc = ss_json_parse((const char *)data, size, &doc, &err);
	int vrc = ss_json_validate((const char *)data, size, &verr);

	fuzz_check_input(rc, &err);
	fuzz_check_input(vrc, &verr);
	if (vrc)
		FUZZ_CHECK(rc && strcmp(err.msg, verr.msg) == 0, "the scan says '%s', the reader '%s'",
			   verr.msg, rc ? err.msg : "ok");
	if (rc) {
		FUZZ_CHECK(!doc, "a tree after an error");
		return 0;
	}
	FUZZ_CHECK(cJSON_IsObject(doc), "a document that is not an object");
	ss_json_write(doc, &out);
	if (out.len <= SS_JSON_MAX_SIZE) {
		rc = ss_json_parse((const char *)out.data, out.len, &again, &err2);
		FUZZ_CHECK(rc == SS_OK, "its own output refused: %s", err2.msg);
		ss_json_write(again, &out2);
		FUZZ_CHECK(out.len == out2.len && memcmp(out.data, out2.data, out.len) == 0,
			   "printed twice, two texts");
	}
	cJSON_Delete(again);
	cJSON_Delete(doc);
	ss_buf_free(&out);
	ss_buf_free(&out2);
	return 0;
}
