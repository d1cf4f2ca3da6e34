#include "ss/tpm_hmac.h"

#include <string.h>

#include "ss/secret.h"

static const TPMT_SYM_DEF session_cipher = {
	.algorithm = TPM2_ALG_AES, .keyBits = { .aes = 128 }, .mode = { .aes = TPM2_ALG_CFB },
};

/* An HMAC session with parameter encryption in one direction (decrypt:
 * the first command parameter, encrypt: the first response parameter).
 * salt_key: a loaded decryption key to salt the session with, or
 * ESYS_TR_NONE, in which case the encryption key comes from the auth value
 * of the object the session authorizes.  Tracked: flushed on every path. */
static int start_session(ss_tpm *t, ESYS_TR salt_key, TPMA_SESSION direction, ESYS_TR *session,
			 ss_err *err)
{
	TSS2_RC rc;

	rc = Esys_StartAuthSession(t->esys, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &session_cipher,
				   TPM2_ALG_SHA256, session);
	if (rc != TSS2_RC_SUCCESS) {
		*session = ESYS_TR_NONE;
		return ss_tpm_err(err, rc, "start TPM session");
	}
	ss_tpm_track(t, *session);
	/* continueSession: the session outlives each command and is flushed
	 * by us, the same way on success and on failure. */
	rc = Esys_TRSess_SetAttributes(t->esys, *session,
				       TPMA_SESSION_CONTINUESESSION | direction, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, rc, "set TPM session attributes");
	return SS_OK;
}

static int set_auth(ss_tpm *t, ESYS_TR obj, const void *auth, size_t len, ss_err *err)
{
	TPM2B_AUTH a;
	TSS2_RC rc;

	if (len > SS_TPM_HMAC_AUTH_MAX)
		return ss_err_set(err, SS_EINPUT, "auth value is %zu bytes, at most %d", len,
				  SS_TPM_HMAC_AUTH_MAX);
	memset(&a, 0, sizeof a);
	a.size = (UINT16)len;
	if (len)
		memcpy(a.buffer, auth, len);
	rc = Esys_TR_SetAuth(t->esys, obj, &a);
	ss_wipe(&a, sizeof a);
	if (rc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, rc, "set TPM root auth value");
	return SS_OK;
}

/* The owner hierarchy's storage primary: ECC P-256, AES-128-CFB, the
 * usual SRK attributes.  Deterministic from the owner seed, so it is made
 * when needed and flushed after. */
static int create_storage_primary(ss_tpm *t, ESYS_TR *primary, ss_err *err)
{
	TPM2B_SENSITIVE_CREATE sensitive;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TSS2_RC rc;

	memset(&sensitive, 0, sizeof sensitive);
	memset(&tmpl, 0, sizeof tmpl);
	memset(&outside, 0, sizeof outside);
	memset(&pcrs, 0, sizeof pcrs);
	tmpl.publicArea.type = TPM2_ALG_ECC;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					   TPMA_OBJECT_SENSITIVEDATAORIGIN |
					   TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
					   TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	tmpl.publicArea.parameters.eccDetail.symmetric = (TPMT_SYM_DEF_OBJECT){
		.algorithm = TPM2_ALG_AES, .keyBits = { .aes = 128 }, .mode = { .aes = TPM2_ALG_CFB },
	};
	tmpl.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	tmpl.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sensitive, &tmpl, &outside, &pcrs, primary, &pub,
				&cdata, &chash, &ticket);
	Esys_Free(pub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	if (rc != TSS2_RC_SUCCESS) {
		*primary = ESYS_TR_NONE;
		return ss_tpm_err(err, rc, "create storage primary key");
	}
	ss_tpm_track(t, *primary);
	return SS_OK;
}

static void root_template(TPM2B_PUBLIC *tmpl)
{
	memset(tmpl, 0, sizeof *tmpl);
	tmpl->publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl->publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT;
	tmpl->publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
	tmpl->publicArea.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
}

