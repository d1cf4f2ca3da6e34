#include "ss/telemetry.h"

#include <string.h>

#include "ss/buf.h"
#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/io.h"
#include "ss/jcs.h"
#include "ss/json.h"
#include "ss/timefmt.h"

#define MAX_LINE SS_JSON_MAX_SIZE

static const char *const kinds[] = { "launched", "denied", "failed", "exited" };

const char *ss_event_kind_name(ss_event_kind kind)
{
	return kinds[kind];
}

static void add_hex_or_null(cJSON *o, const char *name, const void *p, size_t n)
{
	if (n)
		ss_json_add_hex(o, name, p, n);
	else
		ss_json_add_null(o, name);
}

static void add_us_or_null(cJSON *o, const char *name, int64_t from, int64_t to)
{
	if (from && to)
		ss_json_add_int(o, name, to - from);
	else
		ss_json_add_null(o, name);
}

static void add_vm(cJSON *data, const ss_event_info *e)
{
	const ss_vm *vm = &e->in->vm;
	cJSON *o = ss_json_add_object(data, "vm"), *drives, *d;

	ss_json_add_string(o, "id", e->vm_id);
	ss_json_add_bool(o, "jailed", e->jailed);
	if (e->vmm && e->vmm->pid)
		ss_json_add_int(o, "pid", e->vmm->pid);
	else
		ss_json_add_null(o, "pid");
	ss_json_add_hex(o, "kernel_sha256", vm->kernel_sha256, sizeof vm->kernel_sha256);
	add_hex_or_null(o, "initrd_sha256", vm->initrd_sha256,
			vm->initrd_path ? sizeof vm->initrd_sha256 : 0);
	drives = cJSON_AddArrayToObject(o, "drives");
	if (!drives)
		ss_oom();
	for (size_t i = 0; i < vm->ndrives; i++) {
		d = ss_json_new_object();
		ss_json_add_string(d, "drive_id", vm->drives[i].drive_id);
		ss_json_add_hex(d, "sha256", vm->drives[i].sha256, sizeof vm->drives[i].sha256);
		ss_json_add_bool(d, "is_root_device", vm->drives[i].is_root_device);
		ss_json_add_bool(d, "is_read_only", vm->drives[i].is_read_only);
		cJSON_AddItemToArray(drives, d);
	}
	ss_json_add_int(o, "vcpu_count", vm->vcpu_count);
	ss_json_add_int(o, "mem_size_mib", vm->mem_size_mib);
}

static void add_attestation(cJSON *data, const ss_event_info *e)
{
	const ss_launch_inputs *in = e->in;
	const ss_session *s = &in->session;
	bool known = in->session_verified; /* an unverified session's claims are not facts */
	cJSON *o = ss_json_add_object(data, "attestation");

	ss_json_add_bool(o, "approved", e->kind != SS_EVENT_DENIED);
	ss_json_add_string(o, "reason", e->kind == SS_EVENT_DENIED ? e->gate : "approved");
	add_hex_or_null(o, "ak_name", s->ak_name, known ? s->ak_name_len : 0);
	add_hex_or_null(o, "pcr_digest", s->pcr_digest, known ? s->pcr_digest_len : 0);
	if (known && s->expires_at)
		ss_json_add_time(o, "session_expires_at", s->expires_at);
	else
		ss_json_add_null(o, "session_expires_at");
}

