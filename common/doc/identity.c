#include "ss/identity.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ss/crypto.h"
#include "ss/json.h"
#include "ss/store.h"
#include "ss/timefmt.h"

/* A TPM handle or NV index has one form: "0x" and 8 lowercase hex digits
 * (0x01c00002, as the man pages and the TCG write it). */
static int handle(const cJSON *o, const char *where, const char *name, uint32_t *out, ss_err *err)
{
	const char *s;
	uint64_t v;
	int rc = ss_json_string(o, where, name, &s, err);

	if (rc)
		return rc;
	if (strlen(s) != 10 || (rc = ss_json_u64hex(o, where, name, &v, err)))
		return rc ? rc : ss_err_set(err, SS_EINPUT, "member '%s.%s' is not a TPM handle "
					    "(0x and 8 lowercase hex digits)", where, name);
	*out = (uint32_t)v;
	return SS_OK;
}

static void add_handle(cJSON *o, const char *name, uint32_t h)
{
	char s[11];

	snprintf(s, sizeof s, "0x%08x", h);
	ss_json_add_string(o, name, s);
}

static int short_string(const cJSON *o, const char *where, const char *name, char *out,
			size_t outlen, ss_err *err)
{
	const char *s;
	int rc = ss_json_string(o, where, name, &s, err);

	if (rc)
		return rc;
	if (strlen(s) >= outlen)
		return ss_err_set(err, SS_EINPUT, "member '%s.%s' is too long", where, name);
	snprintf(out, outlen, "%s", s);
	return SS_OK;
}

static int pem_member(const cJSON *o, const char *where, const char *name, bool nullable,
		      ss_buf *out, ss_err *err)
{
	const char *s;
	int rc = nullable ? ss_json_string_or_null(o, where, name, &s, err)
			  : ss_json_string(o, where, name, &s, err);

	if (rc)
		return rc;
	if (!s)
		return SS_OK;
	if (strncmp(s, "-----BEGIN ", 11) != 0)
		return ss_err_set(err, SS_EINPUT, "member '%s.%s' is not PEM", where, name);
	ss_buf_adds(out, s);
	return SS_OK;
}

int ss_identity_parse(const cJSON *doc, ss_identity *id, ss_err *err)
{
	static const char *const top[] = { "type", "runner_id", "tpm", "ek", "ak", "created_at", NULL };
	static const char *const tpmm[] = { "manufacturer", "vendor", "firmware", "simulator", NULL };
	static const char *const ekm[] = { "alg", "handle", "public_pem", "certificate_pem",
					   "nv_index", NULL };
	static const char *const akm[] = { "alg", "handle", "public_pem", "public_area_b64", "name",
					   NULL };
	const cJSON *tpm, *ek, *ak, *nv;
	const char *rid;
	uint8_t name[SS_TPM_NAME_MAX];
	size_t name_len;
	EVP_PKEY *from_area = NULL, *from_pem = NULL;
	int rc;

	memset(id, 0, sizeof *id);
	if ((rc = ss_json_type(doc, "ss.identity.v1", err)) ||
	    (rc = ss_json_only(doc, "", top, err)) ||
	    (rc = ss_json_id(doc, "", "runner_id", &rid, err)) ||
	    (rc = ss_json_object(doc, "", "tpm", &tpm, err)) ||
	    (rc = ss_json_object(doc, "", "ek", &ek, err)) ||
	    (rc = ss_json_object(doc, "", "ak", &ak, err)) ||
	    (rc = ss_json_only(tpm, "tpm", tpmm, err)) ||
	    (rc = ss_json_only(ek, "ek", ekm, err)) ||
	    (rc = ss_json_only(ak, "ak", akm, err)) ||
	    (rc = short_string(tpm, "tpm", "manufacturer", id->tpm.manufacturer,
			       sizeof id->tpm.manufacturer, err)) ||
	    (rc = short_string(tpm, "tpm", "vendor", id->tpm.vendor, sizeof id->tpm.vendor, err)) ||
	    (rc = ss_json_u64hex(tpm, "tpm", "firmware", &id->tpm.firmware, err)) ||
	    (rc = ss_json_bool(tpm, "tpm", "simulator", &id->tpm.simulator, err)) ||
	    (rc = short_string(ek, "ek", "alg", id->ek.alg, sizeof id->ek.alg, err)) ||
	    (rc = handle(ek, "ek", "handle", &id->ek.handle, err)) ||
	    (rc = pem_member(ek, "ek", "public_pem", false, &id->ek.public_pem, err)) ||
	    (rc = pem_member(ek, "ek", "certificate_pem", true, &id->ek.certificate_pem, err)) ||
	    (rc = ss_json_member(ek, "ek", "nv_index", &nv, err)))
		goto fail;
	snprintf(id->runner_id, sizeof id->runner_id, "%s", rid);
	if (!cJSON_IsNull(nv) && (rc = handle(ek, "ek", "nv_index", &id->ek.nv_index, err)))
		goto fail;
	if ((rc = short_string(ak, "ak", "alg", id->ak.alg, sizeof id->ak.alg, err)) ||
	    (rc = handle(ak, "ak", "handle", &id->ak.handle, err)) ||
	    (rc = pem_member(ak, "ak", "public_pem", false, &id->ak.public_pem, err)) ||
	    (rc = ss_json_b64(ak, "ak", "public_area_b64", &id->ak.public_area, err)) ||
	    (rc = ss_json_hex(ak, "ak", "name", 0, id->ak.name, sizeof id->ak.name,
			      &id->ak.name_len, err)) ||
	    (rc = ss_json_time(doc, "", "created_at", &id->created_at, err)))
		goto fail;
	if ((rc = ss_tpm2b_public_parse(id->ak.public_area.data, id->ak.public_area.len,
					&id->ak.pub, err))) {
		ss_err_prefix(err, "member 'ak.public_area_b64'");
		goto fail;
	}
	if ((rc = ss_tpm_public_name(&id->ak.pub.publicArea, name, &name_len, err)))
		goto fail;
	if (name_len != id->ak.name_len || memcmp(name, id->ak.name, name_len) != 0) {
		rc = ss_err_set(err, SS_EINPUT, "member 'ak.name' is not the name of 'ak.public_area_b64'");
		goto fail;
	}
	if ((rc = ss_tpm_public_to_pkey(&id->ak.pub.publicArea, &from_area, err)) ||
	    (rc = ss_pkey_from_public_pem((const char *)id->ak.public_pem.data,
					  id->ak.public_pem.len, &from_pem, err))) {
		ss_err_prefix(err, "member 'ak'");
		goto fail;
	}
	if (EVP_PKEY_eq(from_area, from_pem) != 1) {
		rc = ss_err_set(err, SS_EINPUT, "member 'ak.public_pem' is not the key of 'ak.public_area_b64'");
		goto fail;
	}
	EVP_PKEY_free(from_area);
	EVP_PKEY_free(from_pem);
	return SS_OK;
fail:
	EVP_PKEY_free(from_area);
	EVP_PKEY_free(from_pem);
	ss_identity_free(id);
	return rc;
}

