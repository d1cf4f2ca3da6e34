#include "ss/api_plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss/enc.h"
#include "ss/jcs.h"
#include "ss/json.h"
#include "ss/state.h"
#include "ss/timefmt.h"

static void add_arg(ss_fc_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_arg(ss_fc_plan *p, const char *fmt, ...)
{
	ss_buf b = SS_BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ss_buf_reserve(&b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->argv[p->argc++] = (char *)b.data; /* owned by the plan now */
}

static ss_fc_request *add_req(ss_fc_plan *p, const char *method, cJSON *body, const char *fmt,
			      ...) __attribute__((format(printf, 4, 5)));

static ss_fc_request *add_req(ss_fc_plan *p, const char *method, cJSON *body, const char *fmt,
			      ...)
{
	ss_fc_request *r = &p->req[p->nreq++];
	va_list ap;

	r->method = method;
	r->body = body;
	va_start(ap, fmt);
	vsnprintf(r->path, sizeof r->path, fmt, ap);
	va_end(ap);
	return r;
}

static cJSON *dup(const cJSON *v)
{
	cJSON *c = cJSON_Duplicate(v, 1);

	if (!c)
		ss_oom();
	return c;
}

/* Under the jailer a host file is hard-linked into the jail root as name,
 * and the request names it there. */
static void jail_path(ss_fc_plan *p, cJSON *obj, const char *member, const char *name)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, member);
	char in_jail[96];

	if (!p->jailed || !cJSON_IsString(m))
		return;
	ss_fc_link *l = &p->links[p->nlinks++];
	l->src = ss_xstrdup(m->valuestring);
	snprintf(l->name, sizeof l->name, "%s", name);
	snprintf(in_jail, sizeof in_jail, "/%s", name);
	cJSON_ReplaceItemInObjectCaseSensitive(obj, member, cJSON_CreateString(in_jail));
}

static void add_str(cJSON *o, const char *name, const char *v)
{
	ss_json_add_string(o, name, v);
}

cJSON *ss_fc_mmds_contents(const ss_launch_inputs *in)
{
	const ss_session *s = &in->session;
	const ss_execution *e = &in->vm.exec;
	cJSON *root = ss_json_new_object(), *ss = ss_json_add_object(root, "ss"), *o;
	char hex[2 * SS_TPM_NAME_MAX + 1], when[SS_TIME_LEN];

	o = ss_json_add_object(ss, "execution");
	add_str(o, "execution_id", e->execution_id);
	add_str(o, "tenant_id", e->tenant_id);
	add_str(o, "operator_id", e->operator_id);
	add_str(o, "fingerprint", e->fingerprint);
	o = ss_json_add_object(ss, "attestation");
	add_str(o, "runner_id", s->runner_id);
	add_str(o, "challenge_id", s->challenge_id);
	ss_hex_encode(s->ak_name, s->ak_name_len, hex);
	add_str(o, "ak_name", hex);
	ss_hex_encode(s->pcr_digest, s->pcr_digest_len, hex);
	add_str(o, "pcr_digest", hex);
	ss_hex_encode(s->binding, sizeof s->binding, hex);
	add_str(o, "session_binding_hash", hex);
	ss_time_format(s->verified_at, when);
	add_str(o, "verified_at", when);
	ss_time_format(s->expires_at, when);
	add_str(o, "expires_at", when);
	o = ss_json_add_object(ss, "key");
	add_str(o, "key_id", in->key.key_id);
	add_str(o, "kind", ss_key_kind_name(in->key.kind));
	add_str(o, "purpose", in->key.purpose);
	if (in->key.public_key_pem[0])
		add_str(o, "public_key_pem", in->key.public_key_pem);
	return root;
}

