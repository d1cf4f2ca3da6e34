/* One line of verify-quote --batch (attest/quote_batch.c) - fuzz-dict: json
 * A line is judged (a verdict line, SS_OK or SS_REFUSED) or refused as
 * input (SS_EINPUT); a verdict is one line of strict JSON. */
#include "harness.h"

#include <string.h>

#include "ss/buf.h"
#include "ss/json.h"
#include "ss/policy.h"
#include "ss/quote_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int allowed[] = { SS_REFUSED, SS_EINPUT, 0 };
	static ss_qbatch_worker *w;
	static ss_policy policy;
	ss_buf out = SS_BUF_INIT;
	ss_err err = { 0 };
	cJSON *verdict = NULL;
	int rc;

	if (!w) {
		ss_policy_defaults(&policy);
		w = ss_qbatch_worker_new(&policy, false);
	}
	rc = ss_qbatch_line(w, (const char *)data, size, &out, &err);
	if (rc == SS_OK || (rc == SS_REFUSED && out.len)) {
		/* A verdict: the refusal is in the line, not in err. */
		FUZZ_CHECK(out.len && !memchr(out.data, '\n', out.len - 1),
			   "a verdict of %zu bytes that is not one line", out.len);
		size_t n = out.data[out.len - 1] == '\n' ? out.len - 1 : out.len;
		rc = ss_json_parse((const char *)out.data, n, &verdict, &err);
		FUZZ_CHECK(rc == SS_OK, "a verdict that is not strict JSON: %s", err.msg);
	} else
		fuzz_check_rc(rc, &err, allowed);
	cJSON_Delete(verdict);
	ss_buf_free(&out);
	return 0;
}
