/* Endorsement keys, as the TCG EK Credential Profile for TPM Family 2.0
 * lays them out.
 *
 * Which EK a runner uses is decided by the EK certificates its TPM holds,
 * looked up at the profile's NV indices in this order: the low range RSA
 * 2048 (0x01c00002) and ECC P-256 (0x01c0000a), then the high range
 * 0x01c00012, 0x01c00014, ... 0x01c0001e (templates H-1 .. H-7).
 *   1. The first certificate whose key a persistent object has: that object.
 *   2. Else the first certificate found: its EK is created from the
 *      template that index belongs to, must match the certificate, and is
 *      made persistent at the handle the profile registers for it
 *      (0x81010001 for L-1, 0x81010002 for L-2, 0x810100NN for the high
 *      range index 0x01c000NN).
 *   3. No certificate at all: the default EK (template L-1, RSA 2048) at
 *      0x81010001, created when missing.
 * A persistent object is never evicted or replaced here. */
#ifndef SS_TPM_EK_H
#define SS_TPM_EK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/tpm.h"

#define SS_EK_DEFAULT_HANDLE 0x81010001u
#define SS_EK_HANDLE_FIRST 0x81010000u  /* the range TCG reserves for EKs */
#define SS_EK_HANDLE_LAST 0x8101ffffu

typedef struct ss_tpm_ek {
	uint32_t handle;       /* persistent handle */
	ESYS_TR tr;            /* its ESAPI object (persistent: never flushed) */
	TPM2B_PUBLIC pub;
	TPM2B_NAME qname;      /* qualified name, for the AK's parent check */
	ss_buf cert_der;       /* len 0: no certificate matches this EK */
	uint32_t nv_index;     /* 0: no certificate */
	bool created;          /* created and made persistent by this call */
} ss_tpm_ek;

/* Choose the EK by the rule above.  handle != 0: use that persistent EK
 * instead (it must be a restricted decryption primary key of the
 * endorsement hierarchy) with the certificate whose key matches it, if
 * any.  create == false only finds: an EK that would have to be created
 * is an error.  Creating needs the endorsement hierarchy's authorization
 * and persisting the owner's (ss_tpm_set_auth). */
int ss_tpm_ek_select(ss_tpm *t, uint32_t handle, bool create, ss_tpm_ek *ek, ss_err *err);
void ss_tpm_ek_free(ss_tpm_ek *ek);

/* An authorization for using the EK (as a parent, or in
 * ActivateCredential): ESYS_TR_PASSWORD when its userWithAuth is set,
 * else a policy session satisfying its authPolicy (PolicyA, or PolicyB
 * through its PolicyA branch), which needs the endorsement hierarchy's
 * authorization.  The session is tracked; end it with ss_tpm_flush. */
int ss_tpm_ek_session(ss_tpm *t, const ss_tpm_ek *ek, ESYS_TR *session, ss_err *err);

/* The certificate as PEM. */
int ss_tpm_ek_cert_pem(const ss_tpm_ek *ek, ss_buf *pem, ss_err *err);

/* The profile's policies computed for a name algorithm (SHA-256/384/512):
 * PolicyA = PolicySecret(TPM_RH_ENDORSEMENT), PolicyB = PolicyOR(PolicyA,
 * PolicyC).  out holds SS_MAX_DIGEST bytes. */
int ss_ek_policy_a(uint16_t name_alg, uint8_t *out, size_t *len, ss_err *err);
int ss_ek_policy_b(uint16_t name_alg, uint8_t *out, size_t *len, ss_err *err);

/* name_alg || H_name_alg(parent qualified name || name): the qualified
 * name of an object under a parent (a hierarchy's qualified name is its
 * 4-byte handle). */
int ss_tpm_qualified_name(uint16_t name_alg, const uint8_t *parent_qn, size_t parent_qn_len,
			  const uint8_t *name, size_t name_len, TPM2B_NAME *out, ss_err *err);

#endif