static void add_outcome(cJSON *data, const ss_event_info *e)
{
	const ss_vmm *v = e->vmm;
	cJSON *o;

	if (e->kind == SS_EVENT_FAILED) {
		o = ss_json_add_object(data, "fault");
		ss_json_add_string_or_null(o, "request", v && v->request[0] ? v->request : NULL);
		if (v && v->http_status)
			ss_json_add_int(o, "http_status", v->http_status);
		else
			ss_json_add_null(o, "http_status");
		ss_json_add_string(o, "message", e->fault);
	} else
		ss_json_add_null(data, "fault");
	if (e->kind == SS_EVENT_EXITED) {
		o = ss_json_add_object(data, "exit");
		ss_json_add_string(o, "reason", e->exit->reason);
		if (e->exit->code >= 0)
			ss_json_add_int(o, "code", e->exit->code);
		else
			ss_json_add_null(o, "code");
		ss_json_add_string_or_null(o, "signal",
					   e->exit->signal ? ss_signal_name(e->exit->signal) : NULL);
	} else
		ss_json_add_null(data, "exit");
	o = ss_json_add_object(data, "timings_us");
	ss_json_add_int(o, "gates", e->gates_us);
	add_us_or_null(o, "spawn_to_socket", v ? v->t_spawn : 0, v ? v->t_socket : 0);
	add_us_or_null(o, "configure", v ? v->t_socket : 0, v ? v->t_configured : 0);
	add_us_or_null(o, "start", v ? v->t_configured : 0, v ? v->t_running : 0);
	ss_json_add_int(o, "total", e->total_us);
	if (v && v->cpu_at_start_us)
		ss_json_add_int(o, "cpu_to_start", v->cpu_at_start_us);
	else
		ss_json_add_null(o, "cpu_to_start");
}

int ss_telemetry_event(const ss_event_info *e, cJSON **out, ss_err *err)
{
	const ss_launch_inputs *in = e->in;
	const ss_execution *x = &in->vm.exec;
	unsigned char id[16];
	char buf[200];
	cJSON *ev, *data;
	int rc;

	*out = NULL;
	if ((rc = ss_random(id, sizeof id, err)))
		return rc;
	ev = ss_json_new_object();
	ss_json_add_string(ev, "specversion", "1.0");
	ss_json_add_hex(ev, "id", id, sizeof id);
	if (in->enrolled)
		snprintf(buf, sizeof buf, "urn:ss:runner:%s", in->identity.runner_id);
	else
		snprintf(buf, sizeof buf, "urn:ss:runner");
	ss_json_add_string(ev, "source", buf);
	snprintf(buf, sizeof buf, "%s.%s", SS_TELEMETRY_TYPE, ss_event_kind_name(e->kind));
	ss_json_add_string(ev, "type", buf);
	ss_json_add_string(ev, "subject", x->execution_id);
	ss_json_add_time(ev, "time", e->now);
	ss_json_add_string(ev, "datacontenttype", "application/json");

	data = ss_json_add_object(ev, "data");
	ss_json_add_string(data, "event", ss_event_kind_name(e->kind));
	ss_json_add_string(data, "execution_id", x->execution_id);
	ss_json_add_string(data, "tenant_id", x->tenant_id);
	ss_json_add_string(data, "operator_id", x->operator_id);
	ss_json_add_string(data, "fingerprint", x->fingerprint);
	add_hex_or_null(data, "session_binding_hash", in->session.binding,
			in->session_verified && in->session.has_binding ? 32 : 0);
	ss_json_add_string(data, "key_id", in->key.key_id);
	ss_json_add_string(data, "key_kind", ss_key_kind_name(in->key.kind));
	ss_json_add_string_or_null(data, "runner_id", in->enrolled ? in->identity.runner_id : NULL);
	add_attestation(data, e);
	add_vm(data, e);
	add_outcome(data, e);
	*out = ev;
	return SS_OK;
}

int ss_telemetry_sign(cJSON *ev, const ss_signer *s, ss_err *err)
{
	ss_buf msg = SS_BUF_INIT, sig = SS_BUF_INIT;
	int rc;

	ss_json_add_string(ev, "signaturealg", s->alg);
	ss_json_add_string(ev, "signaturekeyid", s->key_id);
	if (!ss_jcs_write(ev, &msg)) {
		rc = ss_err_set(err, SS_EINPUT, "event has no canonical form");
		goto out;
	}
	if ((rc = ss_signer_sign(s, msg.data, msg.len, &sig, err)))
		goto out;
	ss_json_add_b64(ev, "signature", sig.data, sig.len);
out:
	ss_buf_free(&msg);
	ss_buf_free(&sig);
	return rc;
}

