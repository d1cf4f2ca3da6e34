#include "ss/quote_verify.h"

#include <stdio.h>
#include <string.h>

#include "ss/json.h"
#include "ss/tpm2_tools.h"
#include "ss/tpm_public.h"

struct qv {
	const char *reason;
	char detail[1024];
	bool authentic;        /* the attest's signature verified */
	bool have_values;
	ss_quote_blobs q;
	ss_pcrsel sel;
	uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST];
};

static int invalid(struct qv *v, const char *reason, const char *detail)
{
	v->reason = reason;
	snprintf(v->detail, sizeof v->detail, "%s", detail);
	return SS_REFUSED;
}

static int policy_checks(const ss_policy *p, struct qv *v)
{
	const TPMS_ATTEST *a = &v->q.attest;
	char d[96];

	if (p->mask) {
		if (!v->have_values)
			return invalid(v, SS_R_POLICY, "the policy names PCR values but no PCR file was given");
		if (v->sel.hash != p->bank) {
			snprintf(d, sizeof d, "the policy expects bank %s", p->bank->name);
			return invalid(v, SS_R_POLICY, d);
		}
		for (unsigned i = 0; i < SS_PCR_COUNT; i++) {
			if (!(p->mask & (1u << i)))
				continue;
			if (!(v->sel.mask & (1u << i))) {
				snprintf(d, sizeof d, "PCR %u is required by the policy but was not quoted", i);
				return invalid(v, SS_R_POLICY, d);
			}
			if (!ss_policy_allows(p, i, v->values[i])) {
				char pd[1024];
				ss_policy_pcr_detail(p, i, v->values[i], pd, sizeof pd);
				return invalid(v, SS_R_POLICY, pd);
			}
		}
	}
	if (p->require_clock_safe && a->clockInfo.safe != TPM2_YES)
		return invalid(v, SS_R_CLOCK, "the TPM reports clock.safe = no");
	return SS_OK;
}

static int judge(const ss_qv_input *in, const ss_policy *p, struct qv *v, ss_err *err)
{
	ss_quote_verdict qv;
	ss_err perr = { 0 };
	ss_pcrsel quoted = { 0 };
	int rc;

	if (ss_quote_decode(in->attest, in->attest_len, in->sig, in->sig_len, &v->q, &perr))
		return invalid(v, SS_R_MALFORMED, perr.msg);
	if (in->values) {
		v->sel = *in->values_sel;
		memcpy(v->values, in->values, sizeof v->values);
		v->have_values = true;
	} else if (in->pcrfile) {
		if (v->q.attest.type == TPM2_ST_ATTEST_QUOTE)
			ss_pcrsel_from_tpml(&v->q.attest.attested.quote.pcrSelect, &quoted);
		rc = ss_tpm2tools_pcrs(in->pcrfile, in->pcrfile_len, &quoted, &v->sel, v->values, &perr);
		if (rc == SS_REFUSED)
			return invalid(v, SS_R_SELECTION, perr.msg);
		if (rc)
			return invalid(v, SS_R_MALFORMED, perr.msg);
		v->have_values = true;
	}
	{
		ss_quote_expect e = { &in->ak->pub, in->qdata, in->qdata_len, NULL,
				      v->have_values ? &v->sel : NULL,
				      v->have_values ? (const uint8_t(*)[SS_MAX_DIGEST])v->values : NULL,
				      p->allowed_hashes };
		rc = ss_quote_verify_key(in->attest, in->attest_len, &v->q, in->ak, &e, &qv, err);
	}
	/* Past the signature check, what the attest says can be reported. */
	v->authentic = rc == SS_OK || (rc == SS_REFUSED && qv.signature_ok);
	if (rc == SS_REFUSED)
		return invalid(v, qv.reason, qv.detail);
	if (rc)
		return rc;
	return policy_checks(p, v);
}

