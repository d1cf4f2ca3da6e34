/* An archived key record checked offline against the session it names
 * (ss-derive-key check-key): what ties an execution's key to its attested
 * session, without the session secret. */
#ifndef SS_KEY_CHECK_H
#define SS_KEY_CHECK_H

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/key_record.h"
#include "ss/session.h"
#include "ss/sign.h"

/* Check, in this order, stopping at the first that fails: the session is
 * signed by a pinned key (ring), approved, and the key was derived while
 * it was valid (verified_at <= derived_at < expires_at); the key carries
 * the session's binding; it names the session's execution, tenant and
 * operator; its context_hash is SHA-256 of JCS(context) rebuilt from the
 * session's execution and the record's kind and purpose (ss/execution_key.h).
 * key_id and public_key_pem come from the key itself and cannot be
 * recomputed without the session secret.  SS_REFUSED "session: ..." or
 * "key: ..." naming what failed; SS_EINPUT for a malformed signature member. */
int ss_keyrec_check(const ss_keyrec *k, const cJSON *session_doc, const ss_session *s,
		    const ss_keyring *ring, ss_err *err);

#endif
