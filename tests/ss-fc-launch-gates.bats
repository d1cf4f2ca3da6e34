#!/usr/bin/env bats
# ss-fc-launch's gates, each checked before any process starts: a refusal is
# exit 1, one line on stderr naming the gate, a `denied` event naming it on
# stdout, and nothing started.  Malformed inputs are exit 3 (a file that
# cannot be read, 6) and the command line's mistakes exit 2, with no event.
# Sessions are signed by the suite's control-plane key with
# tests/lib/make_session.py for the runner enrolled on the suite's swtpm.

load lib/common
load lib/swtpm
load lib/handshake
load lib/derive
load lib/fc_launch

setup_file() { fc_suite_init; }
setup() { fc_test_setup; }
teardown() { fc_test_teardown; }

# assert_denied GATE WHY: the last run was refused by GATE.
assert_denied() {
	if [ "$status" -ne 1 ]; then
		echo "status $status, want 1; stderr: $stderr" >&2
		return 1
	fi
	if [ "$stderr" != "ss-fc-launch: denied: $1: $2" ]; then
		printf 'stderr:\n  %s\nwant:\n  %s\n' "$stderr" "ss-fc-launch: denied: $1: $2" >&2
		return 1
	fi
	[ "$(wc -l <<<"$output")" -eq 1 ] || { echo "not one event: $output" >&2; return 1; }
	echo "$output" >denied.json
	validate_schema ss.telemetry.v1 denied.json || return 1
	[ "$(jq -r '[.type, .data.attestation.approved, .data.attestation.reason] | join(" ")' denied.json)" = \
		"ss.telemetry.v1.denied false $1" ] || { echo "event: $output" >&2; return 1; }
	[ ! -e "$REC" ] || { echo "a VMM was started" >&2; cat "$REC" >&2; return 1; }
	[ ! -e api.sock ] || { echo "a socket was made" >&2; return 1; }
}

@test "the real session, its key and the enrolled runner pass every gate (dry run)" {
	run --separate-stderr fcl_direct --dry-run
	assert_success
	[ -z "$stderr" ]
	[ ! -e "$REC" ]
}

@test "session_signature: a session signed by another control plane" {
	"$SS_PYTHON" "$MAKE_SESSION" "$HS/other.pem" "$HS/exec.json" "$(cat "$FCD/binding")" \
		--runner-id runner-1 --ak-name "$(cat "$FCD/ak_name")" >s.json
	SESSION=$PWD/s.json
	local id
	id=$(openssl pkey -in "$HS/other.pem" -pubout -outform DER | sha256sum | cut -c1-64)
	run --separate-stderr fcl_direct
	assert_denied session_signature "session: signed by a key that is not pinned (key_id $id)"
	# What an unverified session claims is not reported as fact.
	[ "$(jq -c '[.data.session_binding_hash, .data.attestation.ak_name, .data.attestation.pcr_digest]' denied.json)" = "[null,null,null]" ]
}

@test "session_signature: any member edited after signing" {
	local edit
	for edit in 'runner_id="runner-1"' 'expires_at="2099-01-01T00:00:00Z"' \
		'pcr_digest="'"$(printf '%064d' 1)"'"' 'approved=true'; do
		session_for --after-signing "$edit"
		jq -c ".${edit%%=*} = ${edit#*=}" s.json >s2.json && mv s2.json s.json
		"$SS_PYTHON" - s.json <<-'PY'
		import json, sys
		d = json.load(open(sys.argv[1]))
		d["key_confirmation"] = "00" * 32
		json.dump(d, open(sys.argv[1], "w"))
		PY
		run --separate-stderr fcl_direct
		assert_denied session_signature "session: signature does not verify"
	done
}

@test "session_denied: the control plane did not approve the session" {
	session_for --denied pcr_policy_violation
	run --separate-stderr fcl_direct
	assert_denied session_denied "session: not approved (reason 'pcr_policy_violation')"
}

