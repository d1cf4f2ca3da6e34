/* ss.pcrs.v1: the values of some PCRs of one bank, as
 * `ss-tpm-identity pcrs` prints them (docs/schemas/ss.pcrs.v1.schema.json):
 *   {"type":"ss.pcrs.v1","pcr_bank":"sha256","pcrs":{"<index>":"<hex>",...}}
 * PCR keys "0".."23" without leading zeros, in index order; values the
 * bank's digest size in lowercase hex.  ss.quote.v1 carries the same
 * pcr_bank and pcrs members (ss_pcr_values_add / _parse). */
#ifndef SS_PCRS_H
#define SS_PCRS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/pcr_select.h"

typedef struct ss_pcrs {
	ss_pcrsel sel;                                  /* the bank and the PCRs listed */
	uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST];    /* sel.hash->size bytes each */
} ss_pcrs;

/* Strict: members exactly as above, at least one PCR.  SS_EINPUT. */
int ss_pcrs_parse(const cJSON *doc, ss_pcrs *out, ss_err *err);
cJSON *ss_pcrs_to_json(const ss_pcrs *p);

/* The members pcr_bank and pcrs, added to obj in that order. */
void ss_pcr_values_add(cJSON *obj, const ss_pcrsel *sel,
		       const uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST]);
/* The pcrs object of a document whose pcr_bank is bank; where names it in
 * messages ("pcrs", "quote.pcrs").  Fills sel (bank and mask) and values. */
int ss_pcr_values_parse(const cJSON *pcrs, const char *where, const ss_hashalg *bank,
			ss_pcrsel *sel, uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST], ss_err *err);

#endif
