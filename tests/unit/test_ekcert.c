/* EK certificate chains signed with each digest a CA may use verify in a
 * process started the way the tools start (ss_crypto_init leaves OpenSSL's
 * legacy digest table empty; the chain check fills it). */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ss/crypto.h"
#include "ss/ek_cert.h"
#include "unit.h"

static void add_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static X509 *make_cert(EVP_PKEY *subject_key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const EVP_MD *md, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, subject_key);
	add_ext(x, NID_basic_constraints, issuer ? "critical,CA:FALSE" : "critical,CA:TRUE");
	if (!issuer)
		add_ext(x, NID_key_usage, "critical,keyCertSign");
	X509_sign(x, issuer_key, md);
	X509_NAME_free(name);
	return x;
}

static void pem_of(X509 *x, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	snprintf(out, cap, "%.*s", (int)n, p);
	BIO_free(b);
}

/* Each digest is fetched by its provider name to sign, and looked up in
 * the legacy table to verify.  (OpenSSL 3.0 knows no OID for ECDSA with
 * SHA-3, so SHA-3 is tried with RSA.) */
TEST(chain_verifies_with_each_signature_digest)
{
	static const struct {
		bool rsa;
		const char *md;
	} cases[] = {
		{ false, "SHA1" },   { false, "SHA224" }, { false, "SHA256" },   { false, "SHA384" },
		{ false, "SHA512" }, { true, "SHA256" },  { true, "SHA3-256" }, { true, "SHA384" },
	};
	EVP_PKEY *ec_ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *rsa_ca = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ek = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	CHECK(ec_ca && rsa_ca && ek);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		EVP_PKEY *ca_key = cases[i].rsa ? rsa_ca : ec_ca;
		EVP_MD *md = EVP_MD_fetch(NULL, cases[i].md, NULL);
		X509 *ca = make_cert(ca_key, "ss test CA", NULL, ca_key, md, 1);
		X509 *leaf = make_cert(ek, "ss test EK", ca, ca_key, md, 2);
		static char ca_pem[8192], leaf_pem[8192];
		ss_ekcert c;
		ss_err err = { 0 };
		int rc;

		pem_of(ca, ca_pem, sizeof ca_pem);
		pem_of(leaf, leaf_pem, sizeof leaf_pem);
		CHECK(ss_ekcert_parse(leaf_pem, strlen(leaf_pem), &c, &err) == SS_OK);
		rc = ss_ekcert_verify_chain(&c, ca_pem, strlen(ca_pem), (int64_t)time(NULL), &err);
		if (rc != SS_OK)
			printf("#   %s with %s: %s\n", cases[i].rsa ? "RSA" : "ECDSA", cases[i].md, err.msg);
		CHECK(rc == SS_OK);
		ss_ekcert_free(&c);
		X509_free(leaf);
		X509_free(ca);
		EVP_MD_free(md);
	}
	EVP_PKEY_free(ek);
	EVP_PKEY_free(rsa_ca);
	EVP_PKEY_free(ec_ca);
}

int main(void)
{
	ss_crypto_init();
	RUN(chain_verifies_with_each_signature_digest);
	return unit_done();
}