@test "session_expired: an expired session" {
	session_for --expires-in -5
	local when
	when=$(jq -r .expires_at s.json)
	run --separate-stderr fcl_direct
	assert_denied session_expired "session: expired at $when"
	# A refusal is signed with the execution's key like any event.
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <denied.json
	assert_success
}

@test "execution_mismatch: the VM spec names another execution than the session" {
	exec_doc exec-2 tenant-a operator-1 "$(jq -r .fingerprint "$HS/exec.json")" >e2.json
	vm_yaml e2.json >vm.yaml
	run --separate-stderr fcl_direct
	assert_denied execution_mismatch "session: names execution 'exec-1', not 'exec-2'"
	exec_doc exec-1 tenant-a operator-2 "$(jq -r .fingerprint "$HS/exec.json")" >e2.json
	vm_yaml e2.json >vm.yaml
	run --separate-stderr fcl_direct
	assert_denied execution_mismatch "session: names operator 'operator-1', not 'operator-2'"
	exec_doc exec-1 tenant-a operator-1 "$FP_B" >e2.json
	vm_yaml e2.json >vm.yaml
	run --separate-stderr fcl_direct
	assert_denied execution_mismatch "session: names fingerprint '$(jq -r .fingerprint "$HS/exec.json")', not '$FP_B'"
}

@test "execution_mismatch: the key is for another execution" {
	exec_doc exec-2 tenant-a operator-1 >e2.json
	secret_file root 32
	ss-derive-key --root-secret root <e2.json >k2.json
	KEY=$PWD/k2.json KEY_SECRET=
	run --separate-stderr fcl_direct
	assert_denied execution_mismatch "key: names execution 'exec-2', not 'exec-1'"
}

@test "tenant_mismatch: the VM spec or the key names another tenant" {
	exec_doc exec-1 tenant-b operator-1 "$(jq -r .fingerprint "$HS/exec.json")" >e2.json
	vm_yaml e2.json >vm.yaml
	run --separate-stderr fcl_direct
	assert_denied tenant_mismatch "session: names tenant 'tenant-a', not 'tenant-b'"
	vm_yaml "$HS/exec.json" >vm.yaml
	exec_doc exec-1 tenant-b operator-1 >e2.json
	secret_file root 32
	ss-derive-key --root-secret root <e2.json >k2.json
	KEY=$PWD/k2.json KEY_SECRET=
	run --separate-stderr fcl_direct
	assert_denied tenant_mismatch "key: names tenant 'tenant-b', not 'tenant-a'"
}

@test "runner_not_enrolled: no identity in the state directory" {
	STATE=$PWD/empty-state
	run --separate-stderr fcl_direct
	assert_denied runner_not_enrolled "runner: no enrolled identity in the state directory (run ss-tpm-identity enroll)"
	[ "$(jq -r '[.source, .data.runner_id] | join(" ")' denied.json)" = "urn:ss:runner " ]
}

@test "runner_mismatch: the session is for another runner, or another AK" {
	session_for --runner-id runner-2
	run --separate-stderr fcl_direct
	assert_denied runner_mismatch "session: for runner 'runner-2', this is runner 'runner-1'"
	local other="000b$(printf '%064d' 5)"
	session_for --ak-name "$other"
	run --separate-stderr fcl_direct
	assert_denied runner_mismatch "session: for AK $other, this runner's AK is $(cat "$FCD/ak_name")"
}

@test "key_binding_mismatch: a key bound to another session, or to none" {
	# A session for this execution and runner with another binding, and the
	# key ss-derive-key derives from it.
	local b
	b=$(printf '%064d' 9)
	"$SS_PYTHON" "$MAKE_SESSION" "$HS/cp.pem" "$HS/exec.json" "$b" --runner-id runner-1 \
		--ak-name "$(cat "$FCD/ak_name")" --secret "$FCD/session.secret" >other.json
	key_for other.json
	run --separate-stderr fcl_direct
	assert_denied key_binding_mismatch "key: bound to session binding $b, not this session's"
	secret_file root 32
	ss-derive-key --root-secret root <"$HS/exec.json" >bare.json
	KEY=$PWD/bare.json KEY_SECRET=
	run --separate-stderr fcl_direct
	assert_denied key_binding_mismatch "key: derived from a bare root, not from this session"
}

