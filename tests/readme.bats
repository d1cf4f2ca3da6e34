#!/usr/bin/env bats
# The README's "Getting started" walkthrough, run as it is written: its
# fenced sh blocks between the walkthrough markers, in order, in an empty
# directory, against a private swtpm that the walkthrough itself starts as an
# ordinary user (as root, the test runs it as nobody), so that the README
# cannot drift from the tools.

load lib/common
load lib/swtpm

# walkthrough README: the sh blocks between the markers, concatenated.
walkthrough() {
	awk '/^<!-- walkthrough: begin -->$/ {on = 1; next}
	     /^<!-- walkthrough: end -->$/ {on = 0}
	     on && /^```sh$/ {code = 1; next}
	     code && /^```$/ {code = 0; next}
	     code' "$1"
}

setup() {
	W=$(mktemp -d /tmp/ss-walkthrough.XXXXXX)
	chmod 755 "$W"
	mkdir "$W/home" "$W/work"
	walkthrough "$SS_TOP/README.md" >"$W/walkthrough.sh"
}

teardown() {
	# A walkthrough that failed before its last step leaves its swtpm.
	[ -f "$W/work/swtpm/pid" ] && kill "$(cat "$W/work/swtpm/pid")" 2>/dev/null
	rm -rf "$W"
}

@test "the README walkthrough has its blocks: TPM, key pair, CA bundle, enrollment, policy, handshake, keys, stop" {
	[ "$(grep -c '^```sh$' <(sed -n '/^<!-- walkthrough: begin -->$/,/^<!-- walkthrough: end -->$/p' "$SS_TOP/README.md"))" -eq 8 ]
	run grep -c . "$W/walkthrough.sh"
	[ "$output" -gt 30 ]
	# Names agree with every other example: cp.pem is the private key, cp.pub the public one.
	run grep -n -- '--cp-pub cp.pem' "$SS_TOP/README.md" "$SS_TOP"/man/*
	assert_failure
	grep -q -- '--cp-pub cp.pub' "$W/walkthrough.sh"
	grep -q -- '--allow-simulator' "$W/walkthrough.sh"
}

@test "the README walkthrough runs verbatim, as an ordinary user: the same key on both sides" {
	local port as=()
	port=$(_swtpm_pick_ports)
	if [ "$(id -u)" -eq 0 ]; then
		chown -R nobody:nogroup "$W/home" "$W/work"
		as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	fi
	cd "$W/work"
	run --separate-stderr "${as[@]}" env -i PATH="$SS_BUILD/bin:/usr/bin:/bin" HOME="$W/home" \
		SWTPM_PORT="$port" bash -euo pipefail "$W/walkthrough.sh"
	[ "$status" -eq 0 ] || { echo "status $status; stderr: $stderr" >&2; return 1; }
	assert_equal "$stderr" ""
	[[ "${lines[-1]}" =~ ^both\ sides\ hold\ key\ [0-9a-f]{32}$ ]] || { echo "stdout: $output" >&2; return 1; }
	[ "$(jq -r '[.approved, .reason, .execution_id] | join(" ")' session.json)" = "true approved exec-42" ]
	cmp cp-session.key runner-session.key
	[ "$(jq -r .key_id cp-key.json)" = "$(jq -r .key_id runner-key.json)" ]
	validate_schema ss.session.v1 session.json
	validate_schema ss.key.v1 runner-key.json
	validate_schema ss.enrollment.v1 enrollment.json
	# It ran as that user, and its swtpm is gone.
	[ "$(stat -c %U cp.pem)" = "$( [ ${#as[@]} -gt 0 ] && echo nobody || id -un)" ]
	[ "$(stat -c %a cp.pem)" = 600 ]
	# (swtpm removes its pid file as it exits)
	local i
	for i in $(seq 50); do [ -e swtpm/pid ] || break; sleep 0.1; done
	[ ! -e swtpm/pid ]
}
