/* The stress mode of ss-collision-check: tenants x executions sessions made
 * up from a seed, each bound and keyed by the toolkit's own code, then
 * checked.  Any violation means two of them collided.
 *
 * For tenant t and execution j: an ss.execution.v1 (execution_id
 * "exec-T-J", tenant_id "tenant-T"), an ss.challenge.v1 for it (challenge
 * id, nonce and control-plane ephemeral key from the seed) and the
 * ss.evidence.v1 of tenant t's runner (its ephemeral key and quote bytes
 * from the seed); the binding is ss_hs_session_binding of the two, and the
 * execution's ed25519 key comes from ss_execkey_batch_derive under a root
 * made from the seed.  Two records go to the tracker for each: the
 * session's (tenant, execution, binding, challenge id) and the key's
 * (tenant, execution, binding, key id), numbered 2(tM+j)+1 and 2(tM+j)+2
 * in an input called "stress".  The seed's bytes come from ChaCha20 keyed
 * with SHA-256 of it, so a seed always makes the same sessions. */
#ifndef SS_COLLISION_STRESS_H
#define SS_COLLISION_STRESS_H

#include <stdint.h>

#include "ss/collision_report.h"
#include "ss/collision_tracker.h"
#include "ss/err.h"
#include "ss/io.h"

#define SS_STRESS_MAX_SIDE 1000000ull      /* tenants, executions */
#define SS_STRESS_MAX_TOTAL 100000000ull   /* tenants x executions */

/* Derive and track everything; out gets the counts and timings (wall
 * clock, derivation and check together).  jobs: threads, 1..64. */
int ss_collision_stress_run(ss_collision_tracker *t, uint64_t tenants, uint64_t executions,
			    uint64_t seed, int jobs, ss_progress *prog, ss_collision_stress *out,
			    ss_err *err);

#endif
