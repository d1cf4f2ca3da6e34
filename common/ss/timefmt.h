/* Times in documents: RFC 3339 UTC, whole seconds, "Z" ("2026-11-25T18:12:30Z"). */
#ifndef SS_TIMEFMT_H
#define SS_TIMEFMT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ss/err.h"

#define SS_TIME_LEN 21 /* with the NUL */

void ss_time_format(int64_t t, char out[SS_TIME_LEN]);
/* Exactly YYYY-MM-DDTHH:MM:SSZ with a valid date; false otherwise. */
bool ss_time_parse(const char *s, int64_t *out);
int64_t ss_now(void);
/* A time (as ss_time_parse) or an age before now: a decimal number of
 * seconds, minutes, hours or days ("90s", "15m", "2h", "7d"), at most ten
 * years. */
bool ss_time_or_age(const char *s, int64_t now, int64_t *out);

/* Document member helpers. */
int ss_json_time(const cJSON *obj, const char *where, const char *name, int64_t *out,
		 ss_err *err);
void ss_json_add_time(cJSON *obj, const char *name, int64_t t);

#endif
