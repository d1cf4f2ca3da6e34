#include "ss/quote_check.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "ss/explain.h"
#include "ss/json.h"
#include "ss/quote.h"
#include "ss/secret.h"
#include "ss/tpm_public.h"

/* The digests, fetched once per process: EVP_Digest with EVP_sha256()
 * would look the implementation up again on every call. */
static const EVP_MD *fetched[4];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
	static const char *const names[] = { "SHA1", "SHA256", "SHA384", "SHA512" };

	for (int i = 0; i < 4; i++)
		fetched[i] = EVP_MD_fetch(NULL, names[i], NULL);
}

static const EVP_MD *digest_for(uint16_t tpm_alg)
{
	pthread_once(&fetch_once, fetch_digests);
	switch (tpm_alg) {
	case TPM2_ALG_SHA1: return fetched[0];
	case TPM2_ALG_SHA256: return fetched[1];
	case TPM2_ALG_SHA384: return fetched[2];
	case TPM2_ALG_SHA512: return fetched[3];
	default: return NULL;
	}
}

/* A verify context for (key, scheme, hash), or NULL. */
static EVP_PKEY_CTX *verify_ctx(EVP_PKEY *pkey, uint16_t scheme, uint16_t hash)
{
	const EVP_MD *md = digest_for(hash);
	EVP_PKEY_CTX *ctx = md ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;

	if (!ctx || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1 ||
	    (scheme == TPM2_ALG_RSASSA && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
	    (scheme == TPM2_ALG_RSAPSS &&
	     (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) != 1))) {
		EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

static void pinned_scheme(const TPMT_PUBLIC *ak, uint16_t *scheme, uint16_t *hash);

int ss_ak_key_init(ss_ak_key *k, const TPMT_PUBLIC *pub, ss_err *err)
{
	uint16_t scheme, hash;
	int rc;

	k->pub = *pub;
	k->vctx = NULL;
	if ((rc = ss_tpm_public_to_pkey(pub, &k->pkey, err)))
		return rc;
	pinned_scheme(pub, &scheme, &hash);
	if (scheme != TPM2_ALG_NULL)
		k->vctx = verify_ctx(k->pkey, scheme, hash); /* NULL: made per quote */
	return SS_OK;
}

void ss_ak_key_free(ss_ak_key *k)
{
	EVP_PKEY_CTX_free(k->vctx);
	EVP_PKEY_free(k->pkey);
	k->vctx = NULL;
	k->pkey = NULL;
}

static int refuse(ss_quote_verdict *v, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(ss_quote_verdict *v, const char *reason, const char *fmt, ...)
{
	va_list ap;

	v->reason = reason;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof v->detail, fmt, ap);
	va_end(ap);
	return SS_REFUSED;
}

/* The scheme a restricted signing key pins: (sigAlg, hash); NULL scheme
 * leaves the choice to the caller of TPM2_Quote. */
static void pinned_scheme(const TPMT_PUBLIC *ak, uint16_t *scheme, uint16_t *hash)
{
	if (ak->type == TPM2_ALG_ECC) {
		*scheme = ak->parameters.eccDetail.scheme.scheme;
		*hash = ak->parameters.eccDetail.scheme.details.anySig.hashAlg;
	} else {
		*scheme = ak->parameters.rsaDetail.scheme.scheme;
		*hash = ak->parameters.rsaDetail.scheme.details.anySig.hashAlg;
	}
}

static uint16_t sig_hash(const TPMT_SIGNATURE *s)
{
	switch (s->sigAlg) {
	case TPM2_ALG_ECDSA: return s->signature.ecdsa.hash;
	case TPM2_ALG_RSASSA: return s->signature.rsassa.hash;
	case TPM2_ALG_RSAPSS: return s->signature.rsapss.hash;
	default: return TPM2_ALG_NULL;
	}
}

static bool scheme_fits_key(const TPMT_PUBLIC *ak, uint16_t sig_alg)
{
	if (ak->type == TPM2_ALG_ECC)
		return sig_alg == TPM2_ALG_ECDSA;
	if (ak->type == TPM2_ALG_RSA)
		return sig_alg == TPM2_ALG_RSASSA || sig_alg == TPM2_ALG_RSAPSS;
	return false;
}

/* 1: valid, 0: invalid, <0: could not check (error set). */
static int check_signature(const ss_ak_key *ak, const TPMT_SIGNATURE *s, const uint8_t *msg,
			   size_t msglen, ss_err *err)
{
	const EVP_MD *md = digest_for(sig_hash(s));
	unsigned char digest[EVP_MAX_MD_SIZE], *der = NULL;
	const unsigned char *sigp;
	unsigned int dlen = 0;
	size_t siglen;
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *ecsig = NULL;
	uint16_t scheme, hash;
	int ok = -1, derlen;

	if (!md)
		return 0;
	if (EVP_Digest(msg, msglen, digest, &dlen, md, NULL) != 1) {
		ss_err_ssl(err, "digest the quote");
		return -1;
	}
	if (s->sigAlg == TPM2_ALG_ECDSA) {
		const TPMS_SIGNATURE_ECDSA *e = &s->signature.ecdsa;
		BIGNUM *r, *sv;
		if (!e->signatureR.size || !e->signatureS.size)
			return 0;
		r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
		sv = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
		ecsig = ECDSA_SIG_new();
		if (!r || !sv || !ecsig || ECDSA_SIG_set0(ecsig, r, sv) != 1)
			ss_oom();
		derlen = i2d_ECDSA_SIG(ecsig, &der);
		if (derlen <= 0) {
			ss_err_ssl(err, "encode ECDSA signature");
			goto out;
		}
		sigp = der;
		siglen = (size_t)derlen;
	} else {
		sigp = s->sigAlg == TPM2_ALG_RSASSA ? s->signature.rsassa.sig.buffer
						    : s->signature.rsapss.sig.buffer;
		siglen = s->sigAlg == TPM2_ALG_RSASSA ? s->signature.rsassa.sig.size
						      : s->signature.rsapss.sig.size;
	}
	/* The prepared context when the signature uses the AK's own scheme
	 * (the caller has checked it does when the AK pins one). */
	pinned_scheme(&ak->pub, &scheme, &hash);
	if (ak->vctx && s->sigAlg == scheme && sig_hash(s) == hash)
		ok = EVP_PKEY_verify(ak->vctx, sigp, siglen, digest, dlen) == 1;
	else if ((ctx = verify_ctx(ak->pkey, s->sigAlg, sig_hash(s))))
		ok = EVP_PKEY_verify(ctx, sigp, siglen, digest, dlen) == 1;
	else
		ss_err_set(err, SS_ECRYPTO, "prepare signature check");
	ERR_clear_error();
out:
	EVP_PKEY_CTX_free(ctx);
	ECDSA_SIG_free(ecsig);
	OPENSSL_free(der);
	return ok;
}

/* The single bank and bitmap a TPML_PCR_SELECTION selects, or false when it
 * is not exactly one bank with PCRs 0-23 only. */
static bool one_bank(const TPML_PCR_SELECTION *l, uint16_t *hash, uint32_t *mask)
{
	const TPMS_PCR_SELECTION *s;

	if (l->count != 1)
		return false;
	s = &l->pcrSelections[0];
	if (s->sizeofSelect < 3 || s->sizeofSelect > sizeof s->pcrSelect)
		return false;
	for (unsigned i = 3; i < s->sizeofSelect; i++)
		if (s->pcrSelect[i])
			return false;
	*hash = s->hash;
	*mask = (uint32_t)s->pcrSelect[0] | (uint32_t)s->pcrSelect[1] << 8 |
		(uint32_t)s->pcrSelect[2] << 16;
	return *mask != 0;
}

static void format_sel(uint16_t hash, uint32_t mask, char *out, size_t outlen)
{
	const ss_hashalg *h = ss_hash_by_alg(hash);
	ss_pcrsel sel = { h, mask };

	if (h)
		ss_pcrsel_format(&sel, out, outlen);
	else
		snprintf(out, outlen, "bank 0x%04x", hash);
}

/* ---- what each check compared, for explain (e->trace) --------------------- */

static const char *hash_name(uint16_t alg)
{
	const ss_hashalg *h = ss_hash_by_alg(alg);

	return h ? h->name : "(unknown)";
}

static void add_u32hex(cJSON *c, const char *name, uint32_t v, int digits)
{
	char s[16];

	snprintf(s, sizeof s, "0x%0*x", digits, v);
	ss_json_add_string(c, name, s);
}

static void add_allowed(cJSON *c, unsigned allowed)
{
	static const uint16_t algs[] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384,
					 TPM2_ALG_SHA512 };
	cJSON *list = cJSON_CreateArray();

	if (!list)
		ss_oom();
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (ss_hash_bit(algs[i]) & allowed &&
		    !cJSON_AddItemToArray(list, cJSON_CreateString(hash_name(algs[i]))))
			ss_oom();
	ss_json_add_item(c, "allowed", list);
}

/* Each trace_* records one check as it ran: passed is the outcome the
 * check itself computed, never worked out again here.  Nothing is built
 * when the caller keeps no trace (batch verdicts). */
static void trace_attributes(const ss_quote_expect *e, const TPMT_PUBLIC *ak, bool passed)
{
	const char *names[SS_TPM_ATTRIBUTES_MAX];
	size_t n;
	cJSON *c = ss_trace_check(e->trace, SS_R_AK_ATTRIBUTES, passed);
	cJSON *list;

	if (!c)
		return;
	n = ss_tpm_attribute_names(ak->objectAttributes, names);
	if (!(list = cJSON_CreateArray()))
		ss_oom();
	for (size_t i = 0; i < n; i++)
		if (!cJSON_AddItemToArray(list, cJSON_CreateString(names[i])))
			ss_oom();
	ss_json_add_item(c, "attributes", list);
	ss_json_add_string(c, "required", "fixedtpm fixedparent sensitivedataorigin restricted sign, "
			   "not decrypt");
}

static void trace_magic(const ss_quote_expect *e, const TPMS_ATTEST *a, bool passed)
{
	cJSON *c = ss_trace_check(e->trace, SS_R_BAD_MAGIC, passed);

	if (c) {
		add_u32hex(c, "magic", a->magic, 8);
		add_u32hex(c, "expected", TPM2_GENERATED_VALUE, 8);
	}
}

static void trace_type(const ss_quote_expect *e, const TPMS_ATTEST *a, bool passed)
{
	cJSON *c = ss_trace_check(e->trace, SS_R_WRONG_TYPE, passed);

	if (c) {
		add_u32hex(c, "type", a->type, 4);
		add_u32hex(c, "expected", TPM2_ST_ATTEST_QUOTE, 4);
	}
}

/* The signature's scheme and hash beside the AK's. */
static void add_scheme(cJSON *c, const TPMT_SIGNATURE *s, uint16_t scheme, uint16_t hash)
{
	add_u32hex(c, "signature_scheme", s->sigAlg, 4);
	ss_json_add_string(c, "signature_hash", hash_name(sig_hash(s)));
	add_u32hex(c, "ak_scheme", scheme, 4);
	if (scheme == TPM2_ALG_NULL)
		ss_json_add_null(c, "ak_hash");
	else
		ss_json_add_string(c, "ak_hash", hash_name(hash));
}

/* verified: 1 yes, 0 no, -1 not checked (the scheme did not fit). */
static void trace_signature(const ss_quote_expect *e, const TPMT_SIGNATURE *s, uint16_t scheme,
			    uint16_t hash, int verified)
{
	cJSON *c = ss_trace_check(e->trace, SS_R_SIGNATURE, verified == 1);

	if (!c)
		return;
	add_scheme(c, s, scheme, hash);
	if (verified < 0)
		ss_json_add_null(c, "verified");
	else
		ss_json_add_bool(c, "verified", verified == 1);
}

/* bank: the quoted bank once the signature vouches for it, else 0. */
static void trace_hashes(const ss_quote_expect *e, uint16_t shash, uint16_t bank, bool passed)
{
	cJSON *c = ss_trace_check(e->trace, SS_R_HASH, passed);

	if (!c)
		return;
	ss_json_add_string(c, "signature_hash", hash_name(shash));
	if (bank)
		ss_json_add_string(c, "pcr_bank", hash_name(bank));
	else
		ss_json_add_null(c, "pcr_bank");
	add_allowed(c, e->allowed_hashes);
}

static void trace_binding(const ss_quote_expect *e, const TPMS_ATTEST *a, bool passed)
{
	cJSON *c = ss_trace_check(e->trace, SS_R_BINDING, passed);

	if (c) {
		ss_json_add_hex(c, "quoted", a->extraData.buffer, a->extraData.size);
		ss_json_add_hex(c, "expected", e->extra, e->extra_len);
	}
}

/* ob: the quote selects exactly one bank (bank, mask). */
static void trace_selection(const ss_quote_expect *e, bool ob, uint16_t bank, uint32_t mask,
			    bool passed)
{
	cJSON *c = ss_trace_check(e->trace, SS_R_SELECTION, passed);
	char s[96];

	if (!c)
		return;
	if (ob) {
		format_sel(bank, mask, s, sizeof s);
		ss_json_add_string(c, "quoted", s);
	} else
		ss_json_add_string(c, "quoted", "(not exactly one bank)");
	if (e->selection) {
		format_sel(e->selection->hash->tpm_alg, e->selection->mask, s, sizeof s);
		ss_json_add_string(c, "challenged", s);
	} else
		ss_json_add_null(c, "challenged");
	if (e->values_sel) {
		format_sel(e->values_sel->hash->tpm_alg, e->values_sel->mask, s, sizeof s);
		ss_json_add_string(c, "values_for", s);
	} else
		ss_json_add_null(c, "values_for");
}

static void trace_digest(const ss_quote_expect *e, const TPM2B_DIGEST *quoted,
			 const uint8_t *computed, size_t len, bool passed)
{
	cJSON *c = ss_trace_check(e->trace, SS_R_DIGEST, passed);

	if (c) {
		ss_json_add_hex(c, "quoted", quoted->buffer, quoted->size);
		ss_json_add_hex(c, "computed", computed, len);
	}
}

int ss_quote_verify_key(const uint8_t *attest_bytes, size_t attest_len, const ss_quote_blobs *q,
			const ss_ak_key *ak, const ss_quote_expect *e, ss_quote_verdict *v,
			ss_err *err)
{
	const TPMS_ATTEST *a = &q->attest;
	const TPMS_QUOTE_INFO *qi = &a->attested.quote;
	uint16_t scheme, scheme_hash, shash, bank = 0;
	uint32_t mask = 0;
	const char *why;
	char want[96], got[96];
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t dlen = 0;
	bool ok, ob;
	int rc;

	v->reason = NULL;
	v->detail[0] = 0;
	v->signature_ok = false;
	ok = ss_tpm_public_is_ak(&ak->pub, &why);
	trace_attributes(e, &ak->pub, ok);
	if (!ok)
		return refuse(v, SS_R_AK_ATTRIBUTES, "AK attributes: %s", why);
	ok = a->magic == TPM2_GENERATED_VALUE;
	trace_magic(e, a, ok);
	if (!ok)
		return refuse(v, SS_R_BAD_MAGIC, "magic 0x%08x is not TPM_GENERATED", a->magic);
	ok = a->type == TPM2_ST_ATTEST_QUOTE;
	trace_type(e, a, ok);
	if (!ok)
		return refuse(v, SS_R_WRONG_TYPE, "attestation type 0x%04x is not a quote", a->type);

	pinned_scheme(&ak->pub, &scheme, &scheme_hash);
	shash = sig_hash(&q->sig);
	if (scheme != TPM2_ALG_NULL && (q->sig.sigAlg != scheme || shash != scheme_hash)) {
		trace_signature(e, &q->sig, scheme, scheme_hash, -1);
		return refuse(v, SS_R_SIGNATURE,
			      "signature scheme 0x%04x/0x%04x is not the AK's 0x%04x/0x%04x",
			      q->sig.sigAlg, shash, scheme, scheme_hash);
	}
	if (scheme == TPM2_ALG_NULL && !scheme_fits_key(&ak->pub, q->sig.sigAlg)) {
		trace_signature(e, &q->sig, scheme, scheme_hash, -1);
		return refuse(v, SS_R_SIGNATURE, "signature scheme 0x%04x does not fit the AK",
			      q->sig.sigAlg);
	}
	if (!(ss_hash_bit(shash) & e->allowed_hashes)) {
		trace_hashes(e, shash, 0, false);
		return refuse(v, SS_R_HASH, "signature hash %s is not allowed", hash_name(shash));
	}
	rc = check_signature(ak, &q->sig, attest_bytes, attest_len, err);
	if (rc < 0)
		return err ? err->code : SS_ECRYPTO;
	trace_signature(e, &q->sig, scheme, scheme_hash, rc);
	if (rc == 0)
		return refuse(v, SS_R_SIGNATURE, "the quote's signature does not verify with the AK");
	v->signature_ok = true;
	/* The bank is judged only once the signature vouches for it. */
	ob = one_bank(&qi->pcrSelect, &bank, &mask);
	ok = !ob || (ss_hash_bit(bank) & e->allowed_hashes);
	trace_hashes(e, shash, ob ? bank : 0, ok);
	if (!ok)
		return refuse(v, SS_R_HASH, "PCR bank %s is not allowed", hash_name(bank));

	ok = a->extraData.size == e->extra_len &&
	     ss_ct_equal(a->extraData.buffer, e->extra, e->extra_len);
	trace_binding(e, a, ok);
	if (!ok)
		return refuse(v, SS_R_BINDING, "qualifying data is not the expected binding");

	ok = ob && (!e->selection ||
		    (bank == e->selection->hash->tpm_alg && mask == e->selection->mask)) &&
	     (!e->values || (e->values_sel->hash->tpm_alg == bank && e->values_sel->mask == mask));
	trace_selection(e, ob, bank, mask, ok);
	if (!ob)
		return refuse(v, SS_R_SELECTION, "the quote does not select exactly one PCR bank");
	format_sel(bank, mask, got, sizeof got);
	if (e->selection) {
		format_sel(e->selection->hash->tpm_alg, e->selection->mask, want, sizeof want);
		if (bank != e->selection->hash->tpm_alg || mask != e->selection->mask)
			return refuse(v, SS_R_SELECTION, "quoted %s, challenged %s", got, want);
	}
	if (!e->values)
		return SS_OK; /* no PCR values to check (verify-quote without --pcrs) */
	if (e->values_sel->hash->tpm_alg != bank || e->values_sel->mask != mask) {
		format_sel(e->values_sel->hash->tpm_alg, e->values_sel->mask, want, sizeof want);
		return refuse(v, SS_R_SELECTION, "PCR values given for %s, quoted %s", want, got);
	}
	if ((rc = ss_pcr_digest(e->values_sel, e->values, shash, digest, &dlen, err)))
		return rc;
	ok = qi->pcrDigest.size == dlen && ss_ct_equal(qi->pcrDigest.buffer, digest, dlen);
	trace_digest(e, &qi->pcrDigest, digest, dlen, ok);
	if (!ok)
		return refuse(v, SS_R_DIGEST, "the PCR values do not hash to the quoted digest");
	return SS_OK;
}

int ss_quote_verify(const uint8_t *attest_bytes, size_t attest_len, const ss_quote_blobs *q,
		    const ss_quote_expect *e, ss_quote_verdict *v, ss_err *err)
{
	ss_ak_key k;
	int rc;

	if ((rc = ss_ak_key_init(&k, e->ak, err)))
		return rc;
	rc = ss_quote_verify_key(attest_bytes, attest_len, q, &k, e, v, err);
	ss_ak_key_free(&k);
	return rc;
}
