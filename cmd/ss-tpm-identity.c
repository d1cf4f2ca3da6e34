/* ss-tpm-identity: a runner's TPM-backed identity.
 *
 * enroll sets up the EK and a persistent AK and prints ss.identity.v1,
 * which it also keeps in the state directory; show prints it again from
 * that record and what the TPM still holds (ss/tpm_identity.h).  quote,
 * pcrs, ak-pub and activate work on the persistent AK.  Everything goes
 * through tpm2-tss ESAPI; transient objects and sessions are flushed on
 * every path by ss_tpm_close.  Each command is a row of cmds[] and a run_*
 * function; the work itself is in libss. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ss/credential.h"
#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/identity.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/opt.h"
#include "ss/pcr_select.h"
#include "ss/pcrs.h"
#include "ss/prog.h"
#include "ss/quote.h"
#include "ss/secret.h"
#include "ss/store.h"
#include "ss/timefmt.h"
#include "ss/tpm.h"
#include "ss/tpm_activate.h"
#include "ss/tpm_ak.h"
#include "ss/tpm_ek.h"
#include "ss/tpm_identity.h"
#include "ss/tpm_public.h"
#include "ss/tpm_quote.h"

#define AUTH_MAX 64 /* a TPM2B_AUTH */

#define NO_EK_CERT_WARNING \
	"the TPM holds no EK certificate: a control plane refuses to enroll this runner until " \
	"the TPM vendor's EK certificate is in its NV (a swtpm: swtpm_setup --create-ek-cert) " \
	"and enroll runs again"

/* An AK may be persisted anywhere the owner controls, except the range
 * TCG reserves for EKs: --force must never be able to aim at an EK. */
#define AK_HANDLE_FIRST SS_TPM_PERSISTENT_FIRST
#define AK_HANDLE_LAST 0x817fffffu

enum {
	OPT_RUNNER_ID = SS_OPT_FIRST, OPT_ALG, OPT_EK_HANDLE, OPT_AK_HANDLE, OPT_FORCE,
	OPT_EAUTH_FILE, OPT_EAUTH_FD, OPT_OAUTH_FILE, OPT_OAUTH_FD, OPT_STATE, OPT_PCRS,
	OPT_QDATA, OPT_TCTI, OPT_CP_PUB, OPT_VERBOSE = 'v',
};

static ss_cmd_fn run_enroll, run_show, run_quote, run_pcrs, run_ak_pub, run_activate;
static ss_opt_set_fn set_option;

static const ss_opt opts[] = {
	{ "runner-id", OPT_RUNNER_ID, "ID", "this runner's identifier" },
	{ "alg", OPT_ALG, "ALG", "AK algorithm: ecc (P-256, default) or rsa (2048)" },
	{ "ek-handle", OPT_EK_HANDLE, "H",
	  "use the persistent EK at H instead of the one the certificates name" },
	{ "ak-handle", OPT_AK_HANDLE, "H", "persistent handle of the AK (default 0x8100a001)" },
	{ "force", OPT_FORCE, NULL, "replace the AK at the handle (never an EK)" },
	{ "endorsement-auth-file", OPT_EAUTH_FILE, "FILE",
	  "endorsement hierarchy password, from a file only its owner can read" },
	{ "endorsement-auth-fd", OPT_EAUTH_FD, "N", "endorsement hierarchy password, from descriptor N" },
	{ "owner-auth-file", OPT_OAUTH_FILE, "FILE",
	  "owner hierarchy password, from a file only its owner can read" },
	{ "owner-auth-fd", OPT_OAUTH_FD, "N", "owner hierarchy password, from descriptor N" },
	{ "state", OPT_STATE, "DIR",
	  "state directory (default $SS_STATE_DIR, $XDG_STATE_HOME/ss, ~/.local/state/ss)",
	  SS_OPT_GLOBAL },
	{ "cp-pub", OPT_CP_PUB, "FILE",
	  "pinned control-plane public key (PEM; repeatable): activate only what it signed",
	  SS_OPT_REPEAT },
	{ "pcrs", OPT_PCRS, "SPEC", "PCR selection, e.g. sha256:0-7 or sha256:0,1,2" },
	{ "qualifying-data", OPT_QDATA, "HEX",
	  "qualifying data (nonce) for the quote, 1 to 64 bytes in hex" },
	{ "tcti", OPT_TCTI, "CONF",
	  "TPM connection (default $SS_TCTI, $TPM2TOOLS_TCTI, tpm2-tss's default)", SS_OPT_GLOBAL },
	{ "verbose", OPT_VERBOSE, NULL, "let tss2 log, and tell about retries", SS_OPT_GLOBAL },
	{ NULL },
};

