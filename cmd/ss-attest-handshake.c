/* ss-attest-handshake: the control plane's and the runner's halves of
 * attestation.  Enrollment (ss/enroll.h): enroll-challenge, enroll-verify,
 * enrollments, revoke.  Each command is a row of the tables below and a
 * run_* function; the work itself is in libss. */
#include <stdio.h>
#include <string.h>

#include "ss/credential.h"
#include "ss/crypto.h"
#include "ss/enroll.h"
#include "ss/err.h"
#include "ss/identity.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/opt.h"
#include "ss/sign.h"
#include "ss/store.h"
#include "ss/timefmt.h"

#define CA_BUNDLE_MAX SS_JSON_MAX_SIZE

enum {
	CMD_ENROLL_CHALLENGE,
	CMD_ENROLL_VERIFY,
	CMD_ENROLLMENTS,
	CMD_REVOKE,
};
#define ON(c) (1u << (c))

enum { OPT_KEY = 256, OPT_IDENTITY, OPT_EK_CA, OPT_TTL, OPT_CP_PUB, OPT_STATE };

static const ss_cmd cmds[] = {
	[CMD_ENROLL_CHALLENGE] = { "enroll-challenge",
				   "--key CP_KEY.pem --identity IDENTITY.json --ek-ca CA_BUNDLE.pem "
				   "[--ttl SECONDS] [--state DIR]",
				   "check a runner's EK certificate and AK; print a credential challenge" },
	[CMD_ENROLL_VERIFY] = { "enroll-verify", "--key CP_KEY.pem [--state DIR] < RESPONSE.json",
				"check a credential response; enroll the AK; print the signed record" },
	[CMD_ENROLLMENTS] = { "enrollments", "[--key CP_KEY.pem | --cp-pub PUB.pem ...] [--state DIR]",
			      "print the enrolled AKs' records, one per line" },
	[CMD_REVOKE] = { "revoke", "AK_NAME [--state DIR]",
			 "remove an AK from the enrolled store for good" },
	{ NULL, NULL, NULL },
};

static const ss_opt opts[] = {
	{ "key", OPT_KEY, "FILE", ON(CMD_ENROLL_CHALLENGE) | ON(CMD_ENROLL_VERIFY) | ON(CMD_ENROLLMENTS),
	  false, "control-plane private key (Ed25519 or ECDSA P-256, owner-only)" },
	{ "identity", OPT_IDENTITY, "FILE", ON(CMD_ENROLL_CHALLENGE), false,
	  "the runner's ss.identity.v1 document" },
	{ "ek-ca", OPT_EK_CA, "FILE", ON(CMD_ENROLL_CHALLENGE), false,
	  "PEM bundle of the CAs (roots, intermediates) trusted for EK certificates" },
	{ "ttl", OPT_TTL, "SECONDS", ON(CMD_ENROLL_CHALLENGE), false,
	  "lifetime of the challenge (default 300, at most 86400)" },
	{ "cp-pub", OPT_CP_PUB, "FILE", ON(CMD_ENROLLMENTS), true,
	  "pinned control-plane public key (PEM; repeatable)" },
	{ "state", OPT_STATE, "DIR", SS_ALL_CMDS, false,
	  "state directory (else SS_STATE_DIR, XDG_STATE_HOME/ss, ~/.local/state/ss)" },
	{ NULL, 0, NULL, 0, false, NULL },
};

static const ss_tool tool = {
	.name = "ss-attest-handshake",
	.summary = "AK enrollment by credential activation, for attested microVM runners.",
	.cmds = cmds,
	.opts = opts,
};

struct args {
	const char *key, *identity, *ek_ca, *state;
	const char *cp_pub[SS_KEYRING_MAX];
	int ncp_pub;
	uint64_t ttl;
	char **operands;
	int noperands;
};

static int on_option(void *ctx, int key, const char *arg, ss_err *err)
{
	struct args *a = ctx;

	switch (key) {
	case OPT_KEY: a->key = arg; break;
	case OPT_IDENTITY: a->identity = arg; break;
	case OPT_EK_CA: a->ek_ca = arg; break;
	case OPT_STATE: a->state = arg; break;
	case OPT_TTL: return ss_opt_u64("--ttl", arg, 1, SS_ENROLL_TTL_MAX, &a->ttl, err);
	case OPT_CP_PUB:
		if (a->ncp_pub == SS_KEYRING_MAX)
			return ss_err_set(err, SS_EUSAGE, "at most %d '--cp-pub' keys", SS_KEYRING_MAX);
		a->cp_pub[a->ncp_pub++] = arg;
		break;
	}
	return SS_OK;
}

