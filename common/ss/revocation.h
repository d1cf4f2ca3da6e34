/* ss.revocation.v1: the control plane's signed record that an AK was
 * revoked (schema docs/schemas/ss.revocation.v1.schema.json).
 *
 *   type, ak_name (hex TPM name), runner_id (the enrolled record's, or
 *   null when it named none), reason (the operator's words), revoked_at,
 *   enrollment (the AK's ss.enrollment.v1 exactly as it was stored),
 *   signature (control plane)
 *
 * Kept as revoked/<ak_name> (ss/enroll.h).  Records revoked before
 * revocations were signed are {revoked_at, enrollment}: they still mean
 * revoked, and read as such, but nothing vouches for them. */
#ifndef SS_REVOCATION_H
#define SS_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/execution.h"
#include "ss/sign.h"
#include "ss/store.h"
#include "ss/tpm_public.h"

#define SS_REVOCATION_REASON_MAX 256

/* 1..256 bytes of UTF-8 without control characters: one line. */
bool ss_revocation_valid_reason(const char *s);

/* The unsigned document. */
cJSON *ss_revocation_to_json(const char *ak_name_hex, const char *runner_id, const char *reason,
			     int64_t revoked_at, const cJSON *enrollment);

/* What status shows of a revoked record, signed or from before. */
typedef struct ss_revocation {
	char ak_name[2 * SS_TPM_NAME_MAX + 1];
	char runner_id[SS_ID_MAX];  /* "" when none */
	char reason[SS_REVOCATION_REASON_MAX + 1]; /* "" for a record from before */
	int64_t revoked_at;
	bool signed_record;         /* an ss.revocation.v1 (else the old form) */
} ss_revocation;

/* Strict parse of either form (an ss.revocation.v1's signature is left to
 * ss_doc_verify). */
int ss_revocation_parse(const cJSON *doc, ss_revocation *out, ss_err *err);

/* The revoked records, sorted by AK name, as a JSON array.  With cp each
 * must be an ss.revocation.v1 that verifies under it and names the AK it is
 * stored for; a record that is not is SS_REFUSED naming it (a record from
 * before is not signed).  cp NULL: parsed, not verified, each as stored. */
int ss_revocation_list(ss_store *st, const ss_keyring *cp, cJSON **records, ss_err *err);

#endif
