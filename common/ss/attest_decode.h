/* The TPM's attestation structures, decoded strictly: a marshaled
 * TPMS_ATTEST (what TPM2_Quote signs, tpm2_quote -m) and a marshaled
 * TPMT_SIGNATURE (tpm2_quote -s).  tss2-mu checks neither trailing bytes
 * nor the magic; these functions refuse trailing bytes, and the magic is
 * the verifier's first check (ss/quote_check.h).  Shared by the TPM layer,
 * which checks its own quote before handing it out, and the verifiers. */
#ifndef SS_ATTEST_DECODE_H
#define SS_ATTEST_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "ss/err.h"

typedef struct ss_quote_blobs {
	TPMS_ATTEST attest;
	TPMT_SIGNATURE sig;
} ss_quote_blobs;

/* Strict decode of marshaled TPMS_ATTEST and TPMT_SIGNATURE.  SS_EINPUT
 * with what is wrong (the verifier reports it as malformed_evidence). */
int ss_quote_decode(const uint8_t *attest, size_t attest_len, const uint8_t *sig, size_t sig_len,
		    ss_quote_blobs *out, ss_err *err);

#endif
