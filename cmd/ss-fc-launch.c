/* ss-fc-launch: start a Firecracker microVM only when every gate passes
 * (ss/launch_gate.h), carry the attestation into its MMDS, and report
 * what happened as signed CloudEvents telemetry (ss/telemetry.h);
 * verify-telemetry checks such a stream.  The plan of the launch is in
 * ss/api_plan.h, its execution in ss/vmm.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "ss/api_plan.h"
#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/fc_api.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/key_record.h"
#include "ss/launch_gate.h"
#include "ss/opt.h"
#include "ss/prog.h"
#include "ss/sign.h"
#include "ss/telemetry.h"
#include "ss/timefmt.h"
#include "ss/vmm.h"

#define TIMEOUT_MS_DEFAULT 10000
#define TIMEOUT_MS_MAX (24 * 3600 * 1000LL)
#define ID_MAX 4294967294ULL /* uid_t/gid_t less (uid_t)-1 */

enum {
	OPT_VM = SS_OPT_FIRST, OPT_CP_PUB, OPT_SESSION, OPT_KEY, OPT_KEY_SECRET, OPT_STATE,
	OPT_FIRECRACKER, OPT_JAILER, OPT_UID, OPT_GID, OPT_CHROOT_BASE, OPT_API_SOCK,
	OPT_TIMEOUT_MS, OPT_WAIT, OPT_DRY_RUN,
};

static ss_cmd_fn run_launch, run_verify_telemetry;
static ss_opt_set_fn set_option;

static const ss_opt opts[] = {
	{ "vm", OPT_VM, "FILE", "the VM spec, ss.vm.v1 (YAML or JSON)" },
	{ "cp-pub", OPT_CP_PUB, "FILE", "pinned control-plane key (PEM; repeatable)",
	  SS_OPT_REPEAT },
	{ "session", OPT_SESSION, "FILE", "the signed ss.session.v1" },
	{ "key", OPT_KEY, "FILE", "the execution's ss.key.v1 record" },
	{ "key-secret", OPT_KEY_SECRET, "FILE", "its ed25519 private key: sign the events" },
	{ "state", OPT_STATE, "DIR", "state directory (the runner identity)", SS_OPT_GLOBAL },
	{ "firecracker", OPT_FIRECRACKER, "PATH", "firecracker binary (default: on PATH)" },
	{ "jailer", OPT_JAILER, "PATH", "start firecracker under this jailer", 0,
	  { OPT_UID, OPT_GID, OPT_CHROOT_BASE } },
	{ "uid", OPT_UID, "N", "with --jailer: the VMM's user id" },
	{ "gid", OPT_GID, "N", "with --jailer: the VMM's group id" },
	{ "chroot-base-dir", OPT_CHROOT_BASE, "DIR", "with --jailer: where the jails are built" },
	{ "api-sock", OPT_API_SOCK, "PATH", "the API socket (default: in the state dir)" },
	{ "timeout-ms", OPT_TIMEOUT_MS, "N", "ms to Running (10000); with --wait, to exit" },
	{ "wait", OPT_WAIT, NULL, "stay until the VMM exits (exited event)" },
	{ "dry-run", OPT_DRY_RUN, NULL, "check the gates, print the requests only" },
	{ NULL },
};

static const ss_cmd launch_form = {
	.run = run_launch,
	.synopsis = "--vm VM.yaml --cp-pub CP_PUB.pem --session SESSION.json\n"
		    "                    --key KEY.json [--key-secret FILE] [--state DIR]\n"
		    "                    [--firecracker PATH]\n"
		    "                    [--jailer PATH --uid N --gid N --chroot-base-dir DIR]\n"
		    "                    [--api-sock PATH] [--timeout-ms N] [--wait] [--dry-run]",
	.example = "ss-fc-launch --vm vm.yaml --cp-pub cp.pub --session session.json --key "
		   "key.json --key-secret exec.pem >> telemetry.jsonl",
	.opts = { OPT_VM, OPT_CP_PUB, OPT_SESSION, OPT_KEY, OPT_KEY_SECRET, OPT_STATE,
		  OPT_FIRECRACKER, OPT_JAILER, OPT_UID, OPT_GID, OPT_CHROOT_BASE, OPT_API_SOCK,
		  OPT_TIMEOUT_MS, OPT_WAIT, OPT_DRY_RUN },
	.needs = { OPT_VM, OPT_CP_PUB, OPT_SESSION, OPT_KEY },
};

