/* Attestation keys: persistent restricted signing keys created under the
 * EK, so that credential activation can prove they live beside it.
 *
 *   ecc: ECC NIST P-256, ECDSA with SHA-256 (the default)
 *   rsa: RSA 2048, RSASSA-PKCS1-v1_5 with SHA-256
 * both with nameAlg SHA-256 and fixedTPM | fixedParent |
 * sensitiveDataOrigin | userWithAuth | restricted | sign, empty auth. */
#ifndef SS_TPM_AK_H
#define SS_TPM_AK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "ss/err.h"
#include "ss/tpm.h"
#include "ss/tpm_ek.h"
#include "ss/tpm_public.h"

#define SS_AK_DEFAULT_HANDLE 0x8100A001u

typedef enum ss_ak_alg { SS_AK_ECC, SS_AK_RSA } ss_ak_alg;

typedef struct ss_tpm_ak {
	uint32_t handle;
	ESYS_TR tr;            /* persistent: never flushed */
	TPM2B_PUBLIC pub;
	uint8_t name[SS_TPM_NAME_MAX];
	size_t name_len;
} ss_tpm_ak;

typedef enum ss_ak_outcome { SS_AK_REUSED, SS_AK_CREATED, SS_AK_REPLACED } ss_ak_outcome;

/* The persistent AK at ak_handle: its handle, ESAPI object, public area
 * and name.  Nothing there, or an object that is not a restricted signing
 * key, is SS_ETPM. */
int ss_tpm_ak_load(ss_tpm *t, uint32_t ak_handle, ss_tpm_ak *ak, ss_err *err);

/* The same for the AK a runner enrolled, whose public area its identity
 * record holds: the object at ak_handle must be that key (by name, "not
 * the enrolled one" otherwise, SS_ETPM).  One TPM command fewer than
 * ss_tpm_ak_load. */
int ss_tpm_ak_load_enrolled(ss_tpm *t, uint32_t ak_handle, const TPM2B_PUBLIC *enrolled,
			    ss_tpm_ak *ak, ss_err *err);

/* *child: the AK's qualified name is H_nameAlg(EK qualified name || AK
 * name), i.e. the TPM created it under this EK. */
int ss_tpm_ak_is_child(ss_tpm *t, const ss_tpm_ak *ak, const ss_tpm_ek *ek, bool *child,
		       ss_err *err);

/* The AK at handle under ek: reuse the one there when it is an AK of this
 * algorithm under this EK; create one when the handle is free; with force,
 * replace an AK that is there (only an AK: any other object is refused).
 * An AK that does not fit, without force, is SS_EUSAGE.  Creating needs
 * the EK's authorization (ss_tpm_ek_session), replacing and persisting
 * the owner's. */
int ss_tpm_ak_enroll(ss_tpm *t, const ss_tpm_ek *ek, ss_ak_alg alg, uint32_t handle, bool force,
		     ss_tpm_ak *ak, ss_ak_outcome *outcome, ss_err *err);

/* The creation template for alg. */
void ss_tpm_ak_template(ss_ak_alg alg, TPM2B_PUBLIC *out);
/* "ecc-p256" / "rsa-2048": what ss_tpm_public_alg reports for alg. */
const char *ss_ak_alg_name(ss_ak_alg alg);

#endif
