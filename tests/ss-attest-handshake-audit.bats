#!/usr/bin/env bats
# The audit log of a real control plane (enrollment and verifies on a
# private swtpm) is a hash chain: each line's prev is the SHA-256 of the
# line before it as stored, checked here with sha256sum, not the code under
# test.  `audit` lists it filtered, checking each link; `audit --check`
# names the first line that an edit, a removal, a move or a cut breaks.

load lib/common
load lib/swtpm
load lib/handshake

ZEROS=0000000000000000000000000000000000000000000000000000000000000000

# A log of six lines: the enrollment's two, three approvals, one replay.
setup_file() {
	hs_suite_init || return 1
	T=$BATS_FILE_TMPDIR/log
	mkdir -p "$T"
	cp -a "$HS/cp" "$T/cp"
	cp -a "$HS/runner" "$T/runner"
	for i in 1 2 3; do
		hs_challenge && hs_respond &&
			hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" \
				--session-secret-out "$T/k$i" --state "$T/cp" <"$T/ev.json" >/dev/null || return 1
	done
	local rc=0
	hs verify --key "$HS/cp.pem" --policy "$HS/policy.yaml" --session-secret-out "$T/k4" \
		--state "$T/cp" <"$T/ev.json" >/dev/null 2>&1 || rc=$?
	[ $rc -eq 1 ] || return 1
	export LOG_STATE="$BATS_FILE_TMPDIR/log-state"
	cp -a "$T/cp" "$LOG_STATE"
	tpm_snapshot enrolled
}
teardown_file() { swtpm_fini; }
setup() {
	tpm_restore enrolled
	T="$BATS_TEST_TMPDIR"
	rm -rf "$T/cp" "$T/runner"
	cp -a "$LOG_STATE" "$T/cp"
	cp -a "$HS/runner" "$T/runner"
	LOG=$T/cp/audit.jsonl
}
teardown() { assert_tpm_clean; }

# line_sha N: SHA-256 of line N of the log as stored, newline included.
line_sha() {
	sed -n "${1}p" "$LOG" | sha256sum | cut -c1-64
}

# summary_of LINES: the ss.audit-check.v1 of an intact log of LINES lines.
intact_summary() {
	jq -cn --arg first "$(sed -n 1p "$LOG" | jq -r .at)" --arg last "$(sed -n "${1}p" "$LOG" | jq -r .at)" \
		--arg sha "$(line_sha "$1")" --argjson n "$1" \
		'{type: "ss.audit-check.v1", intact: true, lines: $n, unchained_lines: 0,
		  first_at: $first, last_at: $last, last_sha256: $sha, broken_line: null, why: null}'
}

# broken_at LINE WHY: audit --check ended with status 1, named LINE and WHY
# on stderr, and printed the summary of the break.
broken_at() {
	run --separate-stderr hs audit --check --state "$T/cp"
	[ "$status" -eq 1 ] || { echo "status $status: $stderr" >&2; return 1; }
	assert_equal "$stderr" "ss-attest-handshake: audit log line $1: $2"
	echo "$output" >"$T/summary.json"
	validate_schema ss.audit-check.v1 "$T/summary.json"
	run jq -r '[.type, .intact, .lines, .broken_line, .why, .last_sha256] | map(tostring) | join("|")' <<<"$output"
	assert_output "ss.audit-check.v1|false|$(($1 - 1))|$1|$2|null"
}

@test "every line links to the one before it: prev is sha256sum of the previous line, zeros first" {
	[ "$(wc -l <"$LOG")" -eq 6 ]
	validate_schema ss.audit.v1 "$LOG" --lines
	[ "$(sed -n 1p "$LOG" | jq -r .prev)" = "$ZEROS" ]
	for n in 2 3 4 5 6; do
		[ "$(sed -n "${n}p" "$LOG" | jq -r .prev)" = "$(line_sha $((n - 1)))" ] ||
			{ echo "line $n does not link to line $((n - 1))" >&2; return 1; }
	done
	# prev is the line's last member: the rest of it is what it was before.
	sed -n 4p "$LOG" | grep -qE ',"prev":"[0-9a-f]{64}"}$'
	run cat "$T/cp/audit.head"
	assert_output "{\"lines\":6,\"size\":$(stat -c %s "$LOG"),\"sha256\":\"$(line_sha 6)\"}"
}