static int check_envelope(const cJSON *ev, const cJSON **data, ss_err *err)
{
	static const char *const members[] = {
		"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data",
		"signaturealg", "signaturekeyid", "signature", NULL
	};
	const char *v;
	int64_t t;
	size_t i, n = strlen(SS_TELEMETRY_TYPE);
	int rc;

	/* The type first: another document is named by its type, not by its
	 * first member that an event does not have. */
	if (!cJSON_GetObjectItemCaseSensitive(ev, "type"))
		return ss_err_set(err, SS_EINPUT, "document without a 'type' where an "
				  "ss.telemetry.v1 event was expected");
	if ((rc = ss_json_string(ev, "", "type", &v, err)))
		return rc;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strncmp(v, SS_TELEMETRY_TYPE, n) == 0 && v[n] == '.' &&
		    strcmp(v + n + 1, kinds[i]) == 0)
			break;
	if (i == sizeof kinds / sizeof kinds[0])
		return ss_err_set(err, SS_EINPUT, "event type '%.60s' is not an ss.telemetry.v1 event",
				  v);
	if ((rc = ss_json_only(ev, "", members, err)) ||
	    (rc = ss_json_string(ev, "", "specversion", &v, err)))
		return rc;
	if (strcmp(v, "1.0") != 0)
		return ss_err_set(err, SS_EINPUT, "specversion '%.20s' is not 1.0", v);
	if ((rc = ss_json_string(ev, "", "id", &v, err)) ||
	    (rc = ss_json_string(ev, "", "source", &v, err)) ||
	    (rc = ss_json_id(ev, "", "subject", &v, err)) ||
	    (rc = ss_json_time(ev, "", "time", &t, err)) ||
	    (rc = ss_json_string(ev, "", "datacontenttype", &v, err)) ||
	    (rc = ss_json_object(ev, "", "data", data, err)))
		return rc;
	return SS_OK;
}

/* The shape of data, as ss_telemetry_event writes it: every member always
 * there, of its type or null where the writer may leave it out.  An event
 * read back is checked whole, so that a malformed one is invalid input (3)
 * rather than a signature that happens not to verify. */
typedef enum { M_STR, M_ID, M_HEX32, M_HEX, M_INT, M_BOOL, M_TIME, M_OBJ, M_ARRAY } member_kind;

typedef struct member {
	const char *name;
	member_kind kind;
	bool nullable;
	const struct member *sub; /* M_OBJ, M_ARRAY (of objects) */
} member;

static const member attestation_members[] = {
	{ "approved", M_BOOL }, { "reason", M_STR }, { "ak_name", M_HEX, true },
	{ "pcr_digest", M_HEX, true }, { "session_expires_at", M_TIME, true }, { NULL },
};
static const member drive_members[] = {
	{ "drive_id", M_STR }, { "sha256", M_HEX32 }, { "is_root_device", M_BOOL },
	{ "is_read_only", M_BOOL }, { NULL },
};
static const member vm_members[] = {
	{ "id", M_STR }, { "jailed", M_BOOL }, { "pid", M_INT, true }, { "kernel_sha256", M_HEX32 },
	{ "initrd_sha256", M_HEX32, true }, { "drives", M_ARRAY, false, drive_members },
	{ "vcpu_count", M_INT }, { "mem_size_mib", M_INT }, { NULL },
};
static const member fault_members[] = {
	{ "request", M_STR, true }, { "http_status", M_INT, true }, { "message", M_STR }, { NULL },
};
static const member exit_members[] = {
	{ "reason", M_STR }, { "code", M_INT, true }, { "signal", M_STR, true }, { NULL },
};
static const member timing_members[] = {
	{ "gates", M_INT }, { "spawn_to_socket", M_INT, true }, { "configure", M_INT, true },
	{ "start", M_INT, true }, { "total", M_INT }, { "cpu_to_start", M_INT, true }, { NULL },
};
static const member data_members[] = {
	{ "event", M_STR }, { "execution_id", M_ID }, { "tenant_id", M_ID },
	{ "operator_id", M_ID }, { "fingerprint", M_STR }, { "session_binding_hash", M_HEX32, true },
	{ "key_id", M_STR }, { "key_kind", M_STR }, { "runner_id", M_ID, true },
	{ "attestation", M_OBJ, false, attestation_members }, { "vm", M_OBJ, false, vm_members },
	{ "fault", M_OBJ, true, fault_members }, { "exit", M_OBJ, true, exit_members },
	{ "timings_us", M_OBJ, false, timing_members }, { NULL },
};

