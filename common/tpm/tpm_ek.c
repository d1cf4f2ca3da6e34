#include "ss/tpm_ek.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ss/crypto.h"
#include "ss/ek_template.h"
#include "ss/enc.h"
#include "ss/tpm_public.h"

/* Where EK certificates are searched, in this order: the low range (RSA
 * 2048, ECC P-256), then the high range.  0x01c0001a (H-5, SM2/SM3) is
 * passed over: ss/ek_template.h has no template for it and OpenSSL no SM2
 * TPM keys here. */
static const uint32_t cert_indices[] = {
	0x01c00002, 0x01c0000a, 0x01c00012, 0x01c00014, 0x01c00016,
	0x01c00018, 0x01c0001a, 0x01c0001c, 0x01c0001e,
};
#define NCERTS (sizeof cert_indices / sizeof cert_indices[0])
#define CERT_NV_FIRST 0x01c00002u
#define CERT_NV_LAST 0x01c0001eu

/* The persistent handle the TCG handle registry gives the EK of a
 * template: 0x81010001 / 0x81010002 for L-1 / L-2, and 0x810100NN for the
 * high range index 0x01c000NN. */
static uint32_t usual_handle(const ss_ek_template *t)
{
	if (!t->high_range)
		return t->type == TPM2_ALG_RSA ? SS_EK_DEFAULT_HANDLE : 0x81010002u;
	return 0x81010000u | (t->nv_index & 0xffu);
}

/* ---- policies ------------------------------------------------------------- */

/* PolicyC = PolicyAuthorizeNV on the profile's policy index for that hash.
 * It depends on an NV index's name, so it is the profile's published
 * value; PolicyA and PolicyB are computed (and checked against the
 * published ones by the unit tests). */
