#!/usr/bin/env bats
# ss-tpm-identity and the TPM connection: TCTI choice, unreachable and
# unresponsive TPMs, no leftover objects after many runs, quotes while PCRs
# move.

load lib/common
load lib/swtpm
load lib/tpm_identity

setup_file() { swtpm_init && identity_snapshot; }
teardown_file() { swtpm_fini; }
setup() { identity_setup; }
teardown() {
	# A helper process a failed test left behind: stop it by its pid.
	local f
	for f in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	rm -f "$BATS_TEST_TMPDIR/run"
	wait 2>/dev/null
	assert_tpm_clean
}

@test "unreachable TPM: exit 4, one line, stdout empty" {
	local port
	port=$(free_port)
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0 --tcti "swtpm:port=$port"
	assert_failure_exact 4 "ss-tpm-identity: connect to TPM 'swtpm:port=$port': cannot reach the TPM (is it running?)"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --tcti "swtpm:port=$port"
	assert_failure_exact 4 "ss-tpm-identity: connect to TPM 'swtpm:port=$port': cannot reach the TPM (is it running?)"
	[ ! -e "$SS_STATE_DIR/runner/identity" ]
}

@test "tss2's own log lines appear only with -v, before the tool's one line" {
	local port
	port=$(free_port)
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0 --tcti "swtpm:port=$port" -v
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	[[ "$stderr" == *"ERROR:tcti:"* ]]
	[ "${stderr##*$'\n'}" = "ss-tpm-identity: connect to TPM 'swtpm:port=$port': cannot reach the TPM (is it running?)" ]
	TSS2_LOG=all+DEBUG run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0 --tcti "swtpm:port=$port"
	assert_failure_exact 4 "ss-tpm-identity: connect to TPM 'swtpm:port=$port': cannot reach the TPM (is it running?)"
}

@test "the TCTI: --tcti, else SS_TCTI, else TPM2TOOLS_TCTI" {
	local port good=$SS_TCTI
	port=$(free_port)
	SS_TCTI="swtpm:port=$port" run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0
	assert_failure_exact 4 "ss-tpm-identity: connect to TPM 'swtpm:port=$port': cannot reach the TPM (is it running?)"
	SS_TCTI="swtpm:port=$port" run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0 --tcti "$good"
	assert_success
	run --separate-stderr env -u SS_TCTI TPM2TOOLS_TCTI="swtpm:port=$port" ss-tpm-identity pcrs --pcrs sha256:0
	assert_failure_exact 4 "ss-tpm-identity: connect to TPM 'swtpm:port=$port': cannot reach the TPM (is it running?)"
	run --separate-stderr env -u SS_TCTI TPM2TOOLS_TCTI="$good" ss-tpm-identity pcrs --pcrs sha256:0
	assert_success
}

@test "an invalid SS_TPM_TIMEOUT is a usage error naming the variable and the range (issue 9)" {
	local v
	for v in 0 -1 abc 99999; do
		SS_TPM_TIMEOUT=$v run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0
		assert_failure_exact 2 "ss-tpm-identity: SS_TPM_TIMEOUT: '$v' is not a number of seconds in 1..3600"
	done
	SS_TPM_TIMEOUT=3600 run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0
	assert_success
}

@test "a TCTI that does not exist, or a configuration it does not take: the accepted forms (issue 9)" {
	local forms="device:/dev/tpmrm0, swtpm:host=HOST,port=PORT, mssim:host=HOST,port=PORT, tabrmd:, or a TCTI library's file name with its configuration after ':'"
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0 --tcti bogus
	assert_failure_exact 2 "ss-tpm-identity: --tcti: no TCTI 'bogus' here (accepted: $forms)"
	SS_TCTI=bogus:x=1 run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0
	assert_failure_exact 2 "ss-tpm-identity: SS_TCTI: no TCTI 'bogus' here (accepted: $forms)"
	run --separate-stderr env -u SS_TCTI TPM2TOOLS_TCTI=swtpm:bogus=1 ss-tpm-identity pcrs --pcrs sha256:0
	assert_failure_exact 2 "ss-tpm-identity: TPM2TOOLS_TCTI: 'swtpm:bogus=1' is not a configuration the 'swtpm' TCTI takes (accepted: $forms)"
}

