#include "ss/quote_batch.h"

#include <stdlib.h>
#include <string.h>

#include "ss/json.h"
#include "ss/opt.h"
#include "ss/quote_verify.h"
#include "ss/tpm_public.h"

ss_qbatch_worker *ss_qbatch_worker_new(const ss_policy *policy, bool policy_given)
{
	ss_qbatch_worker *w = ss_xcalloc(1, sizeof *w);

	w->policy = policy;
	w->policy_given = policy_given;
	return w;
}

static void slot_clear(ss_qbatch_ak *s)
{
	ss_ak_key_free(&s->key);
	ss_buf_free(&s->bytes);
	s->hash = 0;
}

void ss_qbatch_worker_free(ss_qbatch_worker *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < SS_QBATCH_CACHE; i++)
		if (w->cache[i].hash)
			slot_clear(&w->cache[i]);
	free(w);
}

/* FNV-1a: a cache index, not a security boundary (entries are compared in
 * full before use). */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h ? h : 1;
}

int ss_qbatch_ak_get(ss_qbatch_worker *w, const uint8_t *p, size_t n, const ss_qbatch_ak **out,
		     ss_err *err)
{
	uint64_t h = fnv1a(p, n);
	ss_qbatch_ak *s = &w->cache[h % SS_QBATCH_CACHE];
	TPM2B_PUBLIC pub;
	int rc;

	if (s->hash == h && s->bytes.len == n && memcmp(s->bytes.data, p, n) == 0) {
		*out = s;
		return SS_OK;
	}
	if ((rc = ss_tpm2b_public_parse(p, n, &pub, err)))
		return rc;
	if (s->hash)
		slot_clear(s); /* a different AK in this slot: replace it */
	if ((rc = ss_ak_key_init(&s->key, &pub.publicArea, err)) ||
	    (rc = ss_tpm_public_name(&pub.publicArea, s->name, &s->name_len, err))) {
		ss_ak_key_free(&s->key);
		return rc;
	}
	ss_buf_add(&s->bytes, p, n);
	s->hash = h;
	*out = s;
	return SS_OK;
}

int ss_qbatch_line(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err)
{
	static const char *const members[] = { "id", "ak_public_b64", "attest_b64",
					       "signature_b64", "pcrs_b64", "qualifying_data", NULL };
	ss_qbatch_worker *w = worker;
	ss_buf akb = SS_BUF_INIT, attest = SS_BUF_INIT, sig = SS_BUF_INIT, pcrs = SS_BUF_INIT;
	const ss_qbatch_ak *ak;
	const char *id = NULL, *qhex;
	uint8_t qdata[64];
	size_t qlen = 0;
	cJSON *doc = NULL, *verdict = NULL;
	bool has_pcrs;
	int rc;

	if ((rc = ss_json_parse(line, len, &doc, err)))
		return rc;
	has_pcrs = cJSON_GetObjectItemCaseSensitive(doc, "pcrs_b64") != NULL;
	if ((rc = ss_json_only(doc, "", members, err)) ||
	    (cJSON_GetObjectItemCaseSensitive(doc, "id") && (rc = ss_json_id(doc, "", "id", &id, err))) ||
	    (rc = ss_json_b64(doc, "", "ak_public_b64", &akb, err)) ||
	    (rc = ss_json_b64(doc, "", "attest_b64", &attest, err)) ||
	    (rc = ss_json_b64(doc, "", "signature_b64", &sig, err)) ||
	    (has_pcrs && (rc = ss_json_b64(doc, "", "pcrs_b64", &pcrs, err))) ||
	    (rc = ss_json_string(doc, "", "qualifying_data", &qhex, err)))
		goto out;
	/* "": the quote has no nonce and is judged as such (not fresh). */
	if (*qhex && (rc = ss_json_hex(doc, "", "qualifying_data", 0, qdata, sizeof qdata, &qlen,
				       err)))
		goto out;
	if ((rc = ss_qbatch_ak_get(w, akb.data, akb.len, &ak, err))) {
		ss_err_prefix(err, "member 'ak_public_b64'");
		goto out;
	}
	{
		ss_qv_input in = { &ak->key, ak->name, ak->name_len, attest.data, attest.len,
				   sig.data, sig.len, has_pcrs ? pcrs.data : NULL, pcrs.len,
				   qdata, qlen, w->policy, w->policy_given, id };
		rc = ss_qverdict_make(&in, &verdict, err);
	}
	if (rc == SS_OK || rc == SS_REFUSED) {
		ss_json_write(verdict, out);
		ss_buf_addc(out, '\n');
	}
out:
	cJSON_Delete(verdict);
	cJSON_Delete(doc);
	ss_buf_free(&akb);
	ss_buf_free(&attest);
	ss_buf_free(&sig);
	ss_buf_free(&pcrs);
	return rc;
}