/* Create the keyed-hash object under primary and load it (tracked). */
static int create_root(ss_tpm *t, ESYS_TR primary, const void *auth, size_t authlen,
		       ESYS_TR *root, ss_err *err)
{
	TPM2B_SENSITIVE_CREATE sensitive;
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

	*root = ESYS_TR_NONE;
	if (authlen > SS_TPM_HMAC_AUTH_MAX)
		return ss_err_set(err, SS_EINPUT, "auth value is %zu bytes, at most %d", authlen,
				  SS_TPM_HMAC_AUTH_MAX);
	/* Salted with the primary: the auth value inside inSensitive is
	 * encrypted on its way to the TPM. */
	if ((rc = start_session(t, primary, TPMA_SESSION_DECRYPT, &session, err)))
		goto out;
	memset(&sensitive, 0, sizeof sensitive);
	memset(&outside, 0, sizeof outside);
	memset(&pcrs, 0, sizeof pcrs);
	sensitive.sensitive.userAuth.size = (UINT16)authlen;
	if (authlen)
		memcpy(sensitive.sensitive.userAuth.buffer, auth, authlen);
	root_template(&tmpl);
	trc = Esys_Create(t->esys, primary, session, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl,
			  &outside, &pcrs, &priv, &pub, &cdata, &chash, &ticket);
	ss_wipe(&sensitive, sizeof sensitive);
	if (trc != TSS2_RC_SUCCESS) {
		rc = ss_tpm_err(err, trc, "create TPM root");
		goto out;
	}
	trc = Esys_Load(t->esys, primary, session, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, root);
	if (trc != TSS2_RC_SUCCESS) {
		*root = ESYS_TR_NONE;
		rc = ss_tpm_err(err, trc, "load TPM root");
		goto out;
	}
	ss_tpm_track(t, *root);
out:
	ss_tpm_flush(t, &session);
	Esys_Free(priv);
	Esys_Free(pub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return rc;
}

int ss_tpm_hmac_root_create(ss_tpm *t, uint32_t handle, const void *auth, size_t authlen,
			    const void *owner_auth, size_t ownerlen, ss_err *err)
{
	ESYS_TR primary = ESYS_TR_NONE, root = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	bool taken;
	int rc;

	/* Checked before anything is created; ss_tpm_persist checks again. */
	if ((rc = ss_tpm_has_handle(t, handle, &taken, err)))
		return rc;
	if (taken)
		return ss_err_set(err, SS_ETPM, "persistent handle 0x%08x is already in use", handle);
	if ((rc = ss_tpm_set_auth(t, ESYS_TR_RH_OWNER, owner_auth, ownerlen, err)) ||
	    (rc = create_storage_primary(t, &primary, err)) ||
	    (rc = create_root(t, primary, auth, authlen, &root, err)))
		goto out;
	ss_tpm_flush(t, &primary); /* frees a slot before EvictControl */
	if ((rc = ss_tpm_persist(t, &root, handle, &persistent, err)))
		goto out;
	Esys_TR_Close(t->esys, &persistent);
out:
	ss_tpm_flush(t, &root);
	ss_tpm_flush(t, &primary);
	return rc;
}

/* The object must be the kind of root ss_tpm_hmac_root_create makes: an
 * HMAC-SHA256 signing key that cannot leave the TPM. */
static int check_root(uint32_t handle, const TPMT_PUBLIC *p, ss_err *err)
{
	const TPMT_KEYEDHASH_SCHEME *s = &p->parameters.keyedHashDetail.scheme;
	TPMA_OBJECT a = p->objectAttributes;

	if (p->type != TPM2_ALG_KEYEDHASH || s->scheme != TPM2_ALG_HMAC ||
	    s->details.hmac.hashAlg != TPM2_ALG_SHA256 || !(a & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    (a & TPMA_OBJECT_RESTRICTED) || (a & TPMA_OBJECT_DECRYPT))
		return ss_err_set(err, SS_ETPM, "TPM root 0x%08x: not an HMAC-SHA256 keyed-hash key",
				  handle);
	if (!(a & TPMA_OBJECT_FIXEDTPM))
		return ss_err_set(err, SS_ETPM, "TPM root 0x%08x: not fixedTPM (it could leave the TPM)",
				  handle);
	return SS_OK;
}

int ss_tpm_hmac_extract(ss_tpm *t, uint32_t handle, const void *auth, size_t authlen,
			const void *salt, size_t saltlen, unsigned char prk[SS_HKDF_PRK_LEN],
			ss_err *err)
{
	ESYS_TR root = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TPM2B_PUBLIC pub;
	TPM2B_MAX_BUFFER msg;
	TPM2B_DIGEST *mac = NULL;
	bool present;
	TSS2_RC trc;
	int rc;

	if (saltlen > sizeof msg.buffer)
		return ss_err_set(err, SS_EINPUT, "salt of %zu bytes, at most %zu", saltlen,
				  sizeof msg.buffer);
	if ((rc = ss_tpm_has_handle(t, handle, &present, err)))
		return rc;
	if (!present)
		return ss_err_set(err, SS_ETPM, "TPM root 0x%08x: no persistent object there", handle);
	if ((rc = ss_tpm_persistent(t, handle, &root, &pub, NULL, err)))
		return rc;
	if ((rc = check_root(handle, &pub.publicArea, err)) ||
	    (rc = set_auth(t, root, auth, authlen, err)) ||
	    (rc = start_session(t, ESYS_TR_NONE, TPMA_SESSION_ENCRYPT, &session, err)))
		goto out;
	memset(&msg, 0, sizeof msg);
	msg.size = (UINT16)saltlen;
	if (saltlen)
		memcpy(msg.buffer, salt, saltlen);
	trc = Esys_HMAC(t->esys, root, session, ESYS_TR_NONE, ESYS_TR_NONE, &msg, TPM2_ALG_SHA256,
			&mac);
	if (trc != TSS2_RC_SUCCESS) {
		rc = ss_tpm_err(err, trc, "TPM root 0x%08x: TPM2_HMAC", handle);
		goto out;
	}
	if (mac->size != SS_HKDF_PRK_LEN)
		rc = ss_err_set(err, SS_ETPM, "TPM root 0x%08x: TPM2_HMAC returned %u bytes", handle,
				mac->size);
	else
		memcpy(prk, mac->buffer, SS_HKDF_PRK_LEN);
	ss_wipe(mac, sizeof *mac);
out:
	Esys_Free(mac);
	ss_tpm_flush(t, &session);
	ss_tpm_forget_auth(t, root);
	Esys_TR_Close(t->esys, &root);
	return rc;
}
