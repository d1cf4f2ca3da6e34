#include "ss/launch_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ss/crypto.h"
#include "ss/enc.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/secret.h"
#include "ss/store.h"

#define KVM_DEVICE "/dev/kvm"

static int load_json(const char *path, const char *what, cJSON **doc, ss_err *err)
{
	ss_buf text = SS_BUF_INIT;
	int rc;

	if (!(rc = ss_read_path(path, SS_JSON_MAX_SIZE, &text, err)) &&
	    (rc = ss_json_parse((const char *)text.data, text.len, doc, err)))
		ss_err_prefix(err, "%s '%s'", what, path);
	ss_buf_free(&text);
	return rc;
}

static bool executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
	       access(path, X_OK) == 0;
}

/* An absolute path for a program: as given (made absolute), or the first
 * executable "name" on PATH.  Left as given when nothing is found, for the
 * gate to report. */
static void resolve_program(const char *given, const char *name, char *out, size_t outlen)
{
	char cwd[PATH_MAX];
	const char *path, *p;

	if (given) {
		int n = -1;
		while (given[0] == '.' && given[1] == '/')
			given += 2;
		if (given[0] != '/' && getcwd(cwd, sizeof cwd))
			n = snprintf(out, outlen, "%s/%s", cwd, given);
		if (n < 0 || (size_t)n >= outlen)
			snprintf(out, outlen, "%s", given);
		return;
	}
	snprintf(out, outlen, "%s", name);
	path = getenv("PATH");
	for (p = path; p && *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char cand[PATH_MAX];
		int w = snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, name);
		if (n && p[0] == '/' && w > 0 && (size_t)w < sizeof cand) {
			if (executable_file(cand)) {
				snprintf(out, outlen, "%s", cand);
				return;
			}
		}
		p = end ? end + 1 : p + n;
	}
}

/* Is the signer the private half of the key record's public key? */
static int signer_matches(const ss_launch_inputs *in, bool *out, ss_err *err)
{
	unsigned char a[SS_SHA256_LEN], b[SS_SHA256_LEN];
	EVP_PKEY *pub = NULL;
	int rc;

	*out = false;
	if (!(rc = ss_pkey_from_public_pem(in->key.public_key_pem, strlen(in->key.public_key_pem),
					   &pub, err)) &&
	    !(rc = ss_pkey_spki_sha256(pub, a, err)) &&
	    !(rc = ss_pkey_spki_sha256(in->signer.key, b, err)))
		*out = memcmp(a, b, sizeof a) == 0;
	EVP_PKEY_free(pub);
	return rc;
}

int ss_launch_inputs_load(const ss_launch_paths *p, ss_launch_inputs *in, ss_err *err)
{
	ss_store st = { .lock_fd = -1 };
	int rc;

	memset(in, 0, sizeof *in);
	if ((rc = ss_vm_load(p->vm, &in->vm, err)) || (rc = ss_vm_hash_files(&in->vm, err)))
		return rc;
	if ((rc = load_json(p->session, "session", &in->session_doc, err)))
		return rc;
	if ((rc = ss_session_parse(in->session_doc, &in->session, err)))
		return ss_err_prefix(err, "session '%s'", p->session);
	{
		cJSON *key = NULL;
		if ((rc = load_json(p->key, "key", &key, err)))
			return rc;
		rc = ss_keyrec_parse(key, &in->key, err);
		cJSON_Delete(key);
		if (rc)
			return ss_err_prefix(err, "key '%s'", p->key);
	}
	for (int i = 0; i < p->ncp_pub; i++)
		if ((rc = ss_keyring_add_file(&in->cp, p->cp_pub[i], err)))
			return rc;
	if (p->key_secret) {
		if (in->key.kind != SS_KEY_ED25519)
			return ss_err_set(err, SS_EINPUT,
					  "key '%s': a %s key cannot sign telemetry "
					  "(--key-secret needs an ed25519 key)", p->key,
					  ss_key_kind_name(in->key.kind));
		if ((rc = ss_signer_load(p->key_secret, &in->signer, err)))
			return rc;
		in->has_signer = true;
		if ((rc = signer_matches(in, &in->signer_matches, err)))
			return rc;
	}
	if ((rc = ss_store_open(&st, p->state, err)))
		return rc;
	rc = ss_runner_identity_get(&st, &in->identity, &in->enrolled, err);
	ss_store_close(&st);
	if (rc)
		return rc;
	resolve_program(p->firecracker, "firecracker", in->firecracker, sizeof in->firecracker);
	if (p->jailer)
		resolve_program(p->jailer, "jailer", in->jailer, sizeof in->jailer);
	return SS_OK;
}

