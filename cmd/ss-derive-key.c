/* ss-derive-key: a key per execution, derived with HKDF-SHA256 from the
 * secret of an attested session, from a root secret, or from a root that
 * stays inside the TPM; its ss.key.v1 record on stdout, the key itself only
 * to a file or descriptor.  The contract is in ss/execution_key.h.  The
 * derivation is the tool's form without a command (run_derive); creating
 * a TPM root is one command, init-tpm-root; check-key, the other, checks
 * an archived key record against its session offline (ss/key_check.h). */
#include <stdio.h>
#include <string.h>

#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/execution_key.h"
#include "ss/execution.h"
#include "ss/execution_text.h"
#include "ss/io.h"
#include "ss/key_batch.h"
#include "ss/json.h"
#include "ss/key_check.h"
#include "ss/key_material.h"
#include "ss/key_record.h"
#include "ss/opt.h"
#include "ss/prog.h"
#include "ss/secret.h"
#include "ss/session.h"
#include "ss/sign.h"
#include "ss/state.h"
#include "ss/timefmt.h"
#include "ss/tpm.h"
#include "ss/tpm_hmac.h"

#define ROOT_SECRET_MAX 4096 /* read exactly; at least 32 bytes */
/* Persistent object handles (tss2's TPM2_PERSISTENT_FIRST shifts into the
 * sign bit of an int). */
#define PERSISTENT_FIRST 0x81000000u
#define PERSISTENT_LAST 0x81ffffffu
#define SESSION_SECRET_LEN 32
#define OWNER_AUTH_MAX 64 /* a TPM2B_AUTH */

enum {
	OPT_SESSION = SS_OPT_FIRST, OPT_CP_PUB, OPT_SESSION_SECRET, OPT_ROOT_SECRET, OPT_ROOT_FD,
	OPT_ROOT_TPM, OPT_KIND, OPT_PURPOSE, OPT_SECRET_OUT, OPT_SECRET_FD, OPT_BATCH,
	OPT_SECRET_DIR, OPT_JOBS, OPT_HANDLE, OPT_AUTH_FILE, OPT_AUTH_FD, OPT_OWNER_AUTH_FILE,
	OPT_TCTI, OPT_VERBOSE = 'v',
};

static ss_cmd_fn run_derive, run_init_tpm_root, run_check_key;
static ss_opt_set_fn set_option;

static const ss_opt opts[] = {
	{ "session", OPT_SESSION, "FILE", "signed ss.session.v1 whose secret is the input key", 0,
	  { OPT_CP_PUB, OPT_SESSION_SECRET } },
	{ "cp-pub", OPT_CP_PUB, "FILE", "pinned control-plane public key (PEM; repeatable)",
	  SS_OPT_REPEAT },
	{ "session-secret", OPT_SESSION_SECRET, "FILE",
	  "the session's 32-byte secret (owner-only file)" },
	{ "root-secret", OPT_ROOT_SECRET, "FILE", "root secret file (owner-only, at least 32 bytes)" },
	{ "root-fd", OPT_ROOT_FD, "N", "read the root secret from descriptor N" },
	{ "root-tpm", OPT_ROOT_TPM, "HANDLE", "root kept in the TPM at persistent HANDLE" },
	{ "kind", OPT_KIND, "KIND", "ed25519 (default), x25519, aes-256 or raw" },
	{ "purpose", OPT_PURPOSE, "NAME", "what the key is for (identifier; default execution)" },
	{ "secret-out", OPT_SECRET_OUT, "FILE", "write the key to a new file (0600)" },
	{ "secret-fd", OPT_SECRET_FD, "N", "write the key to descriptor N" },
	{ "batch", OPT_BATCH, NULL, "JSONL contexts in, JSONL ss.key.v1 records out" },
	{ "secret-dir", OPT_SECRET_DIR, "DIR", "with --batch: one key file per key id in DIR" },
	{ "jobs", OPT_JOBS, "N", "with --batch: threads (default: the CPUs available)" },
	{ "handle", OPT_HANDLE, "HANDLE", "persistent handle for the new root" },
	{ "auth-file", OPT_AUTH_FILE, "FILE", "the TPM root's auth value (owner-only file)" },
	{ "auth-fd", OPT_AUTH_FD, "N", "read the TPM root's auth value from descriptor N" },
	{ "owner-auth-file", OPT_OWNER_AUTH_FILE, "FILE",
	  "owner hierarchy auth value (owner-only file)" },
	{ "tcti", OPT_TCTI, "TCTI", "TPM connection (else SS_TCTI, TPM2TOOLS_TCTI)",
	  SS_OPT_GLOBAL },
	{ "verbose", OPT_VERBOSE, NULL, "let tpm2-tss log to stderr", SS_OPT_GLOBAL },
	{ NULL },
};

