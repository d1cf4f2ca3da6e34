/* Reading what tpm2-tools writes, so its artifacts can be verified here.
 *
 * PCR files from `tpm2_quote -o` / `tpm2_pcrread -o` come in two forms:
 *  - serialized (the default): TPML_PCR_SELECTION as a C struct in host
 *    byte order, a UINT32 count, then that many TPML_DIGEST structs;
 *  - values (`-F values`): the selected digests back to back, bank by bank,
 *    PCRs in ascending order.
 * Neither is the TPM wire format.  The serialized form carries its own
 * selection; the values form is read against the quote's selection. */
#ifndef SS_TPM2_TOOLS_H
#define SS_TPM2_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "ss/err.h"
#include "ss/pcr_select.h"
#include "ss/crypto.h"

/* Read a PCR file of either form.  quoted: the selection of the quote the
 * values go with (used for the values form, and to tell the forms apart).
 * Out: the selection the file covers and its values.  SS_EINPUT when the
 * file is neither form; SS_REFUSED when it is the values form with another
 * number of values than the quote selects. */
int ss_tpm2tools_pcrs(const uint8_t *p, size_t n, const ss_pcrsel *quoted, ss_pcrsel *sel,
		      uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST], ss_err *err);

/* The one-bank selection of a TPML_PCR_SELECTION (false if not one bank of
 * PCRs 0-23 with a known hash). */
int ss_pcrsel_from_tpml(const TPML_PCR_SELECTION *l, ss_pcrsel *out);

#endif