static const ss_cmd cmds[] = {
	{ .name = "verify-telemetry", .run = run_verify_telemetry,
	  .synopsis = "--key KEY.json < EVENTS.jsonl",
	  .help = "check that every event is signed by the execution's key",
	  .example = "ss-fc-launch verify-telemetry --key key.json < telemetry.jsonl",
	  .opts = { OPT_KEY },
	  .needs = { OPT_KEY } },
	{ NULL },
};

static const ss_tool tool = {
	.name = "ss-fc-launch",
	.summary = "Start a Firecracker microVM only if this runner was attested for this very\n"
		   "execution, and print CloudEvents telemetry (one JSON event per line).",
	.opts = opts,
	.cmds = cmds,
	.bare = &launch_form,
	.set = set_option,
};

struct args {
	const char *vm, *session, *key, *key_secret, *state, *firecracker, *jailer, *chroot_base;
	const char *api_sock;
	const char *cp_pub[SS_KEYRING_MAX];
	int ncp_pub;
	bool has_uid, has_gid, has_timeout, wait, dry_run;
	uint64_t uid, gid, timeout_ms;
};

static int set_option(void *args, int key, const char *arg, ss_err *err)
{
	struct args *a = args;

	switch (key) {
	case OPT_VM: a->vm = arg; break;
	case OPT_CP_PUB:
		if (a->ncp_pub == SS_KEYRING_MAX)
			return ss_err_set(err, SS_EUSAGE, "--cp-pub: at most %d keys", SS_KEYRING_MAX);
		a->cp_pub[a->ncp_pub++] = arg;
		break;
	case OPT_SESSION: a->session = arg; break;
	case OPT_KEY: a->key = arg; break;
	case OPT_KEY_SECRET: a->key_secret = arg; break;
	case OPT_STATE: a->state = arg; break;
	case OPT_FIRECRACKER: a->firecracker = arg; break;
	case OPT_JAILER: a->jailer = arg; break;
	case OPT_UID:
		a->has_uid = true;
		return ss_opt_u64("--uid", arg, 0, ID_MAX, &a->uid, err);
	case OPT_GID:
		a->has_gid = true;
		return ss_opt_u64("--gid", arg, 0, ID_MAX, &a->gid, err);
	case OPT_CHROOT_BASE: a->chroot_base = arg; break;
	case OPT_API_SOCK: a->api_sock = arg; break;
	case OPT_TIMEOUT_MS:
		a->has_timeout = true;
		return ss_opt_u64("--timeout-ms", arg, 1, TIMEOUT_MS_MAX, &a->timeout_ms, err);
	case OPT_WAIT: a->wait = true; break;
	case OPT_DRY_RUN: a->dry_run = true; break;
	}
	return SS_OK;
}

/* Combinations the option table cannot express. */
static int check_launch_args(const struct args *a, ss_err *err)
{
	static const char *const jail_opts[] = { "--uid", "--gid", "--chroot-base-dir" };
	bool jail[] = { a->has_uid, a->has_gid, a->chroot_base != NULL };

	for (size_t i = 0; i < 3; i++) {
		if (!a->jailer && jail[i])
			return ss_err_set(err, SS_EUSAGE, "%s applies only with --jailer", jail_opts[i]);
	}
	if (a->jailer && a->api_sock)
		return ss_err_set(err, SS_EUSAGE,
				  "--api-sock does not apply with --jailer (the socket is in the jail)");
	if (a->wait && a->dry_run)
		return ss_err_set(err, SS_EUSAGE, "give at most one of --wait and --dry-run");
	return SS_OK;
}

struct run {
	const struct args *a;
	ss_launch_inputs in;
	ss_fc_plan plan;
	ss_vmm vmm;
	bool started;
	int64_t t0, gates_us;
};

/* Build, sign with the key secret when it is the key's, print and flush
 * one event: it must reach standard output even when the tool then fails. */
static int emit(struct run *r, ss_event_kind kind, const char *gate, const char *fault,
		const ss_vmm_exit *exit, ss_err *err)
{
	ss_event_info e = { kind, &r->in, r->a->jailer != NULL, r->in.key.key_id,
			    r->started ? &r->vmm : NULL, gate, fault, exit, r->gates_us,
			    ss_fc_now_us() - r->t0, ss_now() };
	cJSON *ev = NULL;
	int rc;

	if (!(rc = ss_telemetry_event(&e, &ev, err)) &&
	    !(rc = r->in.signer_matches ? ss_telemetry_sign(ev, &r->in.signer, err) : SS_OK) &&
	    !(rc = ss_json_print_line(ev, err)))
		rc = ss_stdout_flush(err);
	cJSON_Delete(ev);
	return rc;
}

