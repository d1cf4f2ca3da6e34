/* ss-attest-handshake: the control plane's and the runner's halves of
 * attestation.  Enrollment (ss/enroll.h): enroll-challenge, enroll-verify,
 * enrollments, revoke.  The handshake (ss/handshake.h): challenge, verify,
 * respond, finish, gc.  Golden values: policy.  Quotes alone, from
 * tpm2-tools artifacts (ss/quote_verify.h, ss/quote_batch.h): verify-quote.
 * Each command is a row of cmds[] and a run_* function; the work itself is
 * in libss. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ss/credential.h"
#include "ss/crypto.h"
#include "ss/enroll.h"
#include "ss/err.h"
#include "ss/execution.h"
#include "ss/handshake.h"
#include "ss/identity.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/opt.h"
#include "ss/pcr_select.h"
#include "ss/prog.h"
#include "ss/batch.h"
#include "ss/policy.h"
#include "ss/quote_batch.h"
#include "ss/quote_verify.h"
#include "ss/secret.h"
#include "ss/sign.h"
#include "ss/store.h"
#include "ss/timefmt.h"
#include "ss/tpm.h"
#include "ss/tpm_quote.h"

#define CA_BUNDLE_MAX SS_JSON_MAX_SIZE
#define DEFAULT_PCRS "sha256:0,1,2,3,4,5,6,7"
#define CHALLENGE_TTL 300      /* seconds */
#define CHALLENGE_TTL_MAX 86400
/* gc removes pending challenges and ephemeral keys this long after they
 * expire by default: past any clock skew a policy may allow. */
#define GC_GRACE 3600

enum {
	OPT_KEY = SS_OPT_FIRST, OPT_IDENTITY, OPT_EK_CA, OPT_TTL, OPT_CP_PUB, OPT_STATE,
	OPT_EXECUTION, OPT_PCRS, OPT_POLICY, OPT_SECRET_OUT, OPT_TCTI, OPT_ALLOW_SIMULATOR,
	OPT_AK_PUB, OPT_ATTEST, OPT_SIG, OPT_QDATA, OPT_BATCH, OPT_JOBS, OPT_GRACE,
	OPT_VERBOSE = 'v',
};

static ss_cmd_fn run_enroll_challenge, run_enroll_verify, run_enrollments, run_revoke,
	run_challenge, run_respond, run_verify, run_finish, run_policy, run_verify_quote, run_gc;
static ss_opt_set_fn set_option;

static const ss_opt opts[] = {
	{ "key", OPT_KEY, "FILE", "control-plane private key (Ed25519 or ECDSA P-256, owner-only)" },
	{ "identity", OPT_IDENTITY, "FILE", "the runner's ss.identity.v1 document" },
	{ "ek-ca", OPT_EK_CA, "FILE",
	  "PEM bundle of the CAs (roots, intermediates) trusted for EK certificates" },
	{ "ttl", OPT_TTL, "SECONDS", "lifetime of the challenge (default 300, at most 86400)" },
	{ "cp-pub", OPT_CP_PUB, "FILE", "pinned control-plane public key (PEM; repeatable)",
	  SS_OPT_REPEAT },
	{ "execution", OPT_EXECUTION, "FILE", "the ss.execution.v1 document the challenge is for" },
	{ "pcrs", OPT_PCRS, "SPEC|FILE",
	  "PCR selection, e.g. sha256:0-7 (challenge: default " DEFAULT_PCRS
	  "); verify-quote: tpm2_quote -o PCR file" },
	{ "policy", OPT_POLICY, "FILE",
	  "verifier policy (YAML): PCR values, hashes, simulator, clock, lifetimes" },
	{ "session-secret-out", OPT_SECRET_OUT, "FILE",
	  "new 0600 file for the 32-byte session secret (must not exist)" },
	{ "allow-simulator", OPT_ALLOW_SIMULATOR, NULL, "the printed policy accepts simulator TPMs" },
	{ "ak-pub", OPT_AK_PUB, "FILE", "the AK's TPM2B_PUBLIC, as tpm2_createak -u writes it" },
	{ "attest", OPT_ATTEST, "FILE", "the quote's TPMS_ATTEST (tpm2_quote -m)" },
	{ "sig", OPT_SIG, "FILE", "the quote's TPMT_SIGNATURE (tpm2_quote -s)" },
	{ "qualifying-data", OPT_QDATA, "HEX",
	  "the qualifying data the quote must carry (tpm2_quote -q)" },
	{ "batch", OPT_BATCH, NULL, "JSONL of quotes on standard input, one verdict per line out" },
	{ "jobs", OPT_JOBS, "N", "threads for --batch (default: the CPUs it may run on)" },
	{ "grace", OPT_GRACE, "SECONDS", "keep records this long past their expiry (default 3600)" },
	{ "tcti", OPT_TCTI, "TCTI",
	  "TPM connection (else SS_TCTI, TPM2TOOLS_TCTI, the tpm2-tss default)", SS_OPT_GLOBAL },
	{ "verbose", OPT_VERBOSE, NULL, "let tpm2-tss log its warnings and errors", SS_OPT_GLOBAL },
	{ "state", OPT_STATE, "DIR",
	  "state directory (else SS_STATE_DIR, XDG_STATE_HOME/ss, ~/.local/state/ss)",
	  SS_OPT_GLOBAL },
	{ NULL },
};

