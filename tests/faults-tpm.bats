#!/usr/bin/env bats
# The TPM dies in the middle of a command: tpm_dies_after (tests/lib/swtpm.bash)
# puts a proxy between the tool and the swtpm that lets N TPM commands
# through and kills the swtpm (SIGKILL) when the next one arrives.  For
# every N the command can reach: exit 4, one line, nothing on stdout, no
# state written halfway (no record, no temporary file, no claim kept), and
# once the TPM is back the same command succeeds.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() {
	hs_test_setup
	_swtpm_env
}
teardown() { assert_tpm_clean; }

# died PROG: the last run ended in exit 4 with one line from PROG and an
# empty stdout.
died() {
	[ "$status" -eq 4 ] || { echo "status $status (want 4): $stderr" >&2; return 1; }
	[ -z "$output" ] || { echo "stdout: $output" >&2; return 1; }
	[[ "$stderr" == "$1: "?* && "$stderr" != *$'\n'* ]] || { echo "stderr: $stderr" >&2; return 1; }
}

# no_temporaries DIR: no file of an interrupted atomic write.
no_temporaries() {
	local left
	left=$(find "$1" -name '*.tmp-*')
	[ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}

# commands_of CMD...: how many TPM commands CMD sends when nothing fails.
commands_of() {
	tpm_dies_after -1 "$@"
	[ "$status" -eq 0 ] || { echo "status $status: $stderr" >&2; return 1; }
	N=$TPM_COMMANDS
	[ "$N" -gt 0 ]
}

# killed_at K: after tpm_dies_after K: true when the TPM died under the
# command, false when the command had done with fewer commands (a count
# may vary by one between runs, a session flushed or not) - then it must
# have succeeded, and K must be at the end of the count.
killed_at() {
	[ "$status" -eq 0 ] || return 0
	[ "$1" -ge $((N - 2)) ] || { echo "succeeded with the TPM killed at command $1 of $N" >&2; exit 1; }
	return 1
}

@test "the TPM dies at each command of enroll: exit 4, no identity kept, enroll then succeeds" {
	tpm_restore pristine
	commands_of ss-tpm-identity enroll --runner-id runner-9 --state "$T/count"
	echo "# enroll: $N TPM commands" >&3
	local k
	for k in $(seq 0 $((N - 1))); do
		tpm_restore pristine
		rm -rf "$T/r"
		tpm_dies_after "$k" ss-tpm-identity enroll --runner-id runner-9 --state "$T/r"
		killed_at "$k" || break
		died ss-tpm-identity || { echo "after $k commands" >&2; return 1; }
		[ ! -e "$T/r/runner/identity" ] || { echo "after $k: an identity was kept" >&2; return 1; }
		no_temporaries "$T/r"
		# The TPM is back (what it persisted before dying, it kept).
		run --separate-stderr ss-tpm-identity enroll --runner-id runner-9 --state "$T/r"
		[ "$status" -eq 0 ] || { echo "after $k, enroll again: $status $stderr" >&2; return 1; }
		cmp <(echo "$output" | jq -S 'del(.created_at)') \
			<(ss-tpm-identity show --state "$T/r" | jq -S 'del(.created_at)')
	done
}

@test "the TPM dies at each command of quote: exit 4, nothing printed; quote then succeeds" {
	commands_of ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data 0011
	echo "# quote: $N TPM commands" >&3
	local k
	for k in $(seq 0 $((N - 1))); do
		# A TPM that stops without an orderly shutdown while an authorization
		# is in use counts a dictionary-attack failure: each round starts
		# from the saved TPM, or a few crashes in a row lock the AK out.
		tpm_restore enrolled
		tpm_dies_after "$k" ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data 0011
		killed_at "$k" || break
		died ss-tpm-identity || { echo "after $k commands" >&2; return 1; }
		run --separate-stderr ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data 0011
		assert_success
		[ "$(jq -r .type <<<"$output")" = ss.quote.v1 ]
	done
}

@test "the TPM dies at each command of activate: exit 4, runner state untouched; activate then succeeds" {
	hs enroll-challenge --key "$HS/cp.pem" --identity "$HS/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
		--state "$T/cp" >"$T/cch.json"
	cp -a "$T/runner" "$T/runner.before"
	commands_of ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/cch.json"
	echo "# activate: $N TPM commands" >&3
	local k
	for k in $(seq 0 $((N - 1))); do
		tpm_restore enrolled
		rm -rf "$T/runner" && cp -a "$T/runner.before" "$T/runner"
		tpm_dies_after "$k" ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" \
			<"$T/cch.json"
		killed_at "$k" || break
		died ss-tpm-identity || { echo "after $k commands" >&2; return 1; }
		diff -r "$T/runner.before" "$T/runner"
	done
	# Once the TPM is back, the same challenge activates and enrolls.
	tpm_restore enrolled
	rm -rf "$T/runner" && cp -a "$T/runner.before" "$T/runner"
	ss-tpm-identity activate --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/cch.json" >"$T/cresp.json"
	run --separate-stderr hs enroll-verify --key "$HS/cp.pem" --state "$T/cp" <"$T/cresp.json"
	assert_success
}

@test "the TPM dies at each command of respond: exit 4, the claim given back; respond then succeeds" {
	hs_challenge
	id=$(jq -r .challenge_id "$T/ch.json")
	cp -a "$T/runner" "$T/runner.before"
	commands_of hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
	echo "# respond: $N TPM commands" >&3
	local k
	for k in $(seq 0 $((N - 1))); do
		tpm_restore enrolled
		rm -rf "$T/runner" && cp -a "$T/runner.before" "$T/runner"
		tpm_dies_after "$k" hs respond --cp-pub "$HS/cp.pub" --state "$T/runner" <"$T/ch.json"
		killed_at "$k" || break
		died ss-attest-handshake || { echo "after $k commands" >&2; return 1; }
		[ ! -e "$T/runner/runner-answered/$id" ] && [ ! -e "$T/runner/runner-pending/$id" ] ||
			{ echo "after $k: the challenge stays claimed" >&2; return 1; }
		no_temporaries "$T/runner"
	done
	# The challenge was never answered: respond and verify go through (on a
	# TPM stopped in order, whose clock is safe).
	tpm_restore enrolled
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	[ "$(jq -r .approved <<<"$output")" = true ]
}
