/* The verifier's policy, a YAML file (libyaml):
 *
 *   version: 1
 *   pcr_bank: sha256
 *   pcrs:                       # expected value, or a list of allowed values
 *                               # (or 'pcrs: any': every PCR value accepted)
 *     0: 3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969
 *     7: [aa..., bb...]
 *   signature_hashes: [sha256, sha384, sha512]   # sha1 only if listed
 *   allow_simulator: false      # default false
 *   require_clock_safe: true    # default true
 *   max_challenge_age: 300      # seconds, default 300
 *   clock_skew: 30              # seconds, default 30
 *   session_lifetime: 900       # seconds, default 900
 *
 * A policy fails closed.  It is exactly one YAML document; booleans are
 * plain true or false, numbers plain decimal (no sign, no leading zero, no
 * 0x), PCR indexes plain integers; tags, anchors and aliases are refused.
 * 'pcrs' is required and names at least one PCR value; a policy that
 * accepts any PCR values says 'pcrs: any' (ss_policy_write never writes
 * that).  Every other key is optional; unknown keys, duplicate keys, bad
 * hex, wrong lengths and out-of-range numbers are SS_EINPUT with the line
 * number. */
#ifndef SS_POLICY_H
#define SS_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "ss/buf.h"
#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/pcr_select.h"

#define SS_POLICY_MAX_VALUES 16
#define SS_POLICY_MAX_SIZE ((size_t)1 << 20)

typedef struct ss_policy {
	const ss_hashalg *bank;   /* NULL: no PCR expectations */
	uint32_t mask;            /* PCRs with expectations */
	bool any_pcrs;            /* the file says 'pcrs: any' */
	uint8_t nvalues[SS_PCR_COUNT];
	uint8_t values[SS_PCR_COUNT][SS_POLICY_MAX_VALUES][SS_MAX_DIGEST];
	unsigned allowed_hashes;  /* SS_HASH_* bits */
	bool allow_simulator;
	bool require_clock_safe;
	int64_t max_challenge_age;
	int64_t clock_skew;
	int64_t session_lifetime;
	ss_buf text;              /* the file as read, for the archive */
} ss_policy;

void ss_policy_defaults(ss_policy *p);
/* name is how messages call the source, e.g. "policy 'p.yaml'". */
int ss_policy_parse(const char *text, size_t len, const char *name, ss_policy *p, ss_err *err);
int ss_policy_load(const char *path, ss_policy *p, ss_err *err);
void ss_policy_free(ss_policy *p);

/* Does value v for PCR idx satisfy the policy?  (PCRs without expectations
 * always do.) */
bool ss_policy_allows(const ss_policy *p, unsigned idx, const uint8_t *v);

/* Why value v of PCR idx is refused, in values: "PCR 4 is <quoted hex>,
 * the policy allows <hex>" (or "one of <hex>, <hex>"; a list too long for
 * out ends with "and N more"). */
void ss_policy_pcr_detail(const ss_policy *p, unsigned idx, const uint8_t *v, char *out,
			  size_t outlen);

/* A policy document expecting exactly these values (for `policy`). */
void ss_policy_write(const ss_pcrsel *sel, const uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST],
		     bool allow_simulator, ss_buf *out);

#endif
