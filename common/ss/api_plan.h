/* The launch as data: the command line that starts Firecracker (directly
 * or under its jailer), the jail's layout, and the exact API requests, in
 * order.  --dry-run prints it; the launch (ss/vmm.h) carries it out, so
 * what is printed is what is sent.
 *
 * Requests, each only when the VM spec has the section:
 *   PUT /logger, PUT /metrics, PUT /machine-config, PUT /boot-source,
 *   PUT /drives/{drive_id} per drive, PUT /network-interfaces/{iface_id} per
 *   interface, PUT /vsock, PUT /mmds/config (version V2), then always
 *   PUT /mmds (the attestation metadata below), PUT /actions
 *   {"action_type": "InstanceStart"} and GET / (which must say Running).
 *
 * MMDS contents, every leaf a string so the guest can read each one as
 * plain text (no secret is ever among them):
 *   {"ss": {"execution": {execution_id, tenant_id, operator_id, fingerprint},
 *           "attestation": {runner_id, challenge_id, ak_name, pcr_digest,
 *                           session_binding_hash, verified_at, expires_at},
 *           "key": {key_id, kind, purpose[, public_key_pem]}}}
 *
 * Under the jailer (Firecracker's jailer documentation): the VM id is the
 * key id; the jail is <chroot-base>/<firecracker file name>/<id>/root; the
 * kernel, initrd, drives and logger/metrics files are hard-linked into it
 * as /kernel, /initrd, /drive-<drive_id>, /logger and /metrics, and the
 * requests name those paths; the API socket is /run/firecracker.socket
 * inside the jail. */
#ifndef SS_API_PLAN_H
#define SS_API_PLAN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/launch_gate.h"

#define SS_FC_MAX_REQUESTS (8 + SS_VM_MAX_DRIVES + SS_VM_MAX_IFACES)
#define SS_FC_MAX_ARGS 24
#define SS_FC_MAX_LINKS (4 + SS_VM_MAX_DRIVES)
#define SS_FC_SOCKET_MAX 107       /* sun_path less its NUL */
#define SS_FC_JAIL_SOCKET "/run/firecracker.socket"

typedef struct ss_fc_request {
	const char *method;            /* "PUT" or "GET" */
	char path[96];
	cJSON *body;                   /* NULL: none */
} ss_fc_request;

typedef struct ss_fc_link {
	char *src;                     /* on the host */
	char name[80];                 /* in the jail root, e.g. "kernel" */
} ss_fc_link;

typedef struct ss_fc_plan {
	char vm_id[40];
	bool jailed;
	char *argv[SS_FC_MAX_ARGS + 1];
	int argc;
	char api_sock[PATH_MAX];       /* where this process connects */
	bool api_sock_default;         /* in the state directory, whose run/ we create */
	char jail_dir[PATH_MAX];       /* <base>/<exec name>/<id>; "" when not jailed */
	char jail_root[PATH_MAX];      /* jail_dir/root */
	uid_t uid;
	gid_t gid;
	ss_fc_link links[SS_FC_MAX_LINKS];
	size_t nlinks;
	ss_fc_request req[SS_FC_MAX_REQUESTS];
	size_t nreq;
} ss_fc_plan;

typedef struct ss_fc_plan_opts {
	const char *api_sock;          /* NULL: <state>/run/<vm id>.sock (not with a jailer) */
	const char *state;             /* --state, for the default socket */
	bool jailer;
	uid_t uid;
	gid_t gid;
	const char *chroot_base;
} ss_fc_plan_opts;

/* A socket path that does not fit in sockaddr_un is SS_EUSAGE (it comes
 * from --api-sock, --chroot-base-dir or the state directory). */
int ss_fc_plan_build(const ss_launch_inputs *in, const ss_fc_plan_opts *o, ss_fc_plan *plan,
		     ss_err *err);
void ss_fc_plan_free(ss_fc_plan *plan);

/* The MMDS contents for these inputs. */
cJSON *ss_fc_mmds_contents(const ss_launch_inputs *in);

/* --dry-run's output, appended to out: one JSON line {"argv": [...]}, then
 * one line per request {"method", "path", "body"} (body null for GET). */
void ss_fc_plan_write(const ss_fc_plan *plan, ss_buf *out);

#endif
