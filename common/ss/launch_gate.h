/* What ss-fc-launch reads, and the gates it must pass before any process
 * starts.
 *
 * Each gate has a name, which a denied launch reports (exit 1, the
 * telemetry's attestation.reason).  They are checked in this order and
 * the first that fails decides:
 *
 *   session_signature        the session is not signed by a pinned control-plane key
 *   session_denied           the control plane did not approve it
 *   session_expired          it expired
 *   execution_mismatch       session, key and VM spec do not name the same execution
 *                            (execution_id, operator_id, the session's fingerprint)
 *   tenant_mismatch          ... or not the same tenant
 *   runner_not_enrolled      no runner identity in the state directory
 *   runner_mismatch          the session is for another runner or another AK
 *   key_binding_mismatch     the key is not bound to this session's binding
 *   key_secret_mismatch      --key-secret is not the private half of the key
 *   seccomp_disabled         the VM spec asks for no seccomp, or the kernel has none
 *   kvm_unavailable          /dev/kvm cannot be opened or is not KVM
 *   firecracker_unavailable  the firecracker binary is missing or not executable
 *   jailer_unavailable       the jailer binary is missing or not executable
 *
 * Malformed inputs never reach the gates: loading them fails with
 * SS_EINPUT (or SS_EIO when a file cannot be read). */
#ifndef SS_LAUNCH_GATE_H
#define SS_LAUNCH_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/identity.h"
#include "ss/key_record.h"
#include "ss/session.h"
#include "ss/sign.h"
#include "ss/vm_spec.h"

#define SS_GATE_SESSION_SIGNATURE "session_signature"
#define SS_GATE_SESSION_DENIED "session_denied"
#define SS_GATE_SESSION_EXPIRED "session_expired"
#define SS_GATE_EXECUTION_MISMATCH "execution_mismatch"
#define SS_GATE_TENANT_MISMATCH "tenant_mismatch"
#define SS_GATE_RUNNER_NOT_ENROLLED "runner_not_enrolled"
#define SS_GATE_RUNNER_MISMATCH "runner_mismatch"
#define SS_GATE_KEY_BINDING_MISMATCH "key_binding_mismatch"
#define SS_GATE_KEY_SECRET_MISMATCH "key_secret_mismatch"
#define SS_GATE_SECCOMP_DISABLED "seccomp_disabled"
#define SS_GATE_KVM_UNAVAILABLE "kvm_unavailable"
#define SS_GATE_FIRECRACKER_UNAVAILABLE "firecracker_unavailable"
#define SS_GATE_JAILER_UNAVAILABLE "jailer_unavailable"

/* Where the inputs come from (command-line values). */
typedef struct ss_launch_paths {
	const char *vm, *session, *key, *key_secret; /* key_secret may be NULL */
	const char *const *cp_pub;
	int ncp_pub;
	const char *state;                           /* NULL: the default state directory */
	const char *firecracker;                     /* NULL: "firecracker" on PATH */
	const char *jailer;                          /* NULL: no jailer */
} ss_launch_paths;

typedef struct ss_launch_inputs {
	ss_vm vm;
	cJSON *session_doc;
	ss_session session;
	ss_keyrec key;
	ss_keyring cp;
	bool enrolled;               /* identity was found in the state directory */
	ss_identity identity;
	bool has_signer;             /* --key-secret given */
	ss_signer signer;
	bool signer_matches;         /* it is the private half of the key record's public key */
	char firecracker[4096];      /* resolved: absolute, or as given when not found */
	char jailer[4096];           /* "" without a jailer */
	bool session_verified;       /* its signature checked out: its claims may be reported */
} ss_launch_inputs;

/* Read and strictly parse everything, hash the VM's files.  Nothing is
 * judged here: a well-formed session signed by nobody loads fine. */
int ss_launch_inputs_load(const ss_launch_paths *p, ss_launch_inputs *in, ss_err *err);
void ss_launch_inputs_free(ss_launch_inputs *in);

/* Every gate, in order.  SS_OK when all pass; SS_REFUSED with *gate set to
 * the failing gate's name and err saying why; other codes for errors
 * (a library failure is not a refusal). */
int ss_launch_gates(ss_launch_inputs *in, int64_t now, const char **gate, ss_err *err);

#endif
