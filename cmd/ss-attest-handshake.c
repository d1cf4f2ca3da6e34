/* ss-attest-handshake: the control plane's and the runner's halves of
 * attestation.  Enrollment (ss/enroll.h): enroll-challenge, enroll-verify,
 * enrollments, revoke.  The handshake (ss/handshake.h): challenge, verify,
 * respond, finish, gc.  Golden values: policy.  Quotes alone, from
 * tpm2-tools artifacts (ss/quote_verify.h, ss/quote_batch.h): verify-quote.
 * The operator's view of a control plane (ss/audit.h, ss/explain.h,
 * ss/status.h): audit, explain, status.
 * Each command is a row of cmds[] and a run_* function; the work itself is
 * in libss. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ss/audit.h"
#include "ss/credential.h"
#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/enroll.h"
#include "ss/err.h"
#include "ss/execution.h"
#include "ss/explain.h"
#include "ss/handshake.h"
#include "ss/identity.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/opt.h"
#include "ss/pcr_select.h"
#include "ss/prog.h"
#include "ss/quote.h"
#include "ss/batch.h"
#include "ss/policy.h"
#include "ss/quote_batch.h"
#include "ss/quote_verify.h"
#include "ss/revocation.h"
#include "ss/secret.h"
#include "ss/sign.h"
#include "ss/status.h"
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
	OPT_ENROLLMENT, OPT_CHALLENGE, OPT_EVIDENCE,
	OPT_REASON, OPT_REVOKED, OPT_SINCE, OPT_RUNNER, OPT_DECISION, OPT_EVENT, OPT_CHECK,
	/* Operands, each command's by its own key. */
	ARG_AK_NAME, ARG_CHALLENGE_ID,
	OPT_VERBOSE = 'v',
};

static ss_cmd_fn run_enroll_challenge, run_enroll_verify, run_enrollments, run_revoke,
	run_challenge, run_respond, run_verify, run_finish, run_policy, run_verify_quote, run_gc,
	run_audit, run_explain, run_status;
