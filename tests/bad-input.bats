#!/usr/bin/env bats
# The bad-input corpus: every document type each tool reads, taken from what
# the tools really wrote, broken every way tests/lib/bad_inputs.py knows
# (each required member removed, each member of another type, a duplicate
# member, trailing garbage, invalid UTF-8, deep nesting, 2 MiB, empty, ...).
# Each case must end in exit 3 with one line on stderr that names what is
# wrong, nothing on stdout, and no file written or changed anywhere the tool
# could write (state directories, output files, the VMM's record).

load lib/common
load lib/swtpm
load lib/handshake

FAKE_FC="$SS_TOP/tests/fakes/firecracker"

setup_file() {
	hs_suite_init || return 1
	export W="$BATS_FILE_TMPDIR/w"
	local T=$W
	mkdir -p "$W/out" && mkdir -m 700 "$W/out/keys"
	cp -a "$HS/cp" "$W/cp" && cp -a "$HS/runner" "$W/runner" || return 1
	# One whole handshake, the key of its execution, and the launch inputs;
	# then a second challenge answered, whose evidence verify has not seen.
	hs_challenge && hs_respond || return 1
	hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$W/cp.secret" \
		--state "$W/cp" <"$W/ev.json" >"$W/session.json" &&
		hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$W/runner.secret" \
			--state "$W/runner" <"$W/session.json" &&
		ss-derive-key --session "$W/session.json" --cp-pub "$HS/cp.pub" \
			--session-secret "$W/runner.secret" --secret-out "$W/key.pem" \
			<"$HS/exec.json" >"$W/key.json" || return 1
	hs_challenge && hs_respond || return 1
	head -c 32 /dev/urandom >"$W/root.key" && chmod 600 "$W/root.key"
	head -c 4096 /dev/urandom >"$W/vmlinux"
	head -c 65536 /dev/urandom >"$W/rootfs.ext4"
	cat >"$W/vm.yaml" <<-YAML
	type: ss.vm.v1
	execution:
	  type: ss.execution.v1
	  execution_id: $(jq -r .execution_id "$HS/exec.json")
	  tenant_id: $(jq -r .tenant_id "$HS/exec.json")
	  operator_id: $(jq -r .operator_id "$HS/exec.json")
	  fingerprint: "$(jq -r .fingerprint "$HS/exec.json")"
	boot-source:
	  kernel_image_path: $W/vmlinux
	  boot_args: "console=ttyS0"
	machine-config:
	  vcpu_count: 2
	  mem_size_mib: 256
	drives:
	  - drive_id: rootfs
	    path_on_host: $W/rootfs.ext4
	    is_root_device: true
	    is_read_only: false
	network-interfaces:
	  - iface_id: eth0
	    host_dev_name: tap0
	mmds-config:
	  network_interfaces: [eth0]
	YAML
	"$SS_PYTHON" -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' \
		"$W/vm.yaml" >"$W/vm.json"
	# Telemetry: a launch on the Firecracker double, waited for.
	FAKE_FC_EXIT_AFTER_START=50:0 ss-fc-launch --vm "$W/vm.yaml" --cp-pub "$HS/cp.pub" \
		--session "$W/session.json" --key "$W/key.json" --key-secret "$W/key.pem" \
		--state "$W/runner" --firecracker "$FAKE_FC" --api-sock "$W/api.sock" --wait \
		>"$W/events.jsonl" || return 1
	head -n 1 "$W/events.jsonl" >"$W/event.jsonl"
	# verify-quote --batch: one line from a quote ss-tpm-identity made.
	local qd
	qd=$(openssl rand -hex 32)
	ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data "$qd" >"$W/quote.json" || return 1
	jq -c --arg q "$qd" --arg ak "$(jq -r .ak.public_area_b64 "$HS/id.json")" \
		'{id: "q1", ak_public_b64: $ak, attest_b64, signature_b64, qualifying_data: $q}' \
		"$W/quote.json" >"$W/batch.jsonl"
	export FAKE_FC_RECORD="$W/out/fc.jsonl"
	echo 0 >"$W/total"
}
teardown_file() { swtpm_fini; }
setup() { _swtpm_env; }

# Everything a tool could write, as one line per entry (mtime to the
# nanosecond: a rewrite shows).
written() {
	find "$W/cp" "$W/runner" "$W/out" -printf '%p %y %s %m %T@\n' | LC_ALL=C sort
}

