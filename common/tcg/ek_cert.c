#include "ss/ek_cert.h"

#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ss/crypto.h"
#include "ss/key_codec.h"

/* TCG attribute OIDs in the SubjectAltName directoryName. */
#define OID_TPM_MANUFACTURER "2.23.133.2.1"
#define OID_TPM_MODEL "2.23.133.2.2"
#define OID_TPM_VERSION "2.23.133.2.3"
/* tcg-kp-EKCertificate, the extended key usage of an EK certificate. */
#define OID_TCG_KP_EK_CERTIFICATE "2.23.133.8.1"

/* Certificate text is attacker-influenced: keep printable ASCII only, so it
 * is safe in messages, JSON and logs. */
static void printable(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[i] = 0;
}

static void read_issuer(X509 *x, char *out, size_t outlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	out[0] = 0;
	if (!bio)
		ss_oom();
	if (X509_NAME_print_ex(bio, X509_get_issuer_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &p);
		printable((const unsigned char *)p, (size_t)(n > 0 ? n : 0), out, outlen);
	}
	BIO_free(bio);
	ERR_clear_error();
}

static void copy_attr(X509_NAME_ENTRY *e, char *out, size_t outlen)
{
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);

	printable(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), out, outlen);
}

/* tpmManufacturer, tpmModel and tpmVersion from every directoryName in the
 * SubjectAltName (the first occurrence of each wins). */
static void read_tpm_attributes(ss_ekcert *c)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(c->x509, NID_subject_alt_name, NULL, NULL);
	ASN1_OBJECT *manufacturer = OBJ_txt2obj(OID_TPM_MANUFACTURER, 1);
	ASN1_OBJECT *model = OBJ_txt2obj(OID_TPM_MODEL, 1);
	ASN1_OBJECT *version = OBJ_txt2obj(OID_TPM_VERSION, 1);

	if (!manufacturer || !model || !version)
		ss_oom();
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type != GEN_DIRNAME)
			continue;
		for (int j = 0; j < X509_NAME_entry_count(g->d.directoryName); j++) {
			X509_NAME_ENTRY *e = X509_NAME_get_entry(g->d.directoryName, j);
			const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);

			if (!OBJ_cmp(o, manufacturer) && !c->tpm_manufacturer[0])
				copy_attr(e, c->tpm_manufacturer, sizeof c->tpm_manufacturer);
			else if (!OBJ_cmp(o, model) && !c->tpm_model[0])
				copy_attr(e, c->tpm_model, sizeof c->tpm_model);
			else if (!OBJ_cmp(o, version) && !c->tpm_version[0])
				copy_attr(e, c->tpm_version, sizeof c->tpm_version);
		}
	}
	GENERAL_NAMES_free(names);
	ASN1_OBJECT_free(manufacturer);
	ASN1_OBJECT_free(model);
	ASN1_OBJECT_free(version);
	ERR_clear_error();
}

/* The simulator rule of ss/ek_cert.h; NULL when none of it applies. */
static const char *simulator_reason(const ss_ekcert *c)
{
	static const char *const sim_models[] = { "swtpm", "simulator", "emulator" };

	if (!c->tpm_manufacturer[0] || !c->tpm_model[0])
		return "the certificate names no TPM manufacturer or model";
	if (strcasecmp(c->tpm_manufacturer, "id:00001014") == 0)
		return "TPM manufacturer id:00001014 is swtpm's";
	if (strcasecmp(c->tpm_manufacturer, "id:49424D00") == 0)
		return "TPM manufacturer id:49424D00 is the reference code's";
	for (size_t i = 0; i < sizeof sim_models / sizeof sim_models[0]; i++)
		if (strcasestr(c->tpm_model, sim_models[i]))
			return "TPM model names a software TPM";
	if (strcasestr(c->issuer, "swtpm"))
		return "issuer is swtpm's CA";
	return NULL;
}

int ss_ekcert_parse(const char *pem, size_t len, ss_ekcert *out, ss_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *extra = NULL;
	unsigned char *der = NULL;
	int derlen, rc;

	memset(out, 0, sizeof *out);
	if (!bio)
		ss_oom();
	out->x509 = PEM_read_bio_X509(bio, NULL, ss_pem_no_passphrase, NULL);
	if (out->x509)
		extra = PEM_read_bio_X509(bio, NULL, ss_pem_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (!out->x509)
		return ss_err_set(err, SS_EINPUT, "EK certificate: not a PEM certificate");
	if (extra) {
		X509_free(extra);
		ss_ekcert_free(out);
		return ss_err_set(err, SS_EINPUT, "EK certificate: more than one certificate");
	}
	derlen = i2d_X509(out->x509, &der);
	if (derlen <= 0) {
		ss_ekcert_free(out);
		return ss_err_ssl(err, "encode certificate");
	}
	rc = ss_sha256(der, (size_t)derlen, out->der_sha256, err);
	OPENSSL_free(der);
	if (rc) {
		ss_ekcert_free(out);
		return rc;
	}
	read_issuer(out->x509, out->issuer, sizeof out->issuer);
	read_tpm_attributes(out);
	out->simulator_why = simulator_reason(out);
	out->simulator = out->simulator_why != NULL;
	return SS_OK;
}

void ss_ekcert_free(ss_ekcert *c)
{
	X509_free(c->x509);
	memset(c, 0, sizeof *c);
}

static int load_bundle(X509_STORE *store, const char *pem, size_t len, ss_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509_INFO) *infos;
	int added = 0;

	if (!bio)
		ss_oom();
	infos = PEM_X509_INFO_read_bio(bio, NULL, ss_pem_no_passphrase, NULL);
	BIO_free(bio);
	if (!infos) {
		ERR_clear_error();
		return ss_err_set(err, SS_EINPUT, "CA bundle: unreadable PEM");
	}
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *info = sk_X509_INFO_value(infos, i);

		if (!info->x509)
			continue;
		if (X509_STORE_add_cert(store, info->x509) != 1) {
			sk_X509_INFO_pop_free(infos, X509_INFO_free);
			return ss_err_ssl(err, "CA bundle: add certificate");
		}
		added++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (!added)
		return ss_err_set(err, SS_EINPUT, "CA bundle: no certificate in it");
	return SS_OK;
}

