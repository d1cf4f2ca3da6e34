/* PCR selections, as written on command lines and in documents:
 * "sha256:0,1,2", "sha256:0-7", "sha1:0-3,7" — one bank, PCRs 0..23. */
#ifndef SS_PCR_SELECT_H
#define SS_PCR_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ss/err.h"

#define SS_PCR_COUNT 24

typedef struct ss_hashalg {
	const char *name;  /* "sha256" */
	uint16_t tpm_alg;  /* TPM2_ALG_SHA256 */
	size_t size;       /* digest bytes */
} ss_hashalg;

const ss_hashalg *ss_hash_by_name(const char *name);
const ss_hashalg *ss_hash_by_alg(uint16_t tpm_alg);

/* Signature hashes a policy may allow: bit (1 << i) for ss_hash_by_alg order
 * sha1, sha256, sha384, sha512. */
#define SS_HASH_SHA1 (1u << 0)
#define SS_HASH_SHA256 (1u << 1)
#define SS_HASH_SHA384 (1u << 2)
#define SS_HASH_SHA512 (1u << 3)
#define SS_HASH_DEFAULT (SS_HASH_SHA256 | SS_HASH_SHA384 | SS_HASH_SHA512)
unsigned ss_hash_bit(uint16_t tpm_alg);

typedef struct ss_pcrsel {
	const ss_hashalg *hash;
	uint32_t mask; /* bit i: PCR i */
} ss_pcrsel;

/* Parse strictly: a known bank, ascending or not, no PCR twice, none past
 * 23, not empty.  Errors are SS_EINPUT. */
int ss_pcrsel_parse(const char *s, ss_pcrsel *out, ss_err *err);
/* The same for a selection given on a command line: errors are usage
 * errors naming the option ("--pcrs: PCR selection 'sha256:24': ..."). */
int ss_pcrsel_parse_arg(const char *opt, const char *s, ss_pcrsel *out, ss_err *err);
/* Canonical "sha256:0,1,2" (ascending, no ranges). */
void ss_pcrsel_format(const ss_pcrsel *sel, char *out, size_t outlen);
int ss_pcrsel_count(const ss_pcrsel *sel);

#endif
