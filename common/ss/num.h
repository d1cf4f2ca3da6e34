/* Numbers from text, with range checks (never atoi): for command lines,
 * environment variables and policy files alike. */
#ifndef SS_NUM_H
#define SS_NUM_H

#include <stdbool.h>
#include <stdint.h>

/* Decimal, or hex with a 0x prefix; nothing else (no sign, no spaces). */
bool ss_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
