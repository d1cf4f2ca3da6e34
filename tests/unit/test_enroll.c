/* ss.enrollment.v1 records as the verifier reads them: signature, strict
 * parse, lookup in the enrolled store, listing, and revocation (signed
 * ss.revocation.v1 records).  The
 * documents are made here in software (an AK public area from an OpenSSL
 * key); the TPM-backed enrollment flow is in the bats suites. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/enroll.h"
#include "ss/json.h"
#include "ss/revocation.h"
#include "ss/sign.h"
#include "ss/store.h"
#include "ss/timefmt.h"
#include "unit.h"

static char dir[256];

static const char *path(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

/* A control-plane key file (owner-only, as ss_signer_load requires). */
static void write_key(const char *name)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *f = fopen(path(name), "w");

	chmod(path(name), 0600);
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(k);
}

/* A restricted ECDSA signing key's public area, as a TPM would make it. */
static void ak_public(TPM2B_PUBLIC *out, uint8_t *name, size_t *name_len)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIGNUM *x = NULL, *y = NULL;
	TPMT_PUBLIC *p = &out->publicArea;

	memset(out, 0, sizeof *out);
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x);
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
	BN_bn2binpad(x, p->unique.ecc.x.buffer, 32);
	BN_bn2binpad(y, p->unique.ecc.y.buffer, 32);
	p->unique.ecc.x.size = p->unique.ecc.y.size = 32;
	ss_tpm_public_name(p, name, name_len, NULL);
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(k);
}

struct ak {
	TPM2B_PUBLIC pub;
	uint8_t name[SS_TPM_NAME_MAX];
	size_t name_len;
	char hex[2 * SS_TPM_NAME_MAX + 1];
};

static void make_ak(struct ak *a)
{
	ak_public(&a->pub, a->name, &a->name_len);
	ss_hex_encode(a->name, a->name_len, a->hex);
}

/* The record as enroll-verify writes it (member order of the contract). */
static cJSON *enrollment_doc(const struct ak *a, const char *runner, bool simulator)
{
	cJSON *o = ss_json_new_object();
	ss_buf area = SS_BUF_INIT;
	uint8_t cert_hash[32];

	memset(cert_hash, 0x42, sizeof cert_hash);
	ss_tpm2b_public_marshal(&a->pub, &area);
	ss_json_add_string(o, "type", "ss.enrollment.v1");
	ss_json_add_string(o, "runner_id", runner);
	ss_json_add_hex(o, "ak_name", a->name, a->name_len);
	ss_json_add_b64(o, "ak_public_area_b64", area.data, area.len);
	ss_json_add_string(o, "ak_alg", "ecc-p256");
	ss_json_add_string(o, "ek_alg", "rsa-2048");
	ss_json_add_hex(o, "ek_certificate_sha256", cert_hash, sizeof cert_hash);
	ss_json_add_string(o, "ek_issuer", "CN=test-ca");
	ss_json_add_bool(o, "simulator", simulator);
	ss_json_add_string(o, "challenge_id", "c0ffee");
	ss_json_add_time(o, "enrolled_at", 1790000000);
	ss_buf_free(&area);
	return o;
}

static void store_doc(ss_store *st, const char *kind, const char *key, const cJSON *doc)
{
	ss_buf text = SS_BUF_INIT;
	ss_err err = { 0 };

	ss_json_write(doc, &text);
	CHECK(ss_store_put(st, kind, key, text.data, text.len, false, &err) == SS_OK);
	ss_buf_free(&text);
}

static ss_signer cp, other;
static ss_keyring ring, other_ring;
static ss_store st = SS_STORE_INIT;

