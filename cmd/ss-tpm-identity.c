/* ss-tpm-identity: a runner's TPM-backed identity.
 *
 * enroll picks the EK by its certificate (ss/tpm_ek.h), creates or reuses
 * a persistent AK under it (ss/tpm_ak.h) and prints ss.identity.v1, which
 * it also keeps in the state directory: show prints the same document
 * again from that record (runner_id, handles, created_at) and what the TPM
 * still holds.  quote, pcrs, ak-pub and activate work on the persistent AK.
 * Everything goes through tpm2-tss ESAPI; transient objects and sessions
 * are flushed on every path by ss_tpm_close. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ss/credential.h"
#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/identity.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/opt.h"
#include "ss/prog.h"
#include "ss/pcr_select.h"
#include "ss/quote.h"
#include "ss/secret.h"
#include "ss/store.h"
#include "ss/timefmt.h"
#include "ss/tpm.h"
#include "ss/tpm_activate.h"
#include "ss/tpm_ak.h"
#include "ss/tpm_ek.h"
#include "ss/tpm_info.h"
#include "ss/tpm_quote.h"
#include "ss/tpm_public.h"

enum { CMD_ENROLL, CMD_SHOW, CMD_QUOTE, CMD_PCRS, CMD_AK_PUB, CMD_ACTIVATE };
#define ON(c) (1u << (c))

enum {
	K_VERBOSE = 'v',
	K_RUNNER_ID = 256,
	K_ALG,
	K_EK_HANDLE,
	K_AK_HANDLE,
	K_FORCE,
	K_EAUTH_FILE,
	K_EAUTH_FD,
	K_OAUTH_FILE,
	K_OAUTH_FD,
	K_STATE,
	K_PCRS,
	K_QDATA,
	K_TCTI,
	K_CP_PUB,
};


#define AUTH_MAX 64 /* a TPM2B_AUTH */

/* An AK may be persisted anywhere the owner controls, except the range
 * TCG reserves for EKs: --force must never be able to aim at an EK. */
#define AK_HANDLE_FIRST SS_TPM_PERSISTENT_FIRST
#define AK_HANDLE_LAST 0x817fffffu

static const ss_cmd cmds[] = {
	{ "enroll",
	  "--runner-id ID [--alg ecc|rsa] [--ek-handle H] [--ak-handle H] [--force] [--state DIR]",
	  "use the EK the TPM's certificate names, create or reuse a persistent AK under it, "
	  "print ss.identity.v1" },
	{ "show", "[--state DIR]", "print ss.identity.v1 again for what enroll persisted" },
	{ "quote", "--pcrs SPEC --qualifying-data HEX [--ak-handle H]",
	  "quote PCRs with the AK, print ss.quote.v1" },
	{ "pcrs", "--pcrs SPEC", "read PCRs, print ss.pcrs.v1" },
	{ "ak-pub", "[--ak-handle H]", "print the AK's public key (PEM)" },
	{ "activate", "--cp-pub PUB.pem [--state DIR] [--ak-handle H] [--ek-handle H] < CHALLENGE",
	  "TPM2_ActivateCredential: ss.credential-challenge.v1 in, ss.credential-response.v1 out" },
	{ NULL, NULL, NULL },
};

