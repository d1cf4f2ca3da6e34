/* ss.enrollment.v1 (attest/enrollment.c) - fuzz-dict: json
 * Strict parse (the AK's name must be the name of its public area). */
#include "harness.h"

#include <string.h>

#include "ss/enroll.h"
#include "ss/tpm_public.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = fuzz_doc(data, size);
	uint8_t name[SS_TPM_NAME_MAX];
	ss_enrollment e;
	ss_err err = { 0 };
	size_t len;
	int rc;

	if (!doc)
		return 0;
	rc = ss_enrollment_parse(doc, &e, &err);
	fuzz_check_input(rc, &err);
	if (!rc) {
		FUZZ_CHECK(ss_tpm_public_name(&e.ak_pub.publicArea, name, &len, &err) == SS_OK,
			   "an accepted AK without a name: %s", err.msg);
		FUZZ_CHECK(len == e.ak_name_len && memcmp(name, e.ak_name, len) == 0,
			   "an accepted ak_name that is not the AK's");
	}
	cJSON_Delete(doc);
	return 0;
}
