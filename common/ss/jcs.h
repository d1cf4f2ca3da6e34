/* RFC 8785 JSON Canonicalization Scheme: the bytes that are hashed and signed.
 * Members sorted by their UTF-16 code units, no whitespace, minimal string
 * escapes, numbers as ECMAScript prints them. */
#ifndef SS_JCS_H
#define SS_JCS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"

/* Returns false for what JCS cannot represent (NaN, infinity). */
bool ss_jcs_write(const cJSON *v, ss_buf *out);
/* The JCS of obj without its member named skip (e.g. "signature"). */
bool ss_jcs_write_without(const cJSON *obj, const char *skip, ss_buf *out);

/* Shared with the compact writer. */
void ss_jcs_string(const char *s, ss_buf *out);
bool ss_jcs_number(double d, ss_buf *out);

#endif
