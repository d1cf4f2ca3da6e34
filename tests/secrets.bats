#!/usr/bin/env bats
# Secrets stay where they belong.  A whole session (challenge, respond,
# verify, finish), derivations from it and a launch signed with the derived
# key run with every exec traced (argv and environment of the tools and of
# what they start); then the secret bytes - the session secret, the derived
# ed25519 and AES keys - are searched, raw, in hex and in base64, in every
# argv and environment, every stdout and stderr, and every file left behind,
# and found only in their own 0600 files.  And no tool can dump core.

load lib/common
load lib/swtpm
load lib/handshake

FAKE_FC="$SS_TOP/tests/fakes/firecracker"

setup_file() {
	hs_suite_init || return 1
	head -c 4096 /dev/urandom >"$HS/vmlinux"
	head -c 65536 /dev/urandom >"$HS/rootfs.ext4"
}
teardown_file() { swtpm_fini; }
setup() { hs_test_setup; }
teardown() { assert_tpm_clean; }

# traced NAME CMD... < IN: CMD with every execve (argv, environment) logged
# to $T/exec.NAME, stdout and stderr kept in $T/NAME.out and $T/NAME.err.
traced() {
	local name=$1
	shift
	# LeakSanitizer cannot run under ptrace (make check SAN=1).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -v -s 1000000 -e trace=execve -o "$T/exec.$name" "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
}

@test "no secret on argv, in the environment, on stdout or stderr, or in any file but its own 0600 one" {
	command -v strace >/dev/null || skip "strace is not installed (scripts/bootstrap installs it)"
	hs_challenge
	traced respond ss-attest-handshake respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	traced verify ss-attest-handshake verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/cp" <"$T/respond.out"
	traced finish ss-attest-handshake finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key" \
		--state "$T/runner" <"$T/verify.out"
	traced derive ss-derive-key --session "$T/verify.out" --cp-pub "$HS/cp.pub" \
		--session-secret "$T/runner.key" --secret-out "$T/exec.pem" <"$HS/exec.json"
	traced derive-aes ss-derive-key --session "$T/verify.out" --cp-pub "$HS/cp.pub" \
		--session-secret "$T/runner.key" --kind aes-256 --purpose disk --secret-out "$T/disk.key" \
		<"$HS/exec.json"
	install -m 600 /dev/null "$T/fd.key"
	traced derive-fd bash -c 'ss-derive-key --session "$1" --cp-pub "$2" --session-secret "$3" \
		--kind raw --purpose fd --secret-fd 3 <"$4" 3>"$5"' _ "$T/verify.out" "$HS/cp.pub" \
		"$T/runner.key" "$HS/exec.json" "$T/fd.key"
	cat >"$T/vm.yaml" <<-YAML
	type: ss.vm.v1
	execution: $(cat "$HS/exec.json")
	boot-source: {kernel_image_path: $HS/vmlinux}
	machine-config: {vcpu_count: 1, mem_size_mib: 128}
	drives: [{drive_id: rootfs, path_on_host: $HS/rootfs.ext4, is_root_device: true, is_read_only: true}]
	network-interfaces: [{iface_id: eth0, host_dev_name: tap0}]
	mmds-config: {network_interfaces: [eth0]}
	YAML
	FAKE_FC_RECORD="$T/fc.jsonl" FAKE_FC_EXIT_AFTER_START=100:0 traced launch \
		ss-fc-launch --vm "$T/vm.yaml" --cp-pub "$HS/cp.pub" --session "$T/verify.out" \
		--key "$T/derive.out" --key-secret "$T/exec.pem" --state "$T/runner" --firecracker "$FAKE_FC" \
		--api-sock "$T/api.sock" --wait </dev/null
	traced telemetry ss-fc-launch verify-telemetry --key "$T/derive.out" <"$T/launch.out"
	# The isolation check over everything the flow left: the session, its key
	# records, the launch's telemetry; then with the key record claimed by
	# another execution, so that a key id shows in an example.
	cat "$T/verify.out" "$T/derive.out" "$T/derive-aes.out" "$T/launch.out" >"$T/records.jsonl"
	jq -c '.execution_id = "exec-other"' "$T/derive.out" >"$T/reused.jsonl"
	traced collide ss-collision-check "$T/records.jsonl"
	traced collide-reuse ss-collision-check --max-examples 1000 "$T/records.jsonl" "$T/reused.jsonl" ||
		[ $? -eq 1 ]
	[ "$(jq -r .approved "$T/verify.out")" = true ] && [ -s "$T/launch.out" ] &&
		grep -q '"PUT","path":"/mmds"\|"path": "/mmds"' "$T/fc.jsonl"

	# ss-collision-check shows key ids and bindings, never a key: its
	# examples' values are the records' ids and hashes, and no public key
	# either (the secret bytes themselves are looked for below).
	[ "$(jq -r .passed "$T/collide.out")" = true ]
	[ "$(jq -r '.examples[] | select(.kind == "key_reuse") | .value' "$T/collide-reuse.out")" = \
		"$(jq -r .key_id "$T/derive.out")" ]
	jq -e '[.examples[].value | test("^[0-9a-f]{32}$|^[0-9a-f]{64}$|^[A-Za-z0-9._:-]+$")] | all' \
		"$T/collide-reuse.out" >/dev/null
	local pem
	for f in derive derive-aes; do
		pem=$(jq -r '.public_key_pem // empty' "$T/$f.out" | grep -v -- '-----' | tr -d '\n')
		[ -z "$pem" ] && continue
		if grep -qF "${pem:0:40}" "$T/collide.out" "$T/collide-reuse.out" "$T/collide.err" \
			"$T/collide-reuse.err"; then
			echo "ss-collision-check printed the public key of $f" >&2
			return 1
		fi
	done
	# The secrets, each in its own file, owner-only; the two sides agree.
	cmp "$T/cp.key" "$T/runner.key"
	local f
	for f in cp.key runner.key exec.pem disk.key; do
		[ "$(stat -c %a "$T/$f")" = 600 ] || { echo "$f is not 0600" >&2; return 1; }
	done
	mkdir "$T/secrets"
	mv "$T/cp.key" "$T/runner.key" "$T/exec.pem" "$T/disk.key" "$T/fd.key" "$T/secrets/"
	# Everything else: exec logs, outputs, both state directories, the
	# VMM's record of what it got (the MMDS contents among it).
	run "$SS_PYTHON" "$SS_TOP/tests/lib/find_secrets.py" session="$T/secrets/cp.key" \
		ed25519="$T/secrets/exec.pem" aes="$T/secrets/disk.key" raw="$T/secrets/fd.key" -- \
		$(find "$T" -type f ! -path "$T/secrets/*")
	[ "$status" -eq 0 ] || { echo "secret bytes found:" >&2; echo "$output" >&2; return 1; }
	# The scan finds what it looks for: the secrets' own files hold them.
	run "$SS_PYTHON" "$SS_TOP/tests/lib/find_secrets.py" session="$T/secrets/cp.key" \
		ed25519="$T/secrets/exec.pem" -- "$T/secrets/runner.key" "$T/secrets/exec.pem"
	assert_failure 1
	[[ "$output" == *"runner.key: session as raw"* && "$output" == *"exec.pem: ed25519 as PEM body"* ]]
	# And what the exec logs hold is what they should: the tools' argv.
	grep -q 'execve(".*ss-attest-handshake", \["ss-attest-handshake", "verify"' "$T/exec.verify"
	grep -q 'execve("[^"]*firecracker"' "$T/exec.launch"
}

