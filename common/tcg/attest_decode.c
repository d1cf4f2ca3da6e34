#include "ss/attest_decode.h"

#include <string.h>

#include <tss2/tss2_mu.h>

int ss_quote_decode(const uint8_t *attest, size_t attest_len, const uint8_t *sig, size_t sig_len,
		    ss_quote_blobs *out, ss_err *err)
{
	size_t off = 0;

	/* tss2-mu needs zeroed destinations and does not check trailing bytes. */
	memset(out, 0, sizeof *out);
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest, attest_len, &off, &out->attest) != TSS2_RC_SUCCESS)
		return ss_err_set(err, SS_EINPUT, "attest: not a TPMS_ATTEST");
	if (off != attest_len)
		return ss_err_set(err, SS_EINPUT, "attest: %zu bytes after the TPMS_ATTEST",
				  attest_len - off);
	off = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, &out->sig) != TSS2_RC_SUCCESS)
		return ss_err_set(err, SS_EINPUT, "signature: not a TPMT_SIGNATURE");
	if (off != sig_len)
		return ss_err_set(err, SS_EINPUT, "signature: %zu bytes after the TPMT_SIGNATURE",
				  sig_len - off);
	return SS_OK;
}