static const ss_opt opts[] = {
	{ "runner-id", K_RUNNER_ID, "ID", ON(CMD_ENROLL), false, "this runner's identifier" },
	{ "alg", K_ALG, "ALG", ON(CMD_ENROLL), false, "AK algorithm: ecc (P-256, default) or rsa (2048)" },
	{ "ek-handle", K_EK_HANDLE, "H", ON(CMD_ENROLL) | ON(CMD_ACTIVATE), false,
	  "use the persistent EK at H instead of the one the certificates name" },
	{ "ak-handle", K_AK_HANDLE, "H",
	  ON(CMD_ENROLL) | ON(CMD_QUOTE) | ON(CMD_AK_PUB) | ON(CMD_ACTIVATE), false,
	  "persistent handle of the AK (default 0x8100a001)" },
	{ "force", K_FORCE, NULL, ON(CMD_ENROLL), false, "replace the AK at the handle (never an EK)" },
	{ "endorsement-auth-file", K_EAUTH_FILE, "FILE", ON(CMD_ENROLL) | ON(CMD_ACTIVATE), false,
	  "endorsement hierarchy password, from a file only its owner can read" },
	{ "endorsement-auth-fd", K_EAUTH_FD, "N", ON(CMD_ENROLL) | ON(CMD_ACTIVATE), false,
	  "endorsement hierarchy password, from descriptor N" },
	{ "owner-auth-file", K_OAUTH_FILE, "FILE", ON(CMD_ENROLL) | ON(CMD_SHOW), false,
	  "owner hierarchy password, from a file only its owner can read" },
	{ "owner-auth-fd", K_OAUTH_FD, "N", ON(CMD_ENROLL) | ON(CMD_SHOW), false,
	  "owner hierarchy password, from descriptor N" },
	{ "state", K_STATE, "DIR", ON(CMD_ENROLL) | ON(CMD_SHOW) | ON(CMD_ACTIVATE), false,
	  "state directory (default $SS_STATE_DIR, $XDG_STATE_HOME/ss, ~/.local/state/ss)" },
	{ "cp-pub", K_CP_PUB, "FILE", ON(CMD_ACTIVATE), true,
	  "pinned control-plane public key (PEM; repeatable): activate only what it signed" },
	{ "pcrs", K_PCRS, "SPEC", ON(CMD_QUOTE) | ON(CMD_PCRS), false,
	  "PCR selection, e.g. sha256:0-7 or sha256:0,1,2" },
	{ "qualifying-data", K_QDATA, "HEX", ON(CMD_QUOTE), false,
	  "qualifying data (nonce) for the quote, 1 to 64 bytes in hex" },
	{ "tcti", K_TCTI, "CONF", SS_ALL_CMDS, false,
	  "TPM connection (default $SS_TCTI, $TPM2TOOLS_TCTI, tpm2-tss's default)" },
	{ "verbose", K_VERBOSE, NULL, SS_ALL_CMDS, false, "let tss2 log, and tell about retries" },
	{ NULL, 0, NULL, 0, false, NULL },
};

static const ss_tool tool = {
	.name = "ss-tpm-identity",
	.summary = "A runner's TPM-backed identity: EK and restricted AK, PCR reads, quotes and "
		   "credential activation.",
	.cmds = cmds,
	.opts = opts,
};

typedef struct secret_src {
	const char *file;
	int fd;           /* -1: none */
	const char *what; /* for messages */
} secret_src;

typedef struct options {
	const char *runner_id;
	ss_ak_alg alg;
	uint32_t ek_handle; /* 0: by the certificates */
	uint32_t ak_handle;
	bool force;
	secret_src eauth, oauth;
	const char *state;
	bool have_pcrs;
	ss_pcrsel pcrs;
	bool have_qdata;
	uint8_t qdata[SS_QUALIFYING_DATA_MAX];
	size_t qlen;
	const char *tcti;
	bool verbose;
	const char *cp_pub[SS_KEYRING_MAX];
	int ncp_pub;
} options;

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

static int opt_secret(secret_src *s, bool is_fd, const char *name, const char *other,
		      const char *arg, ss_err *err)
{
	if (s->file || s->fd >= 0)
		return ss_err_set(err, SS_EUSAGE, "%s and %s exclude each other", other, name);
	if (!is_fd) {
		s->file = arg;
		return SS_OK;
	}
	return ss_opt_fd(name, arg, &s->fd, err);
}