int ss_ekcert_verify_chain(const ss_ekcert *c, const char *bundle_pem, size_t bundle_len,
			   int64_t now, ss_err *err)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc;

	if (!store || !ctx)
		ss_oom();
	ss_crypto_x509_digests();
	if ((rc = load_bundle(store, bundle_pem, bundle_len, err)))
		goto out;
	/* Every bundle member is in the trust store, but without PARTIAL_CHAIN
	 * OpenSSL still requires the chain to end at a self-signed root:
	 * intermediates only help build it. */
	if (X509_STORE_CTX_init(ctx, store, c->x509, NULL) != 1) {
		rc = ss_err_ssl(err, "EK certificate: set up verification");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		rc = ss_err_set(err, SS_REFUSED, "EK certificate: not issued by a CA in the bundle: %s",
				X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		ERR_clear_error();
		goto out;
	}
	if (X509_check_ca(c->x509) != 0) {
		rc = ss_err_set(err, SS_REFUSED, "EK certificate: a CA certificate, not an EK's");
		goto out;
	}
	rc = SS_OK;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* The extended key usage tcg-kp-EKCertificate. */
static bool has_ek_usage(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	ASN1_OBJECT *want = OBJ_txt2obj(OID_TCG_KP_EK_CERTIFICATE, 1);
	bool found = false;

	if (!want)
		ss_oom();
	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku) && !found; i++)
		found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_OBJECT_free(want);
	ERR_clear_error();
	return found;
}

int ss_ekcert_check_profile(const ss_ekcert *c, ss_err *err)
{
	EVP_PKEY *key = ss_ekcert_key(c);
	uint32_t flags = X509_get_extension_flags(c->x509);
	uint32_t usage = X509_get_key_usage(c->x509);
	bool rsa = key && EVP_PKEY_is_a(key, "RSA");
	const char *alg = rsa ? "rsa" : "ecc";
	const char *need = rsa ? "keyEncipherment" : "keyAgreement";

	if (!has_ek_usage(c->x509))
		return ss_err_set(err, SS_REFUSED, "EK certificate: no extended key usage "
				  "tcg-kp-EKCertificate (" OID_TCG_KP_EK_CERTIFICATE ")");
	if (!(flags & EXFLAG_BCONS))
		return ss_err_set(err, SS_REFUSED, "EK certificate: no basic constraints: an EK "
				  "certificate says CA:FALSE");
	if (flags & EXFLAG_CA)
		return ss_err_set(err, SS_REFUSED, "EK certificate: a CA certificate, not an EK's");
	if (!c->tpm_manufacturer[0] || !c->tpm_model[0] || !c->tpm_version[0])
		return ss_err_set(err, SS_REFUSED, "EK certificate: the subject alternative name "
				  "does not name the TPM's manufacturer, model and version");
	if (!key || (!rsa && !EVP_PKEY_is_a(key, "EC")))
		return ss_err_set(err, SS_REFUSED, "EK certificate: certifies neither an RSA nor an "
				  "ECC key");
	/* An RSA EK decrypts (keyEncipherment), an ECC EK agrees on keys
	 * (keyAgreement): neither signs. */
	if (usage == UINT32_MAX)
		return ss_err_set(err, SS_REFUSED, "EK certificate: no key usage: an %s EK needs %s",
				  alg, need);
	if (!(usage & (rsa ? KU_KEY_ENCIPHERMENT : KU_KEY_AGREEMENT)))
		return ss_err_set(err, SS_REFUSED, "EK certificate: the key usage lacks %s, which an "
				  "%s EK needs", need, alg);
	return SS_OK;
}

EVP_PKEY *ss_ekcert_key(const ss_ekcert *c)
{
	return X509_get0_pubkey(c->x509);
}

int ss_ekcert_check_key(const ss_ekcert *c, EVP_PKEY *key, ss_err *err)
{
	EVP_PKEY *certified = ss_ekcert_key(c);

	if (!certified || EVP_PKEY_eq(certified, key) != 1) {
		ERR_clear_error();
		return ss_err_set(err, SS_REFUSED, "EK certificate: certifies another key than the identity's EK");
	}
	return SS_OK;
}
