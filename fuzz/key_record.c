/* ss.key.v1 (derive/key_record.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood, and the
 * tree-less writer of batch output prints it byte for byte as the tree. */
#include "harness.h"

#include <string.h>

#include "ss/buf.h"
#include "ss/json.h"
#include "ss/key_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size), *rebuilt;
	ss_buf a = SS_BUF_INIT, b = SS_BUF_INIT;
	ss_keyrec r;
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_keyrec_parse(doc, &r, &err);
	fuzz_check_input(rc, &err);
	if (!rc) {
		rebuilt = ss_keyrec_to_json(&r);
		ss_json_write(rebuilt, &a);
		ss_keyrec_write(&r, &b);
		FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
			   "the two writers differ:\n  %s\n  %s", ss_buf_str(&a), ss_buf_str(&b));
		fuzz_same_document(doc, rebuilt, "key record");
	}
	ss_buf_free(&a);
	ss_buf_free(&b);
	cJSON_Delete(doc);
	return 0;
}
