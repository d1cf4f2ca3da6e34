/* What a control plane's state directory holds, for an operator:
 * ss.status.v1 (schema docs/schemas/ss.status.v1.schema.json).
 *
 *   type, state_dir, at,
 *   enrolled [{ak_name, runner_id, enrolled_at, simulator}],
 *   revoked [{ak_name, runner_id, revoked_at, reason, signed}],
 *   challenges {pending, expired}, enroll_challenges {pending, expired},
 *   decisions (archived),
 *   last_hour {since, approved, denied, aborted, by_reason {CODE: N}},
 *   audit {lines, intact, broken_line},
 *   unreadable ["KIND/KEY", ...]
 *
 * Records are read as they are, without their signatures checked
 * (`enrollments --key` is the checked listing); one that cannot be read as
 * what its kind holds is named under unreadable.  An expired challenge is
 * one past its expiry that gc has not removed yet.  last_hour counts the
 * verify decisions of the audit log; a broken chain is reported under
 * audit and ends the counting there. */
#ifndef SS_STATUS_H
#define SS_STATUS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/store.h"

int ss_status(ss_store *st, int64_t now, cJSON **out, ss_err *err);

#endif