static int on_opt(void *ctx, int key, const char *arg, ss_err *err)
{
	options *o = ctx;
	int rc;

	switch (key) {
	case K_RUNNER_ID:
		o->runner_id = arg;
		return ss_opt_id("--runner-id", arg, err);
	case K_ALG:
		if (strcmp(arg, "ecc") == 0)
			o->alg = SS_AK_ECC;
		else if (strcmp(arg, "rsa") == 0)
			o->alg = SS_AK_RSA;
		else
			return ss_err_set(err, SS_EUSAGE, "--alg: '%s' is not ecc or rsa", arg);
		return SS_OK;
	case K_EK_HANDLE:
		return ss_opt_handle("--ek-handle", arg, SS_TPM_PERSISTENT_FIRST,
				     SS_TPM_PERSISTENT_LAST, &o->ek_handle, err);
	case K_AK_HANDLE:
		return opt_ak_handle(arg, &o->ak_handle, err);
	case K_FORCE:
		o->force = true;
		return SS_OK;
	case K_EAUTH_FILE:
		return opt_secret(&o->eauth, false, "--endorsement-auth-file",
				  "--endorsement-auth-fd", arg, err);
	case K_EAUTH_FD:
		return opt_secret(&o->eauth, true, "--endorsement-auth-fd",
				  "--endorsement-auth-file", arg, err);
	case K_OAUTH_FILE:
		return opt_secret(&o->oauth, false, "--owner-auth-file", "--owner-auth-fd", arg, err);
	case K_OAUTH_FD:
		return opt_secret(&o->oauth, true, "--owner-auth-fd", "--owner-auth-file", arg, err);
	case K_STATE:
		o->state = arg;
		return SS_OK;
	case K_PCRS:
		if ((rc = ss_pcrsel_parse(arg, &o->pcrs, err))) {
			err->code = SS_EUSAGE;
			return ss_err_prefix(err, "--pcrs");
		}
		o->have_pcrs = true;
		return SS_OK;
	case K_QDATA:
		o->have_qdata = true;
		return ss_opt_hex("--qualifying-data", arg, o->qdata, sizeof o->qdata, &o->qlen, err);
	case K_TCTI:
		o->tcti = arg;
		return SS_OK;
	case K_VERBOSE:
		o->verbose = true;
		return SS_OK;
	case K_CP_PUB:
		if (o->ncp_pub == SS_KEYRING_MAX)
			return ss_err_set(err, SS_EUSAGE, "--cp-pub: at most %d keys", SS_KEYRING_MAX);
		o->cp_pub[o->ncp_pub++] = arg;
		return SS_OK;
	}
	return ss_err_set(err, SS_EUSAGE, "unhandled option");
}

static int check_args(int cmd, const options *o, int argc, char **argv, int argi, ss_err *err)
{
	const char *name = cmds[cmd].name;

	if (argi < argc)
		return ss_err_set(err, SS_EUSAGE, "unexpected argument '%s'", argv[argi]);
	if (cmd == CMD_ENROLL && !o->runner_id)
		return ss_err_set(err, SS_EUSAGE, "%s: --runner-id is required", name);
	if ((cmd == CMD_QUOTE || cmd == CMD_PCRS) && !o->have_pcrs)
		return ss_err_set(err, SS_EUSAGE, "%s: --pcrs is required", name);
	if (cmd == CMD_QUOTE && !o->have_qdata)
		return ss_err_set(err, SS_EUSAGE, "%s: --qualifying-data is required", name);
	if (cmd == CMD_ACTIVATE && !o->ncp_pub)
		return ss_err_set(err, SS_EUSAGE, "%s: --cp-pub is required", name);
	return SS_OK;
}

/* ---- TPM session -------------------------------------------------------------- */

static int read_secret(const secret_src *s, ss_secret *out, ss_err *err)
{
	int rc;

	if (s->file)
		rc = ss_secret_read_file(s->file, 0, AUTH_MAX, out, err);
	else if (s->fd >= 0)
		rc = ss_secret_read_fd(s->fd, 0, AUTH_MAX, out, err);
	else
		return SS_OK;
	return rc ? ss_err_prefix(err, "%s", s->what) : SS_OK;
}

/* Connect, with the hierarchy passwords the command was given.  They are
 * read before connecting (a bad secret file changes nothing in the TPM)
 * and wiped as soon as ESAPI has its copy, which ss_tpm_close wipes. */
static int tpm_start(ss_tpm *t, const options *o, ss_err *err)
{
	ss_secret eauth = SS_SECRET_INIT, oauth = SS_SECRET_INIT;
	int rc;

	if ((rc = read_secret(&o->eauth, &eauth, err)) || (rc = read_secret(&o->oauth, &oauth, err)))
		goto out;
	if ((rc = ss_tpm_open(t, o->tcti, o->verbose, err)))
		goto out;
	if ((eauth.maplen && (rc = ss_tpm_set_auth(t, ESYS_TR_RH_ENDORSEMENT, eauth.p, eauth.len, err))) ||
	    (oauth.maplen && (rc = ss_tpm_set_auth(t, ESYS_TR_RH_OWNER, oauth.p, oauth.len, err))))
		ss_tpm_close(t);
out:
	ss_secret_free(&eauth);
	ss_secret_free(&oauth);
	return rc;
}

