/* ss.collision-report.v1: the verdict of an isolation check
 * (docs/schemas/ss.collision-report.v1.schema.json).
 *
 *   {"type": "ss.collision-report.v1", "inputs": [FILE...],
 *    "partition": {"index": I, "count": N, "hash": NAME}   (partial reports only)
 *    "records": N, "violations": N,
 *    "by_kind": {"binding_cross_tenant": N, "key_reuse": N, "nonce_reuse": N,
 *                "execution_cross_tenant": N, "missing_field": N},
 *    "examples": [{"kind", "value", "first": SIDE, "second": SIDE | null}...],
 *    "max_examples": N, "passed": BOOL,
 *    "stress": {...}                                        (stress runs only)}
 *   SIDE = {"file", "line", "tenant_id": ID | null
 *           [, "execution_id": ID | null]   (key_reuse and missing_field)}
 *
 * Examples are the first max_examples violations in input order (by the
 * record that showed them: inputs in the order given, then line, then kind
 * in by_kind order), which is what makes a merge of partial reports equal
 * to a single run: each partition's first violations include the whole
 * run's first violations that fall in it. */
#ifndef SS_COLLISION_REPORT_H
#define SS_COLLISION_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/collision_record.h"
#include "ss/err.h"

enum ss_collision_kind {
	SS_CK_BINDING_CROSS_TENANT,
	SS_CK_KEY_REUSE,
	SS_CK_NONCE_REUSE,
	SS_CK_EXECUTION_CROSS_TENANT,
	SS_CK_MISSING_FIELD,
	SS_CK_COUNT
};

#define SS_COLLISION_MAX_EXAMPLES 1000
#define SS_COLLISION_DEFAULT_EXAMPLES 10
#define SS_COLLISION_MAX_PARTITIONS 65536
#define SS_COLLISION_MAX_INPUTS 65536

/* "binding_cross_tenant", ... */
const char *ss_collision_kind_name(enum ss_collision_kind k);

typedef struct ss_collision_side {
	uint32_t input;    /* index in inputs */
	uint64_t line;
	char tenant[SS_COLLISION_ID_MAX + 1];    /* "" for null */
	bool has_execution;                      /* the member is written */
	char execution[SS_COLLISION_ID_MAX + 1]; /* "" for null */
} ss_collision_side;

typedef struct ss_collision_example {
	enum ss_collision_kind kind;
	char value[SS_COLLISION_ID_MAX + 1];
	ss_collision_side first;
	bool has_second;   /* false for missing_field: one record */
	ss_collision_side second;
} ss_collision_example;

typedef struct ss_collision_stress {
	uint64_t tenants, executions, seed, derivations, milliseconds, per_second;
	int jobs;
} ss_collision_stress;

typedef struct ss_collision_report {
	char **inputs;
	size_t ninputs;
	uint32_t part_index;   /* 1..part_count; part_count 0: a whole run */
	uint32_t part_count;
	uint64_t records;
	uint64_t by_kind[SS_CK_COUNT];
	ss_collision_example *examples;
	size_t nexamples;
	size_t max_examples;
	bool has_stress;
	ss_collision_stress stress;
} ss_collision_report;

uint64_t ss_collision_report_violations(const ss_collision_report *r);
/* The record an example is about: the later one, or the only one. */
const ss_collision_side *ss_collision_example_at(const ss_collision_example *e);
/* A file name can go into a report: not empty, and text (UTF-8). */
bool ss_collision_name_ok(const char *name);
/* The document; members in the order above. */
cJSON *ss_collision_report_to_json(const ss_collision_report *r);
/* Strict parse (the tool's own output; every member checked). */
int ss_collision_report_parse(const cJSON *doc, ss_collision_report *out, ss_err *err);
void ss_collision_report_free(ss_collision_report *r);

/* Combine the partial reports of partitions 1..N of one input into the
 * report of a single run: same inputs, records and max_examples in each,
 * every partition exactly once.  SS_EINPUT naming what does not fit. */
int ss_collision_merge(ss_collision_report *parts, size_t n, ss_collision_report *out,
		       ss_err *err);

#endif