@test "key_secret_mismatch: --key-secret is not the private half of the key" {
	(umask 077 && openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null)
	KEY_SECRET=$PWD/other.pem
	run --separate-stderr fcl_direct
	assert_denied key_secret_mismatch "key secret: not the private half of key $(jq -r .key_id "$KEY")"
	# Events are signed only by the execution's own key: this one is not.
	[ "$(jq 'has("signature")' denied.json)" = false ]
}

@test "seccomp_disabled: a spec that asks for no seccomp filters" {
	vm_yaml "$HS/exec.json" "no_seccomp: true" >vm.yaml
	run --separate-stderr fcl_direct
	assert_denied seccomp_disabled "the VM spec sets no_seccomp: Firecracker must run with its seccomp filters"
	vm_yaml "$HS/exec.json" "no_seccomp: false" >vm.yaml
	run --separate-stderr fcl_direct --dry-run
	assert_success
}

@test "kvm_unavailable: /dev/kvm that is not KVM" {
	unshare -m true 2>/dev/null || skip "needs mount namespaces (unshare -m) to hide /dev/kvm"
	run --separate-stderr unshare -m bash -c 'mount --bind /dev/null /dev/kvm && "$@"' _ \
		ss-fc-launch --vm vm.yaml --cp-pub "$HS/cp.pub" --session "$SESSION" --key "$KEY" \
		--key-secret "$KEY_SECRET" --state "$STATE" --firecracker "$FAKE_FC" \
		--api-sock "$BATS_TEST_TMPDIR/api.sock"
	assert_denied kvm_unavailable "/dev/kvm: not a KVM device: Inappropriate ioctl for device"
}

@test "firecracker_unavailable: missing, not executable, not on PATH" {
	FC=$PWD/no-firecracker run --separate-stderr fcl_direct
	assert_denied firecracker_unavailable "firecracker '$PWD/no-firecracker': No such file or directory"
	cp "$FAKE_FC" ./firecracker
	chmod 644 firecracker
	FC=./firecracker run --separate-stderr fcl_direct
	assert_denied firecracker_unavailable "firecracker '$PWD/firecracker': not an executable file"
	run --separate-stderr env PATH=/usr/bin:/bin "$SS_BUILD/bin/ss-fc-launch" --vm vm.yaml --cp-pub "$HS/cp.pub" \
		--session "$SESSION" --key "$KEY" --state "$STATE" --api-sock "$PWD/api.sock"
	[ "$status" -eq 1 ]
	[ "$stderr" = "ss-fc-launch: denied: firecracker_unavailable: firecracker: 'firecracker' not found on PATH" ]
	# Found on PATH: the gate passes.
	mkdir bin && cp "$FAKE_FC" bin/firecracker
	run --separate-stderr env PATH="$PWD/bin:$PATH" ss-fc-launch --vm vm.yaml --cp-pub "$HS/cp.pub" \
		--session "$SESSION" --key "$KEY" --state "$STATE" --api-sock "$PWD/api.sock" --dry-run
	assert_success
	[ "$(head -1 <<<"$output" | jq -r '.argv[0]')" = "$PWD/bin/firecracker" ]
}

@test "firecracker_unavailable: under the jailer, a file whose name does not say firecracker" {
	cp "$FAKE_FC" vmm
	FC=$PWD/vmm run --separate-stderr fcl --jailer "$FAKE_JAILER" --uid 0 --gid 0 \
		--chroot-base-dir "$PWD"
	assert_denied firecracker_unavailable "firecracker '$PWD/vmm': the jailer runs only a file whose name contains 'firecracker'"
}

@test "jailer_unavailable: a jailer that is not there" {
	run --separate-stderr fcl --jailer "$PWD/no-jailer" --uid 0 --gid 0 --chroot-base-dir "$PWD"
	assert_denied jailer_unavailable "jailer '$PWD/no-jailer': No such file or directory"
}

