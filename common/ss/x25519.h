/* X25519 key agreement (RFC 7748) with raw 32-byte keys, through OpenSSL.
 * The handshake's ephemeral keys are made and used here. */
#ifndef SS_X25519_H
#define SS_X25519_H

#include <stdint.h>

#include "ss/err.h"
#include "ss/secret.h"

#define SS_X25519_LEN 32

/* X25519 with raw 32-byte keys; the private half lives in secret memory. */
int ss_x25519_keygen(ss_secret *priv, uint8_t pub[SS_X25519_LEN], ss_err *err);
/* Refuses an all-zero result (a low-order peer key). */
int ss_x25519_shared(const ss_secret *priv, const uint8_t peer[SS_X25519_LEN], uint8_t out[32],
		     ss_err *err);

#endif
