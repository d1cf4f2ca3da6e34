#include "ss/key_codec.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ss/enc.h"

/* DER prefixes (RFC 8410 for the curve25519 keys, RFC 5480/5915 for P-256):
 * each is followed by the raw key material and nothing else. */
static const uint8_t spki_ed25519[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
					0x03, 0x21, 0x00 };
static const uint8_t spki_x25519[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e,
				       0x03, 0x21, 0x00 };
static const uint8_t spki_p256[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				     0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
				     0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00 };
static const uint8_t p8_ed25519[] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
				      0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
static const uint8_t p8_x25519[] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
				     0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20 };
/* PKCS#8 of an ECPrivateKey with the public key and no parameters inside. */
static const uint8_t p8_p256_head[] = { 0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06,
					0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
					0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
					0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20 };
static const uint8_t p8_p256_mid[] = { 0xa1, 0x44, 0x03, 0x42, 0x00 };

enum kind { K_OTHER, K_ED25519, K_X25519, K_P256 };

static enum kind kind_of(EVP_PKEY *pkey)
{
	char group[32];
	size_t len = 0;

	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return K_ED25519;
	if (EVP_PKEY_is_a(pkey, "X25519"))
		return K_X25519;
	if (EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
					   &len) == 1 &&
	    (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0))
		return K_P256;
	return K_OTHER;
}

/* The uncompressed P-256 point 04||x||y. */
static int p256_point(EVP_PKEY *pkey, uint8_t out[65], ss_err *err)
{
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, 65,
					    &len) != 1 ||
	    len != 65 || out[0] != 4) {
		BIGNUM *x = NULL, *y = NULL;
		int ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
			 EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
			 BN_bn2binpad(x, out + 1, 32) == 32 && BN_bn2binpad(y, out + 33, 32) == 32;
		BN_free(x);
		BN_free(y);
		if (!ok)
			return ss_err_ssl(err, "export P-256 public key");
		out[0] = 4;
	}
	return SS_OK;
}

int ss_pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	if (u)
		*(bool *)u = true;
	return -1;
}

bool ss_pem_is_encrypted(const char *pem, size_t len)
{
	static const char *const marks[] = { "-----BEGIN ENCRYPTED PRIVATE KEY-----",
					     "Proc-Type: 4,ENCRYPTED" };

	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		if (memmem(pem, len, marks[i], strlen(marks[i])))
			return true;
	return false;
}

int ss_spki_der_generic(EVP_PKEY *pkey, ss_buf *out, ss_err *err)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pkey, &der);

	if (n <= 0)
		return ss_err_ssl(err, "encode public key");
	ss_buf_add(out, der, (size_t)n);
	OPENSSL_free(der);
	return SS_OK;
}

int ss_spki_der(EVP_PKEY *pkey, ss_buf *out, ss_err *err)
{
	enum kind k = kind_of(pkey);
	uint8_t raw[65];
	size_t len = 32;
	int rc;

	switch (k) {
	case K_ED25519:
	case K_X25519:
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32)
			return ss_err_ssl(err, "export public key");
		ss_buf_add(out, k == K_ED25519 ? spki_ed25519 : spki_x25519, sizeof spki_ed25519);
		ss_buf_add(out, raw, 32);
		return SS_OK;
	case K_P256:
		if ((rc = p256_point(pkey, raw, err)))
			return rc;
		ss_buf_add(out, spki_p256, sizeof spki_p256);
		ss_buf_add(out, raw, 65);
		return SS_OK;
	default:
		return ss_spki_der_generic(pkey, out, err);
	}
}

static void pem_armor(const char *label, const uint8_t *der, size_t n, ss_buf *out)
{
	ss_buf b64 = SS_BUF_INIT;

	ss_b64_append(&b64, der, n);
	ss_buf_addf(out, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < b64.len; i += 64) {
		ss_buf_add(out, b64.data + i, b64.len - i < 64 ? b64.len - i : 64);
		ss_buf_addc(out, '\n');
	}
	ss_buf_addf(out, "-----END %s-----\n", label);
	ss_buf_wipe_free(&b64);
}

int ss_spki_pem(EVP_PKEY *pkey, ss_buf *out, ss_err *err)
{
	ss_buf der = SS_BUF_INIT;
	int rc = ss_spki_der(pkey, &der, err);

	if (!rc)
		pem_armor("PUBLIC KEY", der.data, der.len, out);
	ss_buf_free(&der);
	return rc;
}

/* The DER inside one PEM block with this label; false when the text is
 * not exactly that (one block, base64 lines, nothing else but spaces). */
static bool pem_body(const char *pem, size_t len, const char *label, ss_buf *der)
{
	char begin[64], end[64];
	const char *p, *stop;
	ss_buf b64 = SS_BUF_INIT;
	bool ok;

	snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
	snprintf(end, sizeof end, "-----END %s-----", label);
	if (len < strlen(begin) || memcmp(pem, begin, strlen(begin)) != 0)
		return false;
	p = pem + strlen(begin);
	stop = memmem(p, len - (size_t)(p - pem), end, strlen(end));
	if (!stop)
		return false;
	for (const char *q = stop + strlen(end); q < pem + len; q++)
		if (*q != '\n' && *q != '\r' && *q != ' ' && *q != '\t')
			return false;
	for (; p < stop; p++)
		if (*p != '\n' && *p != '\r')
			ss_buf_addc(&b64, (unsigned char)*p);
	ok = ss_b64_decode((const char *)b64.data, b64.len, der);
	ss_buf_wipe_free(&b64);
	return ok;
}

