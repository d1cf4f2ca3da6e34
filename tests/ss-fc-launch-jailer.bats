#!/usr/bin/env bats
# ss-fc-launch under Firecracker's jailer (the test double tests/fakes/jailer,
# which checks its arguments as the jailer does and records them): the
# jailer's command line, the jail prepared before it runs (hard links of the
# kernel and drives, run/ for the socket), the requests naming paths inside
# the jail, and the jail removed whenever the launch fails or the VMM exits.

load lib/common
load lib/swtpm
load lib/handshake
load lib/derive
load lib/fc_launch

setup_file() { fc_suite_init; }
setup() {
	fc_test_setup
	export FAKE_JAILER_RECORD="$BATS_TEST_TMPDIR/jailer.jsonl"
	BASE=$BATS_TEST_TMPDIR/jails
	mkdir -p "$BASE"
	VM_ID=$(jq -r .key_id "$KEY")
	JAIL=$BASE/firecracker/$VM_ID
}
teardown() { fc_test_teardown; }

# fcj [options]: a jailed launch, the VMM as uid/gid 65534.
fcj() {
	fcl --jailer "$FAKE_JAILER" --uid 65534 --gid 65534 --chroot-base-dir "$BASE" "$@"
}

@test "the jailer's arguments, Firecracker's after its exec, the socket inside the jail" {
	run --separate-stderr fcj
	assert_success
	[ "$(jq -c .argv "$FAKE_JAILER_RECORD")" = "$(jq -cn --arg j "$FAKE_JAILER" --arg id "$VM_ID" \
		--arg fc "$FAKE_FC" --arg b "$BASE" \
		'[$j, "--id", $id, "--exec-file", $fc, "--uid", "65534", "--gid", "65534",
		  "--chroot-base-dir", $b, "--", "--api-sock", "/run/firecracker.socket"]')" ]
	# The jailer execs Firecracker in place: the pid the tool started is the VMM.
	[ "$(jq -r .pid "$FAKE_JAILER_RECORD")" = "$(vmm_pids)" ]
	run jq -r 'select(.start) | .start.argv | join(" ")' "$REC"
	# (Python shows the script it runs: the jailer's copy in the jail.)
	assert_output --regexp "^$JAIL/root/firecracker --id=$VM_ID --start-time-us=[0-9]+ --start-time-cpu-us=[0-9]+ --api-sock /run/firecracker.socket\$"
	[ -S "$JAIL/root/run/firecracker.socket" ]
	[ "$(stat -c %u:%g "$JAIL/root/run/firecracker.socket")" = 65534:65534 ]
	run requests
	assert_line --index 7 "GET / 200"
}

@test "the jail is ready before the jailer runs: hard links, run/ for the VMM's user" {
	run --separate-stderr fcj
	assert_success
	echo "$output" >e.json
	[ "$(jq -r '.data.vm.jailed' e.json)" = true ]
	run jq -r '.jail_before | to_entries[] | "\(.key) \(.value.type) \(.value.uid):\(.value.gid)"' "$FAKE_JAILER_RECORD"
	assert_output "run dir 65534:65534
kernel file 0:0
drive-rootfs file 0:0"
	# Links, not copies: the same inodes as the VM spec's files, owners untouched.
	[ "$(jq -r '.jail_before.kernel.ino' "$FAKE_JAILER_RECORD")" = "$(stat -c %i "$FCD/vmlinux")" ]
	[ "$(jq -r '.jail_before["drive-rootfs"].ino' "$FAKE_JAILER_RECORD")" = "$(stat -c %i "$FCD/rootfs.ext4")" ]
	[ "$(stat -c %u "$FCD/vmlinux")" = "$(id -u)" ]
	# The requests name the files inside the jail.
	[ "$(body PUT /boot-source | jq -r .kernel_image_path)" = /kernel ]
	[ "$(body PUT /drives/rootfs | jq -r .path_on_host)" = /drive-rootfs ]
	# What the jailer added: its copy of Firecracker and the device nodes.
	[ -x "$JAIL/root/firecracker" ]
	[ -c "$JAIL/root/dev/kvm" ]
}