static const ss_cmd cmds[] = {
	{ .name = "enroll-challenge", .run = run_enroll_challenge,
	  .synopsis = "--key CP_KEY.pem --identity IDENTITY.json --ek-ca CA_BUNDLE.pem "
		      "[--ttl SECONDS] [--state DIR]",
	  .help = "check a runner's EK certificate and AK; print a credential challenge",
	  .example = "ss-attest-handshake enroll-challenge --key cp.pem --identity identity.json "
		     "--ek-ca tpm-vendors.pem > challenge.json",
	  .opts = { OPT_KEY, OPT_IDENTITY, OPT_EK_CA, OPT_TTL, OPT_STATE },
	  .needs = { OPT_KEY, OPT_IDENTITY, OPT_EK_CA } },
	{ .name = "enroll-verify", .run = run_enroll_verify,
	  .synopsis = "--key CP_KEY.pem [--state DIR] < RESPONSE.json",
	  .help = "check a credential response; enroll the AK; print the signed record",
	  .example = "ss-attest-handshake enroll-verify --key cp.pem < response.json > "
		     "enrollment.json",
	  .opts = { OPT_KEY, OPT_STATE },
	  .needs = { OPT_KEY } },
	{ .name = "enrollments", .run = run_enrollments,
	  .synopsis = "[--key CP_KEY.pem | --cp-pub PUB.pem ...] [--state DIR]",
	  .help = "print the enrolled AKs' records, one per line",
	  .example = "ss-attest-handshake enrollments --cp-pub cp.pub",
	  .opts = { OPT_KEY, OPT_CP_PUB, OPT_STATE } },
	{ .name = "revoke", .run = run_revoke,
	  .synopsis = "AK_NAME [--state DIR]",
	  .help = "remove an AK from the enrolled store for good",
	  .example = "ss-attest-handshake revoke "
		     "000b4bb466b741900ac99cbfe8c29ee025d1136a327e827466ae5a85c3c133b2a5dc",
	  .operands = "AK_NAME",
	  .opts = { OPT_STATE } },
	{ .name = "challenge", .run = run_challenge,
	  .synopsis = "--key CP_KEY.pem --execution EXEC.json [--pcrs SPEC] [--ttl SECONDS] "
		      "[--state DIR]",
	  .help = "print a signed challenge for one execution (control plane)",
	  .example = "ss-attest-handshake challenge --key cp.pem --execution exec.json > "
		     "challenge.json",
	  .opts = { OPT_KEY, OPT_EXECUTION, OPT_PCRS, OPT_TTL, OPT_STATE },
	  .needs = { OPT_KEY, OPT_EXECUTION } },
	{ .name = "respond", .run = run_respond,
	  .synopsis = "--cp-pub CP_PUB.pem [--tcti T] [--state DIR] < CHALLENGE.json",
	  .help = "check a challenge, quote with the AK, print the evidence (runner)",
	  .example = "ss-attest-handshake respond --cp-pub cp.pub < challenge.json > evidence.json",
	  .opts = { OPT_CP_PUB, OPT_TCTI, OPT_VERBOSE, OPT_STATE },
	  .needs = { OPT_CP_PUB } },
	{ .name = "verify", .run = run_verify,
	  .synopsis = "--key CP_KEY.pem --policy POLICY.yaml --session-secret-out FILE "
		      "[--state DIR] < EVIDENCE.json",
	  .help = "judge evidence; print the signed session, approved or denied (control plane)",
	  .example = "ss-attest-handshake verify --key cp.pem --policy policy.yaml "
		     "--session-secret-out session.key < evidence.json > session.json",
	  .opts = { OPT_KEY, OPT_POLICY, OPT_SECRET_OUT, OPT_STATE },
	  .needs = { OPT_KEY, OPT_POLICY, OPT_SECRET_OUT } },
	{ .name = "finish", .run = run_finish,
	  .synopsis = "--cp-pub CP_PUB.pem --session-secret-out FILE [--state DIR] < SESSION.json",
	  .help = "check the session and key confirmation; write the same secret (runner)",
	  .example = "ss-attest-handshake finish --cp-pub cp.pub --session-secret-out session.key "
		     "< session.json",
	  .opts = { OPT_CP_PUB, OPT_SECRET_OUT, OPT_STATE },
	  .needs = { OPT_SECRET_OUT, OPT_CP_PUB } },
	{ .name = "policy", .run = run_policy,
	  .synopsis = "--pcrs SPEC [--allow-simulator] [--tcti T]",
	  .help = "print a policy expecting this TPM's current PCR values",
	  .example = "ss-attest-handshake policy --pcrs sha256:0-7 > policy.yaml",
	  .opts = { OPT_PCRS, OPT_ALLOW_SIMULATOR, OPT_TCTI, OPT_VERBOSE },
	  .needs = { OPT_PCRS } },
	{ .name = "verify-quote", .run = run_verify_quote,
	  .synopsis = "--ak-pub AK.pub --attest Q.msg --sig Q.sig [--pcrs Q.pcrs] "
		      "--qualifying-data HEX [--policy P.yaml] | --batch [--jobs N] "
		      "[--policy P.yaml]",
	  .help = "a verdict on a quote alone, from tpm2-tools artifacts",
	  .example = "ss-attest-handshake verify-quote --ak-pub ak.pub --attest q.msg --sig q.sig "
		     "--pcrs q.pcrs --qualifying-data 1234",
	  .opts = { OPT_AK_PUB, OPT_ATTEST, OPT_SIG, OPT_PCRS, OPT_QDATA, OPT_POLICY, OPT_BATCH,
		    OPT_JOBS },
	  .needs = { OPT_AK_PUB, OPT_ATTEST, OPT_SIG, OPT_QDATA },
	  .unless = OPT_BATCH },
	{ .name = "gc", .run = run_gc,
	  .synopsis = "[--grace SECONDS] [--state DIR]",
	  .help = "remove expired challenges and leftover ephemeral keys",
	  .example = "ss-attest-handshake gc --grace 600 --state /var/lib/ss",
	  .opts = { OPT_GRACE, OPT_STATE } },
	{ NULL },
};

