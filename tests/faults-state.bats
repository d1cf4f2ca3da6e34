#!/usr/bin/env bats
# Broken surroundings: a standard output that cannot be written, a state
# directory that is read-only or full, two verifiers racing for one
# challenge, and a state directory left by a crash in the middle of a write.
# (A TPM that dies mid-command: faults-tpm.bats; SIGTERM in the middle of a
# launch: ss-fc-launch-failures.bats.)

load lib/common
load lib/swtpm
load lib/handshake

setup_file() {
	hs_suite_init || return 1
	head -c 32 /dev/urandom >"$HS/root.key" && chmod 600 "$HS/root.key"
}
teardown_file() { swtpm_fini; }
setup() {
	hs_test_setup
	MOUNTS=()
}
teardown() {
	local m
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done
	assert_tpm_clean
}

# one_line PROG: the last run printed nothing and one line "PROG: ...".
one_line() {
	[ -z "$output" ] || { echo "stdout: $output" >&2; return 1; }
	[[ "$stderr" == "$1: "?* && "$stderr" != *$'\n'* ]] || { echo "stderr: $stderr" >&2; return 1; }
}

# ---- standard output that cannot be written -----------------------------

# to_full NAME CMD...: run CMD with standard output on /dev/full; it must
# end in exit 6 with "PROG: write standard output: ..." - never success.
to_full() {
	local name=$1
	shift
	run --separate-stderr bash -c '"$@" >/dev/full' _ "$@"
	[ "$status" -eq 6 ] && [[ "$stderr" == ss-*": "*"standard output"*"No space left on device" ]] &&
		[[ "$stderr" != *$'\n'* ]] ||
		FULL_WRONG+=$'\n'"  $name: status $status: $stderr"
}

@test "/dev/full: every command that prints ends in exit 6 with one line, never in success" {
	local id qd
	FULL_WRONG=""
	id=$(jq -r .ak.name "$HS/id.json")
	qd=$(openssl rand -hex 32)
	hs enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
		--state "$T/cp" >"$T/cch.json"
	ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/cch.json" >"$T/cresp.json"
	hs_challenge
	hs_respond
	tpm2_readpublic -c 0x8100a001 -o "$T/ak.tpm2b" >/dev/null
	tpm2_quote -Q -c 0x8100a001 -l sha256:0,1 -q "$qd" -m "$T/q.msg" -s "$T/q.sig" -o "$T/q.pcrs"
	tpm2_flushcontext -t >/dev/null

	to_full enroll ss-tpm-identity enroll --runner-id runner-1 --state "$T/runner"
	to_full show ss-tpm-identity show --state "$T/runner"
	to_full pcrs ss-tpm-identity pcrs --pcrs sha256:0-7
	to_full quote ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data "$qd"
	to_full ak-pub ss-tpm-identity ak-pub
	to_full activate bash -c 'ss-tpm-identity activate --cp-pub "$1" --state "$2" <"$3"' _ \
		"$HS/cp.pub" "$T/runner" "$T/cch.json"
	to_full enroll-challenge ss-attest-handshake enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" \
		--ek-ca "$SWTPM_CA_BUNDLE" --state "$T/cp"
	to_full enroll-verify bash -c 'ss-attest-handshake enroll-verify --key "$1" --state "$2" <"$3"' _ \
		"$HS/cp.pem" "$T/cp" "$T/cresp.json"
	to_full enrollments ss-attest-handshake enrollments --state "$T/cp"
	to_full challenge ss-attest-handshake challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/cp"
	to_full policy ss-attest-handshake policy --pcrs sha256:0-7
	to_full verify-quote ss-attest-handshake verify-quote --ak-pub "$T/ak.tpm2b" --attest "$T/q.msg" --sig "$T/q.sig" \
		--pcrs "$T/q.pcrs" --qualifying-data "$qd"
	jq -cn --arg ak "$(base64 -w0 "$T/ak.tpm2b")" --arg a "$(base64 -w0 "$T/q.msg")" \
		--arg s "$(base64 -w0 "$T/q.sig")" --arg q "$qd" \
		'{ak_public_b64: $ak, attest_b64: $a, signature_b64: $s, qualifying_data: $q}' >"$T/q.jsonl"
	to_full verify-quote-batch bash -c 'ss-attest-handshake verify-quote --batch <"$1"' _ "$T/q.jsonl"
	to_full gc ss-attest-handshake gc --state "$T/cp"
	to_full derive bash -c 'ss-derive-key --root-secret "$1" <"$2"' _ "$HS/root.key" "$HS/exec.json"
	to_full derive-batch bash -c 'ss-derive-key --root-secret "$1" --batch <"$2"' _ "$HS/root.key" \
		"$HS/exec.json"
	hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/cp" >"$T/ch2.json"
	to_full respond bash -c 'ss-attest-handshake respond --cp-pub "$1" --state "$2" <"$3"' _ \
		"$HS/cp.pub" "$T/runner" "$T/ch2.json"
	# What was not delivered is kept where an operator finds it: the
	# evidence in the runner's pending record (the challenge stays answered,
	# once, ever), the signed session in the control plane's decision.
	id=$(jq -r .challenge_id "$T/ch2.json")
	[ "$(jq -r .evidence.challenge_id "$T/runner/runner-pending/$id")" = "$id" ]
	to_full verify bash -c 'ss-attest-handshake verify --key "$1" --policy "$2" \
		--session-secret-out "$3" --state "$4" <"$5"' _ "$HS/cp.pem" "$HS/policy.yaml" \
		"$T/cp.key" "$T/cp" "$T/ev.json"
	id=$(jq -r .challenge_id "$T/ch.json")
	[ "$(jq -r .session.approved "$T/cp/decisions/$id")" = true ]
	[ -z "$FULL_WRONG" ] || { echo "these did not end in exit 6:$FULL_WRONG" >&2; return 1; }
}