static int check_members(const cJSON *obj, const char *where, const member *m, ss_err *err);

static int check_member(const cJSON *obj, const char *where, const member *m, ss_err *err)
{
	unsigned char bytes[64];
	const cJSON *v, *item;
	const char *s;
	char sub[96];
	int64_t i;
	bool b;
	size_t n, k = 0;
	int rc;

	if ((rc = ss_json_member(obj, where, m->name, &v, err)))
		return rc;
	if (m->nullable && cJSON_IsNull(v))
		return SS_OK;
	snprintf(sub, sizeof sub, "%s.%s", where, m->name);
	switch (m->kind) {
	case M_STR:
		return ss_json_string(obj, where, m->name, &s, err);
	case M_ID:
		return ss_json_id(obj, where, m->name, &s, err);
	case M_HEX32:
		return ss_json_hex(obj, where, m->name, 32, bytes, sizeof bytes, &n, err);
	case M_HEX:
		return ss_json_hex(obj, where, m->name, 0, bytes, sizeof bytes, &n, err);
	case M_INT:
		return ss_json_int(obj, where, m->name, -SS_JSON_MAX_INT, SS_JSON_MAX_INT, &i, err);
	case M_BOOL:
		return ss_json_bool(obj, where, m->name, &b, err);
	case M_TIME:
		return ss_json_time(obj, where, m->name, &i, err);
	case M_OBJ:
		if ((rc = ss_json_object(obj, where, m->name, &v, err)))
			return rc;
		return check_members(v, sub, m->sub, err);
	case M_ARRAY:
		if (!cJSON_IsArray(v))
			return ss_err_set(err, SS_EINPUT, "member '%s' must be an array", sub);
		cJSON_ArrayForEach(item, v) {
			snprintf(sub, sizeof sub, "%s.%s[%zu]", where, m->name, k++);
			if (!cJSON_IsObject(item))
				return ss_err_set(err, SS_EINPUT, "member '%s' must be an object", sub);
			if ((rc = check_members(item, sub, m->sub, err)))
				return rc;
		}
		return SS_OK;
	}
	return SS_OK;
}

static int check_members(const cJSON *obj, const char *where, const member *m, ss_err *err)
{
	const char *names[16];
	size_t n = 0;
	int rc;

	for (const member *p = m; p->name; p++)
		names[n++] = p->name;
	names[n] = NULL;
	if ((rc = ss_json_only(obj, where, names, err)))
		return rc;
	for (; m->name; m++)
		if ((rc = check_member(obj, where, m, err)))
			return rc;
	return SS_OK;
}

/* data.event is the kind the type names. */
static int check_kind(const cJSON *ev, const cJSON *data, ss_err *err)
{
	const char *type = cJSON_GetObjectItemCaseSensitive(ev, "type")->valuestring;
	const char *event = cJSON_GetObjectItemCaseSensitive(data, "event")->valuestring;

	if (strcmp(type + strlen(SS_TELEMETRY_TYPE) + 1, event) != 0)
		return ss_err_set(err, SS_EINPUT, "member 'data.event' is '%.20s', the type says '%s'",
				  event, type);
	return SS_OK;
}

