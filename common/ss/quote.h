/* ss.quote.v1: a TPM quote and the PCR values it covers.
 *   ak_name, pcr_bank, pcrs {"<index>": hex}, attest_b64 (marshaled
 *   TPMS_ATTEST, as tpm2_quote -m writes), signature_b64 (marshaled
 *   TPMT_SIGNATURE, as tpm2_quote -s writes).  One bank per quote.
 * Inside ss.evidence.v1 the same object appears without "type". */
#ifndef SS_QUOTE_H
#define SS_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/pcr_select.h"
#include "ss/tpm_public.h"

typedef struct ss_quote {
	uint8_t ak_name[SS_TPM_NAME_MAX];
	size_t ak_name_len;
	ss_pcrsel sel;                              /* bank and the PCRs listed */
	uint8_t pcr[SS_PCR_COUNT][SS_MAX_DIGEST];   /* values, sel.hash->size bytes each */
	ss_buf attest;
	ss_buf sig;
} ss_quote;

/* Strict: members exactly as above (type only when with_type), PCR keys
 * "0".."23" without leading zeros, values of the bank's digest size. */
int ss_quote_parse(const cJSON *obj, const char *where, bool with_type, ss_quote *q, ss_err *err);
cJSON *ss_quote_to_json(const ss_quote *q, bool with_type);
void ss_quote_free(ss_quote *q);

/* H(concatenation of the selected PCR values in index order), with H the
 * hash of the quote's SIGNING scheme (TPMS_QUOTE_INFO.pcrDigest is made with
 * the signing hash, not the bank's).  out: EVP_MAX_MD_SIZE bytes. */
int ss_pcr_digest(const ss_pcrsel *sel, const uint8_t pcr[SS_PCR_COUNT][SS_MAX_DIGEST],
		  uint16_t hash_alg, uint8_t *out, size_t *outlen, ss_err *err);

#endif
