/* The key codec's direct paths give exactly OpenSSL's bytes and keys. */
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ss/key_codec.h"
#include "unit.h"

static EVP_PKEY *gen(const char *type)
{
	if (strcmp(type, "P-256") == 0 || strcmp(type, "P-384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

static void check_type(const char *type)
{
	EVP_PKEY *k = gen(type), *back = NULL, *pback = NULL;
	ss_buf ours = SS_BUF_INIT, theirs = SS_BUF_INIT, pem = SS_BUF_INIT;
	ss_secret p8 = SS_SECRET_INIT;
	ss_err err = { 0 };
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	CHECK(ss_spki_der(k, &ours, &err) == SS_OK);
	CHECK(ss_spki_der_generic(k, &theirs, &err) == SS_OK);
	CHECK(ours.len == theirs.len && memcmp(ours.data, theirs.data, ours.len) == 0);

	CHECK(ss_spki_pem(k, &pem, &err) == SS_OK);
	PEM_write_bio_PUBKEY(bio, k);
	n = BIO_get_mem_data(bio, &p);
	CHECK((size_t)n == pem.len && memcmp(p, pem.data, pem.len) == 0);
	CHECK(ss_spki_from_pem((const char *)pem.data, pem.len, &back, &err) == SS_OK);
	CHECK(back && EVP_PKEY_eq(k, back) == 1);

	BIO_reset(bio);
	CHECK(ss_pkcs8_pem(k, &p8, &err) == SS_OK);
	PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &p);
	CHECK((size_t)n == p8.len && memcmp(p, p8.p, p8.len) == 0);
	CHECK(ss_pkcs8_from_pem(p8.p, p8.len, &pback, &err) == SS_OK);
	CHECK(pback && EVP_PKEY_eq(k, pback) == 1);
	if (pback && strcmp(type, "X25519") != 0) {
		/* The private half works: a signature verifies under the original. */
		EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
		const EVP_MD *md = strcmp(type, "ED25519") == 0 ? NULL : EVP_sha256();
		unsigned char sig[256];
		size_t sl = sizeof sig;
		CHECK(EVP_DigestSignInit(s, NULL, md, NULL, pback) == 1);
		CHECK(EVP_DigestSign(s, sig, &sl, (const unsigned char *)"m", 1) == 1);
		CHECK(EVP_DigestVerifyInit(v, NULL, md, NULL, k) == 1);
		CHECK(EVP_DigestVerify(v, sig, sl, (const unsigned char *)"m", 1) == 1);
		EVP_MD_CTX_free(s);
		EVP_MD_CTX_free(v);
	}
	BIO_free(bio);
	EVP_PKEY_free(k);
	EVP_PKEY_free(back);
	EVP_PKEY_free(pback);
	ss_buf_free(&ours);
	ss_buf_free(&theirs);
	ss_buf_free(&pem);
	ss_secret_free(&p8);
}

TEST(ed25519_bytes_match_openssl) { for (int i = 0; i < 20; i++) check_type("ED25519"); }
TEST(x25519_bytes_match_openssl) { for (int i = 0; i < 20; i++) check_type("X25519"); }
TEST(p256_bytes_match_openssl) { for (int i = 0; i < 20; i++) check_type("P-256"); }
TEST(p384_goes_through_openssl) { check_type("P-384"); check_type("RSA"); }

TEST(sec1_and_garbage)
{
	EVP_PKEY *k = gen("P-256"), *back = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	ss_err err = { 0 };
	char *p;
	long n;

	PEM_write_bio_PrivateKey_traditional(bio, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &p);
	CHECK(ss_pkcs8_from_pem((const unsigned char *)p, (size_t)n, &back, &err) == SS_OK);
	CHECK(back && EVP_PKEY_eq(k, back) == 1);
	EVP_PKEY_free(back);
	{
		static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
		CHECK(ss_pkcs8_from_pem((const unsigned char *)junk, sizeof junk - 1, &back, &err) ==
		      SS_EINPUT);
	}
	CHECK(ss_spki_from_pem("hello", 5, &back, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "not a PEM public key");
	BIO_free(bio);
	EVP_PKEY_free(k);
}

int main(void)
{
	RUN(ed25519_bytes_match_openssl);
	RUN(x25519_bytes_match_openssl);
	RUN(p256_bytes_match_openssl);
	RUN(p384_goes_through_openssl);
	RUN(sec1_and_garbage);
	return unit_done();
}