/* ---- identity documents --------------------------------------------------------- */

static int public_pem(const TPMT_PUBLIC *pub, ss_buf *out, ss_err *err)
{
	EVP_PKEY *key = NULL;
	int rc = ss_tpm_public_to_pkey(pub, &key, err);

	if (!rc)
		rc = ss_pkey_public_pem(key, out, err);
	EVP_PKEY_free(key);
	return rc;
}

static int build_identity(const char *runner_id, int64_t created_at, const ss_tpm_info *info,
			  const ss_tpm_ek *ek, const ss_tpm_ak *ak, ss_identity *id, ss_err *err)
{
	int rc;

	memset(id, 0, sizeof *id);
	snprintf(id->runner_id, sizeof id->runner_id, "%s", runner_id);
	memcpy(id->tpm.manufacturer, info->manufacturer, sizeof id->tpm.manufacturer);
	memcpy(id->tpm.vendor, info->vendor, sizeof id->tpm.vendor);
	id->tpm.firmware = info->firmware;
	id->tpm.simulator = info->simulator;
	ss_tpm_public_alg(&ek->pub.publicArea, id->ek.alg, sizeof id->ek.alg);
	id->ek.handle = ek->handle;
	id->ek.nv_index = ek->nv_index;
	ss_tpm_public_alg(&ak->pub.publicArea, id->ak.alg, sizeof id->ak.alg);
	id->ak.handle = ak->handle;
	id->ak.pub = ak->pub;
	ss_tpm2b_public_marshal(&ak->pub, &id->ak.public_area);
	memcpy(id->ak.name, ak->name, ak->name_len);
	id->ak.name_len = ak->name_len;
	id->created_at = created_at;
	if ((rc = public_pem(&ek->pub.publicArea, &id->ek.public_pem, err)) ||
	    (ek->cert_der.len && (rc = ss_tpm_ek_cert_pem(ek, &id->ek.certificate_pem, err))) ||
	    (rc = public_pem(&ak->pub.publicArea, &id->ak.public_pem, err)))
		ss_identity_free(id);
	return rc;
}

/* Running enroll again for the same runner, EK and AK is the same
 * identity: it keeps its creation time. */
static int64_t creation_time(ss_store *st, const char *runner_id, const ss_tpm_ek *ek,
			     const ss_tpm_ak *ak)
{
	ss_identity prev;
	bool found = false;
	int64_t t = ss_now();

	if (ss_runner_identity_get(st, &prev, &found, NULL) != SS_OK || !found)
		return t;
	if (strcmp(prev.runner_id, runner_id) == 0 && prev.ek.handle == ek->handle &&
	    prev.ak.handle == ak->handle && prev.ak.name_len == ak->name_len &&
	    memcmp(prev.ak.name, ak->name, ak->name_len) == 0)
		t = prev.created_at;
	ss_identity_free(&prev);
	return t;
}

static int print_identity(const ss_identity *id, ss_store *st, bool keep, ss_err *err)
{
	cJSON *doc = ss_identity_to_json(id);
	ss_buf text = SS_BUF_INIT;
	int rc = SS_OK;

	if (keep) {
		ss_json_write(doc, &text);
		ss_buf_addc(&text, '\n');
		rc = ss_store_put(st, SS_KIND_RUNNER, SS_RUNNER_IDENTITY_KEY, text.data, text.len, false, err);
		ss_buf_free(&text);
	}
	if (!rc)
		rc = ss_json_print_line(doc, err);
	cJSON_Delete(doc);
	return rc;
}

/* ---- commands --------------------------------------------------------------- */