static const ss_cmd cmds[] = {
	{ .name = "enroll", .run = run_enroll,
	  .synopsis = "--runner-id ID [--alg ecc|rsa] [--ek-handle H] [--ak-handle H] [--force] "
		      "[--state DIR]",
	  .help = "use the EK the TPM's certificate names, create or reuse a persistent AK under "
		  "it, print ss.identity.v1",
	  .example = "ss-tpm-identity enroll --runner-id runner-1 > identity.json",
	  .opts = { OPT_RUNNER_ID, OPT_ALG, OPT_EK_HANDLE, OPT_AK_HANDLE, OPT_FORCE, OPT_STATE,
		    OPT_EAUTH_FILE, OPT_EAUTH_FD, OPT_OAUTH_FILE, OPT_OAUTH_FD, OPT_TCTI,
		    OPT_VERBOSE },
	  .needs = { OPT_RUNNER_ID } },
	{ .name = "show", .run = run_show,
	  .synopsis = "[--state DIR]",
	  .help = "print ss.identity.v1 again for what enroll persisted",
	  .example = "ss-tpm-identity show > identity.json",
	  .opts = { OPT_STATE, OPT_OAUTH_FILE, OPT_OAUTH_FD, OPT_TCTI, OPT_VERBOSE } },
	{ .name = "quote", .run = run_quote,
	  .synopsis = "--pcrs SPEC --qualifying-data HEX [--ak-handle H]",
	  .help = "quote PCRs with the AK, print ss.quote.v1",
	  .example = "ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data c0ffee > q.json",
	  .opts = { OPT_PCRS, OPT_QDATA, OPT_AK_HANDLE, OPT_TCTI, OPT_VERBOSE },
	  .needs = { OPT_PCRS, OPT_QDATA } },
	{ .name = "pcrs", .run = run_pcrs,
	  .synopsis = "--pcrs SPEC",
	  .help = "read PCRs, print ss.pcrs.v1",
	  .example = "ss-tpm-identity pcrs --pcrs sha256:0-7 > pcrs.json",
	  .opts = { OPT_PCRS, OPT_TCTI, OPT_VERBOSE },
	  .needs = { OPT_PCRS } },
	{ .name = "ak-pub", .run = run_ak_pub,
	  .synopsis = "[--ak-handle H]",
	  .help = "print the AK's public key (PEM)",
	  .example = "ss-tpm-identity ak-pub > ak.pem",
	  .opts = { OPT_AK_HANDLE, OPT_TCTI, OPT_VERBOSE } },
	{ .name = "activate", .run = run_activate,
	  .synopsis = "--cp-pub PUB.pem [--state DIR] [--ak-handle H] [--ek-handle H] < CHALLENGE",
	  .help = "TPM2_ActivateCredential: ss.credential-challenge.v1 in, "
		  "ss.credential-response.v1 out",
	  .example = "ss-tpm-identity activate --cp-pub cp.pub < challenge.json > response.json",
	  .opts = { OPT_CP_PUB, OPT_STATE, OPT_AK_HANDLE, OPT_EK_HANDLE, OPT_EAUTH_FILE,
		    OPT_EAUTH_FD, OPT_TCTI, OPT_VERBOSE },
	  .needs = { OPT_CP_PUB } },
	{ NULL },
};

static const ss_tool tool = {
	.name = "ss-tpm-identity",
	.summary = "A runner's TPM-backed identity: EK and restricted AK, PCR reads, quotes and "
		   "credential activation.",
	.opts = opts,
	.cmds = cmds,
	.set = set_option,
};