static const struct {
	uint16_t alg;
	const char *hex;
} policy_c[] = {
	{ TPM2_ALG_SHA256, "3767e2edd43ff45a3a7e1eaefcef78643dca964632e7aad82c673a30d8633fde" },
	{ TPM2_ALG_SHA384, "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5"
			   "b4947c2d73e63005eed2dc2b3593d165" },
	{ TPM2_ALG_SHA512, "589ee1e146544716e8deafe6db247b01b81e9f9c7dd16b814aa159138749105f"
			   "ba5388dd1dea702f35240c184933121e2c61b8f50d3ef91393a49a38c3f73fc8" },
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int policy_md(uint16_t name_alg, const EVP_MD **md, size_t *len, ss_err *err)
{
	*md = name_alg == TPM2_ALG_SHA1 ? NULL : ss_md_for_alg(name_alg);
	if (!*md)
		return ss_err_set(err, SS_ETPM, "EK profile policy: name algorithm 0x%04x is not "
				  "supported", name_alg);
	*len = (size_t)EVP_MD_get_size(*md);
	return SS_OK;
}

/* digest = H(digest || cc || arg): TPM 2.0 Part 3's PolicyUpdate step. */
static int policy_extend(const EVP_MD *md, uint8_t *digest, size_t len, uint32_t cc,
			 const uint8_t *arg, size_t arglen, ss_err *err)
{
	uint8_t buf[SS_MAX_DIGEST + 4 + 2 * SS_MAX_DIGEST];

	memcpy(buf, digest, len);
	put32(buf + len, cc);
	memcpy(buf + len + 4, arg, arglen);
	return ss_digest(md, buf, len + 4 + arglen, digest, NULL, err);
}

int ss_ek_policy_a(uint16_t name_alg, uint8_t *out, size_t *len, ss_err *err)
{
	const EVP_MD *md;
	uint8_t endorsement[4];
	int rc;

	if ((rc = policy_md(name_alg, &md, len, err)))
		return rc;
	/* PolicySecret(TPM_RH_ENDORSEMENT) with an empty policyRef: the
	 * update with the hierarchy's name, then H(digest || policyRef). */
	memset(out, 0, *len);
	put32(endorsement, TPM2_RH_ENDORSEMENT);
	if ((rc = policy_extend(md, out, *len, TPM2_CC_PolicySecret, endorsement, 4, err)))
		return rc;
	return ss_digest(md, out, *len, out, NULL, err);
}

static int policy_c_value(uint16_t name_alg, uint8_t *out, size_t len, ss_err *err)
{
	for (size_t i = 0; i < sizeof policy_c / sizeof policy_c[0]; i++)
		if (policy_c[i].alg == name_alg) {
			if (!ss_hex_decode(policy_c[i].hex, strlen(policy_c[i].hex), out, len, NULL) ||
			    strlen(policy_c[i].hex) != 2 * len)
				break;
			return SS_OK;
		}
	return ss_err_set(err, SS_ETPM, "EK profile policy: no PolicyC for name algorithm 0x%04x",
			  name_alg);
}

int ss_ek_policy_b(uint16_t name_alg, uint8_t *out, size_t *len, ss_err *err)
{
	uint8_t branches[2 * SS_MAX_DIGEST];
	const EVP_MD *md;
	int rc;

	if ((rc = policy_md(name_alg, &md, len, err)) ||
	    (rc = ss_ek_policy_a(name_alg, branches, len, err)) ||
	    (rc = policy_c_value(name_alg, branches + *len, *len, err)))
		return rc;
	memset(out, 0, *len);
	return policy_extend(md, out, *len, TPM2_CC_PolicyOR, branches, 2 * *len, err);
}

int ss_tpm_qualified_name(uint16_t name_alg, const uint8_t *parent_qn, size_t parent_qn_len,
			  const uint8_t *name, size_t name_len, TPM2B_NAME *out, ss_err *err)
{
	const EVP_MD *md = ss_md_for_alg(name_alg);
	uint8_t buf[2 * sizeof(TPMU_NAME)];
	size_t dlen = 0;
	int rc;

	if (!md)
		return ss_err_set(err, SS_ETPM, "qualified name: unsupported name algorithm 0x%04x",
				  name_alg);
	if (parent_qn_len + name_len > sizeof buf)
		return ss_err_set(err, SS_ETPM, "qualified name: names too long");
	memcpy(buf, parent_qn, parent_qn_len);
	memcpy(buf + parent_qn_len, name, name_len);
	memset(out, 0, sizeof *out);
	if ((rc = ss_digest(md, buf, parent_qn_len + name_len, out->name + 2, &dlen, err)))
		return rc;
	out->name[0] = (uint8_t)(name_alg >> 8);
	out->name[1] = (uint8_t)name_alg;
	out->size = (UINT16)(2 + dlen);
	return SS_OK;
}

/* ---- templates ------------------------------------------------------------ */

/* The creation template: the low range reserves a zero-filled unique
 * field as wide as the key, the high range an empty one. */
static int profile_template(const ss_ek_template *p, TPM2B_PUBLIC *out, ss_err *err)
{
	TPMT_PUBLIC *t = &out->publicArea;
	size_t plen;
	int rc;

	memset(out, 0, sizeof *out);
	t->type = p->type;
	t->nameAlg = p->name_alg;
	t->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	if (p->high_range)
		t->objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
	rc = p->high_range ? ss_ek_policy_b(p->name_alg, t->authPolicy.buffer, &plen, err)
			   : ss_ek_policy_a(p->name_alg, t->authPolicy.buffer, &plen, err);
	if (rc)
		return ss_err_prefix(err, "EK template %s", p->name);
	t->authPolicy.size = (UINT16)plen;
	if (p->type == TPM2_ALG_RSA) {
		TPMS_RSA_PARMS *r = &t->parameters.rsaDetail;
		r->symmetric.algorithm = TPM2_ALG_AES;
		r->symmetric.keyBits.aes = p->aes_bits;
		r->symmetric.mode.aes = TPM2_ALG_CFB;
		r->scheme.scheme = TPM2_ALG_NULL;
		r->keyBits = p->rsa_bits;
		r->exponent = 0;
		t->unique.rsa.size = p->high_range ? 0 : (UINT16)(p->rsa_bits / 8);
	} else {
		TPMS_ECC_PARMS *e = &t->parameters.eccDetail;
		UINT16 field = p->curve == TPM2_ECC_NIST_P256 ? 32 : p->curve == TPM2_ECC_NIST_P384 ? 48 : 66;
		e->symmetric.algorithm = TPM2_ALG_AES;
		e->symmetric.keyBits.aes = p->aes_bits;
		e->symmetric.mode.aes = TPM2_ALG_CFB;
		e->scheme.scheme = TPM2_ALG_NULL;
		e->curveID = p->curve;
		e->kdf.scheme = TPM2_ALG_NULL;
		t->unique.ecc.x.size = t->unique.ecc.y.size = p->high_range ? 0 : field;
	}
	return SS_OK;
}

/* Marshaled TPMT_PUBLIC without its unique field: equal for a template and
 * every key created from it. */
static void shape_of(const TPMT_PUBLIC *pub, ss_buf *out)
{
	TPM2B_PUBLIC copy = { .publicArea = *pub };

	memset(&copy.publicArea.unique, 0, sizeof copy.publicArea.unique);
	ss_tpm2b_public_marshal(&copy, out);
}

static bool same_shape(const TPMT_PUBLIC *a, const TPMT_PUBLIC *b)
{
	ss_buf x = SS_BUF_INIT, y = SS_BUF_INIT;
	bool eq;

	shape_of(a, &x);
	shape_of(b, &y);
	eq = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	ss_buf_free(&x);
	ss_buf_free(&y);
	return eq;
}

/* ---- what the TPM holds ---------------------------------------------------- */

typedef struct ek_cert {
	const ss_ek_template *tmpl;
	ss_buf der;
	EVP_PKEY *key;
} ek_cert;

typedef struct ek_obj {
	uint32_t handle;
	ESYS_TR tr;
	TPM2B_PUBLIC pub;
	TPM2B_NAME qname;
	EVP_PKEY *key;
} ek_obj;

#define MAX_OBJS 64

typedef struct ek_scan {
	ek_cert certs[NCERTS];
	size_t ncerts;
	ek_obj objs[MAX_OBJS];
	size_t nobjs;
} ek_scan;

static void scan_free(ek_scan *s)
{
	for (size_t i = 0; i < s->ncerts; i++) {
		ss_buf_free(&s->certs[i].der);
		EVP_PKEY_free(s->certs[i].key);
	}
	/* The objects' ESAPI handles stay: see ss_tpm_persistent. */
	for (size_t i = 0; i < s->nobjs; i++)
		EVP_PKEY_free(s->objs[i].key);
	memset(s, 0, sizeof *s);
}

/* Parse a certificate as stored in NV (TPMs may pad it) and keep its
 * exact DER encoding and its public key. */
static int parse_cert(uint32_t nv, const ss_buf *raw, ek_cert *c, ss_err *err)
{
	const unsigned char *p = raw->data;
	X509 *x = d2i_X509(NULL, &p, (long)raw->len);
	unsigned char *der = NULL;
	int n;

	if (!x) {
		ERR_clear_error();
		return ss_err_set(err, SS_ETPM, "EK certificate at NV 0x%08x: not an X.509 "
				  "certificate", nv);
	}
	c->key = X509_get_pubkey(x);
	n = i2d_X509(x, &der);
	X509_free(x);
	if (!c->key || n <= 0) {
		OPENSSL_free(der);
		return ss_err_ssl(err, "EK certificate at NV 0x%08x", nv);
	}
	ss_buf_add(&c->der, der, (size_t)n);
	OPENSSL_free(der);
	return SS_OK;
}

static int read_certs(ss_tpm *t, ek_scan *s, ss_err *err)
{
	uint32_t present[64];
	size_t n;
	int rc;

	if ((rc = ss_tpm_handles(t, CERT_NV_FIRST, CERT_NV_LAST, present, 64, &n, err)))
		return rc;
	for (size_t i = 0; i < NCERTS; i++) {
		const ss_ek_template *tmpl = ss_ek_template_by_nv(cert_indices[i]);
		ek_cert *c = &s->certs[s->ncerts];
		ss_buf raw = SS_BUF_INIT;
		bool here = false;

		for (size_t j = 0; j < n; j++)
			here = here || present[j] == cert_indices[i];
		if (!here || !tmpl)
			continue;
		c->tmpl = tmpl;
		s->ncerts++; /* from here on scan_free releases it */
		rc = ss_tpm_nv_read(t, tmpl->nv_index, &raw, err);
		if (!rc)
			rc = parse_cert(tmpl->nv_index, &raw, c, err);
		ss_buf_free(&raw);
		if (rc)
			return rc;
	}
	return SS_OK;
}

static bool is_storage_key(const TPMT_PUBLIC *p)
{
	TPMA_OBJECT a = p->objectAttributes;

	return (a & TPMA_OBJECT_RESTRICTED) && (a & TPMA_OBJECT_DECRYPT) &&
	       !(a & TPMA_OBJECT_SIGN_ENCRYPT);
}

/* Persistent restricted decryption keys: the only objects that can be EKs. */
static int read_objects(ss_tpm *t, ek_scan *s, ss_err *err)
{
	uint32_t handles[MAX_OBJS];
	size_t n;
	int rc;

	if ((rc = ss_tpm_handles(t, SS_TPM_PERSISTENT_FIRST, SS_TPM_PERSISTENT_LAST, handles,
				 MAX_OBJS, &n, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		ek_obj *o = &s->objs[s->nobjs];
		if ((rc = ss_tpm_persistent(t, handles[i], &o->tr, &o->pub, &o->qname, err)))
			return rc;
		o->handle = handles[i];
		s->nobjs++;
		if (!is_storage_key(&o->pub.publicArea) ||
		    ss_tpm_public_to_pkey(&o->pub.publicArea, &o->key, NULL) != SS_OK)
			o->key = NULL;
	}
	return SS_OK;
}

/* ---- choosing ------------------------------------------------------------- */

static void take_obj(ss_tpm_ek *ek, ek_obj *o)
{
	ek->handle = o->handle;
	ek->tr = o->tr;
	ek->pub = o->pub;
	ek->qname = o->qname;
}

static void take_cert(ss_tpm_ek *ek, ek_cert *c)
{
	ss_buf_reset(&ek->cert_der);
	ss_buf_add(&ek->cert_der, c->der.data, c->der.len);
	ek->nv_index = c->tmpl->nv_index;
}

static bool key_matches(EVP_PKEY *a, EVP_PKEY *b)
{
	return a && b && EVP_PKEY_eq(a, b) == 1;
}

static int create_primary(ss_tpm *t, const ss_ek_template *p, ESYS_TR *obj, TPM2B_PUBLIC *pub,
			  ss_err *err)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TPM2B_PUBLIC *out = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TSS2_RC trc;
	int rc;

	if ((rc = profile_template(p, &tmpl, err)))
		return rc;
	memset(&sens, 0, sizeof sens);
	memset(&outside, 0, sizeof outside);
	memset(&pcrs, 0, sizeof pcrs);
	trc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				 ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, obj, &out, &cdata,
				 &chash, &ticket);
	if (trc != TSS2_RC_SUCCESS) {
		*obj = ESYS_TR_NONE;
		return ss_tpm_err(err, trc, "create EK from template %s", p->name);
	}
	ss_tpm_track(t, *obj);
	*pub = *out;
	Esys_Free(out);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return SS_OK;
}

/* Persist a freshly created EK at its profile handle and describe it. */
static int persist_ek(ss_tpm *t, const ss_ek_template *p, ESYS_TR *transient, ss_tpm_ek *ek,
		      ss_err *err)
{
	uint32_t handle = usual_handle(p);
	ESYS_TR persistent;
	int rc;

	if ((rc = ss_tpm_persist(t, transient, handle, &persistent, err)))
		return ss_err_prefix(err, "persist EK (template %s)", p->name);
	if ((rc = ss_tpm_persistent(t, handle, &ek->tr, &ek->pub, &ek->qname, err)))
		return rc;
	ek->handle = handle;
	ek->created = true;
	return SS_OK;
}

/* The certificate's EK is not persistent: derive it from its template. */
static int create_for_cert(ss_tpm *t, ek_cert *c, bool create, ss_tpm_ek *ek, ss_err *err)
{
	const ss_ek_template *p = c->tmpl;
	ESYS_TR obj = ESYS_TR_NONE;
	TPM2B_PUBLIC pub;
	EVP_PKEY *key = NULL;
	int rc;

	if (!create)
		return ss_err_set(err, SS_ETPM, "the EK of the certificate at NV 0x%08x is not "
				  "persistent (enroll creates it)", p->nv_index);
	if ((rc = create_primary(t, p, &obj, &pub, err)))
		return rc;
	if ((rc = ss_tpm_public_to_pkey(&pub.publicArea, &key, err))) {
		ss_tpm_flush(t, &obj);
		return ss_err_prefix(err, "EK from template %s", p->name);
	}
	if (!key_matches(key, c->key)) {
		EVP_PKEY_free(key);
		ss_tpm_flush(t, &obj);
		return ss_err_set(err, SS_ETPM, "EK certificate at NV 0x%08x does not match the key "
				  "that template %s creates", p->nv_index, p->name);
	}
	EVP_PKEY_free(key);
	rc = persist_ek(t, p, &obj, ek, err);
	ss_tpm_flush(t, &obj);
	if (!rc)
		take_cert(ek, c);
	return rc;
}

static int check_eh_primary(const TPM2B_PUBLIC *pub, const TPM2B_NAME *qname, uint32_t handle,
			    ss_err *err)
{
	uint8_t name[SS_TPM_NAME_MAX], hier[4];
	size_t name_len;
	TPM2B_NAME want;
	int rc;

	put32(hier, TPM2_RH_ENDORSEMENT);
	if ((rc = ss_tpm_public_name(&pub->publicArea, name, &name_len, err)) ||
	    (rc = ss_tpm_qualified_name(pub->publicArea.nameAlg, hier, 4, name, name_len, &want,
					err)))
		return ss_err_prefix(err, "object at 0x%08x", handle);
	if (want.size != qname->size || memcmp(want.name, qname->name, want.size) != 0)
		return ss_err_set(err, SS_ETPM, "object at 0x%08x is not a primary key of the "
				  "endorsement hierarchy", handle);
	return SS_OK;
}

/* No certificate anywhere: the default EK (L-1) at its usual handle. */
static int default_ek(ss_tpm *t, ek_scan *s, bool create, ss_tpm_ek *ek, ss_err *err)
{
	const ss_ek_template *p = ss_ek_template_by_nv(0x01c00002); /* L-1 */
	uint32_t handle = usual_handle(p);
	TPM2B_PUBLIC tmpl, pub;
	ESYS_TR obj = ESYS_TR_NONE;
	int rc;

	if ((rc = profile_template(p, &tmpl, err)))
		return rc;
	for (size_t i = 0; i < s->nobjs; i++) {
		ek_obj *o = &s->objs[i];
		if (o->handle != handle)
			continue;
		if (!same_shape(&o->pub.publicArea, &tmpl.publicArea))
			return ss_err_set(err, SS_ETPM, "no EK certificate in the TPM, and 0x%08x "
					  "holds a key that is not the default EK (template %s); "
					  "it is never replaced", handle, p->name);
		if ((rc = check_eh_primary(&o->pub, &o->qname, o->handle, err)))
			return rc;
		take_obj(ek, o);
		return SS_OK;
	}
	if (!create)
		return ss_err_set(err, SS_ETPM, "no EK: no EK certificate in the TPM and no key at "
				  "0x%08x (enroll creates it)", handle);
	if ((rc = create_primary(t, p, &obj, &pub, err)))
		return rc;
	rc = persist_ek(t, p, &obj, ek, err);
	ss_tpm_flush(t, &obj);
	return rc;
}

static int select_default(ss_tpm *t, ek_scan *s, bool create, ss_tpm_ek *ek, ss_err *err)
{
	for (size_t i = 0; i < s->ncerts; i++)
		for (size_t j = 0; j < s->nobjs; j++)
			if (key_matches(s->certs[i].key, s->objs[j].key)) {
				take_obj(ek, &s->objs[j]);
				take_cert(ek, &s->certs[i]);
				return SS_OK;
			}
	if (s->ncerts)
		return create_for_cert(t, &s->certs[0], create, ek, err);
	return default_ek(t, s, create, ek, err);
}

static int select_given(ek_scan *s, uint32_t handle, ss_tpm_ek *ek, ss_err *err)
{
	ek_obj *o = NULL;
	int rc;

	for (size_t i = 0; i < s->nobjs; i++)
		if (s->objs[i].handle == handle)
			o = &s->objs[i];
	if (!o)
		return ss_err_set(err, SS_ETPM, "no EK at persistent handle 0x%08x", handle);
	if (!is_storage_key(&o->pub.publicArea))
		return ss_err_set(err, SS_ETPM, "object at 0x%08x is not an endorsement key (not a "
				  "restricted decryption key)", handle);
	if ((rc = check_eh_primary(&o->pub, &o->qname, handle, err)))
		return rc;
	for (size_t i = 0; i < s->ncerts; i++)
		if (key_matches(s->certs[i].key, o->key)) {
			take_cert(ek, &s->certs[i]);
			break;
		}
	take_obj(ek, o);
	return SS_OK;
}

int ss_tpm_ek_select(ss_tpm *t, uint32_t handle, bool create, ss_tpm_ek *ek, ss_err *err)
{
	ek_scan *s = ss_xcalloc(1, sizeof *s);
	int rc;

	memset(ek, 0, sizeof *ek);
	ek->tr = ESYS_TR_NONE;
	rc = read_certs(t, s, err);
	if (!rc)
		rc = read_objects(t, s, err);
	if (!rc)
		rc = handle ? select_given(s, handle, ek, err) : select_default(t, s, create, ek, err);
	scan_free(s);
	free(s);
	if (rc)
		ss_tpm_ek_free(ek);
	return rc;
}

void ss_tpm_ek_free(ss_tpm_ek *ek)
{
	ss_buf_free(&ek->cert_der);
	ek->nv_index = 0;
}

int ss_tpm_ek_cert_pem(const ss_tpm_ek *ek, ss_buf *pem, ss_err *err)
{
	const unsigned char *p = ek->cert_der.data;
	X509 *x = d2i_X509(NULL, &p, (long)ek->cert_der.len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	if (!x || !bio || PEM_write_bio_X509(bio, x) != 1) {
		X509_free(x);
		BIO_free(bio);
		return ss_err_ssl(err, "EK certificate as PEM");
	}
	n = BIO_get_mem_data(bio, &data);
	ss_buf_add(pem, data, (size_t)n);
	X509_free(x);
	BIO_free(bio);
	return SS_OK;
}

/* ---- using the EK --------------------------------------------------------- */

static int policy_secret(ss_tpm *t, ESYS_TR session, uint32_t ek_handle, ss_err *err)
{
	TPM2B_TIMEOUT *timeout = NULL;
	TPMT_TK_AUTH *ticket = NULL;
	TSS2_RC trc = Esys_PolicySecret(t->esys, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, &timeout,
					&ticket);

	Esys_Free(timeout);
	Esys_Free(ticket);
	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "authorize EK 0x%08x with the endorsement hierarchy",
				  ek_handle);
	return SS_OK;
}

static int policy_or(ss_tpm *t, ESYS_TR session, uint16_t name_alg, uint32_t ek_handle,
		     ss_err *err)
{
	TPML_DIGEST list;
	size_t len;
	TSS2_RC trc;
	int rc;

	memset(&list, 0, sizeof list);
	list.count = 2;
	if ((rc = ss_ek_policy_a(name_alg, list.digests[0].buffer, &len, err)) ||
	    (rc = policy_c_value(name_alg, list.digests[1].buffer, len, err)))
		return rc;
	list.digests[0].size = list.digests[1].size = (UINT16)len;
	trc = Esys_PolicyOR(t->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &list);
	if (trc != TSS2_RC_SUCCESS)
		return ss_tpm_err(err, trc, "authorize EK 0x%08x (PolicyOR)", ek_handle);
	return SS_OK;
}

int ss_tpm_ek_session(ss_tpm *t, const ss_tpm_ek *ek, ESYS_TR *session, ss_err *err)
{
	const TPMT_PUBLIC *p = &ek->pub.publicArea;
	const TPM2B_DIGEST *have = &p->authPolicy;
	uint8_t a[SS_MAX_DIGEST], b[SS_MAX_DIGEST];
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	size_t len;
	bool via_or;
	TSS2_RC trc;
	int rc;

	*session = ESYS_TR_NONE;
	if (p->objectAttributes & TPMA_OBJECT_USERWITHAUTH) {
		*session = ESYS_TR_PASSWORD; /* the profile's EK auth value is empty */
		return SS_OK;
	}
	if ((rc = ss_ek_policy_a(p->nameAlg, a, &len, err)) ||
	    (rc = ss_ek_policy_b(p->nameAlg, b, &len, err)))
		return ss_err_prefix(err, "EK 0x%08x", ek->handle);
	if (have->size == len && memcmp(have->buffer, a, len) == 0)
		via_or = false;
	else if (have->size == len && memcmp(have->buffer, b, len) == 0)
		via_or = true;
	else
		return ss_err_set(err, SS_ETPM, "EK 0x%08x: its authPolicy is neither PolicyA nor "
				  "PolicyB of the EK profile", ek->handle);
	trc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				    ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, p->nameAlg, session);
	if (trc != TSS2_RC_SUCCESS) {
		*session = ESYS_TR_NONE;
		return ss_tpm_err(err, trc, "start policy session for EK 0x%08x", ek->handle);
	}
	ss_tpm_track(t, *session);
	rc = policy_secret(t, *session, ek->handle, err);
	if (!rc && via_or)
		rc = policy_or(t, *session, p->nameAlg, ek->handle, err);
	if (rc)
		ss_tpm_flush(t, session);
	return rc;
}
