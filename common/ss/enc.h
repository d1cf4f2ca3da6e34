/* Hex (lowercase) and standard base64 (RFC 4648, padded), strict both ways:
 * decoders refuse uppercase hex, whitespace, missing padding and non-zero
 * pad bits, so that one value has exactly one spelling. */
#ifndef SS_ENC_H
#define SS_ENC_H

#include <stdbool.h>
#include <stddef.h>

#include "ss/buf.h"

void ss_hex_encode(const void *in, size_t n, char *out); /* out: 2n+1 bytes */
void ss_hex_append(ss_buf *b, const void *in, size_t n);
/* Decode exactly; returns false on odd length, a non-[0-9a-f] char, or
 * when the decoded length differs from want (want == 0: any, up to max). */
bool ss_hex_decode(const char *in, size_t inlen, void *out, size_t max, size_t *outlen);
/* Like ss_hex_decode but accepts uppercase too: for command-line input,
 * where tpm2-tools users may paste either. */
bool ss_hex_decode_any_case(const char *in, size_t inlen, void *out, size_t max, size_t *outlen);

size_t ss_b64_encoded_len(size_t n); /* without the NUL */
void ss_b64_append(ss_buf *b, const void *in, size_t n);
bool ss_b64_decode(const char *in, size_t inlen, ss_buf *out);

#endif