static const ss_cmd derive = {
	.run = run_derive,
	.synopsis = "[--session FILE --cp-pub FILE --session-secret FILE | --root-secret FILE |\n"
		    "                     --root-fd N | --root-tpm HANDLE] [--kind KIND] [--purpose NAME]\n"
		    "                     [--secret-out FILE | --secret-fd N | --batch [--secret-dir DIR]]\n"
		    "                     < EXEC.json",
	.example = "ss-derive-key --session session.json --cp-pub cp.pub --session-secret "
		   "session.key --secret-out exec.pem < exec.json > exec.key.json",
	.opts = { OPT_SESSION, OPT_CP_PUB, OPT_SESSION_SECRET, OPT_ROOT_SECRET, OPT_ROOT_FD,
		  OPT_ROOT_TPM, OPT_KIND, OPT_PURPOSE, OPT_SECRET_OUT, OPT_SECRET_FD, OPT_BATCH,
		  OPT_SECRET_DIR, OPT_JOBS, OPT_AUTH_FILE, OPT_AUTH_FD, OPT_TCTI, OPT_VERBOSE },
};

static const ss_cmd cmds[] = {
	{ .name = "init-tpm-root", .run = run_init_tpm_root,
	  .synopsis = "--handle HANDLE [--auth-file FILE | --auth-fd N] [--owner-auth-file FILE]",
	  .help = "create an HMAC-SHA256 root inside the TPM and persist it at HANDLE",
	  .example = "ss-derive-key init-tpm-root --handle 0x81000100 --auth-file root.auth",
	  .opts = { OPT_HANDLE, OPT_AUTH_FILE, OPT_AUTH_FD, OPT_OWNER_AUTH_FILE, OPT_TCTI,
		    OPT_VERBOSE },
	  .needs = { OPT_HANDLE } },
	{ .name = "check-key", .run = run_check_key,
	  .synopsis = "--session SESSION.json --cp-pub CP_PUB.pem < KEY.json",
	  .help = "check a key record's binding to its session, offline (no secret)",
	  .example = "ss-derive-key check-key --session session.json --cp-pub cp.pub < key.json",
	  .opts = { OPT_SESSION, OPT_CP_PUB },
	  .needs = { OPT_SESSION, OPT_CP_PUB } },
	{ NULL },
};

static const ss_tool tool = {
	.name = "ss-derive-key",
	.summary = "Derive a per-execution key (HKDF-SHA256) from an attested session's secret, a "
		   "root\nsecret or a root kept in the TPM, and print its ss.key.v1 record.",
	.opts = opts,
	.cmds = cmds,
	.bare = &derive,
	.set = set_option,
};

struct args {
	const char *session, *session_secret, *root_secret, *secret_out, *secret_dir;
	const char *tcti;
	ss_secret_src auth, owner_auth;
	const char *cp_pub[SS_KEYRING_MAX];
	int ncp_pub;
	int root_fd, secret_fd, jobs;
	bool has_root_tpm, batch, verbose;
	uint32_t root_tpm, handle;
	ss_key_kind kind;
	const char *purpose;
};

