#include "ss/tpm_quote.h"

#include <string.h>

#include <tss2/tss2_mu.h>

#include "ss/attest_decode.h"
#include "ss/tpm_public.h"

/* Bounds rereading when PCRs move while more than 8 of them are read. */
#define PCR_READ_TRIES 8

static void selection_of(const ss_hashalg *bank, uint32_t mask, TPML_PCR_SELECTION *out)
{
	memset(out, 0, sizeof *out);
	out->count = 1;
	out->pcrSelections[0].hash = bank->tpm_alg;
	out->pcrSelections[0].sizeofSelect = 3;
	for (unsigned i = 0; i < SS_PCR_COUNT; i++)
		if (mask & (1u << i))
			out->pcrSelections[0].pcrSelect[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The PCRs of bank that a selection names. */
static uint32_t mask_of(const TPML_PCR_SELECTION *s, const ss_hashalg *bank)
{
	uint32_t mask = 0;

	for (UINT32 i = 0; i < s->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *p = &s->pcrSelections[i];
		if (p->hash != bank->tpm_alg)
			continue;
		for (unsigned b = 0; b < p->sizeofSelect && b < 3; b++)
			mask |= (uint32_t)p->pcrSelect[b] << (8 * b);
	}
	return mask;
}

/* One TPM2_PCR_Read: stores the values it returned and clears them from
 * *left. */
static int read_some(ss_tpm *t, const ss_hashalg *bank, uint32_t *left, uint32_t *counter,
		     uint8_t out[SS_PCR_COUNT][SS_MAX_DIGEST], ss_err *err)
{
	TPML_PCR_SELECTION in, *sel_out = NULL;
	TPML_DIGEST *values = NULL;
	uint32_t got;
	UINT32 k = 0;
	TSS2_RC trc;
	int rc = SS_OK;

	selection_of(bank, *left, &in);
	trc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in, counter,
			    &sel_out, &values);
	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "read PCRs");
	got = mask_of(sel_out, bank) & *left;
	if (got == 0) {
		rc = ss_err_set(err, SS_ETPM, "PCR bank '%s' is not active on this TPM", bank->name);
		goto out;
	}
	for (unsigned i = 0; i < SS_PCR_COUNT; i++) {
		if (!(got & (1u << i)))
			continue;
		if (k >= values->count || values->digests[k].size != bank->size) {
			rc = ss_err_set(err, SS_ETPM, "read PCRs: the TPM's answer does not match "
					"its selection");
			goto out;
		}
		memcpy(out[i], values->digests[k++].buffer, bank->size);
	}
	*left &= ~got;
out:
	Esys_Free(sel_out);
	Esys_Free(values);
	return rc;
}

int ss_tpm_pcr_read(ss_tpm *t, const ss_pcrsel *sel, uint8_t out[SS_PCR_COUNT][SS_MAX_DIGEST],
		    ss_err *err)
{
	for (int attempt = 0; attempt < PCR_READ_TRIES; attempt++) {
		uint32_t left = sel->mask, first = 0, counter = 0;
		bool steady = true, started = false;
		int rc;

		while (left) {
			if ((rc = read_some(t, sel->hash, &left, &counter, out, err)))
				return rc;
			if (started && counter != first)
				steady = false;
			first = started ? first : counter;
			started = true;
		}
		if (steady)
			return SS_OK;
	}
	return ss_err_set(err, SS_ETPM, "read PCRs: values kept changing (%d tries)",
			  PCR_READ_TRIES);
}

/* What this TPM must have put in a quote we asked for. */
static int check_attest(const TPMS_ATTEST *a, const uint8_t *qdata, size_t qlen, ss_err *err)
{
	if (a->magic != TPM2_GENERATED_VALUE || a->type != TPM2_ST_ATTEST_QUOTE)
		return ss_err_set(err, SS_ETPM, "quote: the TPM returned something else than a quote");
	if (a->extraData.size != qlen || memcmp(a->extraData.buffer, qdata, qlen) != 0)
		return ss_err_set(err, SS_ETPM, "quote: qualifying data not as requested");
	return SS_OK;
}

/* Checked after the PCRs were read, so that a bank the TPM does not keep
 * (quoted as an empty selection) is reported as such. */
static int check_selection(const TPMS_QUOTE_INFO *q, const ss_pcrsel *sel, ss_err *err)
{
	if (q->pcrSelect.count != 1 || mask_of(&q->pcrSelect, sel->hash) != sel->mask)
		return ss_err_set(err, SS_ETPM, "quote: PCR selection not as requested");
	return SS_OK;
}

