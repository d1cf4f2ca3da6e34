#include "ss/key_record.h"

#include <stdio.h>
#include <string.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/jcs.h"
#include "ss/json.h"
#include "ss/timefmt.h"

static const char *const members[] = {
	"type", "key_id", "kind", "purpose", "public_key_pem", "execution_id", "tenant_id",
	"operator_id", "session_binding_hash", "context_hash", "derived_at", NULL
};

/* Bounded copy; snprintf is measurably slow when done per record. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

int ss_keyrec_from_key(ss_keyrec *r, const ss_execkey *k, const ss_execution *e,
		       ss_key_kind kind, const char *purpose, const unsigned char *binding,
		       int64_t derived_at, ss_err *err)
{
	memset(r, 0, sizeof *r);
	memcpy(r->key_id, k->key_id, sizeof r->key_id);
	r->kind = kind;
	copy_str(r->purpose, sizeof r->purpose, purpose);
	copy_str(r->execution_id, sizeof r->execution_id, e->execution_id);
	copy_str(r->tenant_id, sizeof r->tenant_id, e->tenant_id);
	copy_str(r->operator_id, sizeof r->operator_id, e->operator_id);
	if (binding) {
		r->has_binding = true;
		memcpy(r->session_binding_hash, binding, sizeof r->session_binding_hash);
	}
	memcpy(r->context_hash, k->context_hash, sizeof r->context_hash);
	r->derived_at = derived_at;
	return ss_keymat_export(kind, k->okm, r->public_key_pem, NULL, err);
}

static int copy_id(const cJSON *doc, const char *name, char out[SS_ID_MAX], ss_err *err)
{
	const char *s;
	int rc;

	if ((rc = ss_json_id(doc, "", name, &s, err)))
		return rc;
	copy_str(out, SS_ID_MAX, s);
	return SS_OK;
}

/* The PEM must be a public key of the kind, spelled as we write it, so one
 * key has one record. */
static int parse_public_pem(const cJSON *doc, ss_keyrec *r, ss_err *err)
{
	int type = ss_keymat_pkey_type(r->kind);
	const char *pem;
	EVP_PKEY *pkey = NULL;
	ss_buf canon = SS_BUF_INIT;
	int rc;

	if ((rc = ss_json_string_or_null(doc, "", "public_key_pem", &pem, err)))
		return rc;
	if (!type) {
		if (pem)
			return ss_err_set(err, SS_EINPUT,
					  "member 'public_key_pem' must be null for kind '%s'",
					  ss_key_kind_name(r->kind));
		return SS_OK;
	}
	if (!pem)
		return ss_err_set(err, SS_EINPUT, "member 'public_key_pem' must be a string for kind '%s'",
				  ss_key_kind_name(r->kind));
	if (ss_pkey_from_public_pem(pem, strlen(pem), &pkey, err) ||
	    EVP_PKEY_get_id(pkey) != type) {
		EVP_PKEY_free(pkey);
		return ss_err_set(err, SS_EINPUT, "member 'public_key_pem' is not an %s public key",
				  ss_key_kind_name(r->kind));
	}
	rc = ss_pkey_public_pem(pkey, &canon, err);
	EVP_PKEY_free(pkey);
	if (!rc && (canon.len >= sizeof r->public_key_pem || strcmp(ss_buf_str(&canon), pem) != 0))
		rc = ss_err_set(err, SS_EINPUT, "member 'public_key_pem' is not in canonical PEM form");
	if (!rc)
		memcpy(r->public_key_pem, canon.data, canon.len + 1);
	ss_buf_free(&canon);
	return rc;
}

