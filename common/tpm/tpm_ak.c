#include "ss/tpm_ak.h"

#include <string.h>

void ss_tpm_ak_template(ss_ak_alg alg, TPM2B_PUBLIC *out)
{
	TPMT_PUBLIC *t = &out->publicArea;

	memset(out, 0, sizeof *out);
	t->nameAlg = TPM2_ALG_SHA256;
	t->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	if (alg == SS_AK_RSA) {
		TPMS_RSA_PARMS *r = &t->parameters.rsaDetail;
		t->type = TPM2_ALG_RSA;
		r->symmetric.algorithm = TPM2_ALG_NULL;
		r->scheme.scheme = TPM2_ALG_RSASSA;
		r->scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
		r->keyBits = 2048;
		r->exponent = 0;
	} else {
		TPMS_ECC_PARMS *e = &t->parameters.eccDetail;
		t->type = TPM2_ALG_ECC;
		e->symmetric.algorithm = TPM2_ALG_NULL;
		e->scheme.scheme = TPM2_ALG_ECDSA;
		e->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
		e->curveID = TPM2_ECC_NIST_P256;
		e->kdf.scheme = TPM2_ALG_NULL;
	}
}

const char *ss_ak_alg_name(ss_ak_alg alg)
{
	return alg == SS_AK_RSA ? "rsa-2048" : "ecc-p256";
}

static int check_ak(uint32_t handle, const TPM2B_PUBLIC *pub, ss_err *err)
{
	const char *why;

	if (!ss_tpm_public_is_ak(&pub->publicArea, &why))
		return ss_err_set(err, SS_ETPM, "object at 0x%08x is not an AK (%s)", handle, why);
	return SS_OK;
}

/* Opening the AK's handle failed with rc: the loads go straight to the
 * object, and only then is it worth a GetCapability to tell "nothing
 * there" from other TPM errors. */
static int not_there(ss_tpm *t, uint32_t ak_handle, int rc, ss_err *err)
{
	bool present;

	if (!ss_tpm_has_handle(t, ak_handle, &present, NULL) && !present)
		return ss_err_set(err, SS_ETPM, "no AK at persistent handle 0x%08x (enroll one first)",
				  ak_handle);
	return rc;
}

int ss_tpm_ak_load(ss_tpm *t, uint32_t ak_handle, ss_tpm_ak *ak, ss_err *err)
{
	int rc;

	memset(ak, 0, sizeof *ak);
	ak->handle = ak_handle;
	ak->tr = ESYS_TR_NONE;
	if ((rc = ss_tpm_persistent(t, ak_handle, &ak->tr, &ak->pub, NULL, err)))
		return not_there(t, ak_handle, rc, err);
	if ((rc = check_ak(ak_handle, &ak->pub, err)) ||
	    (rc = ss_tpm_public_name(&ak->pub.publicArea, ak->name, &ak->name_len, err))) {
		ak->tr = ESYS_TR_NONE;
		return rc == SS_ETPM ? rc : ss_err_prefix(err, "AK at 0x%08x", ak_handle);
	}
	return SS_OK;
}

int ss_tpm_ak_load_enrolled(ss_tpm *t, uint32_t ak_handle, const TPM2B_PUBLIC *enrolled,
			    ss_tpm_ak *ak, ss_err *err)
{
	TPM2B_NAME there;
	int rc;

	memset(ak, 0, sizeof *ak);
	ak->handle = ak_handle;
	ak->tr = ESYS_TR_NONE;
	if ((rc = check_ak(ak_handle, enrolled, err)) ||
	    (rc = ss_tpm_public_name(&enrolled->publicArea, ak->name, &ak->name_len, err)))
		return rc == SS_ETPM ? rc : ss_err_prefix(err, "AK at 0x%08x", ak_handle);
	if ((rc = ss_tpm_persistent_name(t, ak_handle, &ak->tr, &there, err)))
		return not_there(t, ak_handle, rc, err);
	/* The name is a hash of the whole public area: equal names, the same
	 * key with the same attributes. */
	if (there.size != ak->name_len || memcmp(there.name, ak->name, ak->name_len) != 0) {
		ak->tr = ESYS_TR_NONE;
		return ss_err_set(err, SS_ETPM, "the AK at 0x%08x is not the enrolled one "
				  "(enroll again)", ak_handle);
	}
	ak->pub = *enrolled;
	return SS_OK;
}

int ss_tpm_ak_is_child(ss_tpm *t, const ss_tpm_ak *ak, const ss_tpm_ek *ek, bool *child,
		       ss_err *err)
{
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL, *qname = NULL, want;
	TSS2_RC trc;
	int rc;

	*child = false;
	trc = Esys_ReadPublic(t->esys, ak->tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name,
			      &qname);
	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "read public area of 0x%08x", ak->handle);
	rc = ss_tpm_qualified_name(ak->pub.publicArea.nameAlg, ek->qname.name, ek->qname.size,
				   ak->name, ak->name_len, &want, err);
	if (!rc)
		*child = want.size == qname->size && memcmp(want.name, qname->name, want.size) == 0;
	Esys_Free(pub);
	Esys_Free(name);
	Esys_Free(qname);
	return rc;
}