static cJSON *render(const ss_qv_input *in, const struct qv *v, bool policy_checked)
{
	cJSON *o = ss_json_new_object(), *c, *pcrs;
	const TPMS_ATTEST *a = &v->q.attest;
	ss_pcrsel qsel;
	char s[128];

	ss_json_add_string(o, "type", "ss.quote-verdict.v1");
	ss_json_add_string_or_null(o, "id", in->id);
	ss_json_add_bool(o, "valid", v->reason == NULL);
	ss_json_add_string(o, "reason", v->reason ? v->reason : "valid");
	ss_json_add_string(o, "detail", v->reason ? v->detail : "every check passed");
	ss_json_add_hex(o, "ak_name", in->ak_name, in->ak_name_len);
	/* From the AK's public area as given: a verdict on a quote alone
	 * accepts any restricted signing key (Windows' AKs carry a policy) and
	 * says what the key is, for the caller's own rules. */
	{
		const char *names[SS_TPM_ATTRIBUTES_MAX];
		size_t n = ss_tpm_attribute_names(in->ak->pub.objectAttributes, names);
		cJSON *attrs = cJSON_AddArrayToObject(o, "ak_attributes");

		if (!attrs)
			ss_oom();
		for (size_t i = 0; i < n; i++)
			if (!cJSON_AddItemToArray(attrs, cJSON_CreateString(names[i])))
				ss_oom();
		if (in->ak->pub.authPolicy.size)
			ss_json_add_hex(o, "ak_auth_policy", in->ak->pub.authPolicy.buffer,
					in->ak->pub.authPolicy.size);
		else
			ss_json_add_null(o, "ak_auth_policy");
	}
	if (v->authentic && ss_pcrsel_from_tpml(&a->attested.quote.pcrSelect, &qsel)) {
		ss_pcrsel_format(&qsel, s, sizeof s);
		ss_json_add_string(o, "pcr_selection", s);
	} else
		ss_json_add_null(o, "pcr_selection");
	if (v->authentic && v->have_values) {
		pcrs = ss_json_add_object(o, "pcrs");
		for (unsigned i = 0; i < SS_PCR_COUNT; i++)
			if (v->sel.mask & (1u << i)) {
				snprintf(s, sizeof s, "%u", i);
				ss_json_add_hex(pcrs, s, v->values[i], v->sel.hash->size);
			}
	} else
		ss_json_add_null(o, "pcrs");
	if (v->authentic) {
		ss_json_add_hex(o, "pcr_digest", a->attested.quote.pcrDigest.buffer,
				a->attested.quote.pcrDigest.size);
		c = ss_json_add_object(o, "clock");
		ss_json_add_int(c, "reset_count", a->clockInfo.resetCount);
		ss_json_add_int(c, "restart_count", a->clockInfo.restartCount);
		ss_json_add_u64hex(c, "clock", a->clockInfo.clock);
		ss_json_add_bool(c, "safe", a->clockInfo.safe == TPM2_YES);
		ss_json_add_u64hex(o, "firmware", a->firmwareVersion);
	} else {
		ss_json_add_null(o, "pcr_digest");
		ss_json_add_null(o, "clock");
		ss_json_add_null(o, "firmware");
	}
	ss_json_add_bool(o, "pcrs_checked", v->have_values && (!v->reason || v->authentic));
	ss_json_add_bool(o, "policy_checked", policy_checked);
	ss_json_add_bool(o, "fresh", in->qdata_len > 0);
	return o;
}

int ss_qverdict_make(const ss_qv_input *in, cJSON **verdict, ss_err *err)
{
	ss_policy defaults;
	const ss_policy *p = in->policy;
	struct qv v;
	int rc;

	memset(&v, 0, sizeof v);
	if (!p) {
		ss_policy_defaults(&defaults);
		p = &defaults;
	}
	rc = judge(in, p, &v, err);
	if (rc != SS_OK && rc != SS_REFUSED)
		return rc;
	*verdict = render(in, &v, in->policy_given && rc == SS_OK);
	return rc;
}