static int print_plan(const ss_fc_plan *plan, ss_err *err)
{
	ss_buf out = SS_BUF_INIT;
	int rc;

	ss_fc_plan_write(plan, &out);
	rc = ss_stdout_write(out.data, out.len, err);
	ss_buf_free(&out);
	return rc;
}

static int run_launch(void *args, ss_err *err)
{
	const struct args *a = args;
	const ss_launch_paths paths = { a->vm, a->session, a->key, a->key_secret, a->cp_pub,
					a->ncp_pub, a->state, a->firecracker, a->jailer };
	const ss_fc_plan_opts popts = { a->api_sock, a->state, a->jailer != NULL, (uid_t)a->uid,
					(gid_t)a->gid, a->chroot_base };
	int64_t timeout = a->has_timeout ? (int64_t)a->timeout_ms : TIMEOUT_MS_DEFAULT;
	struct run r;
	const char *gate = NULL;
	ss_vmm_exit end;
	ss_err event_err = { 0 };
	int rc, erc;

	memset(&r, 0, sizeof r);
	r.a = a;
	r.t0 = ss_fc_now_us();
	/* The telemetry is what makes a launch traceable: without a standard
	 * output nothing starts (and no descriptor opened later takes its
	 * place). */
	if ((rc = check_launch_args(a, err)))
		return rc;
	if (fcntl(1, F_GETFD) < 0)
		return ss_err_set(err, SS_EIO, "standard output is closed");
	if ((rc = ss_launch_inputs_load(&paths, &r.in, err)) ||
	    (rc = ss_fc_plan_build(&r.in, &popts, &r.plan, err)))
		goto out;
	rc = ss_launch_gates(&r.in, ss_now(), &gate, err);
	r.gates_us = ss_fc_now_us() - r.t0;
	if (rc == SS_REFUSED) {
		if ((erc = emit(&r, SS_EVENT_DENIED, gate, NULL, NULL, &event_err))) {
			*err = event_err;
			rc = erc;
		} else
			ss_err_prefix(err, "denied: %s", gate);
		goto out;
	}
	if (rc)
		goto out;
	if (a->dry_run) {
		rc = print_plan(&r.plan, err);
		goto out;
	}
	r.started = true;
	/* When the event of a failure cannot be written either, the failure
	 * itself is what stderr reports. */
	if ((rc = ss_vmm_launch(&r.vmm, &r.plan, timeout, err))) {
		emit(&r, SS_EVENT_FAILED, NULL, err->msg, NULL, &event_err);
		goto out;
	}
	/* A VMM whose launch cannot be reported is not left running: here a
	 * reader that has gone is a failure, unlike for every other output. */
	if (!(rc = emit(&r, SS_EVENT_LAUNCHED, NULL, NULL, NULL, err)) && ss_stdout_gone())
		rc = ss_err_set(err, SS_EIO, "standard output: write: %s", strerror(EPIPE));
	if (rc) {
		ss_vmm_abort(&r.vmm);
		goto out;
	}
	if (!a->wait)
		goto out;
	/* --timeout-ms bounds the run only when given; by default --wait
	 * waits as long as the VMM runs. */
	rc = ss_vmm_wait(&r.vmm, a->has_timeout ? r.vmm.t_spawn + timeout * 1000 : 0, &end, err);
	if ((erc = emit(&r, SS_EVENT_EXITED, NULL, NULL, &end, &event_err)) && !rc) {
		*err = event_err;
		rc = erc;
	}
out:
	if (r.started)
		ss_vmm_release(&r.vmm);
	ss_fc_plan_free(&r.plan);
	ss_launch_inputs_free(&r.in);
	return rc;
}

static int run_verify_telemetry(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_buf text = SS_BUF_INIT;
	cJSON *doc = NULL;
	ss_keyrec key;
	size_t count;
	int rc;

	if ((rc = ss_read_path(a->key, SS_JSON_MAX_SIZE, &text, err)))
		goto out;
	if ((rc = ss_json_parse((const char *)text.data, text.len, &doc, err)) ||
	    (rc = ss_keyrec_parse(doc, &key, err))) {
		ss_err_prefix(err, "key '%s'", a->key);
		goto out;
	}
	rc = ss_telemetry_verify_stream(0, "standard input", &key, &count, err);
out:
	cJSON_Delete(doc);
	ss_buf_free(&text);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	const ss_cmd *cmd = NULL;
	ss_err err = { 0 };
	int rc;

	ss_prog_init(argv[0]);
	ss_crypto_init();
	rc = ss_opt_parse(&tool, argc, argv, &a, &cmd, &err);
	if (rc == SS_OK && cmd)
		rc = cmd->run(&a, &err);
	return ss_exit(rc, &err);
}