static int set_option(void *args, int key, const char *arg, ss_err *err)
{
	struct args *a = args;
	int rc;

	switch (key) {
	case OPT_SESSION: a->session = arg; break;
	case OPT_CP_PUB:
		if (a->ncp_pub == SS_KEYRING_MAX)
			return ss_err_set(err, SS_EUSAGE, "--cp-pub: at most %d keys", SS_KEYRING_MAX);
		a->cp_pub[a->ncp_pub++] = arg;
		break;
	case OPT_SESSION_SECRET: a->session_secret = arg; break;
	case OPT_ROOT_SECRET: a->root_secret = arg; break;
	case OPT_ROOT_FD: return ss_opt_fd("--root-fd", arg, &a->root_fd, err);
	case OPT_ROOT_TPM:
		a->has_root_tpm = true;
		return ss_opt_handle("--root-tpm", arg, PERSISTENT_FIRST,
				     PERSISTENT_LAST, &a->root_tpm, err);
	case OPT_KIND:
		if (!ss_key_kind_parse(arg, &a->kind))
			return ss_err_set(err, SS_EUSAGE,
					  "--kind: '%.64s' is not one of ed25519, x25519, aes-256, raw",
					  arg);
		break;
	case OPT_PURPOSE:
		a->purpose = arg;
		return ss_opt_id("--purpose", arg, err);
	case OPT_SECRET_OUT: a->secret_out = arg; break;
	case OPT_SECRET_FD: return ss_opt_fd("--secret-fd", arg, &a->secret_fd, err);
	case OPT_BATCH: a->batch = true; break;
	case OPT_SECRET_DIR: a->secret_dir = arg; break;
	case OPT_JOBS: {
		uint64_t n;
		if ((rc = ss_opt_u64("--jobs", arg, 1, SS_BATCH_MAX_JOBS, &n, err)))
			return rc;
		a->jobs = (int)n;
		break;
	}
	case OPT_HANDLE:
		return ss_opt_handle("--handle", arg, PERSISTENT_FIRST,
				     PERSISTENT_LAST, &a->handle, err);
	case OPT_AUTH_FILE:
		return ss_opt_secret_src(&a->auth, "--auth-file", "--auth-fd", false, arg, err);
	case OPT_AUTH_FD:
		return ss_opt_secret_src(&a->auth, "--auth-fd", "--auth-file", true, arg, err);
	case OPT_OWNER_AUTH_FILE: a->owner_auth.file = arg; break;
	case OPT_TCTI: a->tcti = arg; break;
	case OPT_VERBOSE: a->verbose = true; break;
	}
	return SS_OK;
}

/* Combinations the option table cannot express. */
static int check_derive_args(const struct args *a, ss_err *err)
{
	int sources = !!a->session + !!a->root_secret + (a->root_fd >= 0) + a->has_root_tpm;

	if (sources != 1)
		return ss_err_set(err, SS_EUSAGE, "give exactly one of --session, --root-secret, "
				  "--root-fd and --root-tpm");
	if (!a->session && (a->ncp_pub || a->session_secret))
		return ss_err_set(err, SS_EUSAGE, "--%s applies only with --session",
				  a->ncp_pub ? "cp-pub" : "session-secret");
	if (!a->has_root_tpm && (a->auth.file || a->auth.fd >= 0 || a->tcti))
		return ss_err_set(err, SS_EUSAGE, "--%s applies only with --root-tpm",
				  a->auth.file ? "auth-file" : a->auth.fd >= 0 ? "auth-fd" : "tcti");
	if (a->root_fd >= 0 && a->root_fd == a->secret_fd)
		return ss_err_set(err, SS_EUSAGE, "--root-fd and --secret-fd name the same descriptor");
	if (a->secret_out && a->secret_fd >= 0)
		return ss_err_set(err, SS_EUSAGE, "give at most one of --secret-out and --secret-fd");
	if (a->batch && (a->secret_out || a->secret_fd >= 0))
		return ss_err_set(err, SS_EUSAGE,
				  "--batch writes keys only to --secret-dir, not --%s",
				  a->secret_out ? "secret-out" : "secret-fd");
	if (a->batch && a->session)
		return ss_err_set(err, SS_EUSAGE,
				  "--batch derives from a root: a session names one execution");
	if ((a->secret_dir || a->jobs) && !a->batch)
		return ss_err_set(err, SS_EUSAGE, "--%s applies only with --batch",
				  a->secret_dir ? "secret-dir" : "jobs");
	return SS_OK;
}

/* ---- where the input key comes from ----------------------------------- */

struct root {
	ss_secret ikm;           /* session or root secret; empty for a TPM root */
	bool has_binding;        /* a session: its binding is the salt */
	unsigned char binding[32];
	ss_secret prk;           /* a TPM root: PRK extracted inside the TPM */
};

static void root_free(struct root *r)
{
	ss_secret_free(&r->ikm);
	ss_secret_free(&r->prk);
	ss_wipe(r->binding, sizeof r->binding);
}

/* The session must be signed by a pinned key, approved, unexpired and name
 * this execution; then its secret is the IKM and its binding the salt. */