static ss_cmd_fn run_check_session;
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
	{ "enrollment", OPT_ENROLLMENT, "FILE",
	  "an ss.enrollment.v1 record: the AK it enrolled (verify-quote, check-session)" },
	{ "qualifying-data", OPT_QDATA, "HEX",
	  "the qualifying data the quote must carry (tpm2_quote -q); '' for none (not fresh)" },
	{ "batch", OPT_BATCH, NULL, "JSONL of quotes on standard input, one verdict per line out" },
	{ "jobs", OPT_JOBS, "N", "threads for --batch (default: the CPUs it may run on)" },
	{ "grace", OPT_GRACE, "SECONDS", "keep records this long past their expiry (default 3600)" },
	{ "reason", OPT_REASON, "TEXT", "why the AK is revoked (one line, kept in the signed record)" },
	{ "revoked", OPT_REVOKED, NULL, "list the revoked AKs' signed records instead" },
	{ "since", OPT_SINCE, "TIME|AGE",
	  "only lines at or after TIME (2026-11-25T18:00:00Z) or within AGE (2h, 7d)" },
	{ "runner", OPT_RUNNER, "ID", "only lines naming this runner" },
	{ "decision", OPT_DECISION, "DECISION",
	  "only lines with this decision (approved, denied, ...; repeatable)", SS_OPT_REPEAT },
	{ "event", OPT_EVENT, "EVENT",
	  "only lines of this event (verify, enroll-challenge, enroll-verify, revoke; "
	  "repeatable)", SS_OPT_REPEAT },
	{ "check", OPT_CHECK, NULL, "check the whole log's hash chain; print a summary" },
	{ "challenge", OPT_CHALLENGE, "FILE", "the signed ss.challenge.v1 the session decides" },
	{ "evidence", OPT_EVIDENCE, "FILE", "the ss.evidence.v1 the session judged" },
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
	  .synopsis = "[--revoked] [--key CP_KEY.pem | --cp-pub PUB.pem ...] [--state DIR]",
	  .help = "print the enrolled (or revoked) AKs' records, one per line",
	  .example = "ss-attest-handshake enrollments --cp-pub cp.pub",
	  .opts = { OPT_REVOKED, OPT_KEY, OPT_CP_PUB, OPT_STATE } },
	{ .name = "revoke", .run = run_revoke,
	  .synopsis = "AK_NAME --key CP_KEY.pem --reason TEXT [--state DIR]",
	  .help = "remove an AK from the enrolled store for good; print the signed revocation",
	  .example = "ss-attest-handshake revoke "
		     "000b4bb466b741900ac99cbfe8c29ee025d1136a327e827466ae5a85c3c133b2a5dc "
		     "--key cp.pem --reason 'host decommissioned'",
	  .operands = "AK_NAME", .operand_key = ARG_AK_NAME,
	  .opts = { OPT_KEY, OPT_REASON, OPT_STATE },
	  .needs = { OPT_KEY, OPT_REASON } },
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
		      "--qualifying-data HEX [--policy P.yaml] | {--identity ID.json | "
		      "--enrollment ENR.json | --ak-pub AK.pub} --qualifying-data HEX "
		      "[--policy P.yaml] < QUOTE.json | --batch [--jobs N] [--policy P.yaml]",
	  .help = "a verdict on a quote alone: tpm2-tools artifacts, or an ss.quote.v1 on stdin",
	  .example = "ss-attest-handshake verify-quote --identity identity.json "
		     "--qualifying-data c0ffee < quote.json",
	  .opts = { OPT_AK_PUB, OPT_IDENTITY, OPT_ENROLLMENT, OPT_ATTEST, OPT_SIG, OPT_PCRS,
		    OPT_QDATA, OPT_POLICY, OPT_BATCH, OPT_JOBS },
	  .needs = { OPT_QDATA },
	  .unless = OPT_BATCH },
	{ .name = "gc", .run = run_gc,
	  .synopsis = "[--grace SECONDS] [--state DIR]",
	  .help = "remove expired challenges and leftover ephemeral keys",
	  .example = "ss-attest-handshake gc --grace 600 --state /var/lib/ss",
	  .opts = { OPT_GRACE, OPT_STATE } },
	{ .name = "audit", .run = run_audit,
	  .synopsis = "[--since TIME|AGE] [--runner ID] [--decision D ...] [--event E ...] | "
		      "--check [--state DIR]",
	  .help = "the audit log, filtered, each line's link checked; --check: the whole chain",
	  .example = "ss-attest-handshake audit --since 1h --decision denied",
	  .opts = { OPT_SINCE, OPT_RUNNER, OPT_DECISION, OPT_EVENT, OPT_CHECK, OPT_STATE } },
	{ .name = "explain", .run = run_explain,
	  .synopsis = "CHALLENGE_ID [--state DIR]",
	  .help = "the archived decision on a challenge: each check, what it compared, the policy",
	  .example = "ss-attest-handshake explain ch-5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5 | jq '.checks[] "
		     "| select(.outcome != \"passed\")'",
	  .operands = "CHALLENGE_ID", .operand_key = ARG_CHALLENGE_ID,
	  .opts = { OPT_STATE } },
	{ .name = "status", .run = run_status,
	  .synopsis = "[--state DIR]",
	  .help = "what the state directory holds: AKs, challenges, the last hour's decisions",
	  .example = "ss-attest-handshake status --state /var/lib/ss | jq .last_hour",
	  .opts = { OPT_STATE } },
	{ .name = "check-session", .run = run_check_session,
	  .synopsis = "--cp-pub CP_PUB.pem --challenge CHALLENGE.json --evidence EVIDENCE.json "
		      "--enrollment ENROLLMENT.json --policy POLICY.yaml < SESSION.json",
	  .help = "re-check an archived session offline: the checklist at its verified_at",
	  .example = "ss-attest-handshake check-session --cp-pub cp.pub --challenge challenge.json "
		     "--evidence evidence.json --enrollment enrollment.json --policy policy.yaml "
		     "< session.json",
	  .opts = { OPT_CP_PUB, OPT_CHALLENGE, OPT_EVIDENCE, OPT_ENROLLMENT, OPT_POLICY },
	  .needs = { OPT_CP_PUB, OPT_CHALLENGE, OPT_EVIDENCE, OPT_ENROLLMENT, OPT_POLICY } },
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
	const char *ak_pub, *attest, *sig, *qdata, *enrollment;
	bool allow_simulator, batch, verbose;
	uint64_t jobs;
	uint64_t grace;
	bool grace_set;
	uint8_t ak_name[SS_TPM_NAME_MAX]; /* revoke's operand */
	size_t ak_name_len;
	const char *challenge_id;         /* explain's operand */
	const char *reason;
	bool revoked, check;
	ss_audit_filter filter;
	const char *challenge, *evidence; /* check-session */
};

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
	case OPT_ENROLLMENT: a->enrollment = arg; break;
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
	case OPT_REASON:
		if (!ss_revocation_valid_reason(arg))
			return ss_err_set(err, SS_EUSAGE, "--reason: not one line of 1 to %d bytes",
					  SS_REVOCATION_REASON_MAX);
		a->reason = arg;
		break;
	case OPT_REVOKED: a->revoked = true; break;
	case OPT_CHECK: a->check = true; break;
	case OPT_SINCE:
		if (!ss_time_or_age(arg, ss_now(), &a->filter.since))
			return ss_err_set(err, SS_EUSAGE,
					  "--since: '%s' is not a time (2026-11-25T18:00:00Z) or an "
					  "age (90s, 15m, 2h, 7d)", arg);
		a->filter.has_since = true;
		break;
	case OPT_RUNNER:
		a->filter.runner_id = arg;
		return ss_opt_id("--runner", arg, err);
	case OPT_DECISION:
		if (!ss_audit_is_decision(arg))
			return ss_err_set(err, SS_EUSAGE,
					  "--decision: '%s' is not one of issued, enrolled, revoked, "
					  "approved, denied, refused, aborted", arg);
		if (a->filter.ndecisions == SS_AUDIT_FILTER_MAX)
			return ss_err_set(err, SS_EUSAGE, "at most %d '--decision' values",
					  SS_AUDIT_FILTER_MAX);
		a->filter.decisions[a->filter.ndecisions++] = arg;
		break;
	case OPT_EVENT:
		if (!ss_audit_is_event(arg))
			return ss_err_set(err, SS_EUSAGE,
					  "--event: '%s' is not one of verify, enroll-challenge, "
					  "enroll-verify, revoke", arg);
		if (a->filter.nevents == SS_AUDIT_FILTER_MAX)
			return ss_err_set(err, SS_EUSAGE, "at most %d '--event' values",
					  SS_AUDIT_FILTER_MAX);
		a->filter.events[a->filter.nevents++] = arg;
		break;
	case ARG_AK_NAME: return parse_ak_name(arg, a->ak_name, &a->ak_name_len, err);
	case ARG_CHALLENGE_ID:
		a->challenge_id = arg;
		return ss_opt_id("CHALLENGE_ID", arg, err);
	case OPT_CHALLENGE: a->challenge = arg; break;
	case OPT_EVIDENCE: a->evidence = arg; break;
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
	if (rc || (rc = ss_store_open(&st, a->state, err)))
		goto out;
	rc = a->revoked ? ss_revocation_list(&st, ring.n ? &ring : NULL, &records, err)
			: ss_enroll_list(&st, ring.n ? &ring : NULL, &records, err);
	if (rc)
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

