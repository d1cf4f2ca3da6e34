# Helpers for the handshake suites (load after common and swtpm).
#
# setup_file:  hs_suite_init [swtpm_setup args]   a TPM with an enrolled runner,
#                                                 saved as snapshot "enrolled"
# setup:       hs_test_setup                      that TPM, fresh copies of the
#                                                 control plane's and runner's state
# teardown:    assert_tpm_clean

hs() { ss-attest-handshake "$@"; }

# exec_json ID TENANT OPERATOR: an ss.execution.v1 document on stdout.
exec_json() {
	printf '{"type":"ss.execution.v1","execution_id":"%s","tenant_id":"%s","operator_id":"%s","fingerprint":"sha256:%s"}\n' \
		"$1" "$2" "$3" "$(printf '%s' "$1" | sha256sum | cut -c1-64)"
}

hs_suite_init() {
	swtpm_init "$@" || return 1
	export HS="$BATS_FILE_TMPDIR/hs"
	mkdir -p "$HS"
	local k
	for k in cp other; do
		openssl genpkey -algorithm ed25519 -out "$HS/$k.pem" 2>/dev/null || return 1
		chmod 600 "$HS/$k.pem"
		openssl pkey -in "$HS/$k.pem" -pubout -out "$HS/$k.pub" || return 1
	done
	ss-tpm-identity enroll --runner-id runner-1 --state "$HS/runner" >"$HS/id.json" &&
		hs enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" \
			--ek-ca "$SWTPM_CA_BUNDLE" --state "$HS/cp" >"$HS/cch.json" &&
		ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$HS/runner" <"$HS/cch.json" \
			>"$HS/cresp.json" &&
		hs enroll-verify --key "$HS/cp.pem" --state "$HS/cp" <"$HS/cresp.json" >"$HS/enrollment.json" ||
		return 1
	exec_json exec-1 tenant-a operator-1 >"$HS/exec.json"
	# Golden values from this very TPM: one policy that accepts a simulator
	# (most tests), one that does not (the default).
	hs policy --pcrs sha256:0-7 --allow-simulator >"$HS/policy.yaml" &&
		hs policy --pcrs sha256:0-7 >"$HS/policy-nosim.yaml" || return 1
	tpm_snapshot enrolled
}

hs_test_setup() {
	tpm_restore enrolled
	T="$BATS_TEST_TMPDIR"
	rm -rf "$T/cp" "$T/runner"
	cp -a "$HS/cp" "$T/cp"
	cp -a "$HS/runner" "$T/runner"
}

# hs_challenge [challenge options]: a challenge in $T/ch.json.
hs_challenge() {
	hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/cp" "$@" >"$T/ch.json"
}

# hs_respond: evidence for $T/ch.json in $T/ev.json.
hs_respond() {
	hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json" >"$T/ev.json"
}

# hs_verify EVIDENCE [POLICY]: `run` the verifier; the secret goes to $T/cp.key.
hs_verify() {
	rm -f "$T/cp.key"
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "${2:-$HS/policy.yaml}" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$1"
}

# reason_is CODE DETAIL: the last verify printed a denied session with this
# reason and detail, exit 1, and said both on stderr ("denied: CODE: DETAIL").
reason_is() {
	[ "$status" -eq 1 ] || { echo "status $status (stderr: $stderr)" >&2; return 1; }
	[ "$stderr" = "ss-attest-handshake: denied: $1: $2" ] ||
		{ printf 'stderr:\n  %s\nwant:\n  %s\n' "$stderr" "ss-attest-handshake: denied: $1: $2" >&2; return 1; }
	[ "$(jq -r '[.approved, .reason] | join(" ")' <<<"$output")" = "false $1" ] ||
		{ echo "session: $output" >&2; return 1; }
	[ "$(jq -r .detail <<<"$output")" = "$2" ] || { echo "session detail: $output" >&2; return 1; }
	[ ! -e "$T/cp.key" ] || { echo "a secret was written for a denied session" >&2; return 1; }
}

# b64_edit FILE JQ_PATH PYTHON_EXPR: decode the base64 member at JQ_PATH,
# apply the expression to the bytes `b` (a bytearray), store it back.
b64_edit() {
	local v
	v=$(jq -r "$2" "$1" | "$SS_PYTHON" -c '
import base64, sys
b = bytearray(base64.b64decode(sys.stdin.read().strip()))
'"$3"'
print(base64.b64encode(bytes(b)).decode())')
	jq -c --arg v "$v" "$2 = \$v" "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
