/* ss.credential-challenge.v1 (doc/credential.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/credential.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_cred_challenge c = { 0 };
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_cred_challenge_parse(doc, &c, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_cred_challenge_to_json(&c), "credential challenge");
	ss_cred_challenge_free(&c);
	cJSON_Delete(doc);
	return 0;
}