/* snprintf that says whether everything fitted. */
static bool fits(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fits(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	return w >= 0 && (size_t)w < n;
}

static int socket_fits(const char *path, const char *from, ss_err *err)
{
	if (strlen(path) > SS_FC_SOCKET_MAX)
		return ss_err_set(err, SS_EUSAGE,
				  "API socket '%s' is longer than %d bytes (give a shorter %s)", path,
				  SS_FC_SOCKET_MAX, from);
	return SS_OK;
}

static int place(const ss_launch_inputs *in, const ss_fc_plan_opts *o, ss_fc_plan *p,
		 ss_err *err)
{
	const char *slash = strrchr(in->firecracker, '/');
	const char *exec_name = slash ? slash + 1 : in->firecracker;
	char state[PATH_MAX];
	int rc;

	snprintf(p->vm_id, sizeof p->vm_id, "%s", in->key.key_id);
	p->jailed = o->jailer;
	if (p->jailed) {
		p->uid = o->uid;
		p->gid = o->gid;
		if (!fits(p->jail_dir, sizeof p->jail_dir, "%s/%s/%s", o->chroot_base, exec_name,
			  p->vm_id) ||
		    !fits(p->jail_root, sizeof p->jail_root, "%s/root", p->jail_dir) ||
		    !fits(p->api_sock, sizeof p->api_sock, "%s%s", p->jail_root, SS_FC_JAIL_SOCKET))
			return ss_err_set(err, SS_EUSAGE, "--chroot-base-dir: path too long");
		return socket_fits(p->api_sock, "--chroot-base-dir", err);
	}
	if (o->api_sock) {
		snprintf(p->api_sock, sizeof p->api_sock, "%s", o->api_sock);
		return socket_fits(p->api_sock, "--api-sock", err);
	}
	if ((rc = ss_state_path(o->state, state, sizeof state, err)))
		return rc;
	if (!fits(p->api_sock, sizeof p->api_sock, "%s/run/%s.sock", state, p->vm_id))
		return ss_err_set(err, SS_EUSAGE, "state directory path too long");
	p->api_sock_default = true;
	return socket_fits(p->api_sock, "--api-sock", err);
}

int ss_fc_plan_build(const ss_launch_inputs *in, const ss_fc_plan_opts *o, ss_fc_plan *p,
		     ss_err *err)
{
	const ss_vm *vm = &in->vm;
	cJSON *body, *action;
	const cJSON *it;
	char name[80];
	int rc;

	memset(p, 0, sizeof *p);
	if ((rc = place(in, o, p, err)))
		return rc;
	if (p->jailed) {
		add_arg(p, "%s", in->jailer);
		add_arg(p, "--id");
		add_arg(p, "%s", p->vm_id);
		add_arg(p, "--exec-file");
		add_arg(p, "%s", in->firecracker);
		add_arg(p, "--uid");
		add_arg(p, "%u", (unsigned)p->uid);
		add_arg(p, "--gid");
		add_arg(p, "%u", (unsigned)p->gid);
		add_arg(p, "--chroot-base-dir");
		add_arg(p, "%s", o->chroot_base);
		add_arg(p, "--");
		add_arg(p, "--api-sock");
		add_arg(p, "%s", SS_FC_JAIL_SOCKET);
	} else {
		add_arg(p, "%s", in->firecracker);
		add_arg(p, "--api-sock");
		add_arg(p, "%s", p->api_sock);
		add_arg(p, "--id");
		add_arg(p, "%s", p->vm_id);
	}

	if (vm->logger) {
		body = dup(vm->logger);
		jail_path(p, body, "log_path", "logger");
		add_req(p, "PUT", body, "/logger");
	}
	if (vm->metrics) {
		body = dup(vm->metrics);
		jail_path(p, body, "metrics_path", "metrics");
		add_req(p, "PUT", body, "/metrics");
	}
	add_req(p, "PUT", dup(vm->machine_config), "/machine-config");
	body = dup(vm->boot_source);
	jail_path(p, body, "kernel_image_path", "kernel");
	jail_path(p, body, "initrd_path", "initrd");
	add_req(p, "PUT", body, "/boot-source");
	for (size_t i = 0; i < vm->ndrives; i++) {
		body = dup(vm->drives[i].obj);
		snprintf(name, sizeof name, "drive-%s", vm->drives[i].drive_id);
		jail_path(p, body, "path_on_host", name);
		add_req(p, "PUT", body, "/drives/%s", vm->drives[i].drive_id);
	}
	if (vm->ifaces)
		cJSON_ArrayForEach(it, vm->ifaces)
			add_req(p, "PUT", dup(it), "/network-interfaces/%s",
				cJSON_GetObjectItemCaseSensitive(it, "iface_id")->valuestring);
	if (vm->vsock)
		add_req(p, "PUT", dup(vm->vsock), "/vsock");
	if (vm->mmds_config) {
		/* Firecracker's default is version 1, which any process in the
		 * guest can read without a session token. */
		body = dup(vm->mmds_config);
		if (!cJSON_GetObjectItemCaseSensitive(body, "version"))
			ss_json_add_string(body, "version", "V2");
		add_req(p, "PUT", body, "/mmds/config");
	}
	add_req(p, "PUT", ss_fc_mmds_contents(in), "/mmds");
	action = ss_json_new_object();
	ss_json_add_string(action, "action_type", "InstanceStart");
	add_req(p, "PUT", action, "/actions");
	add_req(p, "GET", NULL, "/");
	return SS_OK;
}

void ss_fc_plan_free(ss_fc_plan *p)
{
	for (int i = 0; i < p->argc; i++)
		free(p->argv[i]);
	for (size_t i = 0; i < p->nlinks; i++)
		free(p->links[i].src);
	for (size_t i = 0; i < p->nreq; i++)
		cJSON_Delete(p->req[i].body);
	memset(p, 0, sizeof *p);
}

void ss_fc_plan_write(const ss_fc_plan *p, ss_buf *out)
{
	cJSON *line = ss_json_new_object(), *argv = cJSON_AddArrayToObject(line, "argv");

	if (!argv)
		ss_oom();
	for (int i = 0; i < p->argc; i++)
		cJSON_AddItemToArray(argv, cJSON_CreateString(p->argv[i]));
	ss_json_write(line, out);
	ss_buf_addc(out, '\n');
	cJSON_Delete(line);
	for (size_t i = 0; i < p->nreq; i++) {
		const ss_fc_request *r = &p->req[i];
		ss_buf_adds(out, "{\"method\":");
		ss_jcs_string(r->method, out);
		ss_buf_adds(out, ",\"path\":");
		ss_jcs_string(r->path, out);
		ss_buf_adds(out, ",\"body\":");
		if (r->body)
			ss_json_write(r->body, out);
		else
			ss_buf_adds(out, "null");
		ss_buf_adds(out, "}\n");
	}
}
