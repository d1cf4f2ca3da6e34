/* YAML as strict JSON (core/yaml_json.c) - fuzz-dict: yaml
 * The tree built from YAML obeys the rules of the strict JSON reader: it
 * prints to text that reader accepts, and that prints the same again. */
#include "harness.h"

#include <string.h>

#include "ss/buf.h"
#include "ss/json.h"
#include "ss/yaml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_buf out = SS_BUF_INIT, out2 = SS_BUF_INIT;
	cJSON *doc = NULL, *again = NULL;
	ss_err err = { 0 }, err2 = { 0 };
	int rc = ss_yaml_to_json((const char *)data, size, "yaml", &doc, &err);

	fuzz_check_input(rc, &err);
	if (rc)
		return 0;
	FUZZ_CHECK(cJSON_IsObject(doc), "a root that is not a mapping");
	ss_json_write(doc, &out);
	if (out.len <= SS_JSON_MAX_SIZE) {
		rc = ss_json_parse((const char *)out.data, out.len, &again, &err2);
		FUZZ_CHECK(rc == SS_OK, "the strict reader refuses the tree: %s\n  %s", err2.msg,
			   ss_buf_str(&out));
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
