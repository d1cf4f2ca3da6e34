#!/usr/bin/env bats
# make demo, shortened (one execution per tenant): the whole flow on a
# private swtpm, then a denied launch, a caught collision and a tampered
# archive, and the summary that says so.  Nothing it started outlives it,
# and its working directory goes with it.

load lib/common

@test "the demo runs the flow for two tenants, shows a denial and a collision, and says what it used" {
	mkdir "$BATS_TEST_TMPDIR/tmp"
	TMPDIR=$BATS_TEST_TMPDIR/tmp SS_DEMO_EXECUTIONS=1 run --separate-stderr \
		"$SS_TOP/scripts/demo" "$SS_BUILD"
	assert_success
	[ -z "$stderr" ]
	assert_line "Summary"
	assert_line --regexp '^  TPM               swtpm [0-9.]+ \(a simulator\) on 127\.0\.0\.1:[0-9]+, state in a temporary directory; stopped with TPM2_Shutdown$'
	assert_line --regexp '^  Firecracker       (the test double tests/fakes/firecracker \(.+\)|the real one, .+ with /dev/kvm)$'
	assert_line "  attested runs     2 of 2 launched (tenant-a 1, tenant-b 1); 2 of 2 re-verified offline"
	assert_line --regexp '^  run time          first run [0-9]+ ms \(enrolls the runner\), then [0-9]+ ms per run$'
	assert_line "  denied launch     tampered session: exit 1, gate session_signature"
	assert_line "  collision         tenant-b reusing a-1: exit 1, execution_cross_tenant"
	assert_line "  tampered archive  ss-reverify: exit 1, link telemetry"
	assert_line --regexp '^  total             [0-9]+ ms$'
	# What it said along the way, in its own words.
	assert_line "   ss-fc-launch: exit 1, ss-fc-launch: denied: session_signature: session: signature does not verify"
	assert_line "   its event: ss.telemetry.v1.denied, reason session_signature, vm.pid null: nothing was started"
	assert_line "   the log: 8 records, each run's session, key record and events"
	assert_line "   ss-attested-run: step 'collision-check' failed (exit 1): ss-collision-check: 4 violations: execution_cross_tenant 4"
	# Its working directory is gone, and so is everything it started there.
	run ls -A "$BATS_TEST_TMPDIR/tmp"
	assert_output ""
	local c cmd left=""
	for c in /proc/[0-9]*/cmdline; do
		cmd=$(tr '\0' ' ' <"$c" 2>/dev/null) || continue
		[[ $cmd != *"$BATS_TEST_TMPDIR/tmp"* ]] || left+=" ${c//[!0-9]/}: $cmd;"
	done
	[ -z "$left" ] || { echo "left running:$left" >&2; return 1; }
}

@test "SS_DEMO_EXECUTIONS must be a small number" {
	SS_DEMO_EXECUTIONS=0 run --separate-stderr "$SS_TOP/scripts/demo" "$SS_BUILD"
	assert_failure_exact 2 "demo: SS_DEMO_EXECUTIONS must be a number from 1 to 99"
}