static EVP_PKEY *p256_from(const uint8_t *priv, const uint8_t point[65])
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM *params = NULL;
	BIGNUM *d = priv ? BN_secure_new() : NULL;
	EVP_PKEY *key = NULL;

	if (!bld || !ctx || (priv && (!d || !BN_bin2bn(priv, 32, d))) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
out:
	OSSL_PARAM_free(params); /* its secure part is cleared */
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_clear_free(d);
	return key;
}

int ss_spki_from_pem(const char *pem, size_t len, EVP_PKEY **out, ss_err *err)
{
	ss_buf der = SS_BUF_INIT;
	const uint8_t *d;
	BIO *bio;

	*out = NULL;
	if (pem_body(pem, len, "PUBLIC KEY", &der)) {
		d = der.data;
		if (der.len == sizeof spki_ed25519 + 32 && !memcmp(d, spki_ed25519, sizeof spki_ed25519))
			*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, d + sizeof spki_ed25519, 32);
		else if (der.len == sizeof spki_x25519 + 32 && !memcmp(d, spki_x25519, sizeof spki_x25519))
			*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, d + sizeof spki_x25519, 32);
		else if (der.len == sizeof spki_p256 + 65 && !memcmp(d, spki_p256, sizeof spki_p256))
			*out = p256_from(NULL, d + sizeof spki_p256);
	}
	ss_buf_free(&der);
	if (!*out) {
		/* Any other key, or a layout we do not build ourselves. */
		bio = BIO_new_mem_buf(pem, (int)len);
		*out = bio ? PEM_read_bio_PUBKEY(bio, NULL, ss_pem_no_passphrase, NULL) : NULL;
		BIO_free(bio);
	}
	ERR_clear_error();
	if (!*out)
		return ss_err_set(err, SS_EINPUT, "not a PEM public key");
	return SS_OK;
}

int ss_pkcs8_pem(EVP_PKEY *pkey, ss_secret *out, ss_err *err)
{
	enum kind k = kind_of(pkey);
	uint8_t der[sizeof p8_p256_head + 32 + sizeof p8_p256_mid + 65];
	size_t n = 0, len = 32;
	ss_buf pem = SS_BUF_INIT;
	int rc = SS_OK;

	if (k == K_ED25519 || k == K_X25519) {
		memcpy(der, k == K_ED25519 ? p8_ed25519 : p8_x25519, sizeof p8_ed25519);
		if (EVP_PKEY_get_raw_private_key(pkey, der + sizeof p8_ed25519, &len) != 1 || len != 32) {
			rc = ss_err_ssl(err, "export private key");
			goto out;
		}
		n = sizeof p8_ed25519 + 32;
	} else {
		/* Other types through OpenSSL's encoder, into secure memory. */
		BIO *bio = BIO_new(BIO_s_secmem());
		char *p = NULL;
		long m;
		if (!bio || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
			BIO_free(bio);
			return ss_err_ssl(err, "encode private key");
		}
		m = BIO_get_mem_data(bio, &p);
		if (!(rc = ss_secret_alloc(out, (size_t)m, err)))
			memcpy(out->p, p, (size_t)m);
		BIO_free(bio);
		return rc;
	}
	pem_armor("PRIVATE KEY", der, n, &pem);
	if (!(rc = ss_secret_alloc(out, pem.len, err)))
		memcpy(out->p, pem.data, pem.len);
out:
	ss_wipe(der, sizeof der);
	ss_buf_wipe_free(&pem);
	return rc;
}

int ss_pkcs8_from_pem(const unsigned char *pem, size_t len, EVP_PKEY **out, ss_err *err)
{
	ss_buf der = SS_BUF_INIT;
	const uint8_t *d;
	BIO *bio;

	*out = NULL;
	if (pem_body((const char *)pem, len, "PRIVATE KEY", &der)) {
		d = der.data;
		if (der.len == sizeof p8_ed25519 + 32 && !memcmp(d, p8_ed25519, sizeof p8_ed25519))
			*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d + sizeof p8_ed25519, 32);
		else if (der.len == sizeof p8_x25519 + 32 && !memcmp(d, p8_x25519, sizeof p8_x25519))
			*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, d + sizeof p8_x25519, 32);
		else if (der.len == sizeof p8_p256_head + 32 + sizeof p8_p256_mid + 65 &&
			 !memcmp(d, p8_p256_head, sizeof p8_p256_head) &&
			 !memcmp(d + sizeof p8_p256_head + 32, p8_p256_mid, sizeof p8_p256_mid))
			*out = p256_from(d + sizeof p8_p256_head,
					 d + sizeof p8_p256_head + 32 + sizeof p8_p256_mid);
	}
	ss_buf_wipe_free(&der);
	if (!*out) {
		bio = BIO_new_mem_buf(pem, (int)len);
		*out = bio ? PEM_read_bio_PrivateKey(bio, NULL, ss_pem_no_passphrase, NULL) : NULL;
		BIO_free(bio);
	}
	ERR_clear_error();
	if (!*out)
		return ss_err_set(err, SS_EINPUT, "not a PEM private key");
	return SS_OK;
}
