/* The verifier's policy, YAML (attest/policy.c) - fuzz-dict: yaml
 * Fails closed with SS_EINPUT and one line; an accepted policy is
 * consistent (a bank when it names PCR values, at most its values). */
#include "harness.h"

#include "ss/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_policy p = { 0 };
	ss_err err = { 0 };
	int rc = ss_policy_parse((const char *)data, size, "policy", &p, &err);

	fuzz_check_input(rc, &err);
	if (!rc) {
		FUZZ_CHECK(p.any_pcrs || (p.bank && p.mask), "a policy that names no PCR value");
		for (unsigned i = 0; i < SS_PCR_COUNT; i++)
			FUZZ_CHECK(p.nvalues[i] <= SS_POLICY_MAX_VALUES &&
					   !p.nvalues[i] == !(p.mask & (1u << i)),
				   "PCR %u: %u values, mask %#x", i, p.nvalues[i], p.mask);
	}
	ss_policy_free(&p);
	return 0;
}