TEST(signed_enrollment_verifies_and_any_edited_field_fails)
{
	static const char *const edits[] = { "runner_id", "simulator", "ak_alg", "enrolled_at" };
	struct ak a;
	ss_err err = { 0 };
	cJSON *doc;

	make_ak(&a);
	doc = enrollment_doc(&a, "runner-1", true);
	CHECK(ss_doc_sign(doc, &cp, &err) == SS_OK);
	CHECK(ss_doc_verify(doc, &ring, "enrollment", &err) == SS_OK);
	CHECK(ss_doc_verify(doc, &other_ring, "enrollment", &err) == SS_REFUSED);
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		cJSON *copy = cJSON_Duplicate(doc, 1);

		if (!strcmp(edits[i], "simulator"))
			cJSON_ReplaceItemInObjectCaseSensitive(copy, "simulator", cJSON_CreateFalse());
		else if (!strcmp(edits[i], "enrolled_at"))
			cJSON_ReplaceItemInObjectCaseSensitive(copy, "enrolled_at",
							       cJSON_CreateString("2030-01-01T00:00:00Z"));
		else
			cJSON_ReplaceItemInObjectCaseSensitive(copy, edits[i], cJSON_CreateString("x"));
		CHECK(ss_doc_verify(copy, &ring, "enrollment", &err) == SS_REFUSED);
		CHECK_STR(err.msg, "enrollment: signature does not verify");
		cJSON_Delete(copy);
	}
	cJSON_Delete(doc);
}

