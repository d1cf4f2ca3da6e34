#include "ss/execution.h"

#include <stdio.h>
#include <string.h>

#include "ss/json.h"

bool ss_valid_fingerprint(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
		return false;
	for (s += 7; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int ss_execution_parse(const cJSON *obj, const char *where, ss_execution *out, ss_err *err)
{
	static const char *const members[] = { "type", "execution_id", "tenant_id", "operator_id",
					       "fingerprint", NULL };
	const char *exec_id, *tenant, *op, *fp, *type;
	int rc;

	if (!cJSON_IsObject(obj))
		return ss_err_set(err, SS_EINPUT, "%s: expected an ss.execution.v1 object",
				  where && *where ? where : "execution");
	/* The type first: another document is named by its type, not by
	 * its first member that an execution does not have. */
	if (!cJSON_GetObjectItemCaseSensitive(obj, "type"))
		return ss_err_set(err, SS_EINPUT,
				  "document without a 'type' where 'ss.execution.v1' was expected");
	if ((rc = ss_json_string(obj, where, "type", &type, err)))
		return rc;
	if (strcmp(type, "ss.execution.v1") != 0)
		return ss_err_set(err, SS_EINPUT, "document type '%s' where 'ss.execution.v1' was expected",
				  type);
	if ((rc = ss_json_only(obj, where, members, err)) ||
	    (rc = ss_json_id(obj, where, "execution_id", &exec_id, err)) ||
	    (rc = ss_json_id(obj, where, "tenant_id", &tenant, err)) ||
	    (rc = ss_json_id(obj, where, "operator_id", &op, err)) ||
	    (rc = ss_json_string(obj, where, "fingerprint", &fp, err)))
		return rc;
	if (!ss_valid_fingerprint(fp))
		return ss_err_set(err, SS_EINPUT, "member '%s%sfingerprint' must be sha256:<64 lowercase hex>",
				  where && *where ? where : "", where && *where ? "." : "");
	snprintf(out->execution_id, sizeof out->execution_id, "%s", exec_id);
	snprintf(out->tenant_id, sizeof out->tenant_id, "%s", tenant);
	snprintf(out->operator_id, sizeof out->operator_id, "%s", op);
	snprintf(out->fingerprint, sizeof out->fingerprint, "%s", fp);
	return SS_OK;
}

cJSON *ss_execution_to_json(const ss_execution *e)
{
	cJSON *o = ss_json_new_object();

	ss_json_add_string(o, "type", "ss.execution.v1");
	ss_json_add_string(o, "execution_id", e->execution_id);
	ss_json_add_string(o, "tenant_id", e->tenant_id);
	ss_json_add_string(o, "operator_id", e->operator_id);
	ss_json_add_string(o, "fingerprint", e->fingerprint);
	return o;
}