static int run_revoke(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_signer cp = { 0 };
	ss_store st = SS_STORE_INIT;
	cJSON *revocation = NULL;
	int rc;

	if ((rc = ss_signer_load(a->key, &cp, err)) || (rc = ss_store_open(&st, a->state, err)) ||
	    (rc = ss_enroll_revoke(&st, &cp, a->ak_name, a->ak_name_len, a->reason, ss_now(),
				   &revocation, err)))
		goto out;
	rc = print_and_free(revocation, err);
out:
	ss_store_close(&st);
	ss_signer_free(&cp);
	return rc;
}

/* The one stderr line of a denied session: its reason code and the
 * detail it carries, the same words and values. */
static void session_denial(const cJSON *session, ss_err *err)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(session, "reason");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(session, "detail");

	ss_err_set(err, SS_REFUSED, "denied: %s: %.900s", cJSON_IsString(r) ? r->valuestring : "?",
		   cJSON_IsString(d) ? d->valuestring : "?");
}

/* The runner's identity, kept by `ss-tpm-identity enroll` in this state. */
static int load_runner_identity(ss_store *st, ss_identity *id, ss_err *err)
{
	bool found = false;
	int rc = ss_runner_identity_get(st, id, &found, err);

	if (!rc && !found)
		rc = ss_err_set(err, SS_EINPUT,
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
	if ((rc = ss_hs_respond(&st, &ring, &tpm, &id, doc, ss_now(), &evidence, err)))
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

/* --qualifying-data: hex, or '' for a quote taken without a nonce. */
static int qualifying_data(const char *arg, uint8_t *out, size_t *len, ss_err *err)
{
	*len = 0;
	return *arg ? ss_opt_hex("--qualifying-data", arg, out, SS_QUALIFYING_DATA_MAX, len, err)
		    : SS_OK;
}

/* Print a verdict; SS_REFUSED with its reason when the quote is not valid. */
static int print_verdict(cJSON *verdict, int v, ss_err *err)
{
	int rc = ss_json_print_line(verdict, err);

	if (rc)
		return rc;
	if (v == SS_REFUSED)
		return ss_err_set(err, SS_REFUSED, "quote is not valid: %s",
				  cJSON_GetObjectItemCaseSensitive(verdict, "reason")->valuestring);
	return v;
}

/* The AK for a quote read as a document: its TPM2B_PUBLIC from exactly one
 * of --ak-pub, --identity (ak.public_area_b64) and --enrollment
 * (ak_public_area_b64). */
static int quote_ak(const struct args *a, TPM2B_PUBLIC *pub, char *from, size_t fromlen,
		    ss_err *err)
{
	ss_buf b = SS_BUF_INIT;
	cJSON *doc = NULL;
	int rc, n = !!a->ak_pub + !!a->identity + !!a->enrollment;

	if (n != 1)
		return ss_err_set(err, SS_EUSAGE, "verify-quote: a quote on standard input needs "
				  "the AK from one of --ak-pub, --identity and --enrollment");
	if (a->pcrs)
		return ss_err_set(err, SS_EUSAGE, "verify-quote: --pcrs goes with --attest: a "
				  "quote on standard input carries its PCR values");
	if (a->ak_pub) {
		snprintf(from, fromlen, "--ak-pub '%s'", a->ak_pub);
		if (!(rc = read_binary(a->ak_pub, "--ak-pub", &b, err)) &&
		    (rc = ss_tpm2b_public_parse(b.data, b.len, pub, err)))
			ss_err_prefix(err, "%s", from);
	} else if (a->identity) {
		ss_identity id = { 0 };
		snprintf(from, fromlen, "identity '%s'", a->identity);
		if (!(rc = read_document(a->identity, from, &doc, err))) {
			if ((rc = ss_identity_parse(doc, &id, err)))
				ss_err_prefix(err, "%s", from);
			else
				*pub = id.ak.pub;
			ss_identity_free(&id);
		}
	} else {
		ss_enrollment e;
		snprintf(from, fromlen, "enrollment '%s'", a->enrollment);
		if (!(rc = read_document(a->enrollment, from, &doc, err))) {
			/* Signed by a control plane whose key is not given here: its
			 * signature has the form of one, as in every reader. */
			if ((rc = ss_enrollment_parse(doc, &e, err)) ||
			    (rc = ss_doc_signature_form(doc, err)))
				ss_err_prefix(err, "%s", from);
			else
				*pub = e.ak_pub;
		}
	}
	cJSON_Delete(doc);
	ss_buf_free(&b);
	return rc;
}

/* verify-quote < QUOTE.json: an ss.quote.v1 (ss-tpm-identity quote), its
 * PCR values checked against the quote's digest. */
static int run_verify_quote_doc(const struct args *a, const ss_policy *policy, ss_err *err)
{
	uint8_t qdata[SS_QUALIFYING_DATA_MAX], name[SS_TPM_NAME_MAX];
	char from[4200], qhex[2 * SS_TPM_NAME_MAX + 1], khex[2 * SS_TPM_NAME_MAX + 1];
	size_t qlen = 0, name_len = 0;
	TPM2B_PUBLIC pub;
	ss_ak_key ak = { 0 };
	ss_quote q;
	bool have_q = false;
	cJSON *doc = NULL, *verdict = NULL;
	int rc, v;

	memset(&pub, 0, sizeof pub);
	if ((rc = qualifying_data(a->qdata, qdata, &qlen, err)) ||
	    (rc = quote_ak(a, &pub, from, sizeof from, err)) ||
	    (rc = read_document("-", "quote", &doc, err)))
		goto out;
	if ((rc = ss_quote_parse(doc, "", true, &q, err))) {
		ss_err_prefix(err, "quote");
		goto out;
	}
	have_q = true;
	if ((rc = ss_tpm_public_name(&pub.publicArea, name, &name_len, err)) ||
	    (rc = ss_ak_key_init(&ak, &pub.publicArea, err))) {
		ss_err_prefix(err, "%s", from);
		goto out;
	}
	/* The quote names its AK: another one's key cannot be meant. */
	if (q.ak_name_len != name_len || memcmp(q.ak_name, name, name_len) != 0) {
		ss_hex_encode(q.ak_name, q.ak_name_len, qhex);
		ss_hex_encode(name, name_len, khex);
		rc = ss_err_set(err, SS_EINPUT, "quote: ak_name %s is not the AK of %s (%s)", qhex,
				from, khex);
		goto out;
	}
	{
		ss_qv_input in = { &ak, name, name_len, q.attest.data, q.attest.len, q.sig.data,
				   q.sig.len, NULL, 0, qdata, qlen, policy, a->policy != NULL, NULL,
				   &q.sel, (const uint8_t(*)[SS_MAX_DIGEST])q.pcr };
		v = ss_qverdict_make(&in, &verdict, err);
	}
	rc = v == SS_OK || v == SS_REFUSED ? print_verdict(verdict, v, err) : v;
out:
	cJSON_Delete(verdict);
	ss_ak_key_free(&ak);
	if (have_q)
		ss_quote_free(&q);
	cJSON_Delete(doc);
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

	/* tpm2-tools artifacts: the three files go together. */
	if (!a->ak_pub || !a->attest || !a->sig)
		return ss_err_set(err, SS_EUSAGE, "verify-quote: needs --%s",
				  !a->ak_pub ? "ak-pub" : !a->attest ? "attest" : "sig");
	if (a->identity || a->enrollment)
		return ss_err_set(err, SS_EUSAGE, "verify-quote: --attest and --sig take the AK "
				  "from --ak-pub (a TPM2B_PUBLIC), not --identity or --enrollment");
	if ((rc = qualifying_data(a->qdata, qdata, &qlen, err)) ||
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
	rc = v == SS_OK || v == SS_REFUSED ? print_verdict(verdict, v, err) : v;
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

	if (a->ak_pub || a->attest || a->sig || a->pcrs || a->qdata || a->identity ||
	    a->enrollment)
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
	/* A reader that stopped early wanted no more verdicts: the count of
	 * those it did not read means nothing to it. */
	if (!rc && stats.refused && !ss_stdout_gone())
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
	     : a->attest || a->sig ? run_verify_quote_one(a, &policy, err)
			 : run_verify_quote_doc(a, &policy, err);
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

/* ---- the operator's view of the state ------------------------------------- */

static int run_audit_check(const struct args *a, ss_err *err)
{
	ss_store st = SS_STORE_INIT;
	cJSON *report = NULL;
	int rc, verdict;

	if (a->filter.has_since || a->filter.runner_id || a->filter.nevents ||
	    a->filter.ndecisions)
		return ss_err_set(err, SS_EUSAGE, "--check reads the whole log: no --since, "
				  "--runner, --decision or --event");
	if ((rc = ss_store_open(&st, a->state, err)))
		return rc;
	verdict = ss_audit_check(&st, &report, err);
	ss_store_close(&st);
	/* Intact or broken, the summary is the answer. */
	if (report && (rc = print_and_free(report, err)))
		return rc;
	return verdict;
}

static int run_audit(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_store st = SS_STORE_INIT;
	ss_audit_reader r;
	const cJSON *e;
	const char *line;
	size_t len;
	int rc;

	if (a->check)
		return run_audit_check(a, err);
	if ((rc = ss_store_open(&st, a->state, err)))
		return rc;
	if ((rc = ss_audit_open(&st, &r, err)))
		goto out;
	/* The lines before a break are printed: each was checked. */
	while (!(rc = ss_audit_next(&r, &e, &line, &len, err)) && e)
		if (ss_audit_match(&a->filter, e) &&
		    ((rc = ss_stdout_write(line, len, err)) || (rc = ss_stdout_write("\n", 1, err))))
			break;
	ss_audit_close(&r);
out:
	ss_store_close(&st);
	return rc;
}

static int run_explain(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_store st = SS_STORE_INIT;
	cJSON *doc = NULL;
	int rc;

	if (!(rc = ss_store_open(&st, a->state, err)) &&
	    !(rc = ss_explain(&st, a->challenge_id, &doc, err)))
		rc = print_and_free(doc, err);
	ss_store_close(&st);
	return rc;
}

static int run_status(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_store st = SS_STORE_INIT;
	cJSON *doc = NULL;
	int rc;

	if (!(rc = ss_store_open(&st, a->state, err)) &&
	    !(rc = ss_status(&st, ss_now(), &doc, err)))
		rc = print_and_free(doc, err);
	ss_store_close(&st);
	return rc;
}

/* check-session: the verdict on the archived decision is printed whether
 * or not it is confirmed (a verdict tool); not confirmed is status 1. */
static int run_check_session(void *args, ss_err *err)
{
	const struct args *a = args;
	ss_keyring ring = { 0 };
	ss_policy policy;
	cJSON *challenge = NULL, *evidence = NULL, *enrollment = NULL, *session = NULL;
	cJSON *verdict = NULL;
	char what[3][4200];
	int rc, v;

	ss_policy_defaults(&policy);
	snprintf(what[0], sizeof what[0], "challenge '%s'", a->challenge);
	snprintf(what[1], sizeof what[1], "evidence '%s'", a->evidence);
	snprintf(what[2], sizeof what[2], "enrollment '%s'", a->enrollment);
	if ((rc = load_pinned(a, &ring, err)) || (rc = ss_policy_load(a->policy, &policy, err)) ||
	    (rc = read_document(a->challenge, what[0], &challenge, err)) ||
	    (rc = read_document(a->evidence, what[1], &evidence, err)) ||
	    (rc = read_document(a->enrollment, what[2], &enrollment, err)) ||
	    (rc = read_document("-", "session", &session, err)))
		goto out;
	{
		ss_hs_check c = { &ring, &policy, challenge, evidence, enrollment };
		v = ss_hs_check_session(&c, session, &verdict, err);
	}
	if (v != SS_OK && v != SS_REFUSED) {
		rc = v;
		goto out;
	}
	if (!(rc = ss_json_print_line(verdict, err)))
		rc = v;
out:
	cJSON_Delete(verdict);
	cJSON_Delete(session);
	cJSON_Delete(enrollment);
	cJSON_Delete(evidence);
	cJSON_Delete(challenge);
	ss_policy_free(&policy);
	ss_keyring_free(&ring);
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