@test "the gates run in order: the first refusal decides" {
	# Expired and for another runner: the session's own gates come first.
	session_for --expires-in -5 --runner-id runner-2
	vm_yaml "$HS/exec.json" "no_seccomp: true" >vm.yaml
	FC=/nonexistent run --separate-stderr fcl_direct
	[ "$status" -eq 1 ]
	[[ "$stderr" == "ss-fc-launch: denied: session_expired: "* ]]
}

# ---- malformed inputs: exit 3 (6 for a file that cannot be read), no event ----

@test "a malformed VM spec is invalid input, named with its line" {
	printf 'type: ss.vm.v1\ntype: ss.vm.v1\n' >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml' line 2: duplicate member 'type'"
	printf 'a: &x 1\nb: *x\n' >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml' line 1: anchors are not allowed"
	printf 'a: !!str 1\n' >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml' line 1: tags are not allowed"
	printf -- '- 1\n' >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml' line 1: the document must be a mapping"
	printf 'a: [1\n' >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml' line 2: did not find expected ',' or ']'"
	printf 'a: 1\n---\nb: 2\n' >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml' line 2: more than one document"
	printf '{"type": "ss.vm.v1", "type": 1}' >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml': duplicate member 'type'"
	[ ! -e "$REC" ]
}

@test "a VM spec outside Firecracker's definitions is invalid input" {
	local e=$HS/exec.json
	check() {
		run --separate-stderr fcl_direct
		assert_failure_exact 3 "ss-fc-launch: vm 'vm.yaml': $1"
	}
	vm_yaml "$e" "balloon: {amount_mib: 1, deflate_on_oom: true}" >vm.yaml
	check "unknown member 'balloon'"
	vm_yaml "$e" | sed 's/vcpu_count: 2/vcpu_count: 33/' >vm.yaml
	check "member 'machine-config.vcpu_count' is out of range (1..32)"
	vm_yaml "$e" | sed 's/mem_size_mib: 256/mem_size_mib: "256"/' >vm.yaml
	check "member 'machine-config.mem_size_mib' must be an integer"
	vm_yaml "$e" | sed 's/    is_read_only: false/    is_read_only: false\n    rate_limiter: {}/' >vm.yaml
	check "unknown member 'drives[0].rate_limiter'"
	vm_yaml "$e" | sed '/is_read_only/d' >vm.yaml
	check "member 'drives[0].is_read_only' is missing"
	vm_yaml "$e" | sed 's/drive_id: rootfs/drive_id: "root fs"/' >vm.yaml
	check "member 'drives[0].drive_id' is not a device id ([A-Za-z0-9_-]{1,64})"
	vm_yaml "$e" | sed 's/guest_mac: .*/guest_mac: "06:00:c0:a8:00"/' >vm.yaml
	check "member 'network-interfaces[0].guest_mac' must be a MAC address (xx:xx:xx:xx:xx:xx)"
	vm_yaml "$e" "  version: V1" >vm.yaml
	check "member 'mmds-config.version' must be one of V2"
	vm_yaml "$e" | sed 's/ipv4_address: .*/ipv4_address: 10.0.0.1/' >vm.yaml
	check "member 'mmds-config.ipv4_address' must be an IPv4 link-local address (169.254.1.0 to 169.254.254.255)"
	vm_yaml "$e" | sed 's/network_interfaces: \[eth0\]/network_interfaces: [eth1]/' >vm.yaml
	check "mmds-config.network_interfaces: 'eth1' is not in network-interfaces"
	vm_yaml "$e" | sed 's/is_root_device: true/is_root_device: yes/' >vm.yaml
	check "member 'drives[0].is_root_device' must be true or false"
	vm_yaml "$e" | sed 's/^type: ss.vm.v1/type: ss.vm.v2/' >vm.yaml
	check "document type 'ss.vm.v2' where 'ss.vm.v1' was expected"
	vm_yaml "$e" | sed 's/  type: ss.execution.v1/  type: ss.execution.v1\n  extra: 1/' >vm.yaml
	check "unknown member 'execution.extra'"
	[ ! -e "$REC" ]
}

