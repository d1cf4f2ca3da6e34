/* ss.identity.v1: a runner's TPM-backed identity.
 *   runner_id; tpm {manufacturer, vendor, firmware "0x...", simulator};
 *   ek {alg, handle "0x81......", public_pem, certificate_pem|null, nv_index
 *   "0x01c000.."|null} (handles and NV indexes: 0x and 8 hex digits, one form);
 *   ak {alg, handle "0x...", public_pem, public_area_b64, name}; created_at. */
#ifndef SS_IDENTITY_H
#define SS_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/execution.h"
#include "ss/tpm_public.h"

typedef struct ss_identity {
	char runner_id[SS_ID_MAX];
	struct {
		char manufacturer[8];  /* TPM_PT_MANUFACTURER as text, e.g. "IBM" */
		char vendor[20];       /* TPM_PT_VENDOR_STRING_1..4, e.g. "SW   TPM" trimmed */
		uint64_t firmware;     /* FIRMWARE_VERSION_1 << 32 | FIRMWARE_VERSION_2 */
		bool simulator;        /* what the TPM says of itself; never trusted by a verifier */
	} tpm;
	struct {
		char alg[16];          /* "rsa-2048", "ecc-p256", "ecc-p384", ... */
		uint32_t handle;
		ss_buf public_pem;
		ss_buf certificate_pem; /* len 0: null */
		uint32_t nv_index;      /* 0: null */
	} ek;
	struct {
		char alg[16];
		uint32_t handle;
		ss_buf public_pem;
		ss_buf public_area;     /* marshaled TPM2B_PUBLIC */
		TPM2B_PUBLIC pub;       /* public_area decoded (parse fills it) */
		uint8_t name[SS_TPM_NAME_MAX];
		size_t name_len;
	} ak;
	int64_t created_at;
} ss_identity;

/* Where a runner keeps the identity `ss-tpm-identity enroll` printed, in
 * its state directory (ss/store.h); respond reads its runner id and AK
 * handle from there. */
#define SS_KIND_RUNNER "runner"
#define SS_RUNNER_IDENTITY_KEY "identity"

/* Strict parse; also checks that ak.name is the name of ak.public_area and
 * that ak.public_pem is its key. */
int ss_identity_parse(const cJSON *doc, ss_identity *out, ss_err *err);
cJSON *ss_identity_to_json(const ss_identity *id);
void ss_identity_free(ss_identity *id);

struct ss_store;
/* The runner's stored identity; *found = false when enroll never ran here. */
int ss_runner_identity_get(struct ss_store *st, ss_identity *id, bool *found, ss_err *err);
/* Keep id as the runner's identity (replacing the one kept before). */
int ss_runner_identity_put(struct ss_store *st, const ss_identity *id, ss_err *err);

#endif