struct args {
	const char *runner_id;
	ss_ak_alg alg;
	uint32_t ek_handle; /* 0: by the certificates */
	uint32_t ak_handle; /* 0: SS_AK_DEFAULT_HANDLE */
	bool force;
	ss_secret_src eauth, oauth;
	const char *state;
	ss_pcrsel pcrs;
	uint8_t qdata[SS_QUALIFYING_DATA_MAX];
	size_t qlen;
	const char *tcti;
	bool verbose;
	const char *cp_pub[SS_KEYRING_MAX];
	int ncp_pub;
};

/* ---- command line ---------------------------------------------------------- */

static int opt_ak_handle(const char *arg, uint32_t *out, ss_err *err)
{
	int rc = ss_opt_handle("--ak-handle", arg, AK_HANDLE_FIRST, AK_HANDLE_LAST, out, err);

	if (!rc && *out >= SS_EK_HANDLE_FIRST && *out <= SS_EK_HANDLE_LAST)
		return ss_err_set(err, SS_EUSAGE, "--ak-handle: 0x%08x is in the range reserved for "
				  "EKs (0x%08x..0x%08x)", *out, SS_EK_HANDLE_FIRST,
				  SS_EK_HANDLE_LAST);
	return rc;
}

static int set_option(void *args, int key, const char *arg, ss_err *err)
{
	struct args *a = args;

	switch (key) {
	case OPT_RUNNER_ID:
		a->runner_id = arg;
		return ss_opt_id("--runner-id", arg, err);
	case OPT_ALG:
		if (strcmp(arg, "ecc") == 0)
			a->alg = SS_AK_ECC;
		else if (strcmp(arg, "rsa") == 0)
			a->alg = SS_AK_RSA;
		else
			return ss_err_set(err, SS_EUSAGE, "--alg: '%s' is not ecc or rsa", arg);
		return SS_OK;
	case OPT_EK_HANDLE:
		return ss_opt_handle("--ek-handle", arg, SS_TPM_PERSISTENT_FIRST,
				     SS_TPM_PERSISTENT_LAST, &a->ek_handle, err);
	case OPT_AK_HANDLE: return opt_ak_handle(arg, &a->ak_handle, err);
	case OPT_FORCE: a->force = true; return SS_OK;
	case OPT_EAUTH_FILE:
		return ss_opt_secret_src(&a->eauth, "--endorsement-auth-file",
					 "--endorsement-auth-fd", false, arg, err);
	case OPT_EAUTH_FD:
		return ss_opt_secret_src(&a->eauth, "--endorsement-auth-fd",
					 "--endorsement-auth-file", true, arg, err);
	case OPT_OAUTH_FILE:
		return ss_opt_secret_src(&a->oauth, "--owner-auth-file", "--owner-auth-fd", false,
					 arg, err);
	case OPT_OAUTH_FD:
		return ss_opt_secret_src(&a->oauth, "--owner-auth-fd", "--owner-auth-file", true,
					 arg, err);
	case OPT_STATE: a->state = arg; return SS_OK;
	case OPT_PCRS: return ss_pcrsel_parse_arg("--pcrs", arg, &a->pcrs, err);
	case OPT_QDATA:
		return ss_opt_hex("--qualifying-data", arg, a->qdata, sizeof a->qdata, &a->qlen, err);
	case OPT_TCTI: a->tcti = arg; return SS_OK;
	case OPT_VERBOSE: a->verbose = true; return SS_OK;
	case OPT_CP_PUB:
		if (a->ncp_pub == SS_KEYRING_MAX)
			return ss_err_set(err, SS_EUSAGE, "--cp-pub: at most %d keys", SS_KEYRING_MAX);
		a->cp_pub[a->ncp_pub++] = arg;
		return SS_OK;
	}
	return SS_OK;
}

/* ---- TPM session -------------------------------------------------------------- */

/* Connect, with the hierarchy passwords the command was given.  They are
 * read before connecting (a bad secret file changes nothing in the TPM)
 * and wiped as soon as ESAPI has its copy, which ss_tpm_close wipes. */