@test "a TPM that accepts but never answers: exit 4 after SS_TPM_TIMEOUT" {
	local port start
	port=$(free_port)
	# Listens on the command and control ports, accepts, never answers;
	# gives up by itself after 20 s in any case.
	"$SS_PYTHON" - "$port" >listener.out 3>&- <<-'PY' &
	import socket, sys, time
	port = int(sys.argv[1])
	socks = []
	for p in (port, port + 1):
	    s = socket.socket()
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    s.bind(("127.0.0.1", p))
	    s.listen(8)
	    s.settimeout(0.1)
	    socks.append(s)
	print("ready", flush=True)
	held, end = [], time.time() + 20
	while time.time() < end:
	    for s in socks:
	        try:
	            held.append(s.accept()[0])
	        except OSError:
	            pass
	PY
	echo $! >listener.pid
	for _ in $(seq 50); do grep -q ready listener.out && break; sleep 0.1; done
	grep -q ready listener.out
	start=$SECONDS
	SS_TPM_TIMEOUT=1 run --separate-stderr timeout 15 ss-tpm-identity pcrs --pcrs sha256:0 \
		--tcti "swtpm:host=127.0.0.1,port=$port"
	assert_failure_exact 4 "ss-tpm-identity: TPM 'swtpm:host=127.0.0.1,port=$port': no answer within 1 s"
	[ $((SECONDS - start)) -le 5 ]
	kill "$(cat listener.pid)"
	rm listener.pid
}

@test "a hundred quotes in a row leave no object or session behind" {
	use_enrolled
	local n
	for n in $(seq 100); do
		ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data "$(printf '%04x' "$n")" >q.json ||
			{ echo "quote $n failed" >&2; return 1; }
	done
	validate_schema ss.quote.v1 q.json
	run tpm2_getcap handles-transient
	assert_output ""
	run tpm2_getcap handles-loaded-session
	assert_output ""
	# Failing runs clean up too.
	for n in $(seq 20); do
		run --separate-stderr ss-tpm-identity quote --pcrs sha1:0 --qualifying-data 01
		[ "$status" -eq 4 ]
		run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --alg rsa
		[ "$status" -eq 2 ]
	done
	assert_tpm_clean
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --alg rsa --force
	assert_success
}

@test "quote: the values returned are the ones quoted while another process extends a PCR" {
	use_enrolled
	local n retried=0 before
	before=$(json_get <(ss-tpm-identity pcrs --pcrs sha256:16) pcrs 16)
	touch run
	(
		for e in $(seq 4000); do
			[ -e run ] || break
			tpm2_pcrextend "16:sha256=$(printf '%064x' "$e")" >/dev/null 2>&1
		done
	) 3>&- &
	echo $! >extender.pid
	# Quote until a retry was seen and at least 20 times, at most 300 times
	# (a retry happens in about one quote in ten here).
	for n in $(seq 300); do
		run --separate-stderr ss-tpm-identity quote -v --pcrs sha256:0,16 --qualifying-data 0102
		[ "$status" -eq 0 ] || { echo "quote $n: status $status: $stderr" >&2; break; }
		echo "$output" >q.json
		read -r extra digest composite < <(quote_facts q.json)
		[ "$digest" = "$composite" ] || { echo "quote $n: values do not match the quote" >&2; status=1; break; }
		[[ "$stderr" == *"PCRs changed while quoting: quoted "*" times"* ]] && retried=$((retried + 1))
		[ "$retried" -ge 1 ] && [ "$n" -ge 20 ] && break
	done
	rm -f run
	wait "$(cat extender.pid)"
	rm extender.pid
	[ "$status" -eq 0 ]
	echo "# $retried retried quotes in $n" >&3
	[ "$retried" -ge 1 ]
	[ "$(json_get q.json pcrs 16)" != "$before" ]
}