/* Create the key under the EK and load it; the result is a tracked
 * transient object.  Each EK use gets its own authorization session:
 * a policy session is spent by the command it authorizes. */
static int create_ak(ss_tpm *t, const ss_tpm_ek *ek, ss_ak_alg alg, ESYS_TR *obj, ss_err *err)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	ESYS_TR session = ESYS_TR_NONE;
	TSS2_RC trc;
	int rc;

	*obj = ESYS_TR_NONE;
	ss_tpm_ak_template(alg, &tmpl);
	memset(&sens, 0, sizeof sens);
	memset(&outside, 0, sizeof outside);
	memset(&pcrs, 0, sizeof pcrs);
	if ((rc = ss_tpm_ek_session(t, ek, &session, err)))
		return rc;
	trc = Esys_Create(t->esys, ek->tr, session, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
			  &outside, &pcrs, &priv, &pub, &cdata, &chash, &ticket);
	ss_tpm_flush(t, &session);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	if (trc != TSS2_RC_SUCCESS) {
		rc = ss_tpm_err(err, trc, "create AK under EK 0x%08x", ek->handle);
		goto out;
	}
	if ((rc = ss_tpm_ek_session(t, ek, &session, err)))
		goto out;
	trc = Esys_Load(t->esys, ek->tr, session, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, obj);
	ss_tpm_flush(t, &session);
	if (trc != TSS2_RC_SUCCESS) {
		*obj = ESYS_TR_NONE;
		rc = ss_tpm_err(err, trc, "load AK under EK 0x%08x", ek->handle);
		goto out;
	}
	ss_tpm_track(t, *obj);
out:
	Esys_Free(priv);
	Esys_Free(pub);
	return rc;
}

/* Whether the AK already at the handle can be reused; SS_EUSAGE says why
 * not when force is not given. */
static int judge_existing(ss_tpm *t, const ss_tpm_ek *ek, ss_ak_alg alg, const ss_tpm_ak *old,
			  bool force, bool *reuse, ss_err *err)
{
	char have[16];
	bool child;
	int rc;

	*reuse = false;
	ss_tpm_public_alg(&old->pub.publicArea, have, sizeof have);
	if (strcmp(have, ss_ak_alg_name(alg)) != 0) {
		if (force)
			return SS_OK;
		return ss_err_set(err, SS_EUSAGE, "AK at 0x%08x is %s, not %s (--force replaces it)",
				  old->handle, have, ss_ak_alg_name(alg));
	}
	if ((rc = ss_tpm_ak_is_child(t, old, ek, &child, err)))
		return rc;
	if (!child) {
		if (force)
			return SS_OK;
		return ss_err_set(err, SS_EUSAGE, "AK at 0x%08x is not a child of EK 0x%08x "
				  "(--force replaces it)", old->handle, ek->handle);
	}
	*reuse = !force;
	return SS_OK;
}

/* An object at the AK's handle that is not an AK is refused even with
 * force: that could be anyone's key, an EK included. */
static int load_existing(ss_tpm *t, uint32_t handle, ss_tpm_ak *old, bool *present, ss_err *err)
{
	const char *why;
	int rc;

	memset(old, 0, sizeof *old);
	old->tr = ESYS_TR_NONE;
	old->handle = handle;
	if ((rc = ss_tpm_has_handle(t, handle, present, err)) || !*present)
		return rc;
	if ((rc = ss_tpm_persistent(t, handle, &old->tr, &old->pub, NULL, err)))
		return rc;
	if (!ss_tpm_public_is_ak(&old->pub.publicArea, &why))
		return ss_err_set(err, SS_EUSAGE, "persistent handle 0x%08x holds an object that is "
				  "not an AK (%s); it is never replaced", handle, why);
	return ss_tpm_public_name(&old->pub.publicArea, old->name, &old->name_len, err);
}

int ss_tpm_ak_enroll(ss_tpm *t, const ss_tpm_ek *ek, ss_ak_alg alg, uint32_t handle, bool force,
		     ss_tpm_ak *ak, ss_ak_outcome *outcome, ss_err *err)
{
	ss_tpm_ak old;
	ESYS_TR fresh = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	bool present, reuse = false;
	int rc;

	memset(ak, 0, sizeof *ak);
	ak->tr = ESYS_TR_NONE;
	if ((rc = load_existing(t, handle, &old, &present, err)))
		return rc;
	if (present && (rc = judge_existing(t, ek, alg, &old, force, &reuse, err)))
		return rc;
	if (reuse) {
		*ak = old;
		*outcome = SS_AK_REUSED;
		return SS_OK;
	}
	/* The new key exists before the old one goes: a failure on the way
	 * leaves the runner with its previous AK. */
	if ((rc = create_ak(t, ek, alg, &fresh, err)))
		return rc;
	if (present && (rc = ss_tpm_evict(t, &old.tr, handle, err))) {
		ss_tpm_flush(t, &fresh);
		return rc;
	}
	rc = ss_tpm_persist(t, &fresh, handle, &persistent, err);
	ss_tpm_flush(t, &fresh);
	if (rc)
		return rc;
	*outcome = present ? SS_AK_REPLACED : SS_AK_CREATED;
	return ss_tpm_ak_load(t, handle, ak, err);
}
