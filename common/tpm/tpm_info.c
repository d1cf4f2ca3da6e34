#include "ss/tpm_info.h"

#include <ctype.h>
#include <string.h>

/* TPM2_PT_MANUFACTURER .. TPM2_PT_FIRMWARE_VERSION_2, consecutive. */
#define INFO_FIRST TPM2_PT_MANUFACTURER
#define INFO_COUNT (TPM2_PT_FIRMWARE_VERSION_2 - TPM2_PT_MANUFACTURER + 1)
#define AT(pt) ((pt) - INFO_FIRST)

/* Four big-endian characters; NUL padding dropped, anything that is not
 * printable ASCII shown as '?', so documents stay valid UTF-8. */
static size_t put_chars(uint32_t v, char *out)
{
	size_t n = 0;

	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned char c = (unsigned char)(v >> shift);
		if (c == 0)
			continue;
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	return n;
}

static void trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == ' ')
		s[--n] = 0;
}

bool ss_tpm_vendor_is_simulator(const char *vendor)
{
	static const char want[] = "SWTPM";
	size_t k = 0;

	for (const char *p = vendor; *p; p++) {
		if (*p == ' ')
			continue;
		if (k >= sizeof want - 1 || toupper((unsigned char)*p) != want[k])
			return false;
		k++;
	}
	return k == sizeof want - 1;
}

int ss_tpm_info_read(ss_tpm *t, ss_tpm_info *out, ss_err *err)
{
	uint32_t v[INFO_COUNT];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = ss_tpm_properties(t, INFO_FIRST, INFO_COUNT, v, err)))
		return rc;
	put_chars(v[AT(TPM2_PT_MANUFACTURER)], out->manufacturer);
	trim_right(out->manufacturer);
	for (uint32_t pt = TPM2_PT_VENDOR_STRING_1; pt <= TPM2_PT_VENDOR_STRING_4; pt++)
		n += put_chars(v[AT(pt)], out->vendor + n);
	trim_right(out->vendor);
	out->firmware = (uint64_t)v[AT(TPM2_PT_FIRMWARE_VERSION_1)] << 32 |
			v[AT(TPM2_PT_FIRMWARE_VERSION_2)];
	out->simulator = ss_tpm_vendor_is_simulator(out->vendor);
	return SS_OK;
}