@test "audit --check: an intact log is status 0 and a summary naming the last line's hash" {
	run --separate-stderr hs audit --check --state "$T/cp"
	assert_success
	[ -z "$stderr" ]
	assert_output "$(intact_summary 6)"
	validate_schema ss.audit-check.v1 <(echo "$output")
	# A verify later, the chain goes on from that line.
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	[ "$(sed -n 7p "$LOG" | jq -r .prev)" = "$(line_sha 6)" ]
	run --separate-stderr hs audit --check --state "$T/cp"
	assert_success
	assert_output "$(intact_summary 7)"
}

@test "an edited line is caught at the next line, whose link it breaks" {
	sed -i '3s/"decision":"approved"/"decision":"denied"/' "$LOG"
	[ "$(sed -n 3p "$LOG" | jq -r .decision)" = denied ]
	broken_at 4 "'prev' is not the SHA-256 of line 3 (line 3 was changed, or lines were removed or moved)"
}

@test "an edited last line is caught by the head" {
	sed -i '6s/"reason":"challenge_reused"/"reason":"approved"/' "$LOG"
	broken_at 6 "not the line audit.head records (the log up to it was rewritten)"
}

@test "a deleted line is caught where it is missing" {
	sed -i 2d "$LOG"
	broken_at 2 "'prev' is not the SHA-256 of line 1 (line 1 was changed, or lines were removed or moved)"
	sed -i 1d "$T/cp/audit.jsonl"
	broken_at 1 "'prev' is not the chain's anchor (64 zeros): lines before it were removed"
}

@test "two lines swapped are caught at the first of them" {
	{ sed -n 1,3p "$LOG"; sed -n 5p "$LOG"; sed -n 4p "$LOG"; sed -n 6p "$LOG"; } >"$T/swapped"
	cp "$T/swapped" "$LOG"
	broken_at 4 "'prev' is not the SHA-256 of line 3 (line 3 was changed, or lines were removed or moved)"
}

@test "a log cut at its end, or inside a line, is caught at the line that is missing or cut" {
	head -n 5 "$LOG" >"$T/cut" && cp "$T/cut" "$LOG"
	broken_at 6 "missing: audit.head records 6 lines, the log has 5 (lines were cut from its end)"
	rm -rf "$T/cp" && cp -a "$LOG_STATE" "$T/cp"
	truncate -s $(($(head -n 4 "$LOG" | wc -c) + 20)) "$LOG"
	broken_at 5 "incomplete: no newline at its end (the log was cut inside it)"
	# Decisions still go on, linked to what is there, and the break stays.
	rm -rf "$T/cp" && cp -a "$LOG_STATE" "$T/cp"
	head -n 5 "$LOG" >"$T/cut" && cp "$T/cut" "$LOG"
	hs_challenge
	hs_respond
	hs_verify "$T/ev.json"
	assert_success
	[ "$(sed -n 6p "$LOG" | jq -r .prev)" = "$(line_sha 5)" ]
	broken_at 6 "not the line audit.head records (the log up to it was rewritten)"
}

