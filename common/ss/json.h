/* Strict JSON documents on top of cJSON.
 *
 * cJSON alone accepts too much (invalid UTF-8, "\u0000" silently truncating a
 * string, 1e400 as infinity, 2^53+1 rounded, duplicate keys), so every
 * document first passes a validating scan that enforces the toolkit's rules:
 * UTF-8 checked, no U+0000, integers only within +-2^53, at most 32 levels,
 * at most 1 MiB, one top-level object, nothing after it.  Duplicate keys are
 * refused after the parse.  Typed getters refuse wrong types and unknown
 * members with messages that name the member. */
#ifndef SS_JSON_H
#define SS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"

#define SS_JSON_MAX_SIZE ((size_t)1 << 20)
#define SS_JSON_MAX_DEPTH 32
#define SS_JSON_MAX_INT 9007199254740992LL /* 2^53 */

/* Validate and parse one document (a JSON object).  On failure: SS_EINPUT
 * and a message with the byte offset, e.g. "unexpected end of JSON at byte 57". */
int ss_json_parse(const char *text, size_t len, cJSON **out, ss_err *err);
/* The validating scan alone (no tree); same rules and messages. */
int ss_json_validate(const char *text, size_t len, ss_err *err);

/* Refuse any member of obj whose name is not in names (NULL-terminated).
 * where names obj in messages ("" for the top level). */
int ss_json_only(const cJSON *obj, const char *where, const char *const *names, ss_err *err);

/* Getters.  A missing member or one of another type is SS_EINPUT. */
int ss_json_member(const cJSON *obj, const char *where, const char *name, const cJSON **out,
		   ss_err *err);
int ss_json_string(const cJSON *obj, const char *where, const char *name, const char **out,
		   ss_err *err);
/* *out = NULL when the member is null. */
int ss_json_string_or_null(const cJSON *obj, const char *where, const char *name,
			   const char **out, ss_err *err);
/* A string matching [A-Za-z0-9._:-]{1,128}. */
int ss_json_id(const cJSON *obj, const char *where, const char *name, const char **out,
	       ss_err *err);
int ss_json_int(const cJSON *obj, const char *where, const char *name, int64_t min, int64_t max,
		int64_t *out, ss_err *err);
int ss_json_bool(const cJSON *obj, const char *where, const char *name, bool *out, ss_err *err);
int ss_json_object(const cJSON *obj, const char *where, const char *name, const cJSON **out,
		   ss_err *err);
/* Lowercase hex of exactly want bytes (want == 0: 1..max bytes). */
int ss_json_hex(const cJSON *obj, const char *where, const char *name, size_t want,
		unsigned char *out, size_t max, size_t *outlen, ss_err *err);
/* Standard padded base64, appended to out. */
int ss_json_b64(const cJSON *obj, const char *where, const char *name, ss_buf *out, ss_err *err);
/* A 64-bit quantity as "0x" followed by 1..16 lowercase hex digits. */
int ss_json_u64hex(const cJSON *obj, const char *where, const char *name, uint64_t *out,
		   ss_err *err);
/* The "type" member must equal want. */
int ss_json_type(const cJSON *obj, const char *want, ss_err *err);

bool ss_valid_id(const char *s);

/* Builders: thin wrappers that abort on allocation failure. */
cJSON *ss_json_new_object(void);
cJSON *ss_json_add_object(cJSON *obj, const char *name);
void ss_json_add_string(cJSON *obj, const char *name, const char *value);
void ss_json_add_string_or_null(cJSON *obj, const char *name, const char *value);
void ss_json_add_int(cJSON *obj, const char *name, int64_t value);
void ss_json_add_bool(cJSON *obj, const char *name, bool value);
void ss_json_add_null(cJSON *obj, const char *name);
void ss_json_add_hex(cJSON *obj, const char *name, const void *p, size_t n);
void ss_json_add_b64(cJSON *obj, const char *name, const void *p, size_t n);
void ss_json_add_u64hex(cJSON *obj, const char *name, uint64_t value);
void ss_json_add_item(cJSON *obj, const char *name, cJSON *item);

/* cJSON_Delete after wiping every string and name in the tree (records
 * that carried secrets). */
void ss_json_wipe_delete(cJSON *v);

/* Compact JSON in member order (how documents are printed). */
void ss_json_write(const cJSON *v, ss_buf *out);
/* One document as one line on stdout, flushed; SS_EIO on a write failure. */
int ss_json_print_line(const cJSON *doc, ss_err *err);

#endif
