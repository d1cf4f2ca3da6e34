/* A derivation root that never leaves the TPM: a persistent keyed-hash
 * (HMAC-SHA256) object in the owner hierarchy, under an ECC P-256 storage
 * primary made from the standard template (the primary itself is not kept:
 * the TPM recreates the same one from its seed whenever asked).
 *
 * The extract step with such a root is
 *
 *     PRK = TPM2_HMAC(root, salt) = HMAC-SHA256(key = root, message = salt)
 *
 * which is NOT RFC 5869's HKDF-Extract, HMAC-SHA256(key = salt, message =
 * IKM): a TPM object can only ever be the HMAC key, so the roles are
 * swapped, and an empty salt is an empty message rather than 32 zero bytes.
 * The expand step is RFC 5869's HKDF-Expand, done in software.  The same
 * bytes used as --root-secret and imported as a TPM root therefore give
 * different keys.  The PRK leaves the TPM (it is what the expand step
 * needs); the command and response travel in an HMAC session with response
 * encryption, so neither the auth value nor, when the object has one, the
 * PRK cross the TPM interface in the clear.
 *
 * Every transient object and session is flushed before these return,
 * whichever way they return. */
#ifndef SS_TPM_HMAC_H
#define SS_TPM_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "ss/err.h"
#include "ss/kdf.h"
#include "ss/tpm.h"

#define SS_TPM_HMAC_AUTH_MAX 32 /* the object's nameAlg is SHA-256 */

/* Create the root (random key generated inside the TPM, fixedTPM,
 * fixedParent, sensitiveDataOrigin, userWithAuth, sign only) with the given
 * auth value (authlen 0: none) and persist it at handle.  owner_auth is the
 * owner hierarchy's auth value (ownerlen 0: empty).  An occupied handle is
 * SS_ETPM and is left as it was. */
int ss_tpm_hmac_root_create(ss_tpm *t, uint32_t handle, const void *auth, size_t authlen,
			    const void *owner_auth, size_t ownerlen, ss_err *err);

/* PRK = TPM2_HMAC(root at handle, salt).  The object must be an
 * HMAC-SHA256 keyed-hash signing key; anything else is SS_ETPM.  A wrong
 * auth value is SS_ETPM with the TPM's reason. */
int ss_tpm_hmac_extract(ss_tpm *t, uint32_t handle, const void *auth, size_t authlen,
			const void *salt, size_t saltlen, unsigned char prk[SS_HKDF_PRK_LEN],
			ss_err *err);

#endif
