/* A verdict on one quote alone, from tpm2-tools artifacts (verify-quote):
 * the quote checks of ss/quote_check.h, then, when a policy is given or by its
 * defaults, signature hashes, PCR values and clock.safe.  It never says
 * whether the AK is enrolled: that is the handshake verifier's business.
 *
 * ss.quote-verdict.v1: type, id (batch) | null, valid, reason ("valid" or a
 * reason code), detail, ak_name, pcr_selection | null, pcrs | null,
 * pcr_digest | null, clock | null, firmware | null, pcrs_checked,
 * policy_checked, fresh.  What the attest says is reported only once its
 * signature has verified.  fresh is false when the quote was judged with
 * empty qualifying data (the caller said the quote has no nonce, as some
 * cloud vTPM tooling takes them): then nothing shows when it was taken. */
#ifndef SS_QUOTE_VERIFY_H
#define SS_QUOTE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/quote_check.h"
#include "ss/err.h"
#include "ss/policy.h"

typedef struct ss_qv_input {
	const ss_ak_key *ak;
	const uint8_t *ak_name;
	size_t ak_name_len;
	const uint8_t *attest;
	size_t attest_len;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *pcrfile;  /* tpm2-tools PCR file, NULL when not given */
	size_t pcrfile_len;
	const uint8_t *qdata;
	size_t qdata_len;
	const ss_policy *policy; /* NULL: the policy defaults */
	bool policy_given;
	const char *id;          /* batch line id, or NULL */
	/* PCR values given as such (an ss.quote.v1's pcrs), instead of a
	 * tpm2-tools PCR file; NULL: none. */
	const ss_pcrsel *values_sel;
	const uint8_t (*values)[SS_MAX_DIGEST];
} ss_qv_input;

/* SS_OK: valid; SS_REFUSED: invalid (either way *verdict is set); other
 * codes: the quote could not be judged. */
int ss_qverdict_make(const ss_qv_input *in, cJSON **verdict, ss_err *err);

#endif
