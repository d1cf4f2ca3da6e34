#!/usr/bin/env bats
# ss-fc-launch when the VMM fails it: an API error (Firecracker's 400 with
# its fault_message, a plain-text HTTP error), no answer in time, no socket,
# the process dying, a signal to the tool.  Each must end with the VMM
# killed and reaped, its socket removed, a `failed` event naming the fault
# and exit 7.  The test double (tests/fakes/firecracker) is told which call
# to fail; the first tests check that it refuses what Firecracker refuses.

load lib/common
load lib/swtpm
load lib/handshake
load lib/derive
load lib/fc_launch

setup_file() { fc_suite_init; }
setup() { fc_test_setup; }
teardown() { fc_test_teardown; }

# assert_failed STATUS MESSAGE [REQUEST HTTP_STATUS]: exit STATUS with the
# message on stderr, one failed event on stdout carrying it, nothing left.
assert_failed() {
	local want_status=$1 msg=$2 request=${3:-null} http=${4:-null}
	[ "$status" -eq "$want_status" ] || { echo "status $status; stderr: $stderr" >&2; return 1; }
	[ "$stderr" = "ss-fc-launch: $msg" ] ||
		{ printf 'stderr:\n  %s\nwant:\n  %s\n' "$stderr" "ss-fc-launch: $msg" >&2; return 1; }
	[ "$(wc -l <<<"$output")" -eq 1 ] || { echo "output: $output" >&2; return 1; }
	echo "$output" >failed.json
	validate_schema ss.telemetry.v1 failed.json || return 1
	[ "$(jq -r .type failed.json)" = ss.telemetry.v1.failed ] || return 1
	jq -e --arg m "$msg" --argjson r "$(jq -n --arg r "$request" 'if $r == "null" then null else $r end')" \
		--argjson h "$http" '.data.fault == {request: $r, http_status: $h, message: $m}' failed.json >/dev/null ||
		{ echo "fault: $(jq -c .data.fault failed.json)" >&2; return 1; }
	ss-fc-launch verify-telemetry --key "$KEY" <failed.json || return 1
	assert_nothing_left
}

# double_start: the double alone, on ./d.sock.
double_start() {
	"$FAKE_FC" --api-sock "$PWD/d.sock" --id vm-1 &
	local i
	for i in $(seq 1 200); do [ -S d.sock ] && return 0; sleep 0.02; done
	return 1
}

# put PATH BODY: "STATUS BODY" of the double's answer.
put() {
	curl -s -X PUT --unix-socket d.sock -H 'Content-Type: application/json' -d "$2" \
		-w ' %{http_code}' "http://localhost$1"
}

@test "the double refuses what Firecracker refuses: unknown or missing fields, wrong types, ids" {
	double_start
	run put /machine-config '{"vcpu_count":2,"mem_size_mib":128,"vcpus":2}'
	assert_output '{"fault_message": "unknown field `vcpus`, expected one of `vcpu_count`, `mem_size_mib`, `smt`, `track_dirty_pages`, `huge_pages`, `cpu_template`"} 400'
	run put /machine-config '{"vcpu_count":2}'
	assert_output '{"fault_message": "missing field `mem_size_mib`"} 400'
	run put /machine-config '{"vcpu_count":"2","mem_size_mib":128}'
	assert_output '{"fault_message": "invalid type: string, expected integer for `vcpu_count`"} 400'
	run put /machine-config '{"vcpu_count":33,"mem_size_mib":128}'
	assert_output '{"fault_message": "`vcpu_count` = 33 is above 32"} 400'
	run put /drives/rootfs "{\"drive_id\":\"other\",\"path_on_host\":\"$FCD/rootfs.ext4\",\"is_root_device\":true,\"is_read_only\":false}"
	assert_output '{"fault_message": "The id from the path does not match the id from the body!"} 400'
	run put /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$PWD/none\",\"is_root_device\":true,\"is_read_only\":false}"
	assert_output "{\"fault_message\": \"Drive: cannot open $PWD/none: No such file or directory (os error 2)\"} 400"
	run put /mmds/config '{"network_interfaces":["eth0"]}'
	assert_output --partial 'does not correspond to any existing network interface.'
	run put /nowhere '{}'
	assert_output '{"fault_message": "Invalid request method and/or path: PUT /nowhere."} 400'
	run put /actions '{"action_type":"InstanceStart"}'
	assert_output '{"fault_message": "Cannot start microvm without kernel configuration."} 400'
	run put /boot-source "{\"kernel_image_path\":\"$FCD/vmlinux\"}"
	assert_output ' 204'
	run put /actions '{"action_type":"InstanceStart"}'
	assert_output ' 204'
	# Pre-boot only, once started.
	run put /boot-source "{\"kernel_image_path\":\"$FCD/vmlinux\"}"
	assert_output '{"fault_message": "The requested operation is not supported after starting the microVM."} 400'
	run put /machine-config '{"vcpu_count":1,"mem_size_mib":128}'
	assert_output --partial 'not supported after starting the microVM.'
	# Keep-alive: several requests on one connection.
	run curl -s --unix-socket d.sock -w ' %{http_code}\n' http://localhost/ http://localhost/version
	assert_line --index 0 '{"id": "vm-1", "state": "Running", "vmm_version": "1.16.1", "app_name": "Firecracker"} 200'
	assert_line --index 1 '{"firecracker_version": "1.16.1"} 200'
}