# ---- a state directory that is read-only or full --------------------------

# mount_tmpfs DIR SIZE: a private tmpfs there, unmounted by teardown.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0700" ss-test "$1" 2>/dev/null ||
		skip "mounting a tmpfs needs root (CI runs as root): these faults are not exercised here"
	MOUNTS+=("$1")
}

# no_temporaries DIR...: no file of an interrupted atomic write.
no_temporaries() {
	local left
	left=$(find "$@" -name '*.tmp-*')
	[ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}

@test "a read-only state directory: exit 6 with one line, nothing printed, nothing consumed" {
	hs_challenge
	hs_respond
	mount_tmpfs "$T/ro-cp" 4m
	mount_tmpfs "$T/ro-runner" 4m
	cp -a "$T/cp/." "$T/ro-cp/" && cp -a "$T/runner/." "$T/ro-runner/"
	mount -o remount,ro "$T/ro-cp" && mount -o remount,ro "$T/ro-runner"
	id=$(jq -r .challenge_id "$T/ch.json")

	run --separate-stderr hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/ro-cp"
	assert_equal "$status" 6
	one_line ss-attest-handshake
	[[ "$stderr" == *"Read-only file system" ]]
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/ro-cp" <"$T/ev.json"
	assert_equal "$status" 6
	one_line ss-attest-handshake
	[ ! -e "$T/cp.key" ] && no_temporaries "$T"
	[ -f "$T/ro-cp/challenges/$id" ] && [ ! -e "$T/ro-cp/consumed/$id" ]
	hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/cp" >"$T/ch2.json"
	run --separate-stderr hs respond --cp-pub "$HS/cp.pub" --state "$T/ro-runner" <"$T/ch2.json"
	assert_equal "$status" 6
	one_line ss-attest-handshake
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --state "$T/ro-runner"
	assert_equal "$status" 6
	one_line ss-tpm-identity
	# The same state, writable again, is whole: the evidence is approved.
	hs_verify "$T/ev.json"
	assert_success
}

@test "a full state directory: exit 6 with one line, no partial record; once space is back, all goes on" {
	hs_challenge
	hs_respond
	mount_tmpfs "$T/full" 1m
	cp -a "$T/cp/." "$T/full/"
	dd if=/dev/zero of="$T/full/filler" bs=4k 2>/dev/null || true
	id=$(jq -r .challenge_id "$T/ch.json")

	run --separate-stderr hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/full"
	assert_equal "$status" 6
	one_line ss-attest-handshake
	[[ "$stderr" == *"No space left on device" ]]
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/full" <"$T/ev.json"
	assert_equal "$status" 6
	one_line ss-attest-handshake
	[ ! -e "$T/cp.key" ]
	no_temporaries "$T/full" "$T"
	[ -f "$T/full/challenges/$id" ] && [ ! -e "$T/full/consumed/$id" ]
	rm "$T/full/filler"
	run --separate-stderr hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
		--session-secret-out "$T/cp.key" --state "$T/full" <"$T/ev.json"
	assert_success
	[ "$(jq -r .approved <<<"$output")" = true ]
}

# ---- two verifiers, one challenge ----------------------------------------

@test "two verifies race for one challenge, 100 rounds: each round exactly one consumes it" {
	local round a b
	hs_challenge
	hs_respond
	for round in $(seq 1 100); do
		hs challenge --key "$HS/cp.pem" --execution "$HS/exec.json" --state "$T/cp" >"$T/c.json"
		# Evidence for this challenge id (its quote answers another one: the
		# winner is denied binding_mismatch, which consumes it all the same).
		jq -c --arg id "$(jq -r .challenge_id "$T/c.json")" '.challenge_id = $id' "$T/ev.json" >"$T/e.json"
		for i in 1 2; do
			hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$T/k$i" \
				--state "$T/cp" <"$T/e.json" >"$T/s$i" 2>/dev/null &
		done
		wait
		a=$(jq -r .reason "$T/s1") b=$(jq -r .reason "$T/s2")
		[ "$(printf '%s\n' "$a" "$b" | sort | tr '\n' ' ')" = "binding_mismatch challenge_reused " ] ||
			{ echo "round $round: $a / $b" >&2; return 1; }
	done
	[ ! -e "$T/k1" ] && [ ! -e "$T/k2" ]
	[ "$(jq -r 'select(.event == "verify") | .reason' "$T/cp/audit.jsonl" | grep -c binding_mismatch)" -eq 100 ]
}

# ---- a crash in the middle of a write --------------------------------------

WRITES=openat,write,writev,pwrite64,fsync,fdatasync,syncfs,link,linkat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,ftruncate,fchmod

# crash_points IN CMD...: CMD once under strace, standard input from IN;
# the points where it changes files ("SYSCALL N ...",
# tests/lib/crash_points.py) in $T/points.
crash_points() {
	local in=$1
	shift
	command -v strace >/dev/null || skip "strace is not installed (scripts/bootstrap installs it)"
	# LeakSanitizer cannot run under ptrace (make check SAN=1).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -o "$T/trace" -e trace="$WRITES" "$@" <"$in" >/dev/null || return 1
	"$SS_PYTHON" "$SS_TOP/tests/lib/crash_points.py" "$T/trace" >"$T/points"
	[ -s "$T/points" ]
}

# crash_at SYSCALL N IN CMD...: CMD (standard input from IN) killed
# (SIGKILL) as it enters its Nth SYSCALL.
crash_at() {
	local sys=$1 n=$2 in=$3
	shift 3
	# In a subshell, so that no "Killed" line of the shell's own shows.
	(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o /dev/null -e trace="$sys" -e inject="$sys:signal=SIGKILL:when=$n" "$@" \
		<"$in" >/dev/null 2>&1) 2>/dev/null && { echo "not killed at $sys $n" >&2; return 1; }
	return 0
}

# records_whole DIR: every record parses (the audit log line by line; a
# policy, kept byte for byte, hashes to its name), and what an interrupted
# write left is only temporary files.
records_whole() {
	local f
	while IFS= read -r f; do
		case $f in
		*.tmp-*) ;;
		*/audit.jsonl) jq -e . "$f" >/dev/null || { echo "torn audit log" >&2; return 1; } ;;
		*/.lock) ;;
		*/policies/*) [ "$(sha256sum <"$f" | cut -c1-64)" = "${f##*/}" ] ||
			{ echo "torn policy $f" >&2; return 1; } ;;
		*) jq -e . "$f" >/dev/null 2>&1 || { echo "torn record $f" >&2; return 1; } ;;
		esac
	done < <(find "$1" -type f)
}