# bad_inputs NAME FORM VALID SCHEMA PROG RUNNER...: the corpus of VALID (a
# document PROG reads, in FORM: json, jsonl or yaml) through RUNNER, which
# is given each case's file.  SCHEMA (docs/schemas, "" for none) says which
# members are required; BAD_REQUIRED adds paths ("a,b.c"); BAD_SAYS
# ("CASE=WORDS;...") changes what a case's message must say; BAD_SKIP
# ("CASE ...") leaves cases out, for a reason the test gives.
bad_inputs() {
	local name=$1 form=$2 valid=$3 schema=$4 prog=$5
	shift 5
	local dir=$W/cases/$name f words why wrong="" n=0 before
	"$SS_PYTHON" "$SS_TOP/tests/lib/bad_inputs.py" "$form" "$valid" "$dir" \
		${schema:+--schema "$SS_SCHEMAS/$schema.schema.json"} \
		${BAD_REQUIRED:+--required "$BAD_REQUIRED"} || return 1
	before=$(written)
	while IFS=$'\t' read -r f words; do
		[[ " ${BAD_SKIP:-} " != *" $f "* ]] || continue
		n=$((n + 1))
		[[ ";${BAD_SAYS:-};" != *";$f="* ]] || { words=";$BAD_SAYS;"; words=${words#*;$f=}; words=${words%%;*}; }
		run --separate-stderr "$@" "$dir/$f"
		why=""
		[ "$status" -eq 3 ] || why+=" status $status;"
		[ -z "$output" ] || why+=" stdout not empty;"
		[[ "$stderr" != *$'\n'* ]] || why+=" more than one line;"
		[[ "$stderr" == "$prog: "?* ]] || why+=" not '$prog: ...';"
		[[ "$stderr" == *"$words"* ]] || why+=" does not say '$words';"
		[ "$(written)" = "$before" ] || { why+=" wrote files;"; before=$(written); }
		[ -z "$why" ] || wrong+=$'\n'"  $f:$why ${stderr:0:200}"
	done <"$dir/cases"
	echo $(($(cat "$W/total") + n)) >"$W/total"
	rm -rf "$dir"
	[ "$n" -gt 10 ] || { echo "$name: only $n cases" >&2; return 1; }
	[ -z "$wrong" ] || { echo "$name: of $n cases, these went wrong:$wrong" >&2; return 1; }
}

activate_in() { ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$W/runner" <"$1"; }
enroll_challenge_in() {
	hs enroll-challenge --key "$HS/cp.pem" --identity "$1" --ek-ca "$SWTPM_CA_BUNDLE" --state "$W/cp"
}
enroll_verify_in() { hs enroll-verify --key "$HS/cp.pem" --state "$W/cp" <"$1"; }
challenge_in() { hs challenge --key "$HS/cp.pem" --execution "$1" --state "$W/cp"; }
respond_in() { hs respond --cp-pub "$HS/cp.pub" --state "$W/runner" <"$1"; }
verify_in() {
	hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$W/out/cp.key" \
		--state "$W/cp" <"$1"
}
policy_in() {
	hs verify --key "$HS/cp.pem" --policy "$1" --session-secret-out "$W/out/cp.key" \
		--state "$W/cp" <"$W/ev.json"
}
finish_in() {
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$W/out/runner.key" --state "$W/runner" <"$1"
}
verify_quote_batch_in() { hs verify-quote --batch <"$1"; }
derive_in() { ss-derive-key --root-secret "$W/root.key" --secret-out "$W/out/k.pem" <"$1"; }
derive_session_in() {
	ss-derive-key --session "$1" --cp-pub "$HS/cp.pub" --session-secret "$W/runner.secret" \
		--secret-out "$W/out/k.pem" <"$HS/exec.json"
}
derive_batch_in() {
	ss-derive-key --root-secret "$W/root.key" --batch --secret-dir "$W/out/keys" <"$1"
}
launch() { # launch VM SESSION KEY
	ss-fc-launch --vm "$1" --cp-pub "$HS/cp.pub" --session "$2" --key "$3" \
		--key-secret "$W/key.pem" --state "$W/runner" --firecracker "$FAKE_FC" \
		--api-sock "$W/out/api.sock"
}
launch_vm_in() { launch "$1" "$W/session.json" "$W/key.json"; }
launch_session_in() { launch "$W/vm.yaml" "$1" "$W/key.json"; }
launch_key_in() { launch "$W/vm.yaml" "$W/session.json" "$1"; }
telemetry_key_in() { ss-fc-launch verify-telemetry --key "$1" <"$W/events.jsonl"; }
telemetry_in() { ss-fc-launch verify-telemetry --key "$W/key.json" <"$1"; }

@test "bad-input: the valid documents pass, so each case fails for its one flaw" {
	run --separate-stderr hs verify-quote --batch <"$W/batch.jsonl"
	assert_success
	run --separate-stderr ss-fc-launch verify-telemetry --key "$W/key.json" <"$W/events.jsonl"
	assert_success
	run --separate-stderr ss-fc-launch --vm "$W/vm.json" --cp-pub "$HS/cp.pub" \
		--session "$W/session.json" --key "$W/key.json" --state "$W/runner" --dry-run \
		--firecracker "$FAKE_FC"
	assert_success
	run --separate-stderr ss-derive-key --root-secret "$W/root.key" --batch <"$HS/exec.json"
	assert_success
}

@test "bad-input: ss-tpm-identity activate, ss.credential-challenge.v1 on standard input" {
	bad_inputs activate json "$HS/cch.json" ss.credential-challenge.v1 ss-tpm-identity activate_in
}

@test "bad-input: enroll-challenge --identity, ss.identity.v1" {
	bad_inputs identity json "$HS/id.json" ss.identity.v1 ss-attest-handshake enroll_challenge_in
}

@test "bad-input: enroll-verify, ss.credential-response.v1 on standard input" {
	bad_inputs enroll-verify json "$HS/cresp.json" ss.credential-response.v1 ss-attest-handshake \
		enroll_verify_in
}

@test "bad-input: challenge --execution, ss.execution.v1" {
	bad_inputs challenge json "$HS/exec.json" ss.execution.v1 ss-attest-handshake challenge_in
}

@test "bad-input: respond, ss.challenge.v1 on standard input" {
	bad_inputs respond json "$W/ch.json" ss.challenge.v1 ss-attest-handshake respond_in
}

@test "bad-input: verify, ss.evidence.v1 on standard input" {
	bad_inputs verify json "$W/ev.json" ss.evidence.v1 ss-attest-handshake verify_in
}

@test "bad-input: verify --policy, the policy YAML" {
	BAD_REQUIRED=pcrs bad_inputs policy yaml "$HS/policy.yaml" "" ss-attest-handshake policy_in
}

@test "bad-input: finish, ss.session.v1 on standard input" {
	bad_inputs finish json "$W/session.json" ss.session.v1 ss-attest-handshake finish_in
}

@test "bad-input: verify-quote --batch, a quote line" {
	bad_inputs verify-quote jsonl "$W/batch.jsonl" ss.quote-batch-line.v1 ss-attest-handshake \
		verify_quote_batch_in
}

@test "bad-input: ss-derive-key, ss.execution.v1 on standard input" {
	bad_inputs derive json "$HS/exec.json" ss.execution.v1 ss-derive-key derive_in
}

@test "bad-input: ss-derive-key --session, ss.session.v1" {
	bad_inputs derive-session json "$W/session.json" ss.session.v1 ss-derive-key derive_session_in
}

@test "bad-input: ss-derive-key --batch, ss.execution.v1 lines" {
	# No line is no context: nothing derived, status 0 (ss-derive-key.bats,
	# "--batch of nothing prints nothing and succeeds").
	BAD_SKIP=empty bad_inputs derive-batch jsonl "$HS/exec.json" ss.execution.v1 ss-derive-key \
		derive_batch_in
}

@test "bad-input: ss-fc-launch --vm, ss.vm.v1 as YAML" {
	bad_inputs launch-vm-yaml yaml "$W/vm.yaml" ss.vm.v1 ss-fc-launch launch_vm_in
}

@test "bad-input: ss-fc-launch --vm, ss.vm.v1 as JSON" {
	# The first byte says JSON or YAML: a JSON array is a YAML sequence.
	BAD_SAYS="not-an-object=must be a mapping" \
		bad_inputs launch-vm-json json "$W/vm.json" ss.vm.v1 ss-fc-launch launch_vm_in
}

@test "bad-input: ss-fc-launch --session, ss.session.v1" {
	bad_inputs launch-session json "$W/session.json" ss.session.v1 ss-fc-launch launch_session_in
}

@test "bad-input: ss-fc-launch --key, ss.key.v1" {
	bad_inputs launch-key json "$W/key.json" ss.key.v1 ss-fc-launch launch_key_in
}

@test "bad-input: ss-fc-launch verify-telemetry --key, ss.key.v1" {
	bad_inputs telemetry-key json "$W/key.json" ss.key.v1 ss-fc-launch telemetry_key_in
}

@test "bad-input: ss-fc-launch verify-telemetry, an event line on standard input" {
	bad_inputs telemetry jsonl "$W/event.jsonl" ss.telemetry.v1 ss-fc-launch telemetry_in
}

@test "bad-input: the corpus is large enough to mean something" {
	echo "# $(cat "$W/total") bad-input cases" >&3
	[ "$(cat "$W/total")" -gt 500 ]
}