@test "API 400: the fault_message is reported, the VMM killed, its socket removed (exit 7)" {
	export FAKE_FC_FAIL="PUT /drives/rootfs"
	run --separate-stderr fcl_direct
	assert_failed 7 "PUT /drives/rootfs: HTTP 400: fake: PUT /drives/rootfs refused as told" \
		"PUT /drives/rootfs" 400
	# Nothing was sent after the failed call.
	run requests
	assert_output "PUT /machine-config 204
PUT /boot-source 204
PUT /drives/rootfs 400"
}

@test "a plain-text HTTP error is reported by its first line (exit 7)" {
	export FAKE_FC_FAIL_TEXT="PUT /machine-config"
	run --separate-stderr fcl_direct
	assert_failed 7 "PUT /machine-config: HTTP 500: fake: plain-text failure of PUT /machine-config" \
		"PUT /machine-config" 500
}

@test "InstanceStart refused: failed, not launched (exit 7)" {
	export FAKE_FC_FAIL="PUT /actions"
	run --separate-stderr fcl_direct
	assert_failed 7 "PUT /actions: HTTP 400: fake: PUT /actions refused as told" "PUT /actions" 400
	[ "$(jq -r .data.timings_us.cpu_to_start failed.json)" = null ]
}

@test "no answer within --timeout-ms: the VMM is killed (exit 7)" {
	export FAKE_FC_HANG="PUT /boot-source"
	local t0=$SECONDS
	run --separate-stderr fcl_direct --timeout-ms 1500
	assert_failed 7 "PUT /boot-source: no answer within the launch timeout" "PUT /boot-source" null
	[ $((SECONDS - t0)) -lt 10 ]
}

@test "a socket that never appears: the VMM is killed at the timeout (exit 7)" {
	export FAKE_FC_NO_SOCKET=1
	run --separate-stderr fcl_direct --timeout-ms 800
	assert_failed 7 "API socket '$BATS_TEST_TMPDIR/api.sock' did not appear within the launch timeout"
}

@test "the VMM dies before its socket exists (exit 7)" {
	export FAKE_FC_DIE=start
	run --separate-stderr fcl_direct
	assert_failed 7 "firecracker exited with status 3 before its API socket appeared"
	[ "$(jq -r .data.vm.pid failed.json)" = "$(vmm_pids)" ]
}

@test "the VMM dies during a call, by exit or by signal (exit 7)" {
	export FAKE_FC_DIE="PUT /drives/rootfs"
	run --separate-stderr fcl_direct
	assert_failed 7 "firecracker exited with status 3 during PUT /drives/rootfs" "PUT /drives/rootfs" null
	rm -f "$REC"
	export FAKE_FC_DIE_STATUS=SIGSEGV
	run --separate-stderr fcl_direct
	assert_failed 7 "firecracker was killed by SIGSEGV during PUT /drives/rootfs" "PUT /drives/rootfs" null
}

@test "an instance that is not Running after InstanceStart, or not this one (exit 7)" {
	export FAKE_FC_STATE=Paused
	run --separate-stderr fcl_direct
	assert_failed 7 "GET /: the instance is 'Paused', not 'Running'" "GET /" null
	rm -f "$REC"
	unset FAKE_FC_STATE
	export FAKE_FC_REPORT_ID=someone-else
	run --separate-stderr fcl_direct
	assert_failed 7 "GET /: instance 'someone-else', not '$(jq -r .key_id "$KEY")'" "GET /" null
}

@test "a socket owned by another user is not the VMM's: refused (exit 7)" {
	export FAKE_FC_SOCKET_UID=65534
	run --separate-stderr fcl_direct
	assert_failed 7 "API socket '$BATS_TEST_TMPDIR/api.sock' belongs to uid 65534, not $(id -u)"
}

