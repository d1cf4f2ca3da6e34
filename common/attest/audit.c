#include "ss/audit.h"

#include "ss/json.h"
#include "ss/timefmt.h"

cJSON *ss_audit_entry(const char *event, const char *decision, int64_t now)
{
	cJSON *e = ss_json_new_object();

	ss_json_add_time(e, "at", now);
	ss_json_add_string(e, "event", event);
	ss_json_add_string(e, "decision", decision);
	return e;
}

int ss_audit_append(ss_store *st, cJSON *entry, ss_err *err)
{
	int rc = ss_store_audit(st, entry, err);

	cJSON_Delete(entry);
	return rc;
}
