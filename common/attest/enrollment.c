/* ss.enrollment.v1 records: strict parsing, and reading them back from the
 * enrolled store with their control-plane signature checked. */
#include "ss/enroll.h"

#include <stdio.h>
#include <string.h>

#include "ss/enc.h"
#include "ss/json.h"
#include "ss/timefmt.h"

#define ISSUER_MAX 1024

bool ss_enroll_valid_alg(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "ecc-p256") == 0 || strcmp(s, "ecc-p384") == 0 || strcmp(s, "ecc-p521") == 0)
		return true;
	if (n < 7 || n > 9 || strncmp(s, "rsa-", 4) != 0)
		return false;
	for (size_t i = 4; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int alg_member(const cJSON *doc, const char *name, const char **out, ss_err *err)
{
	int rc = ss_json_string(doc, "", name, out, err);

	if (!rc && !ss_enroll_valid_alg(*out))
		return ss_err_set(err, SS_EINPUT, "member '%s' is not a key algorithm", name);
	return rc;
}

int ss_enrollment_parse(const cJSON *doc, ss_enrollment *out, ss_err *err)
{
	static const char *const members[] = { "type", "runner_id", "ak_name", "ak_public_area_b64",
					       "ak_alg", "ek_alg", "ek_certificate_sha256",
					       "ek_issuer", "simulator", "challenge_id",
					       "enrolled_at", "signature", NULL };
	const char *runner_id, *ak_alg, *ek_alg, *issuer, *challenge_id;
	uint8_t cert_sha256[32], name[SS_TPM_NAME_MAX];
	size_t name_len = 0;
	char area_alg[16];
	ss_buf area = SS_BUF_INIT;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = ss_json_type(doc, "ss.enrollment.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_id(doc, "", "runner_id", &runner_id, err)) ||
	    (rc = ss_json_hex(doc, "", "ak_name", 0, out->ak_name, sizeof out->ak_name,
			      &out->ak_name_len, err)) ||
	    (rc = ss_json_b64(doc, "", "ak_public_area_b64", &area, err)) ||
	    (rc = alg_member(doc, "ak_alg", &ak_alg, err)) ||
	    (rc = alg_member(doc, "ek_alg", &ek_alg, err)) ||
	    (rc = ss_json_hex(doc, "", "ek_certificate_sha256", sizeof cert_sha256, cert_sha256,
			      sizeof cert_sha256, NULL, err)) ||
	    (rc = ss_json_string(doc, "", "ek_issuer", &issuer, err)) ||
	    (rc = ss_json_bool(doc, "", "simulator", &out->simulator, err)) ||
	    (rc = ss_json_id(doc, "", "challenge_id", &challenge_id, err)) ||
	    (rc = ss_json_time(doc, "", "enrolled_at", &out->enrolled_at, err)))
		goto out;
	if (strlen(issuer) > ISSUER_MAX) {
		rc = ss_err_set(err, SS_EINPUT, "member 'ek_issuer' is longer than %d bytes",
				ISSUER_MAX);
		goto out;
	}
	if ((rc = ss_tpm2b_public_parse(area.data, area.len, &out->ak_pub, err))) {
		ss_err_prefix(err, "member 'ak_public_area_b64'");
		goto out;
	}
	if ((rc = ss_tpm_public_name(&out->ak_pub.publicArea, name, &name_len, err)))
		goto out;
	if (name_len != out->ak_name_len || memcmp(name, out->ak_name, name_len) != 0) {
		rc = ss_err_set(err, SS_EINPUT,
				"member 'ak_name' is not the name of 'ak_public_area_b64'");
		goto out;
	}
	if (!ss_tpm_public_alg(&out->ak_pub.publicArea, area_alg, sizeof area_alg) ||
	    strcmp(area_alg, ak_alg) != 0) {
		rc = ss_err_set(err, SS_EINPUT, "member 'ak_alg' does not match 'ak_public_area_b64'");
		goto out;
	}
	snprintf(out->runner_id, sizeof out->runner_id, "%s", runner_id);
	rc = SS_OK;
out:
	ss_buf_free(&area);
	if (rc)
		memset(out, 0, sizeof *out);
	return rc;
}

/* One enrolled record by its key: signature checked against cp (when
 * given), parsed, and its ak_name equal to the key it is stored under (a
 * record copied to another AK's place must not vouch for that AK). */
static int read_record(ss_store *st, const ss_keyring *cp, const char *key, cJSON **doc,
		       ss_enrollment *e, bool *found, ss_err *err)
{
	char what[300], name_hex[2 * SS_TPM_NAME_MAX + 1];
	int rc;

	*doc = NULL;
	snprintf(what, sizeof what, "enrolled record '%s'", key);
	/* A record that is not JSON, whose signature is missing or mangled, or
	 * that is not a valid enrollment fails like one whose signature does
	 * not verify: the store does not vouch for it. */
	if ((rc = ss_store_get_json(st, SS_KIND_ENROLLED, key, doc, found, err)) || !*found) {
		if (rc == SS_EINPUT)
			rc = err->code = SS_REFUSED;
		return rc;
	}
	if (cp && (rc = ss_doc_verify(*doc, cp, what, err))) {
		if (rc == SS_EINPUT) {
			ss_err_prefix(err, "%s", what);
			rc = err->code = SS_REFUSED;
		}
		goto fail;
	}
	if ((rc = ss_enrollment_parse(*doc, e, err))) {
		ss_err_prefix(err, "%s", what);
		if (rc == SS_EINPUT)
			rc = err->code = SS_REFUSED;
		goto fail;
	}
	ss_hex_encode(e->ak_name, e->ak_name_len, name_hex);
	if (strcmp(name_hex, key) != 0) {
		rc = ss_err_set(err, SS_REFUSED, "%s: names another AK", what);
		goto fail;
	}
	return SS_OK;
fail:
	cJSON_Delete(*doc);
	*doc = NULL;
	return rc;
}

int ss_enrollment_lookup(ss_store *st, const ss_keyring *cp, const uint8_t *ak_name,
			 size_t ak_name_len, ss_enrollment *out, bool *found, ss_err *err)
{
	char key[2 * SS_TPM_NAME_MAX + 1];
	cJSON *doc = NULL;
	int rc;

	*found = false;
	memset(out, 0, sizeof *out);
	if (ak_name_len < 2 || ak_name_len > SS_TPM_NAME_MAX)
		return SS_OK; /* no such name can be enrolled */
	ss_hex_encode(ak_name, ak_name_len, key);
	rc = read_record(st, cp, key, &doc, out, found, err);
	cJSON_Delete(doc);
	if (rc)
		*found = false;
	return rc;
}

int ss_enroll_list(ss_store *st, const ss_keyring *cp, cJSON **records, ss_err *err)
{
	char **keys = NULL;
	size_t n = 0;
	int rc;

	*records = cJSON_CreateArray();
	if (!*records)
		ss_oom();
	if ((rc = ss_store_keys(st, SS_KIND_ENROLLED, &keys, &n, err)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		ss_enrollment e;
		cJSON *doc = NULL;
		bool found = false;

		if ((rc = read_record(st, cp, keys[i], &doc, &e, &found, err)))
			goto fail;
		if (found && !cJSON_AddItemToArray(*records, doc))
			ss_oom();
	}
	ss_store_keys_free(keys, n);
	return SS_OK;
fail:
	ss_store_keys_free(keys, n);
	cJSON_Delete(*records);
	*records = NULL;
	return rc;
}