@test "audit lists the lines as stored, filtered, each one's link checked" {
	run --separate-stderr hs audit --state "$T/cp"
	assert_success
	[ -z "$stderr" ]
	assert_output "$(cat "$LOG")"
	run --separate-stderr hs audit --decision denied --state "$T/cp"
	assert_success
	assert_output "$(sed -n 6p "$LOG")"
	[ "$(jq -r .reason <<<"$output")" = challenge_reused ]
	run --separate-stderr hs audit --event enroll-challenge --event enroll-verify --state "$T/cp"
	assert_output "$(sed -n 1,2p "$LOG")"
	run --separate-stderr hs audit --event verify --decision approved --runner runner-1 --state "$T/cp"
	assert_output "$(sed -n 3,5p "$LOG")"
	echo "$output" >"$T/listed"
	validate_schema ss.audit.v1 "$T/listed" --lines
	run --separate-stderr hs audit --runner runner-2 --state "$T/cp"
	assert_success
	assert_output ""
	run --separate-stderr hs audit --since 2099-01-01T00:00:00Z --state "$T/cp"
	assert_success
	assert_output ""
	run --separate-stderr hs audit --since 1h --decision approved --state "$T/cp"
	assert_output "$(sed -n 3,5p "$LOG")"
	# --since TIME keeps lines at or after that second.
	run --separate-stderr hs audit --since "$(sed -n 6p "$LOG" | jq -r .at)" --decision denied --state "$T/cp"
	assert_output "$(sed -n 6p "$LOG")"
}

@test "audit stops at the first broken link: the lines before it, then status 1" {
	sed -i '4s/"decision":"approved"/"decision":"denied"/' "$LOG"
	run --separate-stderr hs audit --state "$T/cp"
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "ss-attest-handshake: audit log line 5: 'prev' is not the SHA-256 of line 4 (line 4 was changed, or lines were removed or moved)"
	assert_output "$(sed -n 1,4p "$LOG")"
	run --separate-stderr hs audit --decision approved --state "$T/cp"
	[ "$status" -eq 1 ]
	assert_output "$(sed -n 3p "$LOG")"
}

@test "a state directory without a log: nothing listed, an empty intact summary" {
	run --separate-stderr hs audit --state "$T/empty"
	assert_success
	assert_output ""
	run --separate-stderr hs audit --check --state "$T/empty"
	assert_success
	assert_output '{"type":"ss.audit-check.v1","intact":true,"lines":0,"unchained_lines":0,"first_at":null,"last_at":null,"last_sha256":null,"broken_line":null,"why":null}'
}

@test "audit: wrong command lines are usage errors" {
	t=ss-attest-handshake
	run --separate-stderr $t audit --since yesterday
	assert_failure_exact 2 "$t: --since: 'yesterday' is not a time (2026-11-25T18:00:00Z) or an age (90s, 15m, 2h, 7d)"
	run --separate-stderr $t audit --since 2026-11-25T18:00:00
	assert_failure_exact 2 "$t: --since: '2026-11-25T18:00:00' is not a time (2026-11-25T18:00:00Z) or an age (90s, 15m, 2h, 7d)"
	run --separate-stderr $t audit --since 0x10h
	assert_failure_exact 2 "$t: --since: '0x10h' is not a time (2026-11-25T18:00:00Z) or an age (90s, 15m, 2h, 7d)"
	run --separate-stderr $t audit --decision approve
	assert_failure_exact 2 "$t: --decision: 'approve' is not one of issued, enrolled, revoked, approved, denied, refused, aborted"
	run --separate-stderr $t audit --event verfy
	assert_failure_exact 2 "$t: --event: 'verfy' is not one of verify, enroll-challenge, enroll-verify, revoke"
	run --separate-stderr $t audit --runner 'runner 1'
	assert_failure_exact 2 "$t: --runner: 'runner 1' is not an identifier ([A-Za-z0-9._:-]{1,128})"
	run --separate-stderr $t audit --check --decision denied
	assert_failure_exact 2 "$t: --check reads the whole log: no --since, --runner, --decision or --event"
	run --separate-stderr $t audit --since 1h --since 2h
	assert_failure_exact 2 "$t: option '--since' given more than once"
	run --separate-stderr $t audit extra
	assert_failure_exact 2 "$t: unexpected argument 'extra'"
}