static const ss_tool tool = {
	.name = "ss-attest-handshake",
	.summary = "AK enrollment, mutual attestation between runner and control plane, and\n"
		   "quote verification, for attested microVM runners.",
	.opts = opts,
	.cmds = cmds,
	.set = set_option,
};

struct args {
	const char *key, *identity, *ek_ca, *state;
	const char *cp_pub[SS_KEYRING_MAX];
	int ncp_pub;
	uint64_t ttl;
	const char *execution, *pcrs, *policy, *secret_out, *tcti;
	const char *ak_pub, *attest, *sig, *qdata;
	bool allow_simulator, batch, verbose;
	uint64_t jobs;
	uint64_t grace;
	bool grace_set;
	const char *ak_name; /* revoke's operand */
};

static int set_option(void *args, int key, const char *arg, ss_err *err)
{
	struct args *a = args;

	switch (key) {
	case OPT_KEY: a->key = arg; break;
	case OPT_IDENTITY: a->identity = arg; break;
	case OPT_EK_CA: a->ek_ca = arg; break;
	case OPT_STATE: a->state = arg; break;
	case OPT_TTL: return ss_opt_u64("--ttl", arg, 1, SS_ENROLL_TTL_MAX, &a->ttl, err);
	case OPT_EXECUTION: a->execution = arg; break;
	case OPT_PCRS: a->pcrs = arg; break;
	case OPT_POLICY: a->policy = arg; break;
	case OPT_SECRET_OUT: a->secret_out = arg; break;
	case OPT_TCTI: a->tcti = arg; break;
	case OPT_ALLOW_SIMULATOR: a->allow_simulator = true; break;
	case OPT_AK_PUB: a->ak_pub = arg; break;
	case OPT_ATTEST: a->attest = arg; break;
	case OPT_SIG: a->sig = arg; break;
	case OPT_QDATA: a->qdata = arg; break;
	case OPT_BATCH: a->batch = true; break;
	case OPT_VERBOSE: a->verbose = true; break;
	case OPT_JOBS: return ss_opt_u64("--jobs", arg, 1, SS_BATCH_MAX_JOBS, &a->jobs, err);
	case OPT_GRACE:
		a->grace_set = true;
		return ss_opt_u64("--grace", arg, 0, 30 * 86400, &a->grace, err);
	case OPT_CP_PUB:
		if (a->ncp_pub == SS_KEYRING_MAX)
			return ss_err_set(err, SS_EUSAGE, "at most %d '--cp-pub' keys", SS_KEYRING_MAX);
		a->cp_pub[a->ncp_pub++] = arg;
		break;
	case SS_OPERAND: a->ak_name = arg; break;
	}
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

static int run_enroll_challenge(void *args, ss_err *err)
{
	const struct args *a = args;
	char what[4200];
	ss_signer cp = { 0 };
	ss_identity id = { 0 };
	ss_store st = SS_STORE_INIT;
	ss_buf bundle = SS_BUF_INIT;
	cJSON *doc = NULL, *challenge = NULL;
	int rc;

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

static int run_enroll_verify(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_signer cp = { 0 };
	ss_cred_response resp;
	ss_store st = SS_STORE_INIT;
	cJSON *doc = NULL, *enrollment = NULL;
	int rc;

	if ((rc = ss_signer_load(a->key, &cp, err)) ||
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

static int run_enrollments(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_keyring ring = { 0 };
	ss_signer cp = { 0 };
	ss_store st = SS_STORE_INIT;
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

static int run_revoke(void *args, ss_err *err)
{
	const struct args *a = args;
	uint8_t name[SS_TPM_NAME_MAX];
	size_t len = 0;
	ss_store st = SS_STORE_INIT;
	int rc;

	if ((rc = parse_ak_name(a->ak_name, name, &len, err)) ||
	    (rc = ss_store_open(&st, a->state, err)))
		return rc;
	rc = ss_enroll_revoke(&st, name, len, ss_now(), err);
	ss_store_close(&st);
	return rc;
}

/* The one stderr line of a denied session: its reason code. */
static void session_denial(const cJSON *session, ss_err *err)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(session, "reason");

	ss_err_set(err, SS_REFUSED, "denied: %s", cJSON_IsString(r) ? r->valuestring : "?");
}

/* The runner's identity, kept by `ss-tpm-identity enroll` in this state. */
static int load_runner_identity(ss_store *st, ss_identity *id, ss_err *err)
{
	bool found = false;
	int rc = ss_runner_identity_get(st, id, &found, err);

	if (!rc && !found)
		rc = ss_err_set(err, SS_ETPM,
				"no enrolled identity in '%s' (run 'ss-tpm-identity enroll' with this "
				"state directory)", st->dir);
	return rc;
}

/* ---- the attestation handshake ------------------------------------------- */

/* A private output file named on the command line must not exist yet:
 * checked before anything is consumed, so a typo costs nothing. */
static int output_free(const char *path, const char *opt, ss_err *err)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		return ss_err_set(err, SS_EIO, "%s: '%s' already exists", opt, path);
	return SS_OK;
}

static int run_challenge(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_signer cp = { 0 };
	ss_store st = SS_STORE_INIT;
	ss_execution exec;
	ss_pcrsel sel;
	cJSON *doc = NULL, *challenge = NULL;
	char what[4200];
	int rc;

	if ((rc = ss_pcrsel_parse_arg("--pcrs", a->pcrs ? a->pcrs : DEFAULT_PCRS, &sel, err)))
		return rc;
	snprintf(what, sizeof what, "execution '%s'", a->execution);
	if ((rc = ss_signer_load(a->key, &cp, err)) ||
	    (rc = read_document(a->execution, what, &doc, err)))
		goto out;
	if ((rc = ss_execution_parse(doc, "", &exec, err))) {
		ss_err_prefix(err, "%s", what);
		goto out;
	}
	if ((rc = ss_store_open(&st, a->state, err)) ||
	    (rc = ss_hs_challenge(&st, &cp, &exec, &sel, a->ttl ? (int64_t)a->ttl : CHALLENGE_TTL,
				  ss_now(), &challenge, err)))
		goto out;
	rc = print_and_free(challenge, err);
out:
	ss_store_close(&st);
	cJSON_Delete(doc);
	ss_signer_free(&cp);
	return rc;
}

static int run_verify(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_signer cp = { 0 };
	ss_keyring own = { 0 };
	ss_policy policy;
	ss_store st = SS_STORE_INIT;
	cJSON *doc = NULL, *session = NULL;
	int rc, verdict;

	ss_policy_defaults(&policy);
	if ((rc = output_free(a->secret_out, "--session-secret-out", err)) ||
	    (rc = ss_signer_load(a->key, &cp, err)) ||
	    (rc = ss_keyring_add_signer(&own, &cp, err)) ||
	    (rc = ss_policy_load(a->policy, &policy, err)) ||
	    (rc = read_document("-", "evidence", &doc, err)) ||
	    (rc = ss_store_open(&st, a->state, err)))
		goto out;
	{
		ss_hs_verifier v = { &st, &cp, &own, &policy, a->secret_out, ss_now() };
		verdict = ss_hs_verify(&v, doc, &session, err);
	}
	if (verdict != SS_OK && verdict != SS_REFUSED) {
		rc = verdict;
		if (rc == SS_EINPUT)
			ss_err_prefix(err, "evidence");
		goto out;
	}
	if ((rc = ss_json_print_line(session, err)))
		goto out;
	rc = verdict;
	if (verdict == SS_REFUSED)
		session_denial(session, err);
out:
	cJSON_Delete(session);
	cJSON_Delete(doc);
	ss_store_close(&st);
	ss_policy_free(&policy);
	ss_keyring_free(&own);
	ss_signer_free(&cp);
	return rc;
}

static int load_pinned(const struct args *a, ss_keyring *ring, ss_err *err)
{
	int rc = SS_OK;

	for (int i = 0; !rc && i < a->ncp_pub; i++)
		rc = ss_keyring_add_file(ring, a->cp_pub[i], err);
	return rc;
}

static int run_respond(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_keyring ring = { 0 };
	ss_store st = SS_STORE_INIT;
	ss_identity id = { 0 };
	ss_tpm tpm = { 0 };
	bool tpm_open = false;
	cJSON *doc = NULL, *evidence = NULL;
	int rc;

	if ((rc = load_pinned(a, &ring, err)) ||
	    (rc = read_document("-", "challenge", &doc, err)) ||
	    (rc = ss_store_open(&st, a->state, err)) ||
	    (rc = load_runner_identity(&st, &id, err)) ||
	    (rc = ss_tpm_open(&tpm, a->tcti, a->verbose, err)))
		goto out;
	tpm_open = true;
	if ((rc = ss_hs_respond(&st, &ring, &tpm, id.ak.handle, id.runner_id, doc, ss_now(),
				&evidence, err)))
		goto out;
	ss_tpm_close(&tpm);
	tpm_open = false;
	rc = print_and_free(evidence, err);
out:
	if (tpm_open)
		ss_tpm_close(&tpm);
	ss_identity_free(&id);
	cJSON_Delete(doc);
	ss_store_close(&st);
	ss_keyring_free(&ring);
	return rc;
}

static int run_finish(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_keyring ring = { 0 };
	ss_store st = SS_STORE_INIT;
	cJSON *doc = NULL;
	int rc;

	if ((rc = load_pinned(a, &ring, err)) ||
	    (rc = output_free(a->secret_out, "--session-secret-out", err)) ||
	    (rc = read_document("-", "session", &doc, err)) ||
	    (rc = ss_store_open(&st, a->state, err)))
		goto out;
	rc = ss_hs_finish(&st, &ring, doc, ss_now(), a->secret_out, err);
out:
	cJSON_Delete(doc);
	ss_store_close(&st);
	ss_keyring_free(&ring);
	return rc;
}

static int run_policy(void *args, ss_err *err)
{
	const struct args *a = args;
	uint8_t values[SS_PCR_COUNT][SS_MAX_DIGEST];
	ss_buf text = SS_BUF_INIT;
	ss_pcrsel sel;
	ss_tpm tpm;
	int rc;

	if ((rc = ss_pcrsel_parse_arg("--pcrs", a->pcrs, &sel, err)) ||
	    (rc = ss_tpm_open(&tpm, a->tcti, a->verbose, err)))
		return rc;
	rc = ss_tpm_pcr_read(&tpm, &sel, values, err);
	ss_tpm_close(&tpm);
	if (rc)
		return rc;
	ss_policy_write(&sel, (const uint8_t(*)[SS_MAX_DIGEST])values, a->allow_simulator, &text);
	rc = ss_stdout_write(text.data, text.len, err);
	ss_buf_free(&text);
	return rc;
}

static int read_binary(const char *path, const char *opt, ss_buf *out, ss_err *err)
{
	int rc = ss_read_path(path, SS_JSON_MAX_SIZE, out, err);

	if (rc)
		ss_err_prefix(err, "%s", opt);
	return rc;
}

static int run_verify_quote_one(const struct args *a, const ss_policy *policy, ss_err *err)
{
	ss_buf akb = SS_BUF_INIT, attest = SS_BUF_INIT, sig = SS_BUF_INIT, pcrs = SS_BUF_INIT;
	uint8_t qdata[SS_QUALIFYING_DATA_MAX], name[SS_TPM_NAME_MAX];
	size_t qlen = 0, name_len = 0;
	TPM2B_PUBLIC pub;
	ss_ak_key ak = { 0 };
	cJSON *verdict = NULL;
	int rc, v;

	if ((rc = ss_opt_hex("--qualifying-data", a->qdata, qdata, sizeof qdata, &qlen, err)) ||
	    (rc = read_binary(a->ak_pub, "--ak-pub", &akb, err)) ||
	    (rc = read_binary(a->attest, "--attest", &attest, err)) ||
	    (rc = read_binary(a->sig, "--sig", &sig, err)) ||
	    (a->pcrs && (rc = read_binary(a->pcrs, "--pcrs", &pcrs, err))))
		goto out;
	if (akb.len >= 10 && memcmp(akb.data, "-----BEGIN", 10) == 0) {
		rc = ss_err_set(err, SS_EINPUT,
				"--ak-pub: a PEM key cannot show the AK's attributes; give the "
				"TPM2B_PUBLIC that tpm2_createak -u writes");
		goto out;
	}
	if ((rc = ss_tpm2b_public_parse(akb.data, akb.len, &pub, err)) ||
	    (rc = ss_tpm_public_name(&pub.publicArea, name, &name_len, err)) ||
	    (rc = ss_ak_key_init(&ak, &pub.publicArea, err))) {
		ss_err_prefix(err, "--ak-pub '%s'", a->ak_pub);
		goto out;
	}
	{
		ss_qv_input in = { &ak, name, name_len, attest.data, attest.len, sig.data, sig.len,
				   a->pcrs ? pcrs.data : NULL, pcrs.len, qdata, qlen, policy,
				   a->policy != NULL, NULL };
		v = ss_qverdict_make(&in, &verdict, err);
	}
	if (v != SS_OK && v != SS_REFUSED) {
		rc = v;
		goto out;
	}
	if ((rc = ss_json_print_line(verdict, err)))
		goto out;
	rc = v;
	if (v == SS_REFUSED)
		ss_err_set(err, SS_REFUSED, "quote is not valid: %s",
			   cJSON_GetObjectItemCaseSensitive(verdict, "reason")->valuestring);
out:
	cJSON_Delete(verdict);
	ss_ak_key_free(&ak);
	ss_buf_free(&akb);
	ss_buf_free(&attest);
	ss_buf_free(&sig);
	ss_buf_free(&pcrs);
	return rc;
}

static int run_verify_quote_batch(const struct args *a, const ss_policy *policy, ss_err *err)
{
	void *workers[SS_BATCH_MAX_JOBS] = { 0 };
	ss_batch b = { .map = ss_qbatch_line, .workers = workers,
		       .jobs = a->jobs ? (int)a->jobs : ss_batch_default_jobs(),
		       .refuse_blank = true, .progress = "verify-quote" };
	ss_batch_stats stats;
	ss_lines in;
	int rc;

	if (a->ak_pub || a->attest || a->sig || a->pcrs || a->qdata)
		return ss_err_set(err, SS_EUSAGE,
				  "--batch reads every quote from standard input: no --ak-pub, "
				  "--attest, --sig, --pcrs or --qualifying-data");
	for (int i = 0; i < b.jobs; i++)
		workers[i] = ss_qbatch_worker_new(policy, a->policy != NULL);
	ss_lines_init(&in, 0, "standard input", SS_JSON_MAX_SIZE);
	/* On an error the verdicts before the failing line are out already. */
	rc = ss_batch_run(&b, &in, &stats, err);
	ss_lines_free(&in);
	for (int i = 0; i < b.jobs; i++)
		ss_qbatch_worker_free(workers[i]);
	/* No quote at all is no verdict: a lost input must not pass as "all valid". */
	if (!rc && !stats.lines)
		rc = ss_err_set(err, SS_EINPUT, "standard input: no quotes");
	if (!rc && stats.refused)
		rc = ss_err_set(err, SS_REFUSED, "%llu of %llu quotes are not valid", stats.refused,
				stats.lines);
	return rc;
}

static int run_verify_quote(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_policy policy;
	int rc;

	ss_policy_defaults(&policy);
	if (a->policy && (rc = ss_policy_load(a->policy, &policy, err)))
		return rc;
	rc = a->batch ? run_verify_quote_batch(a, &policy, err)
		      : run_verify_quote_one(a, &policy, err);
	ss_policy_free(&policy);
	return rc;
}

static int run_gc(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_store st = SS_STORE_INIT;
	cJSON *report = NULL;
	size_t temps = 0;
	int rc;

	if ((rc = ss_store_open(&st, a->state, err)) ||
	    (rc = ss_hs_gc(&st, ss_now(), a->grace_set ? (int64_t)a->grace : GC_GRACE, &report,
			   &temps, err)))
		goto out;
	if (temps)
		ss_warn("removed %zu temporary file%s left by interrupted writes", temps,
			temps == 1 ? "" : "s");
	rc = print_and_free(report, err);
out:
	ss_store_close(&st);
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
