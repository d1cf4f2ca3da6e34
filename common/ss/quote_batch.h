/* verify-quote --batch: one JSON line per quote, one ss.quote-verdict.v1
 * line out.  A line is
 *   {"id": ID (optional), "ak_public_b64": marshaled TPM2B_PUBLIC,
 *    "attest_b64": ..., "signature_b64": ..., "pcrs_b64": tpm2-tools PCR
 *    file (optional), "qualifying_data": hex, or "" for a quote
 *    taken without a nonce (its verdict says it is not fresh)}
 * The lines run on the batch engine (ss/batch.h) with ss_qbatch_line as the
 * map function and an ss_qbatch_worker per thread.  Each worker keeps the AK
 * keys it has parsed, keyed by the public area's bytes; verdicts are never
 * cached. */
#ifndef SS_QUOTE_BATCH_H
#define SS_QUOTE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ss/quote_check.h"
#include "ss/buf.h"
#include "ss/err.h"
#include "ss/policy.h"
#include "ss/tpm_public.h"

#define SS_QBATCH_CACHE 1024

typedef struct ss_qbatch_ak {
	uint64_t hash;     /* of the TPM2B_PUBLIC bytes; 0: empty slot */
	ss_buf bytes;
	ss_ak_key key;
	uint8_t name[SS_TPM_NAME_MAX];
	size_t name_len;
} ss_qbatch_ak;

typedef struct ss_qbatch_worker {
	const ss_policy *policy;
	bool policy_given;
	ss_qbatch_ak cache[SS_QBATCH_CACHE];
} ss_qbatch_worker;

ss_qbatch_worker *ss_qbatch_worker_new(const ss_policy *policy, bool policy_given);
void ss_qbatch_worker_free(ss_qbatch_worker *w);
/* An ss_batch_map_fn: one verdict line, SS_REFUSED when the quote is not
 * valid. */
int ss_qbatch_line(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err);

/* The prepared AK for these TPM2B_PUBLIC bytes (parsed once per worker).
 * SS_EINPUT when they are not a usable public area. */
int ss_qbatch_ak_get(ss_qbatch_worker *w, const uint8_t *p, size_t n, const ss_qbatch_ak **out,
		     ss_err *err);

#endif
