/* ss.challenge.v1 (doc/challenge.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_challenge c;
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_challenge_parse(doc, &c, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_challenge_to_json(&c), "challenge");
	cJSON_Delete(doc);
	return 0;
}
