/* The execution-key contract: context canonical form, fixed vectors
 * (computed independently with Python's hmac/hashlib), the three
 * derivation paths agreeing, key material export, and ss.key.v1. */
#include <string.h>

#include "ss/enc.h"
#include "ss/execution_key.h"
#include "ss/jcs.h"
#include "ss/json.h"
#include "ss/key_material.h"
#include "ss/key_record.h"
#include "unit.h"

static ss_execution sample(void)
{
	ss_execution e;

	memset(&e, 0, sizeof e);
	strcpy(e.execution_id, "exec-42");
	strcpy(e.tenant_id, "tenant-a");
	strcpy(e.operator_id, "op:ci.1");
	strcpy(e.fingerprint, "sha256:");
	for (int i = 0; i < 32; i++)
		strcat(e.fingerprint, "ab");
	return e;
}

static void range(unsigned char *p, unsigned from, unsigned to)
{
	for (unsigned v = from; v < to; v++)
		*p++ = (unsigned char)v;
}

static const char *hex(const unsigned char *p, size_t n)
{
	static char out[2][2 * 64 + 1];
	static int i;

	i ^= 1;
	ss_hex_encode(p, n, out[i]);
	return out[i];
}

/* The reference form: the context as a cJSON tree through ss_jcs_write. */
static void context_by_tree(const ss_execution *e, const char *kind, const char *purpose,
			    ss_buf *out)
{
	cJSON *ctx = ss_json_new_object();

	/* Added out of order on purpose: JCS must sort them. */
	ss_json_add_string(ctx, "purpose", purpose);
	ss_json_add_item(ctx, "execution", ss_execution_to_json(e));
	ss_json_add_string(ctx, "kind", kind);
	CHECK(ss_jcs_write(ctx, out));
	cJSON_Delete(ctx);
}

TEST(context_is_the_jcs_of_the_context_document)
{
	static const char *const purposes[] = { "execution", "telemetry", "A.b:c-d_9", "z" };
	ss_execution e = sample();

	for (int k = SS_KEY_ED25519; k <= SS_KEY_RAW; k++)
		for (size_t p = 0; p < sizeof purposes / sizeof purposes[0]; p++) {
			ss_buf a = SS_BUF_INIT, b = SS_BUF_INIT;
			ss_execkey_context(&e, (ss_key_kind)k, purposes[p], &a);
			context_by_tree(&e, ss_key_kind_name((ss_key_kind)k), purposes[p], &b);
			CHECK_STR(ss_buf_str(&a), ss_buf_str(&b));
			ss_buf_free(&a);
			ss_buf_free(&b);
		}
}

TEST(kind_names_round_trip)
{
	ss_key_kind k;

	for (int i = SS_KEY_ED25519; i <= SS_KEY_RAW; i++) {
		CHECK(ss_key_kind_parse(ss_key_kind_name((ss_key_kind)i), &k));
		CHECK(k == (ss_key_kind)i);
	}
	CHECK(!ss_key_kind_parse("aes256", &k));
	CHECK(!ss_key_kind_parse("", &k));
	CHECK(SS_KEY_KIND_DEFAULT == SS_KEY_ED25519);
	CHECK(ss_key_kind_has_public(SS_KEY_ED25519) && ss_key_kind_has_public(SS_KEY_X25519));
	CHECK(!ss_key_kind_has_public(SS_KEY_AES256) && !ss_key_kind_has_public(SS_KEY_RAW));
}

TEST(vector_bare_root_raw)
{
	unsigned char root[32];
	ss_execution e = sample();
	ss_execkey k;
	ss_err err = { 0 };

	range(root, 0, 32);
	CHECK(ss_execkey_derive(root, sizeof root, NULL, 0, &e, SS_KEY_RAW, "execution", &k,
				&err) == SS_OK);
	CHECK_STR(hex(k.okm, 32), "34b4ef2325a8a7cd6a2cc35791f0e2d42a12ef35ae5a9d5cfeee816dcaadb951");
	CHECK_STR(hex(k.context_hash, 32),
		  "170c94ba234487cd2d145dcacdecf4e10723b44f1d43ec035c97a182e84631c6");
	CHECK_STR(k.key_id, "36ed84f8e3d1d05175a18472b1e4721f");
}

