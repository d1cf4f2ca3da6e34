#!/usr/bin/env bats
# ss-fc-launch on real inputs: a runner enrolled with ss-tpm-identity on the
# suite's swtpm, a session from the whole handshake, the execution's key from
# ss-derive-key.  The VMM is the Firecracker test double (tests/fakes), whose
# record of each request is what these tests read.  What must hold: the
# request sequence and bodies, the MMDS contents, --dry-run, --wait, and the
# signed telemetry with its check.

load lib/common
load lib/swtpm
load lib/handshake
load lib/derive
load lib/fc_launch

setup_file() { fc_suite_init; }
setup() { fc_test_setup; }
teardown() { fc_test_teardown; }

@test "every gate passed: the VMM is configured in order, started, Running; one launched event" {
	run --separate-stderr fcl_direct
	assert_success
	[ -z "$stderr" ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	echo "$output" >events.jsonl
	validate_schema ss.telemetry.v1 events.jsonl --lines
	[ "$(ev .type)" = ss.telemetry.v1.launched ]
	[ "$(ev '.data.attestation | "\(.approved) \(.reason)"')" = "true approved" ]
	run requests
	assert_output "PUT /machine-config 204
PUT /boot-source 204
PUT /drives/rootfs 204
PUT /network-interfaces/eth0 204
PUT /mmds/config 204
PUT /mmds 204
PUT /actions 204
GET / 200"
	# The VMM runs on, with its socket; the tool did not wait for it.
	local pid
	pid=$(jq -r .data.vm.pid events.jsonl)
	[ "$pid" = "$(vmm_pids)" ]
	_alive "$pid"
	[ -S api.sock ]
}

@test "the event names the execution, session, key, AK, PCR digest and the files' SHA-256" {
	run --separate-stderr fcl_direct
	assert_success
	echo "$output" >e.json
	local s=$FCD/session.json
	[ "$(jq -r '.data | "\(.execution_id) \(.tenant_id) \(.operator_id) \(.fingerprint)"' e.json)" = \
		"$(jq -r '"\(.execution_id) \(.tenant_id) \(.operator_id) \(.fingerprint)"' "$HS/exec.json")" ]
	[ "$(jq -r .data.session_binding_hash e.json)" = "$(jq -r .session_binding_hash "$s")" ]
	[ "$(jq -r .data.attestation.ak_name e.json)" = "$(jq -r .ak.name "$HS/id.json")" ]
	[ "$(jq -r .data.attestation.pcr_digest e.json)" = "$(jq -r .pcr_digest "$s")" ]
	[ "$(jq -r .data.attestation.session_expires_at e.json)" = "$(jq -r .expires_at "$s")" ]
	[ "$(jq -r '"\(.data.key_id) \(.data.key_kind)"' e.json)" = "$(jq -r .key_id "$KEY") ed25519" ]
	[ "$(jq -r .data.runner_id e.json)" = runner-1 ]
	[ "$(jq -r .source e.json)" = urn:ss:runner:runner-1 ]
	[ "$(jq -r .subject e.json)" = exec-1 ]
	[ "$(jq -r .data.vm.kernel_sha256 e.json)" = "$(sha256sum "$FCD/vmlinux" | cut -c1-64)" ]
	[ "$(jq -r '.data.vm.drives[0] | "\(.drive_id) \(.sha256) \(.is_root_device) \(.is_read_only)"' e.json)" = \
		"rootfs $(sha256sum "$FCD/rootfs.ext4" | cut -c1-64) true false" ]
	[ "$(jq -r '.data.vm | "\(.id) \(.jailed) \(.vcpu_count) \(.mem_size_mib) \(.initrd_sha256)"' e.json)" = \
		"$(jq -r .key_id "$KEY") false 2 256 null" ]
	[ "$(jq -r '[.data.fault, .data.exit] | map(tostring) | join(" ")' e.json)" = "null null" ]
	# Timings: all measured, the CPU time to InstanceStart among them.
	[ "$(jq '.data.timings_us | [.[] | select(type == "number" and . > 0)] | length' e.json)" -eq 6 ]
}

@test "the MMDS holds the attestation as strings, and no secret is sent anywhere" {
	run --separate-stderr fcl_direct
	assert_success
	local want
	want=$(jq -c -n --slurpfile s "$FCD/session.json" --slurpfile k "$KEY" --slurpfile e "$HS/exec.json" '
		{ss: {execution: ($e[0] | {execution_id, tenant_id, operator_id, fingerprint}),
		      attestation: ($s[0] | {runner_id, challenge_id, ak_name, pcr_digest,
					     session_binding_hash, verified_at, expires_at}),
		      key: ($k[0] | {key_id, kind, purpose, public_key_pem})}}')
	[ "$(body PUT /mmds)" = "$want" ]
	[ "$(body PUT /mmds | jq '[.. | scalars | select(type != "string")] | length')" -eq 0 ]
	# Neither the key's private half nor the session secret, in any form.
	local k64 shex s64
	k64=$(grep -v '^-----' "$KEY_SECRET" | tr -d '\n')
	shex=$(xxd -p -c 64 "$FCD/session.secret")
	s64=$(base64 -w0 "$FCD/session.secret")
	for secret in "$k64" "$shex" "$s64" "$(openssl pkey -in "$KEY_SECRET" -outform DER | tail -c 32 | xxd -p -c 64)"; do
		! grep -qF "$secret" "$REC"
		! grep -qF "$secret" <<<"$output"
	done
}

@test "MMDS v2 goes on the interface the spec names; without mmds-config, no /mmds/config" {
	run --separate-stderr fcl_direct
	assert_success
	[ "$(body PUT /mmds/config)" = '{"network_interfaces":["eth0"],"ipv4_address":"169.254.169.254","version":"V2"}' ]
	fc_test_teardown
	rm -f "$REC" api.sock
	grep -v -e '^mmds-config:' -e '^  network_interfaces:' -e '^  ipv4_address:' vm.yaml >vm2.yaml
	mv vm2.yaml vm.yaml
	run --separate-stderr fcl_direct
	assert_success
	run requests
	refute_output --partial /mmds/config
	assert_output --partial "PUT /mmds 204"
}

@test "every section of the spec becomes its request, fields named as Firecracker names them" {
	mkfifo log.fifo metrics.fifo
	local e=$HS/exec.json
	cat >vm.yaml <<-YAML
	type: ss.vm.v1
	execution:
	  type: ss.execution.v1
	  execution_id: $(jq -r .execution_id "$e")
	  tenant_id: $(jq -r .tenant_id "$e")
	  operator_id: $(jq -r .operator_id "$e")
	  fingerprint: "$(jq -r .fingerprint "$e")"
	boot-source:
	  kernel_image_path: $FCD/vmlinux
	  boot_args: "console=ttyS0 reboot=k panic=1"
	  initrd_path: $FCD/initrd
	machine-config: {vcpu_count: 2, mem_size_mib: 256, smt: false, track_dirty_pages: true}
	drives:
	  - drive_id: rootfs
	    path_on_host: $FCD/rootfs.ext4
	    is_root_device: true
	    is_read_only: false
	  - drive_id: data
	    path_on_host: $FCD/initrd
	    is_root_device: false
	    is_read_only: true
	    cache_type: Writeback
	    io_engine: Sync
	network-interfaces:
	  - {iface_id: eth0, host_dev_name: tap0, guest_mac: "06:00:c0:a8:00:02"}
	vsock:
	  guest_cid: 3
	  uds_path: $BATS_TEST_TMPDIR/v.sock
	logger:
	  log_path: $BATS_TEST_TMPDIR/log.fifo
	  level: Debug
	  show_level: true
	metrics:
	  metrics_path: $BATS_TEST_TMPDIR/metrics.fifo
	mmds-config:
	  network_interfaces: [eth0]
	  ipv4_address: 169.254.169.254
	  imds_compat: true
	YAML
	run --separate-stderr fcl_direct
	assert_success
	echo "$output" >e.json
	run requests
	assert_output "PUT /logger 204
PUT /metrics 204
PUT /machine-config 204
PUT /boot-source 204
PUT /drives/rootfs 204
PUT /drives/data 204
PUT /network-interfaces/eth0 204
PUT /vsock 204
PUT /mmds/config 204
PUT /mmds 204
PUT /actions 204
GET / 200"
	[ "$(body PUT /logger)" = "{\"log_path\":\"$BATS_TEST_TMPDIR/log.fifo\",\"level\":\"Debug\",\"show_level\":true}" ]
	[ "$(body PUT /metrics)" = "{\"metrics_path\":\"$BATS_TEST_TMPDIR/metrics.fifo\"}" ]
	[ "$(body PUT /machine-config)" = '{"vcpu_count":2,"mem_size_mib":256,"smt":false,"track_dirty_pages":true}' ]
	[ "$(body PUT /boot-source)" = "{\"kernel_image_path\":\"$FCD/vmlinux\",\"boot_args\":\"console=ttyS0 reboot=k panic=1\",\"initrd_path\":\"$FCD/initrd\"}" ]
	[ "$(body PUT /drives/data)" = "{\"drive_id\":\"data\",\"path_on_host\":\"$FCD/initrd\",\"is_root_device\":false,\"is_read_only\":true,\"cache_type\":\"Writeback\",\"io_engine\":\"Sync\"}" ]
	[ "$(body PUT /network-interfaces/eth0)" = '{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:c0:a8:00:02"}' ]
	[ "$(body PUT /vsock)" = "{\"guest_cid\":3,\"uds_path\":\"$BATS_TEST_TMPDIR/v.sock\"}" ]
	[ "$(body PUT /mmds/config)" = '{"network_interfaces":["eth0"],"ipv4_address":"169.254.169.254","imds_compat":true,"version":"V2"}' ]
	[ "$(body PUT /actions)" = '{"action_type":"InstanceStart"}' ]
	[ "$(jq -r .data.vm.initrd_sha256 e.json)" = "$(sha256sum "$FCD/initrd" | cut -c1-64)" ]
	if "$SS_PYTHON" -c 'import yaml' 2>/dev/null; then
		"$SS_PYTHON" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open("vm.yaml")), sys.stdout)' >vm.json
		validate_schema ss.vm.v1 vm.json
	fi
	[ "$(jq -r '.data.vm.drives | map(.drive_id) | join(" ")' e.json)" = "rootfs data" ]
}