void ss_launch_inputs_free(ss_launch_inputs *in)
{
	ss_vm_free(&in->vm);
	cJSON_Delete(in->session_doc);
	ss_keyring_free(&in->cp);
	if (in->enrolled)
		ss_identity_free(&in->identity);
	if (in->has_signer)
		ss_signer_free(&in->signer);
	memset(in, 0, sizeof *in);
}

/* ---- the gates ------------------------------------------------------------ */

static int refuse(const char **gate, const char *name)
{
	*gate = name;
	return SS_REFUSED;
}

static int session_gates(ss_launch_inputs *in, int64_t now, const char **gate, ss_err *err)
{
	const ss_session *s = &in->session;
	const ss_execution *e = &in->vm.exec;
	int rc;

	if ((rc = ss_doc_verify(in->session_doc, &in->cp, "session", err))) {
		if (rc == SS_EINPUT)
			ss_err_prefix(err, "session");
		return rc == SS_REFUSED ? refuse(gate, SS_GATE_SESSION_SIGNATURE) : rc;
	}
	in->session_verified = true;
	rc = ss_session_accept(in->session_doc, s, &in->cp, e, now, err);
	if (rc != SS_REFUSED)
		return rc;
	/* The reason, in the order ss_session_accept checks. */
	if (!s->approved)
		return refuse(gate, SS_GATE_SESSION_DENIED);
	if (now >= s->expires_at)
		return refuse(gate, SS_GATE_SESSION_EXPIRED);
	if (strcmp(s->exec.execution_id, e->execution_id) == 0 &&
	    strcmp(s->exec.tenant_id, e->tenant_id) != 0)
		return refuse(gate, SS_GATE_TENANT_MISMATCH);
	return refuse(gate, SS_GATE_EXECUTION_MISMATCH);
}

static int key_names_execution(const ss_launch_inputs *in, const char **gate, ss_err *err)
{
	const ss_keyrec *k = &in->key;
	const ss_execution *e = &in->vm.exec;

	if (strcmp(k->execution_id, e->execution_id) != 0) {
		ss_err_set(err, SS_REFUSED, "key: names execution '%s', not '%s'", k->execution_id,
			   e->execution_id);
		return refuse(gate, SS_GATE_EXECUTION_MISMATCH);
	}
	if (strcmp(k->tenant_id, e->tenant_id) != 0) {
		ss_err_set(err, SS_REFUSED, "key: names tenant '%s', not '%s'", k->tenant_id,
			   e->tenant_id);
		return refuse(gate, SS_GATE_TENANT_MISMATCH);
	}
	if (strcmp(k->operator_id, e->operator_id) != 0) {
		ss_err_set(err, SS_REFUSED, "key: names operator '%s', not '%s'", k->operator_id,
			   e->operator_id);
		return refuse(gate, SS_GATE_EXECUTION_MISMATCH);
	}
	return SS_OK;
}

static int runner_gates(const ss_launch_inputs *in, const char **gate, ss_err *err)
{
	const ss_session *s = &in->session;
	const ss_identity *id = &in->identity;
	char want[2 * SS_TPM_NAME_MAX + 1], got[2 * SS_TPM_NAME_MAX + 1];

	if (!in->enrolled) {
		ss_err_set(err, SS_REFUSED,
			   "runner: no enrolled identity in the state directory "
			   "(run ss-tpm-identity enroll)");
		return refuse(gate, SS_GATE_RUNNER_NOT_ENROLLED);
	}
	if (strcmp(s->runner_id, id->runner_id) != 0) {
		ss_err_set(err, SS_REFUSED, "session: for runner '%s', this is runner '%s'",
			   s->runner_id, id->runner_id);
		return refuse(gate, SS_GATE_RUNNER_MISMATCH);
	}
	if (s->ak_name_len != id->ak.name_len ||
	    memcmp(s->ak_name, id->ak.name, id->ak.name_len) != 0) {
		ss_hex_encode(s->ak_name, s->ak_name_len, got);
		ss_hex_encode(id->ak.name, id->ak.name_len, want);
		ss_err_set(err, SS_REFUSED, "session: for AK %s, this runner's AK is %s", got, want);
		return refuse(gate, SS_GATE_RUNNER_MISMATCH);
	}
	return SS_OK;
}