TEST(vector_session_binding_ed25519)
{
	unsigned char secret[48], binding[32];
	ss_execution e = sample();
	ss_execkey k;
	ss_err err = { 0 };

	range(secret, 32, 80);
	range(binding, 0xa0, 0xc0);
	CHECK(ss_execkey_derive(secret, sizeof secret, binding, sizeof binding, &e, SS_KEY_ED25519,
				"telemetry", &k, &err) == SS_OK);
	CHECK_STR(hex(k.okm, 32), "d47ad5ece86f7fdcdf0a3752bbed5e43057dc1cb94963966a49a0c303f7845a2");
	CHECK_STR(hex(k.context_hash, 32),
		  "a07d346eecaea05193cc0fdfcc4f8653de71e138dd59c6bfc223e9b4f4b404e7");
	CHECK_STR(k.key_id, "9e90986725aef3668e0a2d0ac5d5b4dc");
}

TEST(full_hkdf_prk_expand_and_batch_agree)
{
	unsigned char ikm[40], salt[32], prk[SS_HKDF_PRK_LEN];
	ss_execution e = sample();
	ss_execkey_batch b;
	ss_err err = { 0 };

	range(ikm, 7, 47);
	range(salt, 100, 132);
	for (int with_salt = 0; with_salt < 2; with_salt++) {
		size_t saltlen = with_salt ? sizeof salt : 0;
		CHECK(ss_hkdf_extract(salt, saltlen, ikm, sizeof ikm, prk, &err) == SS_OK);
		CHECK(ss_execkey_batch_init(&b, prk, &err) == SS_OK);
		for (int i = 0; i < 50; i++) {
			ss_execkey full, expanded, batched;
			ss_key_kind kind = (ss_key_kind)(i % 4);
			const char *purpose = i % 3 ? "execution" : "p.x";

			snprintf(e.execution_id, sizeof e.execution_id, "exec-%d", i);
			CHECK(ss_execkey_derive(ikm, sizeof ikm, salt, saltlen, &e, kind, purpose,
						&full, &err) == SS_OK);
			CHECK(ss_execkey_from_prk(prk, &e, kind, purpose, &expanded, &err) == SS_OK);
			CHECK(ss_execkey_batch_derive(&b, &e, kind, purpose, &batched, &err) == SS_OK);
			CHECK(memcmp(&full, &expanded, sizeof full) == 0);
			CHECK(memcmp(&full, &batched, sizeof full) == 0);
		}
		ss_execkey_batch_free(&b);
	}
}

TEST(every_context_change_changes_the_key)
{
	unsigned char root[32];
	ss_execution base = sample(), e;
	ss_execkey k0, k;
	ss_err err = { 0 };

	range(root, 0, 32);
	CHECK(ss_execkey_derive(root, 32, NULL, 0, &base, SS_KEY_RAW, "execution", &k0, &err) == 0);
	for (int change = 0; change < 6; change++) {
		ss_key_kind kind = SS_KEY_RAW;
		const char *purpose = "execution";

		e = base;
		switch (change) {
		case 0: e.execution_id[0] = 'E'; break;
		case 1: e.tenant_id[0] = 'T'; break;
		case 2: e.operator_id[0] = 'O'; break;
		case 3: e.fingerprint[8] = 'c'; break;
		case 4: kind = SS_KEY_AES256; break;
		case 5: purpose = "executioN"; break;
		}
		CHECK(ss_execkey_derive(root, 32, NULL, 0, &e, kind, purpose, &k, &err) == SS_OK);
		CHECK(memcmp(k.okm, k0.okm, 32) != 0);
		CHECK(strcmp(k.key_id, k0.key_id) != 0);
	}
}