static int need(const char *value, const char *opt, int cmd, ss_err *err)
{
	if (!value)
		return ss_err_set(err, SS_EUSAGE, "'%s' needs option '--%s'", cmds[cmd].name, opt);
	return SS_OK;
}

/* One JSON document from a path ("-": standard input), strictly parsed;
 * messages start with what. */
static int read_document(const char *path, const char *what, cJSON **doc, ss_err *err)
{
	ss_buf text = SS_BUF_INIT;
	int rc = ss_read_path(path, SS_JSON_MAX_SIZE, &text, err);

	*doc = NULL;
	if (!rc && (rc = ss_json_parse((const char *)text.data, text.len, doc, err)))
		ss_err_prefix(err, "%s", what);
	ss_buf_free(&text);
	return rc;
}

static int print_and_free(cJSON *doc, ss_err *err)
{
	int rc = ss_json_print_line(doc, err);

	cJSON_Delete(doc);
	return rc;
}

static int run_enroll_challenge(const struct args *a, ss_err *err)
{
	char what[4200];
	ss_signer cp = { 0 };
	ss_identity id = { 0 };
	ss_store st = { .lock_fd = -1 };
	ss_buf bundle = SS_BUF_INIT;
	cJSON *doc = NULL, *challenge = NULL;
	int rc;

	if ((rc = need(a->key, "key", CMD_ENROLL_CHALLENGE, err)) ||
	    (rc = need(a->identity, "identity", CMD_ENROLL_CHALLENGE, err)) ||
	    (rc = need(a->ek_ca, "ek-ca", CMD_ENROLL_CHALLENGE, err)))
		return rc;
	snprintf(what, sizeof what, "identity '%s'", a->identity);
	if ((rc = ss_signer_load(a->key, &cp, err)) ||
	    (rc = read_document(a->identity, what, &doc, err)))
		goto out;
	if ((rc = ss_identity_parse(doc, &id, err))) {
		ss_err_prefix(err, "%s", what);
		goto out;
	}
	if ((rc = ss_read_path(a->ek_ca, CA_BUNDLE_MAX, &bundle, err)) ||
	    (rc = ss_store_open(&st, a->state, err)) ||
	    (rc = ss_enroll_challenge(&st, &cp, &id, (const char *)bundle.data, bundle.len, ss_now(),
				      a->ttl ? (int64_t)a->ttl : SS_ENROLL_TTL_DEFAULT, &challenge,
				      err)))
		goto out;
	rc = print_and_free(challenge, err);
out:
	ss_store_close(&st);
	ss_buf_free(&bundle);
	ss_identity_free(&id);
	cJSON_Delete(doc);
	ss_signer_free(&cp);
	return rc;
}

static int run_enroll_verify(const struct args *a, ss_err *err)
{
	ss_signer cp = { 0 };
	ss_cred_response resp;
	ss_store st = { .lock_fd = -1 };
	cJSON *doc = NULL, *enrollment = NULL;
	int rc;

	if ((rc = need(a->key, "key", CMD_ENROLL_VERIFY, err)) ||
	    (rc = ss_signer_load(a->key, &cp, err)) ||
	    (rc = read_document("-", "credential response", &doc, err)))
		goto out;
	if ((rc = ss_cred_response_parse(doc, &resp, err))) {
		ss_err_prefix(err, "credential response");
		goto out;
	}
	if ((rc = ss_store_open(&st, a->state, err)) ||
	    (rc = ss_enroll_verify(&st, &cp, &resp, ss_now(), &enrollment, err)))
		goto out;
	rc = print_and_free(enrollment, err);
out:
	ss_store_close(&st);
	cJSON_Delete(doc);
	ss_signer_free(&cp);
	return rc;
}

