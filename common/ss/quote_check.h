/* Verifying a TPM quote: the part of the verify checklist that concerns the
 * quote itself, in the order of ss-attest-handshake(1), VERIFY CHECKLIST,
 * stopping at the first failure.
 *
 *   decode (offset == length)            -> malformed_evidence
 *   AK attributes                        -> ak_attributes
 *   magic == TPM_GENERATED               -> bad_magic
 *   type == ATTEST_QUOTE                 -> wrong_attest_type
 *   scheme pinned by the AK, signature hash allowed, signature valid,
 *   then the quoted bank's hash allowed  -> signature_invalid / hash_not_allowed
 *   extraData == expected (constant time)-> binding_mismatch
 *   selection == the challenged one, values cover exactly it
 *                                        -> pcr_selection_mismatch
 *   H(values) == pcrDigest               -> pcr_digest_mismatch
 *
 * The signature is checked over the attest bytes exactly as received, never
 * over a re-marshaled copy.  Enrollment, policy values, clock and counters
 * are the caller's (ss/handshake.h, ss/quote_verify.h). */
#ifndef SS_QUOTE_CHECK_H
#define SS_QUOTE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include <cjson/cJSON.h>

#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/attest_decode.h"
#include "ss/pcr_select.h"

/* Reason codes (ss-attest-handshake(1), VERIFY CHECKLIST). */
#define SS_R_APPROVED "approved"
#define SS_R_MALFORMED "malformed_evidence"
#define SS_R_UNKNOWN_CHALLENGE "unknown_challenge"
#define SS_R_CHALLENGE_REUSED "challenge_reused"
#define SS_R_CHALLENGE_EXPIRED "challenge_expired"
#define SS_R_AK_NOT_ENROLLED "ak_not_enrolled"
#define SS_R_AK_ATTRIBUTES "ak_attributes"
#define SS_R_BAD_MAGIC "bad_magic"
#define SS_R_WRONG_TYPE "wrong_attest_type"
#define SS_R_SIGNATURE "signature_invalid"
#define SS_R_HASH "hash_not_allowed"
#define SS_R_BINDING "binding_mismatch"
#define SS_R_SELECTION "pcr_selection_mismatch"
#define SS_R_DIGEST "pcr_digest_mismatch"
#define SS_R_POLICY "pcr_policy_violation"
#define SS_R_CLOCK "clock_unsafe"
#define SS_R_ROLLBACK "counter_rollback"
#define SS_R_SIMULATOR "simulator_not_allowed"


typedef struct ss_quote_expect {
	const TPMT_PUBLIC *ak;        /* the AK's public area */
	const uint8_t *extra;         /* expected extraData (qualifying data) */
	size_t extra_len;
	const ss_pcrsel *selection;   /* the challenged selection; NULL: not checked */
	const ss_pcrsel *values_sel;  /* which PCR values the evidence carries; NULL: none */
	const uint8_t (*values)[SS_MAX_DIGEST];
	unsigned allowed_hashes;      /* SS_HASH_* bits */
	/* When not NULL, each check run is appended with the values it
	 * compared (ss/explain.h); NULL costs nothing (batches). */
	cJSON *trace;
} ss_quote_expect;

typedef struct ss_quote_verdict {
	const char *reason;           /* NULL when every check passed */
	char detail[256];             /* one line for the audit log and stderr */
	bool signature_ok;            /* the AK's signature over the attest verified */
} ss_quote_verdict;

/* Run the checks from ak_attributes to pcr_digest_mismatch.  SS_OK: passed;
 * SS_REFUSED: v->reason says which check failed; other codes: the check
 * could not run (e.g. SS_ECRYPTO). */
int ss_quote_verify(const uint8_t *attest_bytes, size_t attest_len, const ss_quote_blobs *q,
		    const ss_quote_expect *e, ss_quote_verdict *v, ss_err *err);

/* The AK's public key, prepared once (caching parsed keys is fair; verdicts
 * are never cached). */
typedef struct ss_ak_key {
	EVP_PKEY *pkey;
	TPMT_PUBLIC pub;
	/* A verify context set up once for the scheme the AK pins (NULL when
	 * it pins none): re-used for every quote of this AK.  Not shared
	 * between threads. */
	EVP_PKEY_CTX *vctx;
} ss_ak_key;

int ss_ak_key_init(ss_ak_key *k, const TPMT_PUBLIC *pub, ss_err *err);
void ss_ak_key_free(ss_ak_key *k);
/* As ss_quote_verify, with a prepared key. */
int ss_quote_verify_key(const uint8_t *attest_bytes, size_t attest_len, const ss_quote_blobs *q,
			const ss_ak_key *ak, const ss_quote_expect *e, ss_quote_verdict *v,
			ss_err *err);

#endif
