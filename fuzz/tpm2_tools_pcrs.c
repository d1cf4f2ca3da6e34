/* The PCR files of tpm2-tools (tcg/tpm2_tools.c): tpm2_quote -o, both
 * forms.  The first 4 bytes give the quote's selection the file goes with
 * (byte 0: bank, bytes 1-3: PCRs 0-23), the rest is the file.  A file is
 * read (SS_OK), refused for holding another number of values (SS_REFUSED)
 * or not a PCR file (SS_EINPUT); what is read is a selection of one known
 * bank. */
#include "harness.h"

#include <string.h>

#include "ss/pcr_select.h"
#include "ss/tpm2_tools.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t banks[] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384,
					  TPM2_ALG_SHA512, TPM2_ALG_SM3_256 };
	static const int allowed[] = { SS_REFUSED, SS_EINPUT, 0 };
	static uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST];
	ss_pcrsel quoted, sel;
	ss_err err = { 0 };
	int rc;

	if (size < 4)
		return 0;
	quoted.hash = ss_hash_by_alg(banks[data[0] % (sizeof banks / sizeof banks[0])]);
	quoted.mask = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16;
	memset(&sel, 0, sizeof sel);
	rc = ss_tpm2tools_pcrs(data + 4, size - 4, &quoted, &sel, values, &err);
	fuzz_check_rc(rc, &err, allowed);
	if (!rc)
		FUZZ_CHECK(sel.hash && sel.mask < (1u << SS_PCR_COUNT), "selection of no known bank");
	return 0;
}