cJSON *ss_identity_to_json(const ss_identity *id)
{
	cJSON *o = ss_json_new_object(), *t, *e, *a;

	ss_json_add_string(o, "type", "ss.identity.v1");
	ss_json_add_string(o, "runner_id", id->runner_id);
	t = ss_json_add_object(o, "tpm");
	ss_json_add_string(t, "manufacturer", id->tpm.manufacturer);
	ss_json_add_string(t, "vendor", id->tpm.vendor);
	ss_json_add_u64hex(t, "firmware", id->tpm.firmware);
	ss_json_add_bool(t, "simulator", id->tpm.simulator);
	e = ss_json_add_object(o, "ek");
	ss_json_add_string(e, "alg", id->ek.alg);
	add_handle(e, "handle", id->ek.handle);
	ss_json_add_string(e, "public_pem", ss_buf_str(&id->ek.public_pem));
	ss_json_add_string_or_null(e, "certificate_pem",
				   id->ek.certificate_pem.len ? ss_buf_str(&id->ek.certificate_pem) : NULL);
	if (id->ek.nv_index)
		add_handle(e, "nv_index", id->ek.nv_index);
	else
		ss_json_add_null(e, "nv_index");
	a = ss_json_add_object(o, "ak");
	ss_json_add_string(a, "alg", id->ak.alg);
	add_handle(a, "handle", id->ak.handle);
	ss_json_add_string(a, "public_pem", ss_buf_str(&id->ak.public_pem));
	ss_json_add_b64(a, "public_area_b64", id->ak.public_area.data, id->ak.public_area.len);
	ss_json_add_hex(a, "name", id->ak.name, id->ak.name_len);
	ss_json_add_time(o, "created_at", id->created_at);
	return o;
}

void ss_identity_free(ss_identity *id)
{
	ss_buf_free(&id->ek.public_pem);
	ss_buf_free(&id->ek.certificate_pem);
	ss_buf_free(&id->ak.public_pem);
	ss_buf_free(&id->ak.public_area);
}

int ss_runner_identity_get(struct ss_store *st, ss_identity *id, bool *found, ss_err *err)
{
	cJSON *doc = NULL;
	int rc = ss_store_get_json(st, SS_KIND_RUNNER, SS_RUNNER_IDENTITY_KEY, &doc, found, err);

	if (!rc && *found && (rc = ss_identity_parse(doc, id, err)))
		ss_err_prefix(err, "store record %s/%s", SS_KIND_RUNNER, SS_RUNNER_IDENTITY_KEY);
	cJSON_Delete(doc);
	return rc;
}

int ss_runner_identity_put(struct ss_store *st, const ss_identity *id, ss_err *err)
{
	cJSON *doc = ss_identity_to_json(id);
	ss_buf text = SS_BUF_INIT;
	int rc;

	ss_json_write(doc, &text);
	ss_buf_addc(&text, '\n');
	rc = ss_store_put(st, SS_KIND_RUNNER, SS_RUNNER_IDENTITY_KEY, text.data, text.len, false, err);
	ss_buf_free(&text);
	cJSON_Delete(doc);
	return rc;
}
