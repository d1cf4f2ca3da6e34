/* Firecracker's answers (fc/fc_api.c) - fuzz-dict: json
 * The first byte chooses what the rest is: an error answer (HTTP 4xx/5xx)
 * or the answer to GET / (the instance description).  An error answer is
 * always SS_EVMM with one line "METHOD PATH: HTTP N...", and an instance
 * description is accepted or SS_EVMM. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "ss/fc_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int vmm[] = { SS_EVMM, 0 };
	ss_err err = { 0 };
	char head[64];
	long status;
	int rc;

	if (size < 1)
		return 0;
	status = data[0] & 0x80 ? 500 : 400 + (data[0] & 0x7f);
	if (data[0] & 0x40) {
		rc = ss_fc_instance_check(data + 1, size - 1, "00112233445566778899aabbccddeeff",
					  &err);
		fuzz_check_rc(rc, &err, vmm);
		return 0;
	}
	rc = ss_fc_answer_error("PUT", "/drives/rootfs", status, data + 1, size - 1, &err);
	FUZZ_CHECK(rc == SS_EVMM, "status %d for an error answer", rc);
	fuzz_check_err(rc, &err);
	snprintf(head, sizeof head, "PUT /drives/rootfs: HTTP %ld", status);
	FUZZ_CHECK(strncmp(err.msg, head, strlen(head)) == 0, "'%s'", err.msg);
	return 0;
}
