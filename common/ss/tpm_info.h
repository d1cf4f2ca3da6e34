/* What a TPM says about itself: the tpm object of ss.identity.v1.
 *
 * manufacturer: TPM_PT_MANUFACTURER as text ("IBM", "IFX", "NTC", ...);
 * vendor: TPM_PT_VENDOR_STRING_1..4 concatenated, trailing blanks removed;
 * firmware: TPM_PT_FIRMWARE_VERSION_1 << 32 | TPM_PT_FIRMWARE_VERSION_2;
 * simulator: the vendor string, blanks removed and case ignored, reads
 * "SWTPM" -- how libtpms (swtpm) and the IBM reference simulator describe
 * themselves.  A TPM can claim anything here; a verifier never trusts it. */
#ifndef SS_TPM_INFO_H
#define SS_TPM_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "ss/err.h"
#include "ss/tpm.h"

typedef struct ss_tpm_info {
	char manufacturer[8];
	char vendor[20];
	uint64_t firmware;
	bool simulator;
} ss_tpm_info;

int ss_tpm_info_read(ss_tpm *t, ss_tpm_info *out, ss_err *err);

/* The simulator rule above, on a vendor string. */
bool ss_tpm_vendor_is_simulator(const char *vendor);

#endif