@test "firecracker gets the socket, the key id as instance id, its own process group, no terminal" {
	run --separate-stderr fcl_direct
	assert_success
	local key_id pid
	key_id=$(jq -r .key_id "$KEY")
	[ "$(jq -c 'select(.start) | .start.argv[1:]' "$REC")" = \
		"[\"--api-sock\",\"$BATS_TEST_TMPDIR/api.sock\",\"--id\",\"$key_id\"]" ]
	pid=$(vmm_pids)
	[ "$(jq -r 'select(.start) | .start.pgid' "$REC")" = "$pid" ]
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
	[ "$(readlink "/proc/$pid/fd/1")" = /dev/null ]
	[ "$(readlink "/proc/$pid/fd/2")" = /dev/null ]
	# Its signal mask was reset: the launch blocks signals, the VMM must not.
	[ "$(awk '/^SigBlk/ {print $2}' "/proc/$pid/status")" = 0000000000000000 ]
	[ "$(jq -r 'select(.request.path == "/") | .request.status' "$REC")" = 200 ]
	# The double answers with this id: GET / was checked against it.
	curl -s --unix-socket api.sock http://localhost/ | jq -e --arg id "$key_id" '.id == $id and .state == "Running"'
}

@test "--dry-run prints the command and exactly the requests a launch sends, starts nothing" {
	run --separate-stderr fcl_direct --dry-run
	assert_success
	[ -z "$stderr" ]
	echo "$output" >plan.jsonl
	[ ! -e "$REC" ]
	[ ! -e api.sock ]
	[ "$(head -1 plan.jsonl | jq -c .argv)" = \
		"[\"$FAKE_FC\",\"--api-sock\",\"$BATS_TEST_TMPDIR/api.sock\",\"--id\",\"$(jq -r .key_id "$KEY")\"]" ]
	run --separate-stderr fcl_direct
	assert_success
	diff <(tail -n +2 plan.jsonl | jq -c '[.method, .path, .body]') \
		<(jq -c 'select(.request) | .request | [.method, .path, .body]' "$REC")
}