int ss_telemetry_verify(const char *line, size_t len, const ss_keyrec *key,
			const ss_keyring *ring, ss_err *err)
{
	const char *alg = NULL, *key_id = NULL, *exec_id, *tenant, *data_key;
	const cJSON *data;
	ss_buf msg = SS_BUF_INIT, sig = SS_BUF_INIT;
	cJSON *ev = NULL;
	int rc;

	if ((rc = ss_json_parse(line, len, &ev, err)) || (rc = check_envelope(ev, &data, err)) ||
	    (rc = check_members(data, "data", data_members, err)) || (rc = check_kind(ev, data, err)) ||
	    (rc = ss_json_id(data, "data", "execution_id", &exec_id, err)) ||
	    (rc = ss_json_id(data, "data", "tenant_id", &tenant, err)) ||
	    (rc = ss_json_string(data, "data", "key_id", &data_key, err)))
		goto out;
	if (!cJSON_GetObjectItemCaseSensitive(ev, "signature") ||
	    !cJSON_GetObjectItemCaseSensitive(ev, "signaturealg") ||
	    !cJSON_GetObjectItemCaseSensitive(ev, "signaturekeyid")) {
		rc = ss_err_set(err, SS_REFUSED, "not signed (signaturealg, signaturekeyid and "
			        "signature are all needed)");
		goto out;
	}
	if ((rc = ss_json_string(ev, "", "signaturealg", &alg, err)) ||
	    (rc = ss_json_string(ev, "", "signaturekeyid", &key_id, err)) ||
	    (rc = ss_json_b64(ev, "", "signature", &sig, err)))
		goto out;
	if (!ss_jcs_write_without(ev, "signature", &msg)) {
		rc = ss_err_set(err, SS_EINPUT, "event has no canonical form");
		goto out;
	}
	if ((rc = ss_keyring_verify(ring, alg, key_id, msg.data, msg.len, sig.data, sig.len,
				    "event", err)))
		goto out;
	if (strcmp(data_key, key->key_id) != 0)
		rc = ss_err_set(err, SS_REFUSED, "event names key %.40s, not %s", data_key,
				key->key_id);
	else if (strcmp(exec_id, key->execution_id) != 0)
		rc = ss_err_set(err, SS_REFUSED, "event names execution '%s', the key is for '%s'",
				exec_id, key->execution_id);
	else if (strcmp(tenant, key->tenant_id) != 0)
		rc = ss_err_set(err, SS_REFUSED, "event names tenant '%s', the key is for '%s'",
				tenant, key->tenant_id);
out:
	cJSON_Delete(ev);
	ss_buf_free(&msg);
	ss_buf_free(&sig);
	return rc;
}

int ss_telemetry_verify_stream(int fd, const char *name, const ss_keyrec *key, size_t *count,
			       ss_err *err)
{
	ss_keyring ring = { 0 };
	ss_lines lines;
	const char *line;
	size_t len;
	int rc;

	*count = 0;
	if (!key->public_key_pem[0] || key->kind != SS_KEY_ED25519)
		return ss_err_set(err, SS_EINPUT, "key %s: a %s key signs no telemetry", key->key_id,
				  ss_key_kind_name(key->kind));
	if ((rc = ss_keyring_add_pem(&ring, key->public_key_pem, strlen(key->public_key_pem),
				     "key", err)))
		return rc;
	ss_lines_init(&lines, fd, name, MAX_LINE);
	for (;;) {
		if ((rc = ss_lines_next(&lines, &line, &len, err)))
			break;
		if (!line) {
			if (!*count)
				rc = ss_err_set(err, SS_EINPUT, "%s: no events", name);
			break;
		}
		if ((rc = ss_telemetry_verify(line, len, key, &ring, err))) {
			ss_err_prefix(err, "line %zu", lines.lineno);
			break;
		}
		++*count;
	}
	ss_lines_free(&lines);
	ss_keyring_free(&ring);
	return rc;
}
