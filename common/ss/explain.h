/* Why a verify decided what it did: each check of the verify checklist
 * (ss-attest-handshake(1), VERIFY CHECKLIST) with its outcome and the values
 * it compared, recorded while the verify runs and archived with its
 * decision (decisions/<challenge_id>, member "checks"), then shown by
 * `ss-attest-handshake explain` as an ss.explanation.v1 without running
 * anything again.
 *
 * A recorded check is {"check": REASON_CODE, "outcome": "passed" | "failed",
 * "compared": {...}}; each code appears at most once, in the order the
 * checks completed.  A verify stops at its first failure, so the checks it
 * did not reach are not recorded; explain shows them as "not_run".
 * (hash_not_allowed is decided for the signature's hash before the
 * signature is verified: a quote refused for that hash shows
 * signature_invalid as not_run.) */
#ifndef SS_EXPLAIN_H
#define SS_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/store.h"

/* The checklist's reason codes, in its order; NULL-terminated. */
extern const char *const ss_checklist[];

/* Append a check to trace (a JSON array) and return its "compared" object
 * for the caller to fill; NULL, and nothing recorded, when trace is NULL
 * (verifies that keep no record, such as verify-quote). */
cJSON *ss_trace_check(cJSON *trace, const char *check, bool passed);

/* The explanation of the decision archived for challenge_id: an
 * ss.explanation.v1 {type, challenge_id, approved, reason, detail,
 * verified_at, execution_id, tenant_id, operator_id, runner_id, ak_name,
 * checks_recorded, checks, policy {sha256, text}, session, audit}.  checks
 * lists every check of the checklist in order; a decision archived before
 * checks were recorded (checks_recorded false) has outcomes from its
 * reason and no compared values.  audit: the log's lines naming the
 * challenge, each link of the whole log checked (a break is SS_REFUSED
 * naming its line).  No decision archived for it is SS_EINPUT, saying
 * whether the challenge is pending, used without a decision, or unknown. */
int ss_explain(ss_store *st, const char *challenge_id, cJSON **out, ss_err *err);

#endif
