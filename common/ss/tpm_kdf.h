/* The TPM 2.0 key derivation functions (TPM 2.0 Part 1, "Key Derivation
 * Functions"), computed with OpenSSL's EVP_KDF implementations:
 *
 *   KDFa: SP800-108 counter mode with HMAC (OpenSSL "KBKDF")
 *         K(i) = HMAC_hash(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32)
 *   KDFe: SP800-56A concatenation KDF with a hash (OpenSSL "SSKDF")
 *         K(i) = hash([i]32 || Z || label || 0x00 || partyUInfo || partyVInfo)
 *
 * The label is given without its terminating NUL: the 0x00 is always added,
 * as the TPM adds it to a label that does not end in one.  Outputs are whole
 * bytes (bits = 8 * outlen); nothing in this toolkit derives a partial byte.
 * The hash is a TPM algorithm id (TPM2_ALG_SHA256, ...). */
#ifndef SS_TPM_KDF_H
#define SS_TPM_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "ss/err.h"

int ss_tpm_kdfa(uint16_t hash_alg, const uint8_t *key, size_t keylen, const char *label,
		const uint8_t *context_u, size_t ulen, const uint8_t *context_v, size_t vlen,
		uint8_t *out, size_t outlen, ss_err *err);

int ss_tpm_kdfe(uint16_t hash_alg, const uint8_t *z, size_t zlen, const char *label,
		const uint8_t *party_u, size_t ulen, const uint8_t *party_v, size_t vlen,
		uint8_t *out, size_t outlen, ss_err *err);

#endif
