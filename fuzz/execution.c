/* ss.execution.v1 (doc/execution.c, doc/execution_text.c) - fuzz-dict: json
 *
 * The one-pass reader for streams (ss_execution_parse_text) gives exactly
 * the status, message and result of the strict reader and the tree parser;
 * what they accept is the document they understood. */
#include "harness.h"

#include <string.h>

#include "ss/execution.h"
#include "ss/execution_text.h"
#include "ss/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_execution fast = { 0 }, tree = { 0 };
	ss_err ferr = { 0 }, terr = { 0 };
	cJSON *doc = NULL;
	int frc = ss_execution_parse_text((const char *)data, size, &fast, &ferr);
	int trc = ss_json_parse((const char *)data, size, &doc, &terr);

	if (!trc)
		trc = ss_execution_parse(doc, "", &tree, &terr);
	fuzz_check_input(frc, &ferr);
	fuzz_check_input(trc, &terr);
	FUZZ_CHECK(frc == trc, "one pass says %d (%s), the tree %d (%s)", frc, ferr.msg, trc,
		   terr.msg);
	if (frc)
		FUZZ_CHECK(strcmp(ferr.msg, terr.msg) == 0, "'%s' against '%s'", ferr.msg, terr.msg);
	else {
		FUZZ_CHECK(strcmp(fast.execution_id, tree.execution_id) == 0 &&
				   strcmp(fast.tenant_id, tree.tenant_id) == 0 &&
				   strcmp(fast.operator_id, tree.operator_id) == 0 &&
				   strcmp(fast.fingerprint, tree.fingerprint) == 0,
			   "the two readers read different executions");
		fuzz_same_document(doc, ss_execution_to_json(&tree), "execution");
	}
	cJSON_Delete(doc);
	return 0;
}
