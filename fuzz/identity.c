/* ss.identity.v1 (doc/identity.c: PEM keys, TPM2B_PUBLIC, TPM names) -
 * fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_identity id = { 0 };
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_identity_parse(doc, &id, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_identity_to_json(&id), "identity");
	ss_identity_free(&id);
	cJSON_Delete(doc);
	return 0;
}