int ss_keyrec_parse(const cJSON *doc, ss_keyrec *r, ss_err *err)
{
	const char *kind, *key_id;
	unsigned char id_bytes[SS_KEY_ID_HEX_LEN / 2];
	const cJSON *m;
	size_t n;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = ss_json_type(doc, "ss.key.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_string(doc, "", "key_id", &key_id, err)))
		return rc;
	if (strlen(key_id) != SS_KEY_ID_HEX_LEN ||
	    !ss_hex_decode(key_id, SS_KEY_ID_HEX_LEN, id_bytes, sizeof id_bytes, &n))
		return ss_err_set(err, SS_EINPUT, "member 'key_id' must be %d lowercase hex digits",
				  SS_KEY_ID_HEX_LEN);
	memcpy(r->key_id, key_id, SS_KEY_ID_HEX_LEN + 1);
	if ((rc = ss_json_string(doc, "", "kind", &kind, err)))
		return rc;
	if (!ss_key_kind_parse(kind, &r->kind))
		return ss_err_set(err, SS_EINPUT,
				  "member 'kind' must be ed25519, x25519, aes-256 or raw");
	if ((rc = copy_id(doc, "purpose", r->purpose, err)) ||
	    (rc = parse_public_pem(doc, r, err)) ||
	    (rc = copy_id(doc, "execution_id", r->execution_id, err)) ||
	    (rc = copy_id(doc, "tenant_id", r->tenant_id, err)) ||
	    (rc = copy_id(doc, "operator_id", r->operator_id, err)) ||
	    (rc = ss_json_member(doc, "", "session_binding_hash", &m, err)))
		return rc;
	if (!cJSON_IsNull(m)) {
		if ((rc = ss_json_hex(doc, "", "session_binding_hash", 32, r->session_binding_hash,
				      sizeof r->session_binding_hash, &n, err)))
			return rc;
		r->has_binding = true;
	}
	if ((rc = ss_json_hex(doc, "", "context_hash", 32, r->context_hash,
			      sizeof r->context_hash, &n, err)) ||
	    (rc = ss_json_time(doc, "", "derived_at", &r->derived_at, err)))
		return rc;
	return SS_OK;
}

cJSON *ss_keyrec_to_json(const ss_keyrec *r)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.key.v1");
	ss_json_add_string(o, "key_id", r->key_id);
	ss_json_add_string(o, "kind", ss_key_kind_name(r->kind));
	ss_json_add_string(o, "purpose", r->purpose);
	ss_json_add_string_or_null(o, "public_key_pem",
				   r->public_key_pem[0] ? r->public_key_pem : NULL);
	ss_json_add_string(o, "execution_id", r->execution_id);
	ss_json_add_string(o, "tenant_id", r->tenant_id);
	ss_json_add_string(o, "operator_id", r->operator_id);
	if (r->has_binding)
		ss_json_add_hex(o, "session_binding_hash", r->session_binding_hash,
				sizeof r->session_binding_hash);
	else
		ss_json_add_null(o, "session_binding_hash");
	ss_json_add_hex(o, "context_hash", r->context_hash, sizeof r->context_hash);
	ss_json_add_time(o, "derived_at", r->derived_at);
	return o;
}

/* The writer below reserves room for the whole record once, then copies
 * into it: a record is a few hundred bytes, written once per derived key. */
static void put(ss_buf *b, const void *p, size_t n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

#define PUT_LITERAL(b, text) put(b, text, sizeof text - 1)

/* A JSON string.  Identifiers, hex and times need no escape and are
 * copied as they are; anything else (a PEM's newlines) goes through the JCS
 * writer, which fits in the room reserved for the worst case. */
static void put_string(ss_buf *b, const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == '"' || s[n] == '\\') {
			ss_jcs_string(s, b);
			return;
		}
	b->data[b->len++] = '"';
	put(b, s, n);
	b->data[b->len++] = '"';
}

static void put_hex(ss_buf *b, const unsigned char *p, size_t n)
{
	b->data[b->len++] = '"';
	ss_hex_encode(p, n, (char *)b->data + b->len);
	b->len += 2 * n;
	b->data[b->len++] = '"';
}

/* derived_at is the same second for long runs of records: format it once
 * per second (per thread). */
static const char *time_text(int64_t t)
{
	static _Thread_local int64_t last = -1;
	static _Thread_local char text[SS_TIME_LEN];

	if (t != last) {
		ss_time_format(t, text);
		last = t;
	}
	return text;
}

void ss_keyrec_write(const ss_keyrec *r, ss_buf *out)
{
	/* Members, punctuation and hex take under 400 bytes; a string takes at
	 * most 6 bytes per byte (\u00XX). */
	ss_buf_reserve(out, 400 + 6 * (strlen(r->purpose) + strlen(r->public_key_pem) +
				       strlen(r->execution_id) + strlen(r->tenant_id) +
				       strlen(r->operator_id) + SS_KEY_ID_HEX_LEN + SS_TIME_LEN));
	PUT_LITERAL(out, "{\"type\":\"ss.key.v1\",\"key_id\":");
	put_string(out, r->key_id);
	PUT_LITERAL(out, ",\"kind\":");
	put_string(out, ss_key_kind_name(r->kind));
	PUT_LITERAL(out, ",\"purpose\":");
	put_string(out, r->purpose);
	PUT_LITERAL(out, ",\"public_key_pem\":");
	if (r->public_key_pem[0])
		put_string(out, r->public_key_pem);
	else
		PUT_LITERAL(out, "null");
	PUT_LITERAL(out, ",\"execution_id\":");
	put_string(out, r->execution_id);
	PUT_LITERAL(out, ",\"tenant_id\":");
	put_string(out, r->tenant_id);
	PUT_LITERAL(out, ",\"operator_id\":");
	put_string(out, r->operator_id);
	PUT_LITERAL(out, ",\"session_binding_hash\":");
	if (r->has_binding)
		put_hex(out, r->session_binding_hash, sizeof r->session_binding_hash);
	else
		PUT_LITERAL(out, "null");
	PUT_LITERAL(out, ",\"context_hash\":");
	put_hex(out, r->context_hash, sizeof r->context_hash);
	PUT_LITERAL(out, ",\"derived_at\":");
	put_string(out, time_text(r->derived_at));
	PUT_LITERAL(out, "}");
	out->data[out->len] = 0;
}
