#!/usr/bin/env bats
# ss-fc-launch against the real Firecracker, when one is on PATH and /dev/kvm
# works (otherwise every test here is skipped, saying why).  The real API
# server is the judge of every request body the tool sends; a booting guest
# also needs SS_FC_KERNEL and SS_FC_ROOTFS (an uncompressed vmlinux and an
# ext4 root filesystem), and the jailed run the jailer on PATH.

load lib/common
load lib/swtpm
load lib/handshake
load lib/derive
load lib/fc_launch

real_firecracker() {
	REAL_FC=$(command -v firecracker) || { echo "no firecracker on PATH"; return 1; }
	[ "$REAL_FC" != "$FAKE_FC" ] || { echo "only the test double is on PATH"; return 1; }
	"$SS_PYTHON" -c 'import fcntl, os
fd = os.open("/dev/kvm", os.O_RDWR)
assert fcntl.ioctl(fd, 0xAE00) == 12' 2>/dev/null || { echo "/dev/kvm is not usable"; return 1; }
}

setup_file() {
	# (This bats cannot skip from setup_file: each test skips in setup.)
	if real_firecracker >/dev/null; then fc_suite_init; fi
}
setup() {
	real_firecracker >/dev/null || skip "$(real_firecracker)"
	fc_test_setup
	FC=$REAL_FC
	# No network: a tap device is the host's business, not the tool's.
	vm_yaml "$HS/exec.json" | sed '/^network-interfaces:/,$d' >vm.yaml
}
# pids_of_vm ID: the processes whose command line has "--id ID".
pids_of_vm() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "--id $1 " && basename "${f%/cmdline}"
	done
	return 0
}

teardown() {
	local p
	[ -n "${KEY:-}" ] || return 0
	for p in $(pids_of_vm "$(jq -r .key_id "$KEY")"); do
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$BATS_TEST_TMPDIR/jails"
}

@test "real Firecracker takes every request but a kernel that is not one: failed, nothing left" {
	run --separate-stderr fcl_direct
	[ "$status" -eq 7 ]
	[[ "$stderr" == "ss-fc-launch: PUT /actions: HTTP 400: "* ]]
	echo "$output" >failed.json
	validate_schema ss.telemetry.v1 failed.json
	[ "$(jq -r '[.data.fault.request, .data.fault.http_status] | join(" ")' failed.json)" = "PUT /actions 400" ]
	[ ! -e api.sock ]
	[ -z "$(pids_of_vm "$(jq -r .key_id "$KEY")")" ]
}

@test "real Firecracker boots a guest: launched, Running" {
	[ -n "${SS_FC_KERNEL:-}" ] && [ -n "${SS_FC_ROOTFS:-}" ] ||
		skip "set SS_FC_KERNEL and SS_FC_ROOTFS to boot a guest"
	cp "$SS_FC_ROOTFS" rootfs.ext4
	vm_yaml "$HS/exec.json" | sed '/^network-interfaces:/,$d' |
		sed "s|kernel_image_path: .*|kernel_image_path: $SS_FC_KERNEL|; s|path_on_host: .*|path_on_host: $PWD/rootfs.ext4|" >vm.yaml
	run --separate-stderr fcl_direct
	assert_success
	[ "$(jq -r .type <<<"$output")" = ss.telemetry.v1.launched ]
	curl -s --unix-socket api.sock http://localhost/ | jq -e '.state == "Running"'
	curl -s --unix-socket api.sock http://localhost/mmds | jq -e --arg k "$(jq -r .key_id "$KEY")" '.ss.key.key_id == $k'
}

@test "real jailer and Firecracker: failed start, jail removed" {
	command -v jailer >/dev/null || skip "no jailer on PATH"
	[ "$(id -u)" -eq 0 ] || skip "the jailer needs root"
	mkdir -p jails
	run --separate-stderr fcl --jailer "$(command -v jailer)" --uid 65534 --gid 65534 \
		--chroot-base-dir "$PWD/jails"
	[ "$status" -eq 7 ]
	[ ! -e "jails/$(basename "$REAL_FC")/$(jq -r .key_id "$KEY")" ]
}
