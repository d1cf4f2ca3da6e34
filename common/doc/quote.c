#include "ss/quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/json.h"
#include "ss/pcrs.h"

int ss_quote_parse(const cJSON *obj, const char *where, bool with_type, ss_quote *q, ss_err *err)
{
	static const char *const typed[] = { "type", "ak_name", "pcr_bank", "pcrs", "attest_b64",
					     "signature_b64", NULL };
	const char *bank;
	const cJSON *pcrs;
	char pw[64];
	int rc;

	memset(q, 0, sizeof *q);
	if (!cJSON_IsObject(obj))
		return ss_err_set(err, SS_EINPUT, "%s: expected an object", where && *where ? where : "quote");
	if (with_type && (rc = ss_json_type(obj, "ss.quote.v1", err)))
		return rc;
	if ((rc = ss_json_only(obj, where, with_type ? typed : typed + 1, err)) ||
	    (rc = ss_json_hex(obj, where, "ak_name", 0, q->ak_name, sizeof q->ak_name,
			      &q->ak_name_len, err)) ||
	    (rc = ss_json_string(obj, where, "pcr_bank", &bank, err)) ||
	    (rc = ss_json_object(obj, where, "pcrs", &pcrs, err)))
		return rc;
	q->sel.hash = ss_hash_by_name(bank);
	if (!q->sel.hash)
		return ss_err_set(err, SS_EINPUT, "member '%s%spcr_bank': unknown bank '%s'",
				  where && *where ? where : "", where && *where ? "." : "", bank);
	if (q->ak_name_len < 2 + 20)
		return ss_err_set(err, SS_EINPUT, "member '%s%sak_name' is too short for a TPM name",
				  where && *where ? where : "", where && *where ? "." : "");
	snprintf(pw, sizeof pw, "%s%spcrs", where && *where ? where : "", where && *where ? "." : "");
	if ((rc = ss_pcr_values_parse(pcrs, pw, q->sel.hash, &q->sel, q->pcr, err)))
		return rc;
	if ((rc = ss_json_b64(obj, where, "attest_b64", &q->attest, err)) ||
	    (rc = ss_json_b64(obj, where, "signature_b64", &q->sig, err))) {
		ss_quote_free(q);
		return rc;
	}
	return SS_OK;
}

cJSON *ss_quote_to_json(const ss_quote *q, bool with_type)
{
	cJSON *o = ss_json_new_object();

	if (with_type)
		ss_json_add_string(o, "type", "ss.quote.v1");
	ss_json_add_hex(o, "ak_name", q->ak_name, q->ak_name_len);
	ss_pcr_values_add(o, &q->sel, q->pcr);
	ss_json_add_b64(o, "attest_b64", q->attest.data, q->attest.len);
	ss_json_add_b64(o, "signature_b64", q->sig.data, q->sig.len);
	return o;
}

void ss_quote_free(ss_quote *q)
{
	ss_buf_free(&q->attest);
	ss_buf_free(&q->sig);
}

int ss_pcr_digest(const ss_pcrsel *sel, const uint8_t pcr[SS_PCR_COUNT][SS_MAX_DIGEST],
		  uint16_t hash_alg, uint8_t *out, size_t *outlen, ss_err *err)
{
	const EVP_MD *md = ss_md_for_alg(hash_alg);
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	int ok;

	if (!md)
		return ss_err_set(err, SS_EINPUT, "PCR digest: unsupported hash 0x%04x", hash_alg);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		ss_oom();
	ok = EVP_DigestInit_ex(ctx, md, NULL) == 1;
	for (unsigned i = 0; ok && i < SS_PCR_COUNT; i++)
		if (sel->mask & (1u << i))
			ok = EVP_DigestUpdate(ctx, pcr[i], sel->hash->size) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return ss_err_ssl(err, "PCR digest");
	if (outlen)
		*outlen = len;
	return SS_OK;
}
