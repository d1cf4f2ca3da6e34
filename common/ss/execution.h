/* ss.execution.v1: what is to run, for whom, on whose behalf. */
#ifndef SS_EXECUTION_H
#define SS_EXECUTION_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ss/err.h"

#define SS_ID_MAX 129           /* identifier + NUL */
#define SS_FINGERPRINT_MAX 72   /* "sha256:" + 64 hex + NUL */

typedef struct ss_execution {
	char execution_id[SS_ID_MAX];
	char tenant_id[SS_ID_MAX];
	char operator_id[SS_ID_MAX];
	char fingerprint[SS_FINGERPRINT_MAX];
} ss_execution;

/* Strict: exactly {type, execution_id, tenant_id, operator_id, fingerprint}. */
int ss_execution_parse(const cJSON *obj, const char *where, ss_execution *out, ss_err *err);
/* The document, with its members in contract order. */
cJSON *ss_execution_to_json(const ss_execution *e);
bool ss_valid_fingerprint(const char *s);

#endif