static int key_gates(const ss_launch_inputs *in, const char **gate, ss_err *err)
{
	char hex[2 * SS_SHA256_LEN + 1];

	if (!in->key.has_binding) {
		ss_err_set(err, SS_REFUSED, "key: derived from a bare root, not from this session");
		return refuse(gate, SS_GATE_KEY_BINDING_MISMATCH);
	}
	if (!ss_ct_equal(in->key.session_binding_hash, in->session.binding, 32)) {
		ss_hex_encode(in->key.session_binding_hash, 32, hex);
		ss_err_set(err, SS_REFUSED, "key: bound to session binding %s, not this session's",
			   hex);
		return refuse(gate, SS_GATE_KEY_BINDING_MISMATCH);
	}
	if (in->has_signer && !in->signer_matches) {
		ss_err_set(err, SS_REFUSED, "key secret: not the private half of key %s",
			   in->key.key_id);
		return refuse(gate, SS_GATE_KEY_SECRET_MISMATCH);
	}
	return SS_OK;
}

/* Firecracker installs its seccomp filters unless told not to; the kernel
 * must be able to take them.  A filter-mode call with no program answers
 * EFAULT where filters exist and EINVAL where they do not. */
static int seccomp_gate(const ss_launch_inputs *in, const char **gate, ss_err *err)
{
	long r;

	if (in->vm.no_seccomp) {
		ss_err_set(err, SS_REFUSED, "the VM spec sets no_seccomp: Firecracker must run "
			   "with its seccomp filters");
		return refuse(gate, SS_GATE_SECCOMP_DISABLED);
	}
	errno = 0;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL);
	if (r == 0 || errno != EFAULT) {
		ss_err_errno(err, SS_REFUSED, "the kernel has no seccomp filters");
		return refuse(gate, SS_GATE_SECCOMP_DISABLED);
	}
	return SS_OK;
}

static int kvm_gate(const char **gate, ss_err *err)
{
	int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC), version;

	if (fd < 0) {
		ss_err_errno(err, SS_REFUSED, "%s", KVM_DEVICE);
		return refuse(gate, SS_GATE_KVM_UNAVAILABLE);
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (version != KVM_API_VERSION) {
		if (version < 0)
			ss_err_errno(err, SS_REFUSED, "%s: not a KVM device", KVM_DEVICE);
		else
			ss_err_set(err, SS_REFUSED, "%s: KVM API version %d, not %d", KVM_DEVICE,
				   version, KVM_API_VERSION);
		return refuse(gate, SS_GATE_KVM_UNAVAILABLE);
	}
	return SS_OK;
}

static int program_gate(const char *path, const char *role, ss_err *err)
{
	struct stat st;

	if (!strchr(path, '/')) {
		ss_err_set(err, SS_REFUSED, "%s: '%s' not found on PATH", role, path);
		return SS_REFUSED;
	}
	if (stat(path, &st) < 0) {
		ss_err_errno(err, SS_REFUSED, "%s '%s'", role, path);
		return SS_REFUSED;
	}
	if (!S_ISREG(st.st_mode) || !executable_file(path)) {
		ss_err_set(err, SS_REFUSED, "%s '%s': not an executable file", role, path);
		return SS_REFUSED;
	}
	return SS_OK;
}

static int host_gates(const ss_launch_inputs *in, const char **gate, ss_err *err)
{
	const char *base = strrchr(in->firecracker, '/');
	int rc;

	if ((rc = seccomp_gate(in, gate, err)) || (rc = kvm_gate(gate, err)))
		return rc;
	if (program_gate(in->firecracker, "firecracker", err))
		return refuse(gate, SS_GATE_FIRECRACKER_UNAVAILABLE);
	/* The jailer runs only a file whose name says it is Firecracker. */
	if (in->jailer[0] && !strstr(base ? base + 1 : in->firecracker, "firecracker")) {
		ss_err_set(err, SS_REFUSED, "firecracker '%s': the jailer runs only a file whose "
			   "name contains 'firecracker'", in->firecracker);
		return refuse(gate, SS_GATE_FIRECRACKER_UNAVAILABLE);
	}
	if (in->jailer[0] && program_gate(in->jailer, "jailer", err))
		return refuse(gate, SS_GATE_JAILER_UNAVAILABLE);
	return SS_OK;
}

int ss_launch_gates(ss_launch_inputs *in, int64_t now, const char **gate, ss_err *err)
{
	int rc;

	*gate = NULL;
	in->session_verified = false;
	if ((rc = session_gates(in, now, gate, err)) || (rc = key_names_execution(in, gate, err)) ||
	    (rc = runner_gates(in, gate, err)) || (rc = key_gates(in, gate, err)) ||
	    (rc = host_gates(in, gate, err)))
		return rc;
	return SS_OK;
}
