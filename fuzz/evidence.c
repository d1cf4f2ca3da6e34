/* ss.evidence.v1 (doc/challenge.c, doc/quote.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_evidence e = { 0 };
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_evidence_parse(doc, &e, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_evidence_to_json(&e), "evidence");
	ss_evidence_free(&e);
	cJSON_Delete(doc);
	return 0;
}