# swept DIR: gc removes the temporary files once they are old.
swept() {
	find "$1" -name '*.tmp-*' -exec touch -d '2 hours ago' {} +
	run --separate-stderr hs gc --state "$1"
	assert_success
	no_temporaries "$1"
}

@test "verify killed at each of its writes: records whole, the challenge pending or consumed, a retry agrees, gc sweeps" {
	local sys n rest
	hs_challenge
	hs_respond
	id=$(jq -r .challenge_id "$T/ch.json")
	cp -a "$T/cp" "$T/cp.base"
	local verify=(ss-attest-handshake verify --key "$HS/cp.pem" --policy "$HS/policy.yaml"
		--session-secret-out "$T/cp.key" --state "$T/cp")
	crash_points "$T/ev.json" "${verify[@]}"
	echo "# verify: $(wc -l <"$T/points") points" >&3
	while read -r sys n rest; do
		rm -rf "$T/cp" "$T/cp.key" && cp -a "$T/cp.base" "$T/cp"
		crash_at "$sys" "$n" "$T/ev.json" "${verify[@]}"
		records_whole "$T/cp" || { echo "at $sys $n ($rest)" >&2; return 1; }
		if [ -e "$T/cp.key" ]; then
			[ "$(stat -c '%s %a' "$T/cp.key")" = "32 600" ] || { echo "at $sys $n: secret file" >&2; return 1; }
		fi
		rm -f "$T/cp.key"
		if [ -e "$T/cp/consumed/$id" ]; then
			hs_verify "$T/ev.json"
			reason_is challenge_reused "challenge '$id' was already used" || { echo "at $sys $n" >&2; return 1; }
		else
			[ -f "$T/cp/challenges/$id" ] || { echo "at $sys $n: challenge lost" >&2; return 1; }
			hs_verify "$T/ev.json"
			[ "$status" -eq 0 ] || { echo "at $sys $n: retry $status $stderr" >&2; return 1; }
		fi
		swept "$T/cp"
	done <"$T/points"
	# And the state goes on: a new challenge is answered and approved.
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
}