static int tpm_start(ss_tpm *t, const struct args *a, ss_err *err)
{
	ss_secret eauth = SS_SECRET_INIT, oauth = SS_SECRET_INIT;
	int rc;

	if ((rc = ss_secret_src_read(&a->eauth, "endorsement authorization", 0, AUTH_MAX, &eauth,
				     err)) ||
	    (rc = ss_secret_src_read(&a->oauth, "owner authorization", 0, AUTH_MAX, &oauth, err)))
		goto out;
	if ((rc = ss_tpm_open(t, a->tcti, a->verbose, err)))
		goto out;
	if ((eauth.maplen && (rc = ss_tpm_set_auth(t, ESYS_TR_RH_ENDORSEMENT, eauth.p, eauth.len, err))) ||
	    (oauth.maplen && (rc = ss_tpm_set_auth(t, ESYS_TR_RH_OWNER, oauth.p, oauth.len, err))))
		ss_tpm_close(t);
out:
	ss_secret_free(&eauth);
	ss_secret_free(&oauth);
	return rc;
}

/* What -v tells besides tss2's own log: one line per event, on stderr. */
static void note(const struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct args *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->verbose)
		return;
	fprintf(stderr, "%s: ", ss_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint32_t ak_handle_of(const struct args *a)
{
	return a->ak_handle ? a->ak_handle : SS_AK_DEFAULT_HANDLE;
}

static int print_identity(const ss_identity *id, ss_err *err)
{
	cJSON *doc = ss_identity_to_json(id);
	int rc = ss_json_print_line(doc, err);

	cJSON_Delete(doc);
	return rc;
}

/* ---- commands --------------------------------------------------------------- */

static int run_enroll(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_tpm_enroll_req req = { a->runner_id, a->alg, a->ek_handle, ak_handle_of(a), a->force };
	ss_tpm_enrolled what;
	ss_store st = SS_STORE_INIT;
	ss_identity id;
	ss_tpm t;
	int rc;

	if ((rc = ss_store_open(&st, a->state, err)))
		return rc;
	if ((rc = tpm_start(&t, a, err)))
		goto out;
	rc = ss_tpm_identity_enroll(&t, &st, &req, ss_now(), &id, &what, err);
	ss_tpm_close(&t);
	if (what.settled && what.ek_created)
		note(a, "created EK 0x%08x", what.ek_handle);
	if (what.settled && what.ak != SS_AK_REUSED)
		note(a, "%s AK 0x%08x", what.ak == SS_AK_CREATED ? "created" : "replaced",
		     what.ak_handle);
	if (!rc) {
		/* The identity is printed (the TPM is set up), but it cannot be
		 * enrolled anywhere yet: say so now rather than at the control plane. */
		if (!id.ek.certificate_pem.len)
			ss_warn("%s", NO_EK_CERT_WARNING);
		rc = print_identity(&id, err);
		ss_identity_free(&id);
	}
out:
	ss_store_close(&st);
	return rc;
}

static int run_show(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_store st = SS_STORE_INIT;
	ss_identity rec, id;
	ss_tpm t;
	bool found;
	int rc;

	if ((rc = ss_store_open(&st, a->state, err)) ||
	    (rc = ss_runner_identity_get(&st, &rec, &found, err)))
		goto out_store;
	if (!found) {
		rc = ss_err_set(err, SS_EINPUT, "nothing enrolled: no identity in '%s' (run "
				"'ss-tpm-identity enroll' first)", st.dir);
		goto out_store;
	}
	if (!(rc = tpm_start(&t, a, err))) {
		rc = ss_tpm_identity_reread(&t, &rec, &id, err);
		ss_tpm_close(&t);
	}
	if (!rc) {
		rc = print_identity(&id, err);
		ss_identity_free(&id);
	}
	ss_identity_free(&rec);
out_store:
	ss_store_close(&st);
	return rc;
}

static int run_quote(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_tpm t;
	ss_tpm_ak ak;
	ss_quote q;
	unsigned tries = 0;
	int rc;

	if ((rc = tpm_start(&t, a, err)))
		return rc;
	if (!(rc = ss_tpm_ak_load(&t, ak_handle_of(a), &ak, err)) &&
	    !(rc = ss_tpm_quote_counted(&t, ak.tr, &ak.pub, &a->pcrs, a->qdata, a->qlen, &q, &tries,
					err))) {
		cJSON *doc = ss_quote_to_json(&q, true);
		if (tries > 1)
			note(a, "PCRs changed while quoting: quoted %u times", tries);
		rc = ss_json_print_line(doc, err);
		cJSON_Delete(doc);
		ss_quote_free(&q);
	}
	ss_tpm_close(&t);
	return rc;
}

static int run_pcrs(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_pcrs p = { .sel = a->pcrs };
	ss_tpm t;
	int rc;

	if ((rc = tpm_start(&t, a, err)))
		return rc;
	rc = ss_tpm_pcr_read(&t, &p.sel, p.values, err);
	ss_tpm_close(&t);
	if (!rc) {
		cJSON *doc = ss_pcrs_to_json(&p);
		rc = ss_json_print_line(doc, err);
		cJSON_Delete(doc);
	}
	return rc;
}

static int run_ak_pub(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_tpm t;
	ss_tpm_ak ak;
	ss_buf pem = SS_BUF_INIT;
	int rc;

	if ((rc = tpm_start(&t, a, err)))
		return rc;
	rc = ss_tpm_ak_load(&t, ak_handle_of(a), &ak, err);
	ss_tpm_close(&t);
	if (!rc && !(rc = ss_tpm_public_pem(&ak.pub.publicArea, &pem, err)))
		rc = ss_stdout_write(pem.data, pem.len, err);
	ss_buf_free(&pem);
	return rc;
}

static int read_challenge(cJSON **doc, ss_cred_challenge *c, ss_err *err)
{
	ss_buf in = SS_BUF_INIT;
	int rc;

	*doc = NULL;
	if (!(rc = ss_read_fd(0, "standard input", SS_JSON_MAX_SIZE, &in, err)) &&
	    !(rc = ss_json_parse((const char *)in.data, in.len, doc, err)))
		rc = ss_cred_challenge_parse(*doc, c, err);
	if (rc)
		ss_err_prefix(err, "read credential challenge");
	ss_buf_free(&in);
	return rc;
}

static int run_activate(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_cred_challenge c = { 0 };
	ss_cred_response resp;
	ss_identity id;
	ss_tpm t;
	ss_tpm_ek ek = { .tr = ESYS_TR_NONE };
	ss_tpm_ak ak;
	cJSON *doc = NULL;
	int rc;

	/* Only this runner's own control plane's challenge, for the runner
	 * and AK enrolled in its state: checked before any TPM command. */
	if ((rc = read_challenge(&doc, &c, err)) ||
	    (rc = ss_cred_challenge_accept_here(doc, &c, a->cp_pub, a->ncp_pub, a->state, ss_now(),
						&id, err))) {
		cJSON_Delete(doc);
		ss_cred_challenge_free(&c);
		return rc;
	}
	cJSON_Delete(doc);
	if ((rc = tpm_start(&t, a, err)))
		goto out;
	if (!(rc = ss_tpm_ak_load(&t, a->ak_handle ? a->ak_handle : id.ak.handle, &ak, err)) &&
	    !(rc = ss_tpm_ek_select(&t, a->ek_handle ? a->ek_handle : id.ek.handle, false, &ek,
				    err)))
		rc = ss_tpm_activate(&t, &ak, &ek, &c, ss_now(), &resp, err);
	ss_tpm_ek_free(&ek);
	ss_tpm_close(&t);
	if (!rc) {
		doc = ss_cred_response_to_json(&resp);
		rc = ss_json_print_line(doc, err);
		cJSON_Delete(doc);
	}
	ss_wipe(&resp, sizeof resp);
out:
	ss_identity_free(&id);
	ss_cred_challenge_free(&c);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { .alg = SS_AK_ECC, .eauth = SS_SECRET_SRC_INIT, .oauth = SS_SECRET_SRC_INIT };
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