@test "a kernel or drive that is missing is an I/O error; one that is not a file, invalid input" {
	vm_yaml "$HS/exec.json" | sed "s|kernel_image_path: .*|kernel_image_path: $PWD/nokernel|" >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 6 "ss-fc-launch: kernel_image_path '$PWD/nokernel': No such file or directory"
	vm_yaml "$HS/exec.json" | sed "s|path_on_host: .*|path_on_host: $PWD|" >vm.yaml
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: drive 'rootfs' '$PWD': not a regular file"
}

@test "malformed session, key and key secret are invalid input" {
	echo '{"type":"ss.session.v1"' >s.json
	SESSION=$PWD/s.json
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: session '$PWD/s.json': unexpected end of JSON at byte 24"
	SESSION=$FCD/session.json
	jq -c '.kind = "rsa"' "$FCD/key.json" >k.json
	KEY=$PWD/k.json
	run --separate-stderr fcl_direct
	[ "$status" -eq 3 ]
	[[ "$stderr" == "ss-fc-launch: key '$PWD/k.json': "* ]]
	KEY=$FCD/key.json
	cp "$FCD/key.pem" ks.pem
	chmod 644 ks.pem
	KEY_SECRET=$PWD/ks.pem
	run --separate-stderr fcl_direct
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"ks.pem"* ]]
	# A key that cannot sign telemetry, given its secret.
	key_for "$FCD/session.json" "$HS/exec.json" --kind x25519
	run --separate-stderr fcl_direct
	assert_failure_exact 3 "ss-fc-launch: key '$PWD/key.json': a x25519 key cannot sign telemetry (--key-secret needs an ed25519 key)"
	# Without the secret, an x25519 key is only reported.
	KEY_SECRET=
	run --separate-stderr fcl_direct --dry-run
	assert_success
	[ ! -e "$REC" ]
}

# ---- the command line: exit 2, no event ------------------------------------

@test "usage errors: missing, conflicting and out-of-range options" {
	u() {
		run --separate-stderr ss-fc-launch "$@"
		assert_failure_exact 2 "ss-fc-launch: $msg"
	}
	msg="needs --vm" u --cp-pub x --session x --key x
	msg="needs --cp-pub" u --vm x --session x --key x
	msg="needs --session" u --vm x --cp-pub x --key x
	msg="needs --key" u --vm x --cp-pub x --session x
	local base=(--vm x --cp-pub x --session x --key x)
	msg="--jailer: needs --uid" u "${base[@]}" --jailer j
	msg="--jailer: needs --gid" u "${base[@]}" --jailer j --uid 1
	msg="--jailer: needs --chroot-base-dir" u "${base[@]}" --jailer j --uid 1 --gid 1
	msg="--uid applies only with --jailer" u "${base[@]}" --uid 1
	msg="--chroot-base-dir applies only with --jailer" u "${base[@]}" --chroot-base-dir /tmp
	msg="--api-sock does not apply with --jailer (the socket is in the jail)" \
		u "${base[@]}" --jailer j --uid 1 --gid 1 --chroot-base-dir /tmp --api-sock s
	msg="give at most one of --wait and --dry-run" u "${base[@]}" --wait --dry-run
	msg="--timeout-ms: '0' is not a number in 1..86400000" u "${base[@]}" --timeout-ms 0
	msg="--uid: '-1' is not a number in 0..4294967294" u "${base[@]}" --jailer j --uid -1
	msg="option '--vm' does not apply to 'verify-telemetry'" u verify-telemetry --vm x
	msg="unexpected argument 'extra'" u "${base[@]}" extra
	msg="option '--wait' given more than once" u "${base[@]}" --wait --wait
}

@test "an API socket path too long for a Unix socket is a usage error" {
	local long
	long=$PWD/$(printf 'd%.0s' $(seq 1 120))/api.sock
	run --separate-stderr fcl --api-sock "$long"
	assert_failure_exact 2 "ss-fc-launch: API socket '$long' is longer than 107 bytes (give a shorter --api-sock)"
}