@test "a failed jailed launch removes the whole jail and leaves no process (exit 7)" {
	export FAKE_FC_FAIL="PUT /drives/rootfs"
	run --separate-stderr fcj
	[ "$status" -eq 7 ]
	[ "$stderr" = "ss-fc-launch: PUT /drives/rootfs: HTTP 400: fake: PUT /drives/rootfs refused as told" ]
	[ "$(jq -r .type <<<"$output")" = ss.telemetry.v1.failed ]
	[ ! -e "$JAIL" ]
	[ -d "$BASE/firecracker" ]
	assert_nothing_left "$JAIL/root/run/firecracker.socket"
}

@test "a jailer that refuses to start: jail removed, its exit reported (exit 7)" {
	cp "$FAKE_JAILER" ./jailer
	sed -i 's/^    if not re.fullmatch(r"\[A-Za-z0-9-\]{1,64}", vm_id):/    if True:/' jailer
	run --separate-stderr fcl --jailer "$PWD/jailer" --uid 65534 --gid 65534 --chroot-base-dir "$BASE"
	[ "$status" -eq 7 ]
	[ "$stderr" = "ss-fc-launch: jailer exited with status 1 before its API socket appeared" ]
	[ ! -e "$JAIL" ]
}

@test "--wait under the jailer: the jail goes when the VMM exits" {
	export FAKE_FC_EXIT_AFTER_START=100:0
	run --separate-stderr fcj --wait
	assert_success
	[ "$(jq -r .type <<<"$output" | tr '\n' ' ')" = "ss.telemetry.v1.launched ss.telemetry.v1.exited " ]
	[ ! -e "$JAIL" ]
	assert_nothing_left "$JAIL/root/run/firecracker.socket"
}

@test "a jail that already exists is never reused: exit 6, untouched, nothing started" {
	mkdir -p "$JAIL/root"
	echo stale >"$JAIL/root/marker"
	run --separate-stderr fcj
	[ "$status" -eq 6 ]
	[ "$stderr" = "ss-fc-launch: jail '$JAIL' already exists" ]
	[ "$(jq -r '[.type, .data.fault.message] | join(": ")' <<<"$output")" = \
		"ss.telemetry.v1.failed: jail '$JAIL' already exists" ]
	[ "$(cat "$JAIL/root/marker")" = stale ]
	[ ! -e "$FAKE_JAILER_RECORD" ]
	[ ! -e "$REC" ]
}

@test "a file on another filesystem cannot be hard-linked into the jail: exit 6, jail removed" {
	local shm
	shm=$(mktemp -d /dev/shm/ss-fc.XXXXXX)
	cp "$FCD/vmlinux" "$shm/vmlinux"
	[ "$(stat -c %d "$shm/vmlinux")" != "$(stat -c %d "$BASE")" ] || { rm -rf "$shm"; skip "/dev/shm is on the same filesystem"; }
	sed -i "s|kernel_image_path: .*|kernel_image_path: $shm/vmlinux|" vm.yaml
	run --separate-stderr fcj
	rm -rf "$shm"
	[ "$status" -eq 6 ]
	[ "$stderr" = "ss-fc-launch: hard-link '$shm/vmlinux' into the jail: not on the filesystem of --chroot-base-dir" ]
	[ ! -e "$JAIL" ]
	[ ! -e "$FAKE_JAILER_RECORD" ]
}

@test "--dry-run under the jailer: the jailer's command and the jail's paths, no jail made" {
	run --separate-stderr fcj --dry-run
	assert_success
	[ "$(head -1 <<<"$output" | jq -r '.argv | .[0] + " " + .[-2] + " " + .[-1]')" = \
		"$FAKE_JAILER --api-sock /run/firecracker.socket" ]
	[ "$(jq -r 'select(.path == "/boot-source") | .body.kernel_image_path' <<<"$output")" = /kernel ]
	[ ! -e "$BASE/firecracker" ]
}