@test "finish killed at each of its writes: records whole; it finished (key gone) or a retry finishes" {
	local sys n rest
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	echo "$output" >"$T/session.json"
	id=$(jq -r .challenge_id "$T/ch.json")
	cp -a "$T/runner" "$T/runner.base"
	local finish=(ss-attest-handshake finish --cp-pub "$HS/cp.pub" --session-secret-out "$T/runner.key"
		--state "$T/runner")
	crash_points "$T/session.json" "${finish[@]}"
	echo "# finish: $(wc -l <"$T/points") points" >&3
	while read -r sys n rest; do
		rm -rf "$T/runner" "$T/runner.key" && cp -a "$T/runner.base" "$T/runner"
		crash_at "$sys" "$n" "$T/session.json" "${finish[@]}"
		records_whole "$T/runner" || { echo "at $sys $n ($rest)" >&2; return 1; }
		[ -e "$T/runner/runner-answered/$id" ] || { echo "at $sys $n: mark lost" >&2; return 1; }
		if [ -e "$T/runner.key" ]; then
			cmp "$T/runner.key" "$T/cp.key" || { echo "at $sys $n: another secret" >&2; return 1; }
		elif [ -e "$T/runner/runner-pending/$id" ]; then
			run --separate-stderr "${finish[@]}" <"$T/session.json"
			[ "$status" -eq 0 ] || { echo "at $sys $n: retry $status $stderr" >&2; return 1; }
			cmp "$T/runner.key" "$T/cp.key"
		fi
		swept "$T/runner"
	done <"$T/points"
}

@test "challenge and enroll-verify killed at each of their writes: records whole, a retry goes through" {
	local sys n rest
	cp -a "$T/cp" "$T/cp.base"
	local challenge=(ss-attest-handshake challenge --key "$HS/cp.pem" --execution "$HS/exec.json"
		--state "$T/cp")
	crash_points /dev/null "${challenge[@]}"
	echo "# challenge: $(wc -l <"$T/points") points" >&3
	while read -r sys n rest; do
		rm -rf "$T/cp" && cp -a "$T/cp.base" "$T/cp"
		crash_at "$sys" "$n" /dev/null "${challenge[@]}"
		records_whole "$T/cp" || { echo "at $sys $n ($rest)" >&2; return 1; }
		"${challenge[@]}" >/dev/null || { echo "at $sys $n: retry failed" >&2; return 1; }
		swept "$T/cp"
	done <"$T/points"

	hs enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
		--state "$T/cp.base" >"$T/cch.json"
	ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/cch.json" >"$T/cresp.json"
	id=$(jq -r .challenge_id "$T/cch.json")
	local enroll_verify=(ss-attest-handshake enroll-verify --key "$HS/cp.pem" --state "$T/cp")
	rm -rf "$T/cp" && cp -a "$T/cp.base" "$T/cp"
	crash_points "$T/cresp.json" "${enroll_verify[@]}"
	echo "# enroll-verify: $(wc -l <"$T/points") points" >&3
	while read -r sys n rest; do
		rm -rf "$T/cp" && cp -a "$T/cp.base" "$T/cp"
		crash_at "$sys" "$n" "$T/cresp.json" "${enroll_verify[@]}"
		records_whole "$T/cp" || { echo "at $sys $n ($rest)" >&2; return 1; }
		if [ -e "$T/cp/enroll-consumed/$id" ]; then
			run --separate-stderr "${enroll_verify[@]}" <"$T/cresp.json"
			[ "$status" -eq 1 ] || { echo "at $sys $n: replay $status $stderr" >&2; return 1; }
		else
			"${enroll_verify[@]}" <"$T/cresp.json" >/dev/null ||
				{ echo "at $sys $n: retry failed" >&2; return 1; }
		fi
		swept "$T/cp"
	done <"$T/points"
}