/* What -v tells besides tss2's own log: one line per event, on stderr. */
static void note(const options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const options *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->verbose)
		return;
	fprintf(stderr, "%s: ", ss_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint32_t ak_handle_of(const options *o)
{
	return o->ak_handle ? o->ak_handle : SS_AK_DEFAULT_HANDLE;
}

static int cmd_enroll(const options *o, ss_err *err)
{
	ss_store st;
	ss_tpm t;
	ss_tpm_ek ek = { .tr = ESYS_TR_NONE };
	ss_tpm_ak ak;
	ss_ak_outcome outcome;
	ss_tpm_info info;
	ss_identity id;
	int rc;

	if ((rc = ss_store_open(&st, o->state, err)))
		return rc;
	if ((rc = tpm_start(&t, o, err)))
		goto out_store;
	if ((rc = ss_tpm_ek_select(&t, o->ek_handle, true, &ek, err)) ||
	    (rc = ss_tpm_ak_enroll(&t, &ek, o->alg, ak_handle_of(o), o->force, &ak, &outcome, err)) ||
	    (rc = ss_tpm_info_read(&t, &info, err)))
		goto out;
	if (ek.created)
		note(o, "created EK 0x%08x", ek.handle);
	if (outcome != SS_AK_REUSED)
		note(o, "%s AK 0x%08x", outcome == SS_AK_CREATED ? "created" : "replaced", ak.handle);
	if ((rc = build_identity(o->runner_id, creation_time(&st, o->runner_id, &ek, &ak), &info, &ek,
				 &ak, &id, err)))
		goto out;
	rc = print_identity(&id, &st, true, err);
	ss_identity_free(&id);
out:
	ss_tpm_ek_free(&ek);
	ss_tpm_close(&t);
out_store:
	ss_store_close(&st);
	return rc;
}

/* What enroll recorded must still be what the TPM holds. */
static int reread_identity(ss_tpm *t, const ss_identity *rec, ss_tpm_ek *ek, ss_tpm_ak *ak,
			   ss_err *err)
{
	bool child;
	int rc;

	ak->handle = rec->ak.handle;
	if ((rc = ss_tpm_ak_load(t, rec->ak.handle, &ak->tr, &ak->pub, ak->name, &ak->name_len, err)))
		return ss_err_prefix(err, "enrolled identity");
	if (ak->name_len != rec->ak.name_len || memcmp(ak->name, rec->ak.name, ak->name_len) != 0)
		return ss_err_set(err, SS_ETPM, "enrolled identity: the AK at 0x%08x is not the "
				  "enrolled one (enroll again)", ak->handle);
	if ((rc = ss_tpm_ek_select(t, rec->ek.handle, false, ek, err)))
		return ss_err_prefix(err, "enrolled identity");
	if ((rc = ss_tpm_ak_is_child(t, ak, ek, &child, err)))
		return rc;
	if (!child)
		return ss_err_set(err, SS_ETPM, "enrolled identity: the AK at 0x%08x is not a child "
				  "of the EK at 0x%08x", ak->handle, ek->handle);
	return SS_OK;
}

static int cmd_show(const options *o, ss_err *err)
{
	ss_store st;
	ss_identity rec, id;
	ss_tpm t;
	ss_tpm_ek ek = { .tr = ESYS_TR_NONE };
	ss_tpm_ak ak;
	ss_tpm_info info;
	bool found;
	int rc;

	if ((rc = ss_store_open(&st, o->state, err)))
		return rc;
	if ((rc = ss_runner_identity_get(&st, &rec, &found, err)))
		goto out_store;
	if (!found) {
		rc = ss_err_set(err, SS_ETPM, "nothing enrolled: no identity in '%s' (run "
				"'ss-tpm-identity enroll' first)", st.dir);
		goto out_store;
	}
	if ((rc = tpm_start(&t, o, err)))
		goto out_rec;
	if (!(rc = reread_identity(&t, &rec, &ek, &ak, err)) &&
	    !(rc = ss_tpm_info_read(&t, &info, err)) &&
	    !(rc = build_identity(rec.runner_id, rec.created_at, &info, &ek, &ak, &id, err))) {
		rc = print_identity(&id, &st, false, err);
		ss_identity_free(&id);
	}
	ss_tpm_ek_free(&ek);
	ss_tpm_close(&t);
out_rec:
	ss_identity_free(&rec);
out_store:
	ss_store_close(&st);
	return rc;
}

static int cmd_quote(const options *o, ss_err *err)
{
	ss_tpm t;
	ss_tpm_ak ak;
	ss_quote q;
	unsigned tries = 0;
	int rc;

	if ((rc = tpm_start(&t, o, err)))
		return rc;
	ak.handle = ak_handle_of(o);
	if (!(rc = ss_tpm_ak_load(&t, ak.handle, &ak.tr, &ak.pub, ak.name, &ak.name_len, err)) &&
	    !(rc = ss_tpm_quote_counted(&t, ak.tr, &ak.pub, &o->pcrs, o->qdata, o->qlen, &q, &tries,
					err))) {
		cJSON *doc = ss_quote_to_json(&q, true);
		if (tries > 1)
			note(o, "PCRs changed while quoting: quoted %u times", tries);
		rc = ss_json_print_line(doc, err);
		cJSON_Delete(doc);
		ss_quote_free(&q);
	}
	ss_tpm_close(&t);
	return rc;
}

static int cmd_pcrs(const options *o, ss_err *err)
{
	uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST];
	ss_tpm t;
	int rc;

	if ((rc = tpm_start(&t, o, err)))
		return rc;
	rc = ss_tpm_pcr_read(&t, &o->pcrs, values, err);
	ss_tpm_close(&t);
	if (!rc) {
		cJSON *doc = ss_json_new_object(), *pcrs;
		char idx[4];
		ss_json_add_string(doc, "type", "ss.pcrs.v1");
		ss_json_add_string(doc, "pcr_bank", o->pcrs.hash->name);
		pcrs = ss_json_add_object(doc, "pcrs");
		for (unsigned i = 0; i < SS_PCR_COUNT; i++)
			if (o->pcrs.mask & (1u << i)) {
				snprintf(idx, sizeof idx, "%u", i);
				ss_json_add_hex(pcrs, idx, values[i], o->pcrs.hash->size);
			}
		rc = ss_json_print_line(doc, err);
		cJSON_Delete(doc);
	}
	return rc;
}

