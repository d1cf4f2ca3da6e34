/* The isolation check proper: extracted records (ss/collision_record.h) in
 * input order, one thread, and what they show (ss/collision_report.h).
 *
 * The rules (ss-collision-check(1) says them for users):
 *  - A refusal (a denied session, a denied launch) is counted and
 *    establishes nothing.
 *  - Every other record needs tenant_id, execution_id and
 *    session_binding_hash; without one of them it is a missing_field
 *    violation and takes no further part.
 *  - binding_cross_tenant: a binding seen before under another tenant.
 *  - key_reuse: a key id seen before with another tenant or execution.
 *  - nonce_reuse: a challenge id seen before with another binding (the
 *    same session seen again - its document, key record and telemetry -
 *    carries the same binding).
 *  - execution_cross_tenant: an execution id seen before under another
 *    tenant.
 *  Each counts once per record; "before" is the first record that carried
 *  the value, which stays the reference.
 *
 * State is bounded by the distinct values, never by the input: per
 * binding 40 bytes plus its index slot, per key id 32, per execution and
 * challenge id their text and 16 to 48 bytes.
 *
 * Partitions: with part_count N, a value is tracked only when its hash h =
 * ss_collision_hash(value) falls in partition part_index (1..N), that is
 * ((h mod 2^32) * N) / 2^32 = part_index - 1, and
 * missing_field violations are counted by partition 1.  Every value's
 * whole history is in one partition, so the partitions' counts add up to
 * those of a single run and each keeps the run's first examples of its
 * values (ss_collision_merge). */
#ifndef SS_COLLISION_TRACKER_H
#define SS_COLLISION_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "ss/collision_record.h"
#include "ss/collision_report.h"
#include "ss/err.h"

typedef struct ss_collision_tracker ss_collision_tracker;

typedef struct ss_collision_stats {
	uint64_t distinct[SS_CF_COUNT]; /* values tracked, per field */
	uint64_t binding_bytes;         /* the bindings' entries and index */
	uint64_t total_bytes;           /* every table and string */
} ss_collision_stats;

/* part_count 0: no partitions.  max_examples <= SS_COLLISION_MAX_EXAMPLES. */
ss_collision_tracker *ss_collision_tracker_new(uint32_t part_index, uint32_t part_count,
					       size_t max_examples);
void ss_collision_tracker_free(ss_collision_tracker *t);

/* The records that follow come from this input, from its line 1 on.
 * name: as the report will call it ("-" for standard input). */
void ss_collision_tracker_input(ss_collision_tracker *t, const char *name);

/* n records in input order (one per line of the current input); strings:
 * the buffer their offsets point into.  SS_EINPUT only past the limits
 * (2^40 records, 2^24 - 2 tenants). */
int ss_collision_track(ss_collision_tracker *t, const ss_collision_rec *recs, size_t n,
		       const char *strings, ss_err *err);

uint64_t ss_collision_tracker_records(const ss_collision_tracker *t);
/* The report so far (ss_collision_report_free it). */
void ss_collision_tracker_report(const ss_collision_tracker *t, ss_collision_report *out);
void ss_collision_tracker_stats(const ss_collision_tracker *t, ss_collision_stats *out);

#endif
