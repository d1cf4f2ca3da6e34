/* ss.quote.v1 (doc/quote.c) - fuzz-dict: json
 * Strict parse; what is accepted is the document understood. */
#include "harness.h"

#include "ss/quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	ss_quote q = { 0 };
	ss_err err = { 0 };
	int rc;

	if (!doc)
		return 0;
	rc = ss_quote_parse(doc, "", true, &q, &err);
	fuzz_check_input(rc, &err);
	if (!rc)
		fuzz_same_document(doc, ss_quote_to_json(&q, true), "quote");
	ss_quote_free(&q);
	cJSON_Delete(doc);
	return 0;
}