/* One quote and the read after it.  The attest and signature are kept in
 * out as they will be published, and decoded back from those bytes,
 * strictly, for the checks.  *covered: the values read are the quoted
 * ones. */
static int quote_once(ss_tpm *t, ESYS_TR ak, const ss_pcrsel *sel, const TPM2B_DATA *qd,
		      ss_quote *out, bool *covered, ss_err *err)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION pcrsel;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	uint8_t sigbuf[sizeof(TPMT_SIGNATURE) + 16];
	size_t siglen = 0;
	ss_quote_blobs q;
	uint8_t composite[EVP_MAX_MD_SIZE];
	size_t clen = 0;
	TSS2_RC trc;
	int rc;

	*covered = false;
	selection_of(sel->hash, sel->mask, &pcrsel);
	trc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, qd, &scheme,
			 &pcrsel, &quoted, &sig);
	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "quote");
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sigbuf, sizeof sigbuf, &siglen) != TSS2_RC_SUCCESS)
		ss_oom(); /* cannot happen: the buffer holds any signature */
	ss_buf_reset(&out->attest);
	ss_buf_reset(&out->sig);
	ss_buf_add(&out->attest, quoted->attestationData, quoted->size);
	ss_buf_add(&out->sig, sigbuf, siglen);
	Esys_Free(quoted);
	Esys_Free(sig);
	if (ss_quote_decode(out->attest.data, out->attest.len, out->sig.data, out->sig.len, &q,
			    err)) {
		/* The TPM answered nonsense: a TPM error, not invalid input. */
		ss_err_prefix(err, "quote");
		if (err)
			err->code = SS_ETPM;
		return SS_ETPM;
	}
	/* pcrDigest is made with the signing scheme's hash, whatever the bank. */
	if ((rc = check_attest(&q.attest, qd->buffer, qd->size, err)) ||
	    (rc = ss_tpm_pcr_read(t, sel, out->pcr, err)) ||
	    (rc = check_selection(&q.attest.attested.quote, sel, err)) ||
	    (rc = ss_pcr_digest(sel, (const uint8_t(*)[SS_MAX_DIGEST])out->pcr,
				q.sig.signature.any.hashAlg, composite, &clen, err)))
		return rc;
	*covered = clen == q.attest.attested.quote.pcrDigest.size &&
		   memcmp(composite, q.attest.attested.quote.pcrDigest.buffer, clen) == 0;
	return SS_OK;
}

int ss_tpm_quote_counted(ss_tpm *t, ESYS_TR ak, const TPM2B_PUBLIC *akpub, const ss_pcrsel *sel,
			 const uint8_t *qdata, size_t qlen, ss_quote *out, unsigned *tries,
			 ss_err *err)
{
	TPM2B_DATA qd;
	bool covered = false;
	unsigned n;
	int rc;

	memset(out, 0, sizeof *out);
	if (qlen > SS_QUALIFYING_DATA_MAX)
		return ss_err_set(err, SS_EUSAGE, "qualifying data is %zu bytes, at most %d", qlen,
				  SS_QUALIFYING_DATA_MAX);
	if ((rc = ss_tpm_public_name(&akpub->publicArea, out->ak_name, &out->ak_name_len, err)))
		return rc;
	out->sel = *sel;
	memset(&qd, 0, sizeof qd);
	qd.size = (UINT16)qlen;
	if (qlen)
		memcpy(qd.buffer, qdata, qlen);
	for (n = 1; n <= SS_QUOTE_TRIES && !covered; n++)
		if ((rc = quote_once(t, ak, sel, &qd, out, &covered, err)))
			break;
	if (tries)
		*tries = n - 1;
	if (!rc && !covered)
		rc = ss_err_set(err, SS_ETPM, "quote: PCR values kept changing between quote and "
				"read (%d tries)", SS_QUOTE_TRIES);
	if (rc)
		ss_quote_free(out);
	return rc;
}

int ss_tpm_quote(ss_tpm *t, ESYS_TR ak, const TPM2B_PUBLIC *akpub, const ss_pcrsel *sel,
		 const uint8_t *qdata, size_t qlen, ss_quote *out, ss_err *err)
{
	return ss_tpm_quote_counted(t, ak, akpub, sel, qdata, qlen, out, NULL, err);
}
