# Helpers for the ss-fc-launch suites (load after common, swtpm, handshake
# and derive).
#
# setup_file:    fc_suite_init     the whole handshake on the suite's swtpm (an
#                                  enrolled runner, a signed approved session, the
#                                  runner's session secret, the execution's ed25519
#                                  key), a kernel and a rootfs; then the TPM stops
# setup:         fc_test_setup     the test's directory, vm.yaml for that execution
# teardown:      fc_test_teardown  stops what a test left running
#
# The VMM is the test double tests/fakes/firecracker (and tests/fakes/jailer);
# its record of what it got is $REC.

FAKE_FC="$SS_TOP/tests/fakes/firecracker"
FAKE_JAILER="$SS_TOP/tests/fakes/jailer"

fc_suite_init() {
	hs_suite_init || return 1
	export FCD="$BATS_FILE_TMPDIR/fc"
	local T="$FCD/hs"
	mkdir -p "$T" && cp -a "$HS/cp" "$T/cp" && cp -a "$HS/runner" "$T/runner" || return 1
	hs_challenge && hs_respond || return 1
	hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$T/cp.key" \
		--state "$T/cp" <"$T/ev.json" >"$FCD/session.json" || return 1
	hs finish --cp-pub "$HS/cp.pub" --session-secret-out "$FCD/session.secret" \
		--state "$T/runner" <"$FCD/session.json" || return 1
	ss-derive-key --session "$FCD/session.json" --cp-pub "$HS/cp.pub" \
		--session-secret "$FCD/session.secret" --secret-out "$FCD/key.pem" \
		<"$HS/exec.json" >"$FCD/key.json" || return 1
	cp -a "$T/runner" "$FCD/runner"
	jq -r .ak.name "$HS/id.json" >"$FCD/ak_name"
	jq -r .session_binding_hash "$FCD/session.json" >"$FCD/binding"
	head -c 4096 /dev/urandom >"$FCD/vmlinux"
	head -c 65536 /dev/urandom >"$FCD/rootfs.ext4"
	head -c 8192 /dev/urandom >"$FCD/initrd"
	chmod 644 "$FCD/vmlinux" "$FCD/rootfs.ext4" "$FCD/initrd"
	swtpm_fini
}

fc_test_setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export REC="$BATS_TEST_TMPDIR/fc.jsonl"
	export FAKE_FC_RECORD="$REC"
	unset FAKE_JAILER_RECORD
	SESSION="$FCD/session.json" KEY="$FCD/key.json" KEY_SECRET="$FCD/key.pem"
	STATE="$FCD/runner"
	vm_yaml "$HS/exec.json" >vm.yaml
}

# Every process the double recorded, as its pid.
vmm_pids() {
	[ -f "$REC" ] || return 0
	jq -r 'select(.start) | .start.pid' "$REC"
}

fc_test_teardown() {
	local p
	for p in $(vmm_pids); do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$BATS_TEST_TMPDIR/jails" 2>/dev/null || true
}

# vm_yaml EXEC.json [extra YAML lines]: a VM spec for that execution, with a
# drive, an interface and MMDS on it.
vm_yaml() {
	local e=$1
	shift
	cat <<-YAML
	# a microVM for one execution
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
	machine-config:
	  vcpu_count: 2
	  mem_size_mib: 256
	drives:
	  - drive_id: rootfs
	    path_on_host: $FCD/rootfs.ext4
	    is_root_device: true
	    is_read_only: false
	network-interfaces:
	  - iface_id: eth0
	    host_dev_name: tap0
	    guest_mac: "06:00:c0:a8:00:02"
	mmds-config:
	  network_interfaces: [eth0]
	  ipv4_address: 169.254.169.254
	YAML
	local line
	for line in "$@"; do printf '%s\n' "$line"; done
}

# fcl [options]: ss-fc-launch with the test's inputs ($SESSION, $KEY,
# $KEY_SECRET - empty for none -, $STATE) and Firecracker ($FC, by default
# the double).
fcl() {
	fcl_args "$@"
	ss-fc-launch "${FCL_ARGS[@]}"
}

# fcl_args [options]: fcl's arguments, in the array FCL_ARGS (to start it
# in the background as one process).
fcl_args() {
	FCL_ARGS=(--vm vm.yaml --cp-pub "$HS/cp.pub" --session "$SESSION" --key "$KEY"
		${KEY_SECRET:+--key-secret "$KEY_SECRET"} --state "$STATE"
		--firecracker "${FC:-$FAKE_FC}" "$@")
}

# fcl_direct [options]: the same with the API socket in the test's directory.
fcl_direct() {
	fcl --api-sock "$BATS_TEST_TMPDIR/api.sock" "$@"
}

# requests: "METHOD PATH STATUS" for every request the double got.
requests() {
	jq -r 'select(.request) | .request | "\(.method) \(.path) \(.status)"' "$REC"
}

# body METHOD PATH: the body of that request as the double got it.
body() {
	jq -c --arg m "$1" --arg p "$2" 'select(.request) | .request |
		select(.method == $m and .path == $p) | .body' "$REC"
}

# event FIELD (jq path) of the single event in $output.
ev() {
	jq -r "$1" <<<"$output"
}

# _alive PID: running and not a zombie.
_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# assert_nothing_left [SOCKET]: no process the double started is alive, and
# the API socket (default ./api.sock) is gone.
assert_nothing_left() {
	local p sock=${1:-$BATS_TEST_TMPDIR/api.sock}
	for p in $(vmm_pids); do
		if _alive "$p"; then
			echo "VMM $p is still running" >&2
			return 1
		fi
	done
	[ ! -e "$sock" ] || { echo "socket $sock left behind" >&2; return 1; }
}

# session_for ARGS...: a session signed by the control plane for the
# suite's runner and AK (make_session.py options may change any of it),
# and the execution's key derived from it: s.json, key.json, key.pem.
session_for() {
	"$SS_PYTHON" "$MAKE_SESSION" "$HS/cp.pem" "$HS/exec.json" "$(cat "$FCD/binding")" \
		--runner-id runner-1 --ak-name "$(cat "$FCD/ak_name")" --secret "$FCD/session.secret" \
		"$@" >s.json || return 1
	SESSION=$PWD/s.json
}

# key_for SESSION [EXEC.json] [--kind K]: the key of that session's
# execution, derived by ss-derive-key: key.json and key.pem.
key_for() {
	local s=$1 e=${2:-$HS/exec.json}
	shift 2 || shift $#
	rm -f key.pem
	ss-derive-key --session "$s" --cp-pub "$HS/cp.pub" --session-secret "$FCD/session.secret" \
		--secret-out key.pem "$@" <"$e" >key.json || return 1
	KEY=$PWD/key.json KEY_SECRET=$PWD/key.pem
}