@test "the telemetry is signed with the execution's key: verify-telemetry and openssl agree" {
	run --separate-stderr fcl_direct
	assert_success
	echo "$output" >events.jsonl
	[ "$(jq -r .signaturealg events.jsonl)" = ed25519 ]
	[ "$(jq -r .signaturekeyid events.jsonl)" = \
		"$(jq -r .public_key_pem "$KEY" | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)" ]
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <events.jsonl
	assert_success
	assert_output ""
	[ -z "$stderr" ]
	# Independently: RFC 8785 of the event without "signature" (json.dumps
	# with sorted keys is JCS for what an event holds), openssl verifies.
	"$SS_PYTHON" -c 'import json, sys
e = json.load(open("events.jsonl")); e.pop("signature")
sys.stdout.write(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False))' >msg
	jq -r .signature events.jsonl | base64 -d >sig
	jq -r .public_key_pem "$KEY" >pub.pem
	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -sigfile sig
}

@test "verify-telemetry names the first event that does not verify (exit 1)" {
	FAKE_FC_EXIT_AFTER_START=50:0 run --separate-stderr fcl_direct --wait
	assert_success
	echo "$output" >events.jsonl
	[ "$(wc -l <events.jsonl)" -eq 2 ]
	run ss-fc-launch verify-telemetry --key "$KEY" <events.jsonl
	assert_success
	# An edited member on line 2.
	{ head -1 events.jsonl; tail -1 events.jsonl | jq -c '.data.tenant_id = "tenant-b"'; } >bad.jsonl
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <bad.jsonl
	assert_failure_exact 1 "ss-fc-launch: line 2: event: signature does not verify"
	# An unsigned event.
	{ head -1 events.jsonl; tail -1 events.jsonl | jq -c 'del(.signature)'; } >bad.jsonl
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <bad.jsonl
	assert_failure_exact 1 "ss-fc-launch: line 2: not signed (signaturealg, signaturekeyid and signature are all needed)"
	# A key id that is not the key's; a key that signed another execution.
	jq -c '.signaturekeyid = "'"$(printf '%064d' 0)"'"' events.jsonl >bad.jsonl
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <bad.jsonl
	assert_failure_exact 1 "ss-fc-launch: line 1: event: signed by a key that is not pinned (key_id $(printf '%064d' 0))"
	exec_doc exec-2 tenant-a operator-1 >e2.json
	secret_file root 32
	ss-derive-key --root-secret root <e2.json >other-key.json
	run --separate-stderr ss-fc-launch verify-telemetry --key other-key.json <events.jsonl
	assert_failure_exact 1 "ss-fc-launch: line 1: event: signed by a key that is not pinned (key_id $(jq -r .signaturekeyid <<<"$(head -1 events.jsonl)"))"
}

