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
	cp "$W/ch.json" "$W/ch1.json" && cp "$W/ev.json" "$W/ev1.json" || return 1
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
	echo "$qd" >"$W/qd"
	jq -r .challenge_id "$W/session.json" >"$W/chid"
	jq -r .ak_name "$HS/enrollment.json" >"$W/akname"
	# ss-collision-check: the flow's records (a session, its key, its
	# launch's events) as the valid stream; and a partial report (1/1) with
	# a key reused by another execution and a key of no session (missing
	# field), its first example a key_reuse.
	ss-derive-key --root-secret "$W/root.key" <"$HS/exec.json" >"$W/key-root.json" || return 1
	cat "$W/session.json" "$W/key.json" "$W/events.jsonl" >"$W/records.jsonl"
	{ cat "$W/key.json"; jq -c '.execution_id = "exec-2"' "$W/key.json"; cat "$W/key-root.json"; } \
		>"$W/violations.jsonl"
	local st=0
	ss-collision-check --partition 1/1 "$W/violations.jsonl" >"$W/part.json" 2>/dev/null || st=$?
	[ "$st" -eq 1 ] && [ "$(jq -r '.examples[0].kind' "$W/part.json")" = key_reuse ] || return 1
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
# ("CASE=WORDS;...") changes what a case's message must say; BAD_WHERE is
# said by every message (where the flaw is); BAD_SKIP ("CASE ...") leaves
# cases out, for a reason the test gives; BAD_TYPED and BAD_DUP are
# bad_inputs.py's --typed and --dup (readers that ignore other members).
bad_inputs() {
	local name=$1 form=$2 valid=$3 schema=$4 prog=$5
	shift 5
	local dir=$W/cases/$name f words why wrong="" n=0 before
	"$SS_PYTHON" "$SS_TOP/tests/lib/bad_inputs.py" "$form" "$valid" "$dir" \
		${schema:+--schema "$SS_SCHEMAS/$schema.schema.json"} \
		${BAD_REQUIRED:+--required "$BAD_REQUIRED"} ${BAD_TYPED+--typed "$BAD_TYPED"} \
		${BAD_DUP:+--dup "$BAD_DUP"} || return 1
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
		[[ "$stderr" == *"${BAD_WHERE:-}"* ]] || why+=" does not say '$BAD_WHERE';"
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
check_session() { # check_session CHALLENGE EVIDENCE ENROLLMENT POLICY < SESSION
	hs check-session --cp-pub "$HS/cp.pub" --challenge "$1" --evidence "$2" --enrollment "$3" \
		--policy "$4"
}
check_session_in() { check_session "$W/ch1.json" "$W/ev1.json" "$HS/enrollment.json" "$HS/policy.yaml" <"$1"; }
check_challenge_in() { check_session "$1" "$W/ev1.json" "$HS/enrollment.json" "$HS/policy.yaml" <"$W/session.json"; }
check_evidence_in() { check_session "$W/ch1.json" "$1" "$HS/enrollment.json" "$HS/policy.yaml" <"$W/session.json"; }
check_enrollment_in() { check_session "$W/ch1.json" "$W/ev1.json" "$1" "$HS/policy.yaml" <"$W/session.json"; }
check_policy_in() { check_session "$W/ch1.json" "$W/ev1.json" "$HS/enrollment.json" "$1" <"$W/session.json"; }
check_key_in() { ss-derive-key check-key --session "$W/session.json" --cp-pub "$HS/cp.pub" <"$1"; }
check_key_session_in() { ss-derive-key check-key --session "$1" --cp-pub "$HS/cp.pub" <"$W/key.json"; }
verify_quote_doc_in() {
	hs verify-quote --enrollment "$HS/enrollment.json" --qualifying-data "$(cat "$W/qd")" <"$1"
}
verify_quote_enrollment_in() {
	hs verify-quote --enrollment "$1" --qualifying-data "$(cat "$W/qd")" <"$W/quote.json"
}
verify_quote_identity_in() {
	hs verify-quote --identity "$1" --qualifying-data "$(cat "$W/qd")" <"$W/quote.json"
}
# state_case KIND KEY FILE CMD...: CMD --state COPY, where COPY is a copy of
# the control plane's state with its record KIND/KEY replaced by FILE; CMD
# must leave COPY as it found it (a second line on stderr if not).
state_case() {
	local s=$BATS_TEST_TMPDIR/state kind=$1 key=$2 file=$3 before rc=0
	shift 3
	rm -rf "$s" && cp -a "$W/cp" "$s" && cat "$file" >"$s/$kind/$key" || return 99
	before=$(find "$s" -printf '%p %s %m %T@\n' | LC_ALL=C sort)
	"$@" --state "$s" || rc=$?
	[ "$(find "$s" -printf '%p %s %m %T@\n' | LC_ALL=C sort)" = "$before" ] || echo "state changed" >&2
	return "$rc"
}
explain_in() { state_case decisions "$(cat "$W/chid")" "$1" hs explain "$(cat "$W/chid")"; }
revoke_in() {
	state_case enrolled "$(cat "$W/akname")" "$1" hs revoke "$(cat "$W/akname")" --key "$HS/cp.pem" \
		--reason test
}
# A bad line after a whole file of good ones: the run stops at it.
collide_in() { ss-collision-check "$W/records.jsonl" "$1"; }
merge_in() { ss-collision-check merge "$1"; }

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
	run --separate-stderr check_session_in "$W/session.json"
	assert_success
	run --separate-stderr check_key_in "$W/key.json"
	assert_success
	run --separate-stderr verify_quote_doc_in "$W/quote.json"
	assert_success
	run --separate-stderr verify_quote_identity_in "$HS/id.json"
	assert_success
	run --separate-stderr ss-collision-check "$W/records.jsonl" "$W/records.jsonl"
	assert_failure_exact 2 "ss-collision-check: '$W/records.jsonl' given twice"
	run --separate-stderr ss-collision-check "$W/records.jsonl"
	assert_success
	[ "$(jq -c '[.records, .passed]' <<<"$output")" = "[$(wc -l <"$W/records.jsonl"),true]" ]
	# merge of the one partition is the whole run, byte for byte.
	run --separate-stderr merge_in "$W/part.json"
	[ "$status" -eq 1 ] &&
		[ "$output" = "$(ss-collision-check "$W/violations.jsonl" 2>/dev/null)" ]
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

@test "bad-input: check-session, ss.session.v1 on standard input" {
	bad_inputs check-session json "$W/session.json" ss.session.v1 ss-attest-handshake check_session_in
}

@test "bad-input: check-session --challenge, ss.challenge.v1" {
	bad_inputs check-challenge json "$W/ch1.json" ss.challenge.v1 ss-attest-handshake check_challenge_in
}

@test "bad-input: check-session --evidence, ss.evidence.v1" {
	bad_inputs check-evidence json "$W/ev1.json" ss.evidence.v1 ss-attest-handshake check_evidence_in
}

@test "bad-input: check-session --enrollment, ss.enrollment.v1" {
	bad_inputs check-enrollment json "$HS/enrollment.json" ss.enrollment.v1 ss-attest-handshake \
		check_enrollment_in
}

@test "bad-input: check-session --policy, the policy YAML" {
	BAD_REQUIRED=pcrs bad_inputs check-policy yaml "$HS/policy.yaml" "" ss-attest-handshake \
		check_policy_in
}

@test "bad-input: ss-derive-key check-key, ss.key.v1 on standard input" {
	bad_inputs check-key json "$W/key.json" ss.key.v1 ss-derive-key check_key_in
}

@test "bad-input: ss-derive-key check-key --session, ss.session.v1" {
	bad_inputs check-key-session json "$W/session.json" ss.session.v1 ss-derive-key \
		check_key_session_in
}

@test "bad-input: verify-quote, ss.quote.v1 on standard input" {
	bad_inputs verify-quote-doc json "$W/quote.json" ss.quote.v1 ss-attest-handshake \
		verify_quote_doc_in
}

@test "bad-input: verify-quote --enrollment, ss.enrollment.v1" {
	bad_inputs verify-quote-enrollment json "$HS/enrollment.json" ss.enrollment.v1 \
		ss-attest-handshake verify_quote_enrollment_in
}

@test "bad-input: verify-quote --identity, ss.identity.v1" {
	bad_inputs verify-quote-identity json "$HS/id.json" ss.identity.v1 ss-attest-handshake \
		verify_quote_identity_in
}

# Records of the state directory, as the operator's commands read them: a
# record that does not parse is invalid input naming it.  (audit reads its
# log as evidence of tampering instead: a line that does not parse is a
# break in the chain, status 1, ss-attest-handshake-audit.bats.)
@test "bad-input: explain, the decision record archived in the state" {
	cp "$W/cp/decisions/$(cat "$W/chid")" "$W/decision.json"
	BAD_TYPED=session,session.approved,session.reason BAD_REQUIRED=session \
		BAD_WHERE="decisions/$(cat "$W/chid")" \
		bad_inputs explain json "$W/decision.json" "" ss-attest-handshake explain_in
}

# revoke keeps the enrolled record as it was stored and reads only its
# runner_id (common/attest/enroll.c: the revocation vouches for the
# revoking, never for the enrollment), so only a record that is not JSON
# stops it.
@test "bad-input: revoke, the enrollment record kept in the state" {
	cp "$W/cp/enrolled/$(cat "$W/akname")" "$W/enrolled.json"
	BAD_TYPED="" BAD_WHERE="enrolled/$(cat "$W/akname")" \
		bad_inputs revoke json "$W/enrolled.json" "" ss-attest-handshake revoke_in
}

# ss-collision-check reads only its tracked members (ss-collision-check(1),
# RECORDS): a missing one is a missing_field finding (status 1, tested in
# ss-collision-check.bats), other members may have any type and repeat.
# What the page calls invalid input: a line that is not one well-formed
# JSON object, or a tracked member repeated, of another type or form.  An
# empty file is a clean report of no records (ss-collision-check.bats,
# "standard input without FILE or as -, and an empty input ...").
@test "bad-input: ss-collision-check, a session record line" {
	BAD_TYPED=type,approved,challenge_id,execution_id,tenant_id,session_binding_hash \
		BAD_WHERE="': line 1: " BAD_SKIP=empty \
		bad_inputs collide-session jsonl "$W/session.json" "" ss-collision-check collide_in
}

@test "bad-input: ss-collision-check, a key record line" {
	BAD_TYPED=type,key_id,execution_id,tenant_id,session_binding_hash BAD_DUP=key_id \
		BAD_WHERE="': line 1: " BAD_SKIP=empty \
		bad_inputs collide-key jsonl "$W/key.json" "" ss-collision-check collide_in
}

@test "bad-input: ss-collision-check, a telemetry event line (fields under data)" {
	BAD_TYPED=type,data.key_id,data.execution_id,data.tenant_id,data.session_binding_hash \
		BAD_DUP=data.tenant_id BAD_WHERE="': line 1: " BAD_SKIP=empty \
		bad_inputs collide-event jsonl "$W/event.jsonl" "" ss-collision-check collide_in
}

@test "bad-input: ss-collision-check, tracked members of the wrong form, and where the bad line is" {
	local s f why wrong="" n=0
	s=$(cat "$W/session.json")
	mkdir -p "$W/cases/forms"
	while IFS=$'\t' read -r f words; do
		n=$((n + 1))
		jq -c "$f" <<<"$s" >"$W/cases/forms/line"
		run --separate-stderr collide_in "$W/cases/forms/line"
		why=""
		[ "$status" -eq 3 ] && [ -z "$output" ] || why+=" status $status, stdout ${#output} bytes;"
		[ "$stderr" = "ss-collision-check: '$W/cases/forms/line': line 1: $words" ] || why+=" said: $stderr"
		[ -z "$why" ] || wrong+=$'\n'"  $f:$why"
	done <<-'CASES'
	.tenant_id = "tenant a"	member 'tenant_id' is not an identifier ([A-Za-z0-9._:-]{1,128})
	.tenant_id = ("t" * 129)	member 'tenant_id' is not an identifier ([A-Za-z0-9._:-]{1,128})
	.execution_id = "e/1"	member 'execution_id' is not an identifier ([A-Za-z0-9._:-]{1,128})
	.challenge_id = "ch\u00e9"	member 'challenge_id' is not an identifier ([A-Za-z0-9._:-]{1,128})
	.session_binding_hash |= ascii_upcase	member 'session_binding_hash' must be 64 lowercase hex digits
	.session_binding_hash |= .[1:]	member 'session_binding_hash' must be 64 lowercase hex digits
	.session_binding_hash |= "0x" + .[2:]	member 'session_binding_hash' must be 64 lowercase hex digits
	.key_id = ("a" * 31 + "g")	member 'key_id' must be 32 lowercase hex digits
	.approved = null | .approved = 1	member 'approved' must be true or false
	.data = {tenant_id: .tenant_id}	members 'tenant_id' and 'data.tenant_id' both given
	.data = {session_binding_hash: .session_binding_hash}	members 'session_binding_hash' and 'data.session_binding_hash' both given
	CASES
	rm -rf "$W/cases/forms"
	[ -z "$wrong" ] || { echo "of $n cases, these went wrong:$wrong" >&2; return 1; }
	# The bad line in the middle of a stream is named by its number, and no
	# report comes out for the lines before it.
	{ head -n 2 "$W/records.jsonl"; echo '{"tenant_id":7}'; cat "$W/records.jsonl"; } \
		>"$W/cases/stream.jsonl"
	run --separate-stderr ss-collision-check <"$W/cases/stream.jsonl"
	rm -f "$W/cases/stream.jsonl"
	assert_failure_exact 3 "ss-collision-check: standard input: line 3: member 'tenant_id' must be a string"
}

# merge reads the partial reports strictly (the tool's own output, every
# member checked); what does not make one run is invalid input too.
@test "bad-input: ss-collision-check merge, ss.collision-report.v1 lines" {
	BAD_SAYS="type-inputs.0=member 'inputs' must hold file names" \
		bad_inputs merge jsonl "$W/part.json" ss.collision-report.v1 ss-collision-check merge_in
	# Counts past the records (found by fuzz/collision_report: the merged
	# report had counts beyond 2^53 that no reader takes back).
	local over=$W/cases/over.jsonl
	mkdir -p "$W/cases"
	for i in 1 2; do
		jq -c --argjson i "$i" '.partition = {index: $i, count: 2, hash: .partition.hash} |
			.records = 9007199254740991 | .by_kind |= map_values(0) |
			.by_kind.binding_cross_tenant = 9007199254740991 |
			.violations = 9007199254740991 | .examples = []' "$W/part.json"
	done >"$over"
	run --separate-stderr merge_in "$over"
	assert_failure_exact 3 "ss-collision-check: merge: reports 1 to 2 count more binding_cross_tenant violations than records (9007199254740991)"
	jq -c '.by_kind.missing_field = .records + 1 | .violations = (.by_kind | add)' "$W/part.json" >"$over"
	run --separate-stderr merge_in "$over"
	assert_failure_exact 3 "ss-collision-check: merge: '$over': line 1: member 'by_kind.missing_field' counts more than the records"
	rm -f "$over"
}

@test "bad-input: the corpus is large enough to mean something" {
	echo "# $(cat "$W/total") bad-input cases" >&3
	[ "$(cat "$W/total")" -gt 500 ]
}
