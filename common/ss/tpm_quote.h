/* PCR reads and quotes on the TPM.
 *
 * A quote's values are the ones it covers: the PCRs are read after
 * quoting, and when their composite differs from the quote's pcrDigest
 * (a PCR was extended in between) the quote is made again, at most
 * SS_QUOTE_TRIES times. */
#ifndef SS_TPM_QUOTE_H
#define SS_TPM_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/pcr_select.h"
#include "ss/quote.h"
#include "ss/tpm.h"

#define SS_QUOTE_TRIES 8
#define SS_QUALIFYING_DATA_MAX 64

/* The selected PCRs of one bank (TPM2_PCR_Read answers at most 8 per
 * call: it is called until all are read, and all over again when the
 * TPM's PCR update counter moved in between).  A bank the TPM does not
 * keep is SS_ETPM. */
int ss_tpm_pcr_read(ss_tpm *t, const ss_pcrsel *sel, uint8_t out[SS_PCR_COUNT][SS_MAX_DIGEST],
		    ss_err *err);

/* TPM2_Quote with the AK's own signing scheme.  out gets the AK's name,
 * the selection, the values the quote covers, the marshaled TPMS_ATTEST
 * and TPMT_SIGNATURE (exactly what tpm2_quote -m / -s write); free it with
 * ss_quote_free.  qlen <= SS_QUALIFYING_DATA_MAX. */
int ss_tpm_quote(ss_tpm *t, ESYS_TR ak, const TPM2B_PUBLIC *akpub, const ss_pcrsel *sel,
		 const uint8_t *qdata, size_t qlen, ss_quote *out, ss_err *err);
/* The same, telling how many quotes it took (1 when no PCR moved). */
int ss_tpm_quote_counted(ss_tpm *t, ESYS_TR ak, const TPM2B_PUBLIC *akpub, const ss_pcrsel *sel,
			 const uint8_t *qdata, size_t qlen, ss_quote *out, unsigned *tries,
			 ss_err *err);

#endif