@test "verify-telemetry: a malformed line, no events, a key that signs nothing are invalid input" {
	run --separate-stderr fcl_direct
	assert_success
	echo "$output" >events.jsonl
	{ cat events.jsonl; echo '{"specversion":"1.0"'; } >bad.jsonl
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <bad.jsonl
	assert_failure_exact 3 "ss-fc-launch: line 2: unexpected end of JSON at byte 20"
	jq -c '.extra = "x"' events.jsonl >bad.jsonl
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <bad.jsonl
	assert_failure_exact 3 "ss-fc-launch: line 1: unknown member 'extra'"
	jq -c '.type = "ss.telemetry.v1.started"' events.jsonl >bad.jsonl
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <bad.jsonl
	assert_failure_exact 3 "ss-fc-launch: line 1: event type 'ss.telemetry.v1.started' is not an ss.telemetry.v1 event"
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" </dev/null
	assert_failure_exact 3 "ss-fc-launch: standard input: no events"
	secret_file root 32
	ss-derive-key --root-secret root --kind aes-256 <"$HS/exec.json" >aes.json
	run --separate-stderr ss-fc-launch verify-telemetry --key aes.json <events.jsonl
	assert_failure_exact 3 "ss-fc-launch: key $(jq -r .key_id aes.json): a aes-256 key signs no telemetry"
	run --separate-stderr ss-fc-launch verify-telemetry <events.jsonl
	assert_failure_exact 2 "ss-fc-launch: verify-telemetry: needs --key"
}

@test "without --key-secret the events are unsigned, and verify-telemetry refuses them" {
	KEY_SECRET=
	run --separate-stderr fcl_direct
	assert_success
	echo "$output" >events.jsonl
	validate_schema ss.telemetry.v1 events.jsonl --lines
	[ "$(jq -c '[has("signature"), has("signaturealg"), has("signaturekeyid")]' events.jsonl)" = "[false,false,false]" ]
	run --separate-stderr ss-fc-launch verify-telemetry --key "$KEY" <events.jsonl
	assert_failure_exact 1 "ss-fc-launch: line 1: not signed (signaturealg, signaturekeyid and signature are all needed)"
}

@test "the spec in JSON gives the same requests as in YAML" {
	run --separate-stderr fcl_direct --dry-run
	assert_success
	echo "$output" >yaml.plan
	"$SS_PYTHON" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
	yaml_to_json vm.yaml vm.json
	cp vm.json vm.yaml
	run --separate-stderr fcl_direct --dry-run
	assert_success
	[ "$output" = "$(cat yaml.plan)" ]
}

