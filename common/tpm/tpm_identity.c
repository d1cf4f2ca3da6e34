#include "ss/tpm_identity.h"

#include <stdio.h>
#include <string.h>

#include "ss/tpm_public.h"

int ss_tpm_identity_build(const char *runner_id, int64_t created_at, const ss_tpm_info *info,
			  const ss_tpm_ek *ek, const ss_tpm_ak *ak, ss_identity *id, ss_err *err)
{
	int rc;

	memset(id, 0, sizeof *id);
	snprintf(id->runner_id, sizeof id->runner_id, "%s", runner_id);
	memcpy(id->tpm.manufacturer, info->manufacturer, sizeof id->tpm.manufacturer);
	memcpy(id->tpm.vendor, info->vendor, sizeof id->tpm.vendor);
	id->tpm.firmware = info->firmware;
	id->tpm.simulator = info->simulator;
	ss_tpm_public_alg(&ek->pub.publicArea, id->ek.alg, sizeof id->ek.alg);
	id->ek.handle = ek->handle;
	id->ek.nv_index = ek->nv_index;
	ss_tpm_public_alg(&ak->pub.publicArea, id->ak.alg, sizeof id->ak.alg);
	id->ak.handle = ak->handle;
	id->ak.pub = ak->pub;
	ss_tpm2b_public_marshal(&ak->pub, &id->ak.public_area);
	memcpy(id->ak.name, ak->name, ak->name_len);
	id->ak.name_len = ak->name_len;
	id->created_at = created_at;
	if ((rc = ss_tpm_public_pem(&ek->pub.publicArea, &id->ek.public_pem, err)) ||
	    (ek->cert_der.len && (rc = ss_tpm_ek_cert_pem(ek, &id->ek.certificate_pem, err))) ||
	    (rc = ss_tpm_public_pem(&ak->pub.publicArea, &id->ak.public_pem, err)))
		ss_identity_free(id);
	return rc;
}

/* The creation time of the identity kept in st when it is this one (same
 * runner, EK and AK), else now. */
static int64_t creation_time(ss_store *st, const char *runner_id, const ss_tpm_ek *ek,
			     const ss_tpm_ak *ak, int64_t now)
{
	ss_identity prev;
	bool found = false;
	int64_t t = now;

	if (ss_runner_identity_get(st, &prev, &found, NULL) != SS_OK || !found)
		return t;
	if (strcmp(prev.runner_id, runner_id) == 0 && prev.ek.handle == ek->handle &&
	    prev.ak.handle == ak->handle && prev.ak.name_len == ak->name_len &&
	    memcmp(prev.ak.name, ak->name, ak->name_len) == 0)
		t = prev.created_at;
	ss_identity_free(&prev);
	return t;
}

int ss_tpm_identity_enroll(ss_tpm *t, ss_store *st, const ss_tpm_enroll_req *req, int64_t now,
			   ss_identity *id, ss_tpm_enrolled *what, ss_err *err)
{
	ss_tpm_ek ek = { .tr = ESYS_TR_NONE };
	ss_tpm_ak ak;
	ss_tpm_info info;
	int rc;

	memset(what, 0, sizeof *what);
	memset(id, 0, sizeof *id);
	if ((rc = ss_tpm_ek_select(t, req->ek_handle, true, &ek, err)) ||
	    (rc = ss_tpm_ak_enroll(t, &ek, req->alg, req->ak_handle, req->force, &ak, &what->ak,
				   err)) ||
	    (rc = ss_tpm_info_read(t, &info, err)))
		goto out;
	what->settled = true;
	what->ek_created = ek.created;
	what->ek_handle = ek.handle;
	what->ak_handle = ak.handle;
	if ((rc = ss_tpm_identity_build(req->runner_id,
					creation_time(st, req->runner_id, &ek, &ak, now), &info, &ek,
					&ak, id, err)))
		goto out;
	if ((rc = ss_runner_identity_put(st, id, err)))
		ss_identity_free(id);
out:
	ss_tpm_ek_free(&ek);
	return rc;
}

int ss_tpm_identity_reread(ss_tpm *t, const ss_identity *rec, ss_identity *id, ss_err *err)
{
	ss_tpm_ek ek = { .tr = ESYS_TR_NONE };
	ss_tpm_ak ak;
	ss_tpm_info info;
	bool child;
	int rc;

	memset(id, 0, sizeof *id);
	if ((rc = ss_tpm_ak_load_enrolled(t, rec->ak.handle, &rec->ak.pub, &ak, err)))
		return ss_err_prefix(err, "enrolled identity");
	if ((rc = ss_tpm_ek_select(t, rec->ek.handle, false, &ek, err))) {
		ss_err_prefix(err, "enrolled identity");
		goto out;
	}
	if ((rc = ss_tpm_ak_is_child(t, &ak, &ek, &child, err)))
		goto out;
	if (!child) {
		rc = ss_err_set(err, SS_ETPM, "enrolled identity: the AK at 0x%08x is not a child "
				"of the EK at 0x%08x", ak.handle, ek.handle);
		goto out;
	}
	if (!(rc = ss_tpm_info_read(t, &info, err)))
		rc = ss_tpm_identity_build(rec->runner_id, rec->created_at, &info, &ek, &ak, id, err);
out:
	ss_tpm_ek_free(&ek);
	return rc;
}
