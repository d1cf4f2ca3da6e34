/* One JSONL line of session, key or telemetry records, reduced to what the
 * isolation check tracks (ss-collision-check(1)).
 *
 * The line must be one well-formed JSON object by the toolkit's rules
 * (ss/json.h: UTF-8, no U+0000, integers within +-2^53, 32 levels, 1 MiB,
 * nothing after it), but only the tracked members are read; the rest is
 * validated and ignored.  This is the one exception to the strict document
 * rules, made so that any record type, present or future, can be audited.
 *
 * The tracked members are one table (collision_record.c), e.g.
 * "tenant_id" and "data.tenant_id" (telemetry events carry their fields
 * under "data").  Each field is found in at most one of its places; a
 * member that is null or "" is absent.  Values: tenant, execution and
 * challenge ids are identifiers, the binding 64 and the key id 32
 * lowercase hex digits; "approved" true or false; "type" any string.  A
 * tracked member repeated in its object is invalid input, as in every
 * document.
 *
 * ss_collision_extract is a pure function of the line, safe to call from
 * several threads at once (cJSON's hooks must have been set before, e.g.
 * by ss_json_new_object).  It reads the common shape in one validating
 * pass; anything it does not take in that pass (an escape in a tracked
 * member, a wrong type or value, a repeated member, any JSON error) goes
 * through ss_collision_extract_tree, which parses with cJSON and words the
 * error.  test_collision holds the two to the same answers over mutated
 * inputs. */
#ifndef SS_COLLISION_RECORD_H
#define SS_COLLISION_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ss/buf.h"
#include "ss/err.h"

/* The values compared across records. */
enum ss_collision_field {
	SS_CF_TENANT,
	SS_CF_EXECUTION,
	SS_CF_BINDING,
	SS_CF_KEY,
	SS_CF_NONCE,
	SS_CF_COUNT
};

#define SS_CF_BIT(f) (1u << (f))
#define SS_COLLISION_BINDING_LEN 32 /* raw bytes of the 64 hex digits */
#define SS_COLLISION_KEY_LEN 16     /* raw bytes of the 32 hex digits */
#define SS_COLLISION_ID_MAX 128

/* The record is a refusal (a denied session, a telemetry event of a denied
 * launch): it is counted and establishes nothing. */
#define SS_CREC_REFUSAL 1u

typedef struct ss_collision_rec {
	uint64_t hash[SS_CF_COUNT];   /* ss_collision_hash of each present value */
	uint32_t off[SS_CF_COUNT];    /* tenant, execution, nonce: offset in the strings buffer */
	uint8_t len[SS_CF_COUNT];     /* their lengths, 1..128 */
	uint8_t present;              /* SS_CF_BIT of each field present */
	uint8_t flags;                /* SS_CREC_* */
	uint8_t binding[SS_COLLISION_BINDING_LEN];
	uint8_t key_id[SS_COLLISION_KEY_LEN];
} ss_collision_rec;

/* Reduce one line (without its newline) to *rec.  Identifier values are
 * appended to strings (rec->off points into it; the buffer may move, the
 * offsets stay valid).  SS_EINPUT with the reason when the line is not a
 * well-formed object or a tracked member is malformed. */
int ss_collision_extract(const char *line, size_t len, ss_collision_rec *rec, ss_buf *strings,
			 ss_err *err);
/* The same through a cJSON tree: the reference the one-pass reader is held
 * to.  Same results, same messages. */
int ss_collision_extract_tree(const char *line, size_t len, ss_collision_rec *rec,
			      ss_buf *strings, ss_err *err);

/* Setting fields by hand (records not read from text, e.g. the stress
 * mode).  id: an identifier of 1..128 characters. */
void ss_collision_rec_clear(ss_collision_rec *rec);
void ss_collision_rec_set_id(ss_collision_rec *rec, ss_buf *strings, enum ss_collision_field f,
			     const char *id);
void ss_collision_rec_set_binding(ss_collision_rec *rec, const uint8_t b[SS_COLLISION_BINDING_LEN]);
void ss_collision_rec_set_key(ss_collision_rec *rec, const uint8_t k[SS_COLLISION_KEY_LEN]);

/* The 64-bit hash of a value's bytes (raw bytes for the binding and key
 * id, the text of identifiers).  It decides partitions (--partition), so
 * it is fixed: the same on every machine and in every version that writes
 * ss.collision-report.v1 with the same "hash" name
 * (SS_COLLISION_HASH_NAME).  Not keyed: the values come from the fleet's
 * own records, and a crafted flood of equal hashes only slows the check. */
#define SS_COLLISION_HASH_NAME "ss-collide-64a"
uint64_t ss_collision_hash(const void *p, size_t n);

/* The member name of a field as documents write it ("tenant_id", ...). */
const char *ss_collision_field_name(enum ss_collision_field f);

#endif