TEST(keymat_exports_public_pem_and_pkcs8)
{
	static const char ed_pub[] = "-----BEGIN PUBLIC KEY-----\n"
				     "MCowBQYDK2VwAyEAthB8x5X4oHsjpxo1EL7M0rNK+V1HTN0no6X8x59krRw=\n"
				     "-----END PUBLIC KEY-----\n";
	static const char x_pub[] = "-----BEGIN PUBLIC KEY-----\n"
				    "MCowBQYDK2VuAyEA3nPSSEyzJOZtjTB9nV8u5CpAQD3rNp76jh2O4ooxFCU=\n"
				    "-----END PUBLIC KEY-----\n";
	unsigned char okm[32];
	char pem[SS_PUBLIC_PEM_MAX];
	ss_secret s = SS_SECRET_INIT;
	ss_err err = { 0 };
	size_t n;

	CHECK(ss_hex_decode("d47ad5ece86f7fdcdf0a3752bbed5e43057dc1cb94963966a49a0c303f7845a2", 64,
			    okm, sizeof okm, &n));
	CHECK(ss_keymat_export(SS_KEY_ED25519, okm, pem, &s, &err) == SS_OK);
	CHECK_STR(pem, ed_pub);
	CHECK(s.len > 27 && memcmp(s.p, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	ss_secret_free(&s);
	CHECK(ss_keymat_export(SS_KEY_X25519, okm, pem, NULL, &err) == SS_OK);
	CHECK_STR(pem, x_pub);
	CHECK(ss_keymat_export(SS_KEY_RAW, okm, pem, &s, &err) == SS_OK);
	CHECK_STR(pem, "");
	CHECK(s.len == 32 && memcmp(s.p, okm, 32) == 0);
	ss_secret_free(&s);
	CHECK_STR(ss_keymat_file_suffix(SS_KEY_ED25519), ".pem");
	CHECK_STR(ss_keymat_file_suffix(SS_KEY_AES256), ".key");
}

static void make_record(ss_key_kind kind, bool bound, ss_keyrec *r)
{
	unsigned char root[32], binding[32];
	ss_execution e = sample();
	ss_execkey k;
	ss_err err = { 0 };

	range(root, 0, 32);
	range(binding, 0xa0, 0xc0);
	CHECK(ss_execkey_derive(root, 32, bound ? binding : NULL, bound ? 32 : 0, &e, kind,
				"execution", &k, &err) == SS_OK);
	CHECK(ss_keyrec_from_key(r, &k, &e, kind, "execution", bound ? binding : NULL,
				 1764094350, &err) == SS_OK);
	ss_execkey_wipe(&k);
}

TEST(keyrec_direct_writer_equals_tree_writer_and_parses_back)
{
	for (int kind = SS_KEY_ED25519; kind <= SS_KEY_RAW; kind++)
		for (int bound = 0; bound < 2; bound++) {
			ss_keyrec r, back;
			ss_buf a = SS_BUF_INIT, b = SS_BUF_INIT;
			cJSON *doc = NULL, *tree;
			ss_err err = { 0 };

			make_record((ss_key_kind)kind, bound, &r);
			ss_keyrec_write(&r, &a);
			tree = ss_keyrec_to_json(&r);
			ss_json_write(tree, &b);
			cJSON_Delete(tree);
			CHECK_STR(ss_buf_str(&a), ss_buf_str(&b));
			CHECK(ss_json_parse((const char *)a.data, a.len, &doc, &err) == SS_OK);
			CHECK(ss_keyrec_parse(doc, &back, &err) == SS_OK);
			CHECK(memcmp(&r, &back, sizeof r) == 0);
			cJSON_Delete(doc);
			ss_buf_free(&a);
			ss_buf_free(&b);
		}
}

TEST(keyrec_record_shape)
{
	ss_keyrec r;
	ss_buf a = SS_BUF_INIT;

	make_record(SS_KEY_RAW, false, &r);
	ss_keyrec_write(&r, &a);
	CHECK_STR(ss_buf_str(&a),
		  "{\"type\":\"ss.key.v1\",\"key_id\":\"36ed84f8e3d1d05175a18472b1e4721f\","
		  "\"kind\":\"raw\",\"purpose\":\"execution\",\"public_key_pem\":null,"
		  "\"execution_id\":\"exec-42\",\"tenant_id\":\"tenant-a\",\"operator_id\":\"op:ci.1\","
		  "\"session_binding_hash\":null,"
		  "\"context_hash\":\"170c94ba234487cd2d145dcacdecf4e10723b44f1d43ec035c97a182e84631c6\","
		  "\"derived_at\":\"2025-11-25T18:12:30Z\"}");
	ss_buf_free(&a);
}

/* Parse r's document after edit() changed it; the expected message. */
static void refused(ss_key_kind kind, void (*edit)(cJSON *), const char *want)
{
	ss_keyrec r, back;
	ss_err err = { 0 };
	cJSON *doc;

	make_record(kind, true, &r);
	doc = ss_keyrec_to_json(&r);
	edit(doc);
	CHECK(ss_keyrec_parse(doc, &back, &err) == SS_EINPUT);
	CHECK_STR(err.msg, want);
	cJSON_Delete(doc);
}

static void set_string(cJSON *doc, const char *name, const char *v)
{
	cJSON_ReplaceItemInObjectCaseSensitive(doc, name, cJSON_CreateString(v));
}

static void pem_on_raw(cJSON *doc)
{
	set_string(doc, "public_key_pem", "-----BEGIN PUBLIC KEY-----\n");
}
static void no_pem_on_ed25519(cJSON *doc)
{
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "public_key_pem", cJSON_CreateNull());
}
static void x25519_pem_on_ed25519(cJSON *doc)
{
	set_string(doc, "kind", "x25519"); /* the PEM is still the Ed25519 one */
}
static void short_key_id(cJSON *doc)
{
	set_string(doc, "key_id", "36ed84f8e3d1d05175a18472b1e4721");
}
static void upper_key_id(cJSON *doc)
{
	set_string(doc, "key_id", "36ED84F8E3D1D05175A18472B1E4721F");
}
static void unknown_kind(cJSON *doc)
{
	set_string(doc, "kind", "rsa");
}
static void extra_member(cJSON *doc)
{
	ss_json_add_string(doc, "secret", "x");
}
static void missing_tenant(cJSON *doc)
{
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "tenant_id");
}
static void bad_purpose(cJSON *doc)
{
	set_string(doc, "purpose", "a b");
}
static void binding_number(cJSON *doc)
{
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "session_binding_hash", cJSON_CreateNumber(1));
}
static void other_type(cJSON *doc)
{
	set_string(doc, "type", "ss.session.v1");
}