static int load_session(const struct args *a, const ss_execution *exec, struct root *r,
			ss_err *err)
{
	ss_buf text = SS_BUF_INIT;
	ss_keyring ring = { 0 };
	cJSON *doc = NULL;
	ss_session s;
	int rc;

	if ((rc = ss_read_path(a->session, SS_JSON_MAX_SIZE, &text, err)))
		goto out;
	if ((rc = ss_json_parse((const char *)text.data, text.len, &doc, err)) ||
	    (rc = ss_session_parse(doc, &s, err))) {
		ss_err_prefix(err, "session '%s'", a->session);
		goto out;
	}
	for (int i = 0; i < a->ncp_pub; i++)
		if ((rc = ss_keyring_add_file(&ring, a->cp_pub[i], err)))
			goto out;
	if ((rc = ss_session_accept(doc, &s, &ring, exec, ss_now(), err))) {
		if (rc == SS_EINPUT) /* a malformed signature member */
			ss_err_prefix(err, "session '%s'", a->session);
		goto out;
	}
	if ((rc = ss_secret_read_file(a->session_secret, SESSION_SECRET_LEN, SESSION_SECRET_LEN,
				      &r->ikm, err)) ||
	    (rc = ss_session_secret_check(&s, r->ikm.p, r->ikm.len, err)))
		goto out;
	r->has_binding = true;
	memcpy(r->binding, s.binding, sizeof r->binding);
out:
	cJSON_Delete(doc);
	ss_keyring_free(&ring);
	ss_buf_free(&text);
	return rc;
}

static int load_tpm_root(const struct args *a, struct root *r, ss_err *err)
{
	ss_secret auth = SS_SECRET_INIT;
	ss_tpm t;
	int rc;

	if ((rc = ss_secret_src_read(&a->auth, NULL, 1, SS_TPM_HMAC_AUTH_MAX, &auth, err)) ||
	    (rc = ss_secret_alloc(&r->prk, SS_HKDF_PRK_LEN, err)))
		goto out;
	if ((rc = ss_tpm_open(&t, a->tcti, a->verbose, err)))
		goto out;
	rc = ss_tpm_hmac_extract(&t, a->root_tpm, auth.p, auth.len, NULL, 0, r->prk.p, err);
	ss_tpm_close(&t);
out:
	ss_secret_free(&auth);
	return rc;
}

/* exec: the context, for a session (NULL in batch mode, which refuses
 * sessions). */
static int load_root(const struct args *a, const ss_execution *exec, struct root *r,
		     ss_err *err)
{
	if (a->session)
		return load_session(a, exec, r, err);
	if (a->has_root_tpm)
		return load_tpm_root(a, r, err);
	if (a->root_secret)
		return ss_secret_read_file(a->root_secret, SS_HKDF_PRK_LEN, ROOT_SECRET_MAX,
					   &r->ikm, err);
	return ss_secret_read_fd(a->root_fd, SS_HKDF_PRK_LEN, ROOT_SECRET_MAX, &r->ikm, err);
}

/* ---- one context ------------------------------------------------------- */

static int read_context(ss_execution *exec, ss_err *err)
{
	ss_buf text = SS_BUF_INIT;
	int rc;

	if (!(rc = ss_read_fd(0, "standard input", SS_JSON_MAX_SIZE, &text, err)) &&
	    (rc = ss_execution_parse_text((const char *)text.data, text.len, exec, err)))
		ss_err_prefix(err, "read context");
	ss_buf_free(&text);
	return rc;
}

static int write_secret(const struct args *a, const ss_secret *s, ss_err *err)
{
	if (a->secret_out)
		return ss_secret_write_file(a->secret_out, s->p, s->len, err);
	if (a->secret_fd >= 0)
		return ss_secret_write_fd(a->secret_fd, s->p, s->len, err);
	return SS_OK;
}

static int derive_one(const struct args *a, ss_err *err)
{
	struct root r = { SS_SECRET_INIT, false, { 0 }, SS_SECRET_INIT };
	ss_secret secret = SS_SECRET_INIT;
	bool want_secret = a->secret_out || a->secret_fd >= 0;
	ss_execution exec;
	ss_execkey key;
	ss_keyrec rec;
	cJSON *doc;
	int rc;

	memset(&key, 0, sizeof key);
	if ((rc = read_context(&exec, err)) || (rc = load_root(a, &exec, &r, err)))
		goto out;
	if (r.prk.len)
		rc = ss_execkey_from_prk(r.prk.p, &exec, a->kind, a->purpose, &key, err);
	else
		rc = ss_execkey_derive(r.ikm.p, r.ikm.len, r.binding, r.has_binding ? 32 : 0, &exec,
				       a->kind, a->purpose, &key, err);
	if (rc)
		goto out;
	if ((rc = ss_keyrec_from_key(&rec, &key, &exec, a->kind, a->purpose,
				     r.has_binding ? r.binding : NULL, ss_now(), err)))
		goto out;
	if (want_secret && ((rc = ss_keymat_export(a->kind, key.okm, rec.public_key_pem, &secret,
						   err)) ||
			    (rc = write_secret(a, &secret, err))))
		goto out;
	doc = ss_keyrec_to_json(&rec);
	rc = ss_json_print_line(doc, err);
	cJSON_Delete(doc);
out:
	ss_execkey_wipe(&key);
	ss_secret_free(&secret);
	root_free(&r);
	return rc;
}