static int run_enrollments(const struct args *a, ss_err *err)
{
	ss_keyring ring = { 0 };
	ss_signer cp = { 0 };
	ss_store st = { .lock_fd = -1 };
	cJSON *records = NULL;
	const cJSON *r;
	int rc = SS_OK;

	if (a->key && a->ncp_pub)
		return ss_err_set(err, SS_EUSAGE, "options '--key' and '--cp-pub' exclude each other");
	if (a->key && !(rc = ss_signer_load(a->key, &cp, err)))
		rc = ss_keyring_add_signer(&ring, &cp, err);
	for (int i = 0; !rc && i < a->ncp_pub; i++)
		rc = ss_keyring_add_file(&ring, a->cp_pub[i], err);
	if (rc || (rc = ss_store_open(&st, a->state, err)) ||
	    (rc = ss_enroll_list(&st, ring.n ? &ring : NULL, &records, err)))
		goto out;
	cJSON_ArrayForEach(r, records)
		if ((rc = ss_json_print_line(r, err)))
			break;
out:
	cJSON_Delete(records);
	ss_store_close(&st);
	ss_keyring_free(&ring);
	ss_signer_free(&cp);
	return rc;
}

/* AK_NAME: a TPM name in hex (either case, as tpm2-tools users paste it):
 * a known hash algorithm id and a digest of its size. */
static int parse_ak_name(const char *s, uint8_t *name, size_t *len, ss_err *err)
{
	const EVP_MD *md;
	int rc = ss_opt_hex("AK_NAME", s, name, SS_TPM_NAME_MAX, len, err);

	if (rc)
		return rc;
	md = *len > 2 ? ss_md_for_alg((uint16_t)(name[0] << 8 | name[1])) : NULL;
	if (!md || *len != 2 + (size_t)EVP_MD_get_size(md))
		return ss_err_set(err, SS_EUSAGE,
				  "AK_NAME: not a TPM name (hash algorithm id, then its digest)");
	return SS_OK;
}

static int run_revoke(const struct args *a, ss_err *err)
{
	uint8_t name[SS_TPM_NAME_MAX];
	size_t len = 0;
	ss_store st = { .lock_fd = -1 };
	int rc;

	if ((rc = parse_ak_name(a->operands[0], name, &len, err)) ||
	    (rc = ss_store_open(&st, a->state, err)))
		return rc;
	rc = ss_enroll_revoke(&st, name, len, ss_now(), err);
	ss_store_close(&st);
	return rc;
}

static const struct {
	int (*run)(const struct args *a, ss_err *err);
	int operands; /* exactly this many */
	const char *operand_names;
} commands[] = {
	[CMD_ENROLL_CHALLENGE] = { run_enroll_challenge, 0, NULL },
	[CMD_ENROLL_VERIFY] = { run_enroll_verify, 0, NULL },
	[CMD_ENROLLMENTS] = { run_enrollments, 0, NULL },
	[CMD_REVOKE] = { run_revoke, 1, "AK_NAME" },
};

int main(int argc, char **argv)
{
	struct args a = { 0 };
	ss_err err = { 0 };
	bool done = false;
	int cmd = -1, argi = argc, rc;

	ss_prog_init(argv[0]);
	rc = ss_opt_parse(&tool, argc, argv, &cmd, &argi, &done, on_option, &a, &err);
	if (!rc && done)
		return fflush(stdout) == 0 ? SS_OK : SS_EIO;
	if (!rc) {
		a.operands = argv + argi;
		a.noperands = argc - argi;
		if (a.noperands > commands[cmd].operands)
			rc = ss_err_set(&err, SS_EUSAGE, "unexpected argument '%.200s'",
					a.operands[commands[cmd].operands]);
		else if (a.noperands < commands[cmd].operands)
			rc = ss_err_set(&err, SS_EUSAGE, "'%s' needs %s", cmds[cmd].name,
					commands[cmd].operand_names);
	}
	if (!rc)
		rc = commands[cmd].run(&a, &err);
	if (rc <= SS_REFUSED) {
		/* Verdicts and refusals still end with stdout flushed and checked. */
		ss_err flush_err = { 0 };
		if (ss_stdout_flush(&flush_err)) {
			err = flush_err;
			rc = flush_err.code;
		}
	}
	if (rc) {
		if (rc >= SS_EUSAGE)
			ss_stdout_discard();
		ss_err_print(&err);
	}
	return rc;
}
