/* ss.telemetry.v1: what ss-fc-launch reports, as CloudEvents 1.0 in the
 * structured JSON format, one event per line.
 *
 *   {"specversion": "1.0", "id": 32 hex (random), "source": "urn:ss:runner:<runner_id>"
 *    ("urn:ss:runner" when the runner has no identity), "type":
 *    "ss.telemetry.v1.launched" | ".denied" | ".failed" | ".exited",
 *    "subject": execution_id, "time": RFC 3339, "datacontenttype": "application/json",
 *    "data": {...}, and when signed "signaturealg", "signaturekeyid", "signature"}
 *
 * data, every member always present (null when it does not apply):
 *   event, execution_id, tenant_id, operator_id, fingerprint (from the VM spec),
 *   session_binding_hash (of a session whose signature checked out), key_id,
 *   key_kind, runner_id (the enrolled identity's),
 *   attestation {approved, reason ("approved" or the gate), ak_name, pcr_digest,
 *                session_expires_at},
 *   vm {id, jailed, pid, kernel_sha256, initrd_sha256, drives [{drive_id, sha256,
 *       is_root_device, is_read_only}], vcpu_count, mem_size_mib},
 *   fault {request, http_status, message}       (failed),
 *   exit {reason, code, signal}                  (exited),
 *   timings_us {gates, spawn_to_socket, configure, start, total, cpu_to_start}
 *
 * The signature.  CloudEvents allows extension attributes only as
 * lowercase letters and digits with scalar values, so the toolkit's
 * signature member {alg, key_id, value} travels as three string
 * attributes: signaturealg ("ed25519"), signaturekeyid (hex SHA-256 of the
 * signer's SubjectPublicKeyInfo DER) and signature (base64).  The signed
 * bytes are the RFC 8785 form of the event without "signature" - so the
 * algorithm and key id are signed too.  The key is the execution's ed25519
 * key (ss.key.v1), whose record is all a verifier needs. */
#ifndef SS_TELEMETRY_H
#define SS_TELEMETRY_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/key_record.h"
#include "ss/launch_gate.h"
#include "ss/sign.h"
#include "ss/vmm.h"

#define SS_TELEMETRY_TYPE "ss.telemetry.v1"

typedef enum ss_event_kind {
	SS_EVENT_LAUNCHED,
	SS_EVENT_DENIED,
	SS_EVENT_FAILED,
	SS_EVENT_EXITED,
} ss_event_kind;

typedef struct ss_event_info {
	ss_event_kind kind;
	const ss_launch_inputs *in;
	bool jailed;
	const char *vm_id;
	const ss_vmm *vmm;            /* NULL when nothing was started */
	const char *gate;             /* denied */
	const char *fault;            /* failed: the one-line message */
	const ss_vmm_exit *exit;      /* exited */
	int64_t gates_us;             /* reading the inputs and checking the gates */
	int64_t total_us;             /* since the tool started */
	int64_t now;                  /* wall clock, seconds */
} ss_event_info;

const char *ss_event_kind_name(ss_event_kind kind);

/* The event, unsigned. */
int ss_telemetry_event(const ss_event_info *e, cJSON **out, ss_err *err);
/* Add signaturealg, signaturekeyid and signature. */
int ss_telemetry_sign(cJSON *event, const ss_signer *s, ss_err *err);

/* Check one event line against the key record: a well-formed event
 * (else SS_EINPUT), signed (else SS_REFUSED "not signed"), by the key's
 * public half over the bytes above, naming the key's execution, tenant
 * and key id (else SS_REFUSED saying which). */
int ss_telemetry_verify(const char *line, size_t len, const ss_keyrec *key,
			const ss_keyring *ring, ss_err *err);

/* Every line of a stream (fd): SS_OK when there is at least one event and
 * all verify; otherwise the first failure, its message starting
 * "line N: ". *count gets the events that verified. */
int ss_telemetry_verify_stream(int fd, const char *name, const ss_keyrec *key, size_t *count,
			       ss_err *err);

#endif
