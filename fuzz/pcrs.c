/* ss.pcrs.v1 (doc/pcrs.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/pcrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_pcrs p;
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_pcrs_parse(doc, &p, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_pcrs_to_json(&p), "pcrs");
	cJSON_Delete(doc);
	return 0;
}
