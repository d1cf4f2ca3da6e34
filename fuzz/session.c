/* ss.session.v1 (doc/session.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_session s;
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_session_parse(doc, &s, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_session_to_json(&s), "session");
	cJSON_Delete(doc);
	return 0;
}
