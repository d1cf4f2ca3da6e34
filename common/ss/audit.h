/* Lines of the control plane's audit log (<state>/audit.jsonl, schema
 * docs/schemas/ss.audit.v1.schema.json): every decision of enrollment and
 * verification, each line begun the same way {at, event, decision} and
 * completed by the caller with what that event records. */
#ifndef SS_AUDIT_H
#define SS_AUDIT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/err.h"
#include "ss/store.h"

/* A new line: at (now), event ("verify", "revoke", ...), decision. */
cJSON *ss_audit_entry(const char *event, const char *decision, int64_t now);
/* Append it to the log (one durable write, ss_store_audit) and free it. */
int ss_audit_append(ss_store *st, cJSON *entry, ss_err *err);

#endif
