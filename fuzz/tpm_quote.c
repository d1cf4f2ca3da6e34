/* A TPM quote as a verifier gets it (tcg/attest_decode.c,
 * attest/quote_check.c): marshaled TPMS_ATTEST and TPMT_SIGNATURE (as
 * tpm2_quote -m and -s write them) and the AK's TPM2B_PUBLIC.
 *
 * Input: u16 (big-endian) length, the AK's TPM2B_PUBLIC; u16 length, the
 * TPMS_ATTEST; u8 length, the qualifying data expected; the rest, the
 * TPMT_SIGNATURE.  Decoding refuses trailing bytes; when the AK and the
 * quote decode, the checks from AK attributes to the binding run and end
 * in a verdict: passed, or refused with a reason code and a detail line.
 * A signature that cannot be checked is a refusal, never a library
 * error. */
#include "harness.h"

#include <string.h>

#include "ss/attest_decode.h"
#include "ss/pcr_select.h"
#include "ss/quote_check.h"
#include "ss/tpm_public.h"

static bool take(const uint8_t **p, size_t *n, size_t lenbytes, const uint8_t **out,
		 size_t *outlen)
{
	size_t len = 0;

	if (*n < lenbytes)
		return false;
	for (size_t i = 0; i < lenbytes; i++)
		len = len << 8 | (*p)[i];
	*p += lenbytes;
	*n -= lenbytes;
	if (*n < len)
		return false;
	*out = *p;
	*outlen = len;
	*p += len;
	*n -= len;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *ak_bytes, *attest, *extra;
	size_t ak_len, attest_len, extra_len;
	static ss_quote_blobs q;
	ss_quote_verdict v;
	ss_quote_expect e;
	TPM2B_PUBLIC ak;
	ss_ak_key key;
	ss_err err = { 0 };
	int ak_rc, rc;

	if (!take(&data, &size, 2, &ak_bytes, &ak_len) ||
	    !take(&data, &size, 2, &attest, &attest_len) ||
	    !take(&data, &size, 1, &extra, &extra_len))
		return 0;
	ak_rc = ss_tpm2b_public_parse(ak_bytes, ak_len, &ak, &err);
	fuzz_check_input(ak_rc, &err);
	rc = ss_quote_decode(attest, attest_len, data, size, &q, &err);
	fuzz_check_input(rc, &err);
	if (rc || ak_rc)
		return 0;
	rc = ss_ak_key_init(&key, &ak.publicArea, &err);
	if (rc) {
		static const int key_errors[] = { SS_EINPUT, SS_ECRYPTO, 0 };
		fuzz_check_rc(rc, &err, key_errors);
		return 0;
	}
	memset(&e, 0, sizeof e);
	e.ak = &ak.publicArea;
	e.extra = extra;
	e.extra_len = extra_len;
	e.allowed_hashes = SS_HASH_DEFAULT | SS_HASH_SHA1;
	rc = ss_quote_verify_key(attest, attest_len, &q, &key, &e, &v, &err);
	FUZZ_CHECK(rc == SS_OK || rc == SS_REFUSED, "no verdict: %d (%s)", rc, err.msg);
	FUZZ_CHECK((rc == SS_OK) == !v.reason, "status %d with reason %s", rc,
		   v.reason ? v.reason : "(none)");
	if (v.reason)
		FUZZ_CHECK(v.detail[0] && !strchr(v.detail, '\n'), "reason %s, detail '%s'",
			   v.reason, v.detail);
	ss_ak_key_free(&key);
	return 0;
}