TEST(keyrec_parse_is_strict)
{
	refused(SS_KEY_RAW, pem_on_raw, "member 'public_key_pem' must be null for kind 'raw'");
	refused(SS_KEY_ED25519, no_pem_on_ed25519,
		"member 'public_key_pem' must be a string for kind 'ed25519'");
	refused(SS_KEY_ED25519, x25519_pem_on_ed25519,
		"member 'public_key_pem' is not an x25519 public key");
	refused(SS_KEY_RAW, short_key_id, "member 'key_id' must be 32 lowercase hex digits");
	refused(SS_KEY_RAW, upper_key_id, "member 'key_id' must be 32 lowercase hex digits");
	refused(SS_KEY_RAW, unknown_kind, "member 'kind' must be ed25519, x25519, aes-256 or raw");
	refused(SS_KEY_RAW, extra_member, "unknown member 'secret'");
	refused(SS_KEY_RAW, missing_tenant, "member 'tenant_id' is missing");
	refused(SS_KEY_RAW, bad_purpose,
		"member 'purpose' is not an identifier ([A-Za-z0-9._:-]{1,128})");
	refused(SS_KEY_RAW, binding_number, "member 'session_binding_hash' must be a string");
	refused(SS_KEY_RAW, other_type, "document type 'ss.session.v1' where 'ss.key.v1' was expected");
}

int main(void)
{
	RUN(context_is_the_jcs_of_the_context_document);
	RUN(kind_names_round_trip);
	RUN(vector_bare_root_raw);
	RUN(vector_session_binding_ed25519);
	RUN(full_hkdf_prk_expand_and_batch_agree);
	RUN(every_context_change_changes_the_key);
	RUN(keymat_exports_public_pem_and_pkcs8);
	RUN(keyrec_direct_writer_equals_tree_writer_and_parses_back);
	RUN(keyrec_record_shape);
	RUN(keyrec_parse_is_strict);
	return unit_done();
}