static int cmd_ak_pub(const options *o, ss_err *err)
{
	ss_tpm t;
	ss_tpm_ak ak;
	ss_buf pem = SS_BUF_INIT;
	int rc;

	if ((rc = tpm_start(&t, o, err)))
		return rc;
	ak.handle = ak_handle_of(o);
	rc = ss_tpm_ak_load(&t, ak.handle, &ak.tr, &ak.pub, ak.name, &ak.name_len, err);
	ss_tpm_close(&t);
	if (!rc && !(rc = public_pem(&ak.pub.publicArea, &pem, err)))
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

static int cmd_activate(const options *o, ss_err *err)
{
	ss_cred_challenge c;
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
	    (rc = ss_cred_challenge_accept_here(doc, &c, o->cp_pub, o->ncp_pub, o->state, ss_now(),
						&id, err))) {
		cJSON_Delete(doc);
		ss_cred_challenge_free(&c);
		return rc;
	}
	cJSON_Delete(doc);
	if ((rc = tpm_start(&t, o, err)))
		goto out;
	ak.handle = o->ak_handle ? o->ak_handle : id.ak.handle;
	if (!(rc = ss_tpm_ak_load(&t, ak.handle, &ak.tr, &ak.pub, ak.name, &ak.name_len, err)) &&
	    !(rc = ss_tpm_ek_select(&t, o->ek_handle ? o->ek_handle : id.ek.handle, false, &ek,
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
	options o = {
		.alg = SS_AK_ECC,
		.eauth = { NULL, -1, "endorsement authorization" },
		.oauth = { NULL, -1, "owner authorization" },
	};
	ss_err err = { 0 };
	int cmd = -1, argi = 0, rc;
	bool done = false;

	ss_prog_init(argv[0]);
	ss_crypto_init();
	rc = ss_opt_parse(&tool, argc, argv, &cmd, &argi, &done, on_opt, &o, &err);
	if (!rc && !done)
		rc = check_args(cmd, &o, argc, argv, argi, &err);
	if (!rc && !done) {
		switch (cmd) {
		case CMD_ENROLL: rc = cmd_enroll(&o, &err); break;
		case CMD_SHOW: rc = cmd_show(&o, &err); break;
		case CMD_QUOTE: rc = cmd_quote(&o, &err); break;
		case CMD_PCRS: rc = cmd_pcrs(&o, &err); break;
		case CMD_AK_PUB: rc = cmd_ak_pub(&o, &err); break;
		case CMD_ACTIVATE: rc = cmd_activate(&o, &err); break;
		}
	}
	return ss_exit(rc, &err);
}