/* ---- batch --------------------------------------------------------------- */

static int derive_batch(const struct args *a, ss_err *err)
{
	struct root r = { SS_SECRET_INIT, false, { 0 }, SS_SECRET_INIT };
	ss_keybatch kb = { a->kind, a->purpose, a->secret_dir,
			   a->jobs ? a->jobs : ss_batch_default_jobs() };
	int rc;

	if (a->secret_dir && (rc = ss_secret_dir(a->secret_dir, err)))
		goto out;
	if ((rc = load_root(a, NULL, &r, err)))
		goto out;
	/* A software root is extracted once (EVP_KDF); a TPM root was
	 * extracted inside the TPM. */
	if (!r.prk.len && ((rc = ss_secret_alloc(&r.prk, SS_HKDF_PRK_LEN, err)) ||
			   (rc = ss_hkdf_extract(NULL, 0, r.ikm.p, r.ikm.len, r.prk.p, err))))
		goto out;
	rc = ss_keybatch_run(&kb, r.prk.p, 0, "standard input", err);
out:
	root_free(&r);
	return rc;
}

/* ---- the two forms ------------------------------------------------------- */

static int run_derive(void *args, ss_err *err)
{
	const struct args *a = args;
	int rc = check_derive_args(a, err);

	if (rc)
		return rc;
	return a->batch ? derive_batch(a, err) : derive_one(a, err);
}

static int run_init_tpm_root(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_secret auth = SS_SECRET_INIT, owner = SS_SECRET_INIT;
	ss_tpm t;
	int rc;

	if ((rc = ss_secret_src_read(&a->auth, NULL, 1, SS_TPM_HMAC_AUTH_MAX, &auth, err)) ||
	    (rc = ss_secret_src_read(&a->owner_auth, NULL, 1, OWNER_AUTH_MAX, &owner, err)))
		goto out;
	if ((rc = ss_tpm_open(&t, a->tcti, a->verbose, err)))
		goto out;
	rc = ss_tpm_hmac_root_create(&t, a->handle, auth.p, auth.len, owner.p, owner.len, err);
	ss_tpm_close(&t);
out:
	ss_secret_free(&auth);
	ss_secret_free(&owner);
	return rc;
}

static int run_check_key(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_buf text = SS_BUF_INIT;
	ss_keyring ring = { 0 };
	cJSON *key_doc = NULL, *session_doc = NULL;
	ss_keyrec key;
	ss_session s;
	int rc;

	for (int i = 0; i < a->ncp_pub; i++)
		if ((rc = ss_keyring_add_file(&ring, a->cp_pub[i], err)))
			goto out;
	if ((rc = ss_read_fd(0, "standard input", SS_JSON_MAX_SIZE, &text, err)))
		goto out;
	if ((rc = ss_json_parse((const char *)text.data, text.len, &key_doc, err)) ||
	    (rc = ss_keyrec_parse(key_doc, &key, err))) {
		ss_err_prefix(err, "key");
		goto out;
	}
	ss_buf_free(&text);
	if ((rc = ss_read_path(a->session, SS_JSON_MAX_SIZE, &text, err)))
		goto out;
	if ((rc = ss_json_parse((const char *)text.data, text.len, &session_doc, err)) ||
	    (rc = ss_session_parse(session_doc, &s, err))) {
		ss_err_prefix(err, "session '%s'", a->session);
		goto out;
	}
	if ((rc = ss_keyrec_check(&key, session_doc, &s, &ring, err)) == SS_EINPUT)
		ss_err_prefix(err, "session '%s'", a->session); /* its signature member */
out:
	cJSON_Delete(session_doc);
	cJSON_Delete(key_doc);
	ss_keyring_free(&ring);
	ss_buf_free(&text);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { .root_fd = -1, .secret_fd = -1, .auth = SS_SECRET_SRC_INIT,
			  .owner_auth = SS_SECRET_SRC_INIT, .kind = SS_KEY_KIND_DEFAULT,
			  .purpose = SS_PURPOSE_DEFAULT };
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
