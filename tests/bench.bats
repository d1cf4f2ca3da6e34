#!/usr/bin/env bats
# make bench refuses to start without what it needs, and says what.

load lib/common

@test "bench/run without BASELINES names the benchmarks that need it (exit 2)" {
	run -2 --separate-stderr env -u BASELINES "$SS_TOP/bench/run" "$SS_BUILD"
	assert_failure_exact 2 "bench: needs BASELINES=DIR (make bench BASELINES=DIR), the directory of the reference scripts that collision-check, derive, flow compare against: gen_records.py, ref_collision.py, ref_derive.py, baseline-flow.sh"
	run -2 --separate-stderr env -u BASELINES "$SS_TOP/bench/run" "$SS_BUILD" flow
	assert_failure_exact 2 "bench: needs BASELINES=DIR (make bench BASELINES=DIR), the directory of the reference scripts that flow compare against: baseline-flow.sh"
}

@test "bench/run refuses a BASELINES that is not a directory and an unknown benchmark (exit 2)" {
	run -2 --separate-stderr env BASELINES="$BATS_TEST_TMPDIR/none" "$SS_TOP/bench/run" "$SS_BUILD"
	assert_failure_exact 2 "bench: BASELINES='$BATS_TEST_TMPDIR/none' is not a directory"
	run -2 --separate-stderr "$SS_TOP/bench/run" "$SS_BUILD" nosuch
	assert_failure_exact 2 "bench: no benchmark 'nosuch' (bench/nosuch.sh)"
}