@test "an API socket already there is never used: exit 6 before anything starts" {
	"$SS_PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$PWD/api.sock"
	run --separate-stderr fcl_direct
	[ "$status" -eq 6 ]
	[ "$stderr" = "ss-fc-launch: API socket '$PWD/api.sock' already exists" ]
	[ "$(jq -r '[.type, .data.fault.message] | join(" ")' <<<"$output")" = \
		"ss.telemetry.v1.failed API socket '$PWD/api.sock' already exists" ]
	[ ! -e "$REC" ]
	[ -S api.sock ]
}

# background_launch OPTIONS...: start the tool in the background with SIGINT
# at its default (a shell's background job inherits it ignored), its output
# in out.jsonl and err.txt; waits until the double got a request it will
# not answer ($FAKE_FC_HANG).
background_launch() {
	fcl_args "$@"
	env --default-signal=INT ss-fc-launch "${FCL_ARGS[@]}" >out.jsonl 2>err.txt &
	LAUNCH_PID=$!
	local i
	for i in $(seq 1 500); do
		[ -f "$REC" ] && grep -q '"status": null' "$REC" && return 0
		sleep 0.02
	done
	echo "the double never got the request" >&2
	return 1
}

@test "SIGTERM or SIGINT during the launch: VMM killed, socket removed, failed event, exit 7" {
	export FAKE_FC_HANG="PUT /boot-source"
	local sig rc
	for sig in TERM INT; do
		rm -f "$REC"
		background_launch --api-sock "$BATS_TEST_TMPDIR/api.sock"
		kill -s "$sig" "$LAUNCH_PID"
		rc=0
		wait "$LAUNCH_PID" || rc=$?
		[ "$rc" -eq 7 ]
		run --separate-stderr bash -c "cat out.jsonl; cat err.txt >&2; exit 7"
		assert_failed 7 "interrupted by SIG$sig during PUT /boot-source" "PUT /boot-source" null
	done
}

@test "SIGTERM during --wait: the VMM is stopped, an exited event says so, exit 7" {
	fcl_args --api-sock "$BATS_TEST_TMPDIR/api.sock" --wait
	ss-fc-launch "${FCL_ARGS[@]}" >out.jsonl 2>err.txt &
	local pid=$! rc=0 i
	for i in $(seq 1 500); do [ -s out.jsonl ] && break; sleep 0.02; done
	[ "$(jq -r .type out.jsonl)" = ss.telemetry.v1.launched ]
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 7 ]
	[ "$(cat err.txt)" = "ss-fc-launch: interrupted by SIGTERM: firecracker stopped" ]
	[ "$(tail -1 out.jsonl | jq -c .data.exit)" = '{"reason":"interrupted","code":null,"signal":"SIGKILL"}' ]
	validate_schema ss.telemetry.v1 out.jsonl --lines
	assert_nothing_left
}

@test "the VMM inherits neither the blocked signals nor the tool's ignored SIGPIPE" {
	# A shell in front of the double sees what was inherited (Python would
	# change SIGPIPE itself), reading its status with builtins only: a shell
	# that forks blocks every signal for a moment.
	cat >firecracker <<-SH
	#!/bin/sh
	while read -r k v; do
		case \$k in SigBlk:|SigIgn:) echo "\$k \$v" ;; esac
	done </proc/self/status >"$PWD/sig.txt"
	exec "$FAKE_FC" "\$@"
	SH
	chmod 755 firecracker
	FC=$PWD/firecracker run --separate-stderr fcl_direct
	assert_success
	local blk ign
	blk=$(awk '/^SigBlk/ {print $2}' sig.txt)
	ign=$(awk '/^SigIgn/ {print $2}' sig.txt)
	[ "$blk" = 0000000000000000 ]
	[ $((0x$ign & (1 << (13 - 1)))) -eq 0 ]   # SIGPIPE
	[ $((0x$ign & (1 << (15 - 1)))) -eq 0 ]   # SIGTERM
}

@test "a launch that cannot be reported is undone: stdout unread, VMM stopped (exit 6)" {
	fcl_args --api-sock "$BATS_TEST_TMPDIR/api.sock"
	run --separate-stderr bash -c 'set -o pipefail; ss-fc-launch "$@" | true' _ "${FCL_ARGS[@]}"
	assert_failure_exact 6 "ss-fc-launch: standard output: write: Broken pipe"
	[ "$(requests | tail -1)" = "GET / 200" ]
	assert_nothing_left
	# No standard output at all: nothing starts.
	rm -f "$REC"
	run --separate-stderr bash -c 'exec >&-; ss-fc-launch "$@"' _ "${FCL_ARGS[@]}"
	assert_failure_exact 6 "ss-fc-launch: standard output is closed"
	[ ! -e "$REC" ]
}