# yaml_to_json IN OUT: the YAML spec as JSON (python3-yaml's safe loader).
yaml_to_json() {
	"$SS_PYTHON" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)' "$1" >"$2"
}

@test "the specs the tool accepts are valid ss.vm.v1; those it refuses, the schema refuses" {
	"$SS_PYTHON" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
	yaml_to_json vm.yaml vm.json
	validate_schema ss.vm.v1 vm.json
	local edit
	for edit in '.extra = 1' '."machine-config".vcpu_count = 33' '."mmds-config".version = "V1"' \
		'."network-interfaces"[0].guest_mac = "06:00"' '.drives[0] |= del(.is_read_only)' \
		'.execution.tenant_id = "a b"' '.no_seccomp = "no"'; do
		jq -c "$edit" vm.json >bad.json
		run validate_schema ss.vm.v1 bad.json
		assert_failure
		cp bad.json vm.yaml
		run --separate-stderr fcl_direct --dry-run
		[ "$status" -eq 3 ] || { echo "$edit: status $status ($stderr)" >&2; return 1; }
	done
}

@test "--wait: the VMM's own exit 0 gives an exited event and exit 0; its socket is removed" {
	export FAKE_FC_EXIT_AFTER_START=100:0
	run --separate-stderr fcl_direct --wait
	assert_success
	[ -z "$stderr" ]
	echo "$output" >events.jsonl
	validate_schema ss.telemetry.v1 events.jsonl --lines
	[ "$(jq -r .type events.jsonl | tr '\n' ' ')" = "ss.telemetry.v1.launched ss.telemetry.v1.exited " ]
	[ "$(tail -1 events.jsonl | jq -c .data.exit)" = '{"reason":"exited","code":0,"signal":null}' ]
	assert_nothing_left
	run ss-fc-launch verify-telemetry --key "$KEY" <events.jsonl
	assert_success
}

@test "--wait: a VMM that exits with status 3 gives its exited event, then exit 7" {
	export FAKE_FC_EXIT_AFTER_START=50:3
	run --separate-stderr fcl_direct --wait
	assert_failure 7
	[ "$stderr" = "ss-fc-launch: firecracker exited with status 3" ]
	[ "$(tail -1 <<<"$output" | jq -c .data.exit)" = '{"reason":"exited","code":3,"signal":null}' ]
	assert_nothing_left
}

@test "--wait --timeout-ms: a VMM still running is stopped, exited with reason timeout, exit 7" {
	run --separate-stderr fcl_direct --wait --timeout-ms 1500
	assert_failure 7
	[ "$stderr" = "ss-fc-launch: firecracker still running at the timeout: stopped" ]
	[ "$(tail -1 <<<"$output" | jq -c .data.exit)" = '{"reason":"timeout","code":null,"signal":"SIGKILL"}' ]
	assert_nothing_left
}

@test "the default API socket is in the state directory's run/, made private" {
	cp -a "$STATE" state
	STATE=$PWD/state
	run --separate-stderr fcl
	assert_success
	local sock="$STATE/run/$(jq -r .key_id "$KEY").sock"
	[ -S "$sock" ]
	[ "$(stat -c %a "$STATE/run")" = 700 ]
}

@test "the session, its key and the launch's telemetry, as the tools write them, pass ss-collision-check" {
	run --separate-stderr fcl_direct
	assert_success
	echo "$output" >events.jsonl
	# A launch refused before the session's signature was checked: its
	# event vouches for no binding, and is no violation either.
	local good=$SESSION
	session_for --after-signing 'runner_id="runner-2"'
	run --separate-stderr fcl_direct
	[ "$status" -eq 1 ]
	echo "$output" >>events.jsonl
	[ "$(tail -1 events.jsonl | jq -r '.type + " " + (.data.session_binding_hash | tostring)')" = \
		"ss.telemetry.v1.denied null" ]
	cat "$good" "$KEY" events.jsonl >fleet.jsonl
	run --separate-stderr ss-collision-check fleet.jsonl
	assert_success
	[ "$(jq -c '[.records, .violations, .passed]' <<<"$output")" = "[4,0,true]" ]
	# The same launch claimed by another tenant is caught at its line.
	jq -c '.data.tenant_id = "tenant-b"' events.jsonl | head -1 >>fleet.jsonl
	run --separate-stderr ss-collision-check fleet.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.by_kind.binding_cross_tenant, .examples[0].kind, .examples[0].second.line]' <<<"$output")" = \
		'[1,"binding_cross_tenant",5]' ]
}
