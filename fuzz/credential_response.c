/* ss.credential-response.v1 (doc/credential.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/credential.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_cred_response r;
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_cred_response_parse(doc, &r, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_cred_response_to_json(&r), "credential response");
	cJSON_Delete(doc);
	return 0;
}