TEST(enrollment_parse_is_strict)
{
	struct ak a, b;
	ss_enrollment e;
	ss_err err = { 0 };
	cJSON *doc, *copy;

	make_ak(&a);
	make_ak(&b);
	doc = enrollment_doc(&a, "runner-1", true);
	CHECK(ss_enrollment_parse(doc, &e, &err) == SS_OK);
	CHECK_STR(e.runner_id, "runner-1");
	CHECK(e.simulator && e.enrolled_at == 1790000000);
	CHECK(e.ak_name_len == a.name_len && memcmp(e.ak_name, a.name, a.name_len) == 0);
	CHECK(e.ak_pub.publicArea.type == TPM2_ALG_ECC);

	copy = cJSON_Duplicate(doc, 1);
	cJSON_AddNumberToObject(copy, "extra", 1);
	CHECK(ss_enrollment_parse(copy, &e, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "unknown member 'extra'");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(doc, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(copy, "ak_name", cJSON_CreateString(b.hex));
	CHECK(ss_enrollment_parse(copy, &e, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "member 'ak_name' is not the name of 'ak_public_area_b64'");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(doc, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(copy, "ak_alg", cJSON_CreateString("rsa-2048"));
	CHECK(ss_enrollment_parse(copy, &e, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "member 'ak_alg' does not match 'ak_public_area_b64'");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(doc, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(copy, "simulator", cJSON_CreateString("false"));
	CHECK(ss_enrollment_parse(copy, &e, &err) == SS_EINPUT);
	CHECK_STR(err.msg, "member 'simulator' must be true or false");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(doc, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(copy, "type", cJSON_CreateString("ss.identity.v1"));
	CHECK(ss_enrollment_parse(copy, &e, &err) == SS_EINPUT);
	cJSON_Delete(copy);
	cJSON_Delete(doc);
}

TEST(lookup_finds_only_records_the_control_plane_signed_for_that_ak)
{
	struct ak a, b, c;
	ss_enrollment e;
	ss_err err = { 0 };
	bool found = true;
	cJSON *doc, *unsigned_doc;

	make_ak(&a);
	make_ak(&b);
	make_ak(&c);
	CHECK(ss_enrollment_lookup(&st, &ring, a.name, a.name_len, &e, &found, &err) == SS_OK);
	CHECK(!found);

	doc = enrollment_doc(&a, "runner-a", false);
	CHECK(ss_doc_sign(doc, &cp, &err) == SS_OK);
	store_doc(&st, SS_KIND_ENROLLED, a.hex, doc);
	CHECK(ss_enrollment_lookup(&st, &ring, a.name, a.name_len, &e, &found, &err) == SS_OK);
	CHECK(found && !e.simulator);
	CHECK_STR(e.runner_id, "runner-a");

	/* The same record under another pinned key set: not vouched for. */
	CHECK(ss_enrollment_lookup(&st, &other_ring, a.name, a.name_len, &e, &found, &err) ==
	      SS_REFUSED);
	CHECK(!found);

	/* A's record copied to where B's would be does not enroll B. */
	store_doc(&st, SS_KIND_ENROLLED, b.hex, doc);
	CHECK(ss_enrollment_lookup(&st, &ring, b.name, b.name_len, &e, &found, &err) == SS_REFUSED);
	CHECK(strstr(err.msg, "names another AK") != NULL);

	/* A record without a signature is refused, not malformed. */
	unsigned_doc = enrollment_doc(&c, "runner-c", false);
	store_doc(&st, SS_KIND_ENROLLED, c.hex, unsigned_doc);
	CHECK(ss_enrollment_lookup(&st, &ring, c.name, c.name_len, &e, &found, &err) ==
	      SS_REFUSED);
	CHECK(strstr(err.msg, "member 'signature' is missing") != NULL);

	/* Nor is one that is not even JSON. */
	{
		bool gone;
		ss_err e2 = { 0 };

		CHECK(ss_store_remove(&st, SS_KIND_ENROLLED, b.hex, &gone, &e2) == SS_OK && gone);
		CHECK(ss_store_put(&st, SS_KIND_ENROLLED, b.hex, "{\"type\":", 8, false, &e2) == 0);
		CHECK(ss_enrollment_lookup(&st, &ring, b.name, b.name_len, &e, &found, &err) ==
		      SS_REFUSED);
		CHECK(strstr(err.msg, "unexpected end of JSON") != NULL);
	}

	/* Listing fails closed on either bad record, and lists A once they are gone. */
	{
		cJSON *list = NULL;
		bool gone;

		CHECK(ss_enroll_list(&st, &ring, &list, &err) == SS_REFUSED && list == NULL);
		CHECK(ss_store_remove(&st, SS_KIND_ENROLLED, b.hex, &gone, &err) == SS_OK && gone);
		CHECK(ss_store_remove(&st, SS_KIND_ENROLLED, c.hex, &gone, &err) == SS_OK && gone);
		CHECK(ss_enroll_list(&st, &ring, &list, &err) == SS_OK);
		CHECK(cJSON_GetArraySize(list) == 1);
		cJSON_Delete(list);
	}
	cJSON_Delete(doc);
	cJSON_Delete(unsigned_doc);
}

TEST(revoked_ak_leaves_the_enrolled_store_and_stays_on_record)
{
	struct ak a, never;
	ss_enrollment e;
	ss_err err = { 0 };
	bool found = false;
	ss_revocation rev;
	cJSON *doc, *kept = NULL, *list = NULL, *out = NULL, *again = NULL, *revoked = NULL,
	      *none = NULL;

	make_ak(&a);
	make_ak(&never);
	doc = enrollment_doc(&a, "runner-r", true);
	CHECK(ss_doc_sign(doc, &cp, &err) == SS_OK);
	store_doc(&st, SS_KIND_ENROLLED, a.hex, doc);
	CHECK(ss_enroll_revoke(&st, &cp, a.name, a.name_len, "key compromised", 1790000100, &out,
			       &err) == SS_OK);
	CHECK(ss_enrollment_lookup(&st, &ring, a.name, a.name_len, &e, &found, &err) == SS_OK);
	CHECK(!found);
	CHECK(ss_store_get_json(&st, SS_KIND_REVOKED, a.hex, &kept, &found, &err) == SS_OK && found);
	CHECK(kept && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(kept, "enrollment")));
	/* What is kept is what was printed: signed, with the reason. */
	CHECK(out && kept && cJSON_Compare(out, kept, 1));
	CHECK(ss_doc_verify(kept, &ring, "revocation", &err) == SS_OK);
	CHECK(ss_revocation_parse(kept, &rev, &err) == SS_OK && rev.signed_record);
	CHECK_STR(rev.reason, "key compromised");
	CHECK_STR(rev.runner_id, "runner-r");
	CHECK_STR(rev.ak_name, a.hex);
	CHECK(rev.revoked_at == 1790000100);
	CHECK(ss_revocation_list(&st, &ring, &revoked, &err) == SS_OK);
	CHECK(cJSON_GetArraySize(revoked) == 1);
	CHECK(ss_revocation_list(&st, &other_ring, &none, &err) == SS_REFUSED && none == NULL);
	CHECK(ss_enroll_list(&st, &ring, &list, &err) == SS_OK);
	for (cJSON *r = list ? list->child : NULL; r; r = r->next)
		CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(r, "ak_name")->valuestring, a.hex) != 0);
	CHECK(ss_enroll_revoke(&st, &cp, a.name, a.name_len, "again", 1790000200, &again, &err) ==
	      SS_REFUSED);
	CHECK(strstr(err.msg, "is already revoked") != NULL && again == NULL);
	CHECK(ss_enroll_revoke(&st, &cp, never.name, never.name_len, "never", 1790000200, &again,
			       &err) == SS_REFUSED);
	CHECK(strstr(err.msg, "is not enrolled") != NULL);
	CHECK(ss_enroll_revoke(&st, &cp, never.name, never.name_len, "two\nlines", 1790000200,
			       &again, &err) == SS_EUSAGE);
	cJSON_Delete(list);
	cJSON_Delete(kept);
	cJSON_Delete(out);
	cJSON_Delete(revoked);
	cJSON_Delete(doc);
}

TEST(revocation_reasons_are_one_line)
{
	char longest[SS_REVOCATION_REASON_MAX + 2];

	memset(longest, 'x', sizeof longest);
	longest[SS_REVOCATION_REASON_MAX] = 0;
	CHECK(ss_revocation_valid_reason("host decommissioned"));
	CHECK(ss_revocation_valid_reason("clé compromise"));
	CHECK(ss_revocation_valid_reason(longest));
	longest[SS_REVOCATION_REASON_MAX] = 'x';
	longest[SS_REVOCATION_REASON_MAX + 1] = 0;
	CHECK(!ss_revocation_valid_reason(longest));
	CHECK(!ss_revocation_valid_reason(""));
	CHECK(!ss_revocation_valid_reason("a\tb") && !ss_revocation_valid_reason("a\x7f"));
	CHECK(!ss_revocation_valid_reason("\xc2\x85") && !ss_revocation_valid_reason("\xff"));
}

TEST(valid_alg_names)
{
	CHECK(ss_enroll_valid_alg("rsa-2048") && ss_enroll_valid_alg("ecc-p384") &&
	      ss_enroll_valid_alg("rsa-4096") && ss_enroll_valid_alg("ecc-p521"));
	CHECK(!ss_enroll_valid_alg("rsa-") && !ss_enroll_valid_alg("rsa-2048x") &&
	      !ss_enroll_valid_alg("ecc-p192") && !ss_enroll_valid_alg("") &&
	      !ss_enroll_valid_alg("rsa-123456"));
}

int main(void)
{
	char cmd[300];
	ss_err err = { 0 };
	int rc;

	snprintf(dir, sizeof dir, "%s/ss-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 99;
	write_key("cp.pem");
	write_key("other.pem");
	if (ss_signer_load(path("cp.pem"), &cp, &err) || ss_signer_load(path("other.pem"), &other, &err) ||
	    ss_keyring_add_signer(&ring, &cp, &err) || ss_keyring_add_signer(&other_ring, &other, &err) ||
	    ss_store_open(&st, path("state"), &err)) {
		printf("# setup: %s\n", err.msg);
		return 99;
	}
	RUN(signed_enrollment_verifies_and_any_edited_field_fails);
	RUN(enrollment_parse_is_strict);
	RUN(lookup_finds_only_records_the_control_plane_signed_for_that_ak);
	RUN(revoked_ak_leaves_the_enrolled_store_and_stays_on_record);
	RUN(revocation_reasons_are_one_line);
	RUN(valid_alg_names);
	rc = unit_done();
	ss_store_close(&st);
	ss_keyring_free(&ring);
	ss_keyring_free(&other_ring);
	ss_signer_free(&cp);
	ss_signer_free(&other);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