# blocked_tool PID: wait until PID runs a tool (exec done) and sleeps.
blocked_tool() {
	local i comm st
	for i in $(seq 1 300); do
		comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
		st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
		[[ "$comm" == ss-* && "$st" == S ]] && { sleep 0.1; return 0; }
		sleep 0.01
	done
	return 1
}

@test "no tool can dump core: RLIMIT_CORE 0 and not dumpable, read from /proc of each running tool" {
	local d t pid owner runas=() want_owner=0 control
	d=$(mktemp -d /tmp/ss-core.XXXXXX)
	chmod 755 "$d"
	cp "$HS/cp.pub" "$d/cp.pub"
	head -c 32 /dev/urandom >"$d/root" && chmod 600 "$d/root"
	ss-derive-key --root-secret "$d/root" <"$HS/exec.json" >"$d/key.json"
	chmod 644 "$d/key.json" "$d/cp.pub"
	mkfifo -m 666 "$d/in"
	exec 5<>"$d/in"
	# A process that is not dumpable has its /proc files owned by root: seen
	# from a process of another user (as root, the tools run as nobody).
	if [ "$(id -u)" -eq 0 ]; then
		runas=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		chown 65534:65534 "$d/root"
	fi
	# The check can tell: a dumpable process (cat) shows its own owner.
	"${runas[@]}" cat <&5 >/dev/null &
	control=$!
	sleep 0.2
	owner=$(stat -c %u "/proc/$control/status")
	kill "$control"
	wait "$control" 2>/dev/null || true
	[ "$owner" -ne 0 ] || { echo "a dumpable process shows as root's: the check cannot tell" >&2; return 1; }
	for t in "ss-tpm-identity activate --cp-pub $d/cp.pub" \
		"ss-attest-handshake verify-quote --batch --jobs 1" \
		"ss-derive-key --root-secret $d/root" \
		"ss-fc-launch verify-telemetry --key $d/key.json" \
		"ss-collision-check --jobs 1" "ss-collision-check merge"; do
		# shellcheck disable=SC2086
		"${runas[@]}" $t <&5 >/dev/null 2>&1 &
		pid=$!
		blocked_tool "$pid" || { echo "$t did not start" >&2; return 1; }
		grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" ||
			{ echo "$t: $(grep core "/proc/$pid/limits")" >&2; kill "$pid"; return 1; }
		owner=$(stat -c %u "/proc/$pid/status")
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		[ "$owner" -eq 0 ] || { echo "$t is dumpable (its /proc is owned by $owner)" >&2; return 1; }
	done
	exec 5<&-
	rm -rf "$d"
}
