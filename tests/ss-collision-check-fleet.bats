#!/usr/bin/env bats
# Fleet-sized checks: --partition I/N runs, started by GNU parallel or
# xargs -P as the man page shows, and `merge`, which must give exactly the
# report of a single run; what merge refuses.

load lib/common
load lib/collision

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	# three files of a "day", every kind of violation, some across files
	records 24000 --mix --seed 21 >day.jsonl
	split -n l/3 -d --additional-suffix=.jsonl day.jsonl part-
	collide --max-examples 40 part-00.jsonl part-01.jsonl part-02.jsonl >single.json || [ $? -eq 1 ]
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$BATS_FILE_TMPDIR"/part-0?.jsonl "$BATS_FILE_TMPDIR/single.json" .
}

@test "the single run finds every kind of violation, so the merge has something to match" {
	validate_schema ss.collision-report.v1 single.json
	[ "$(jq '[.by_kind[] | select(. > 0)] | length' single.json)" -eq 5 ]
	[ "$(jq '.examples | length' single.json)" -eq 40 ]
	[ "$(counts single.json)" = "$(oracle part-00.jsonl part-01.jsonl part-02.jsonl)" ]
}

@test "partitions run under GNU parallel and merged equal the single run, byte for byte" {
	run parallel --will-cite --halt never \
		'ss-collision-check --max-examples 40 --partition {}/5 part-00.jsonl part-01.jsonl part-02.jsonl >report-{}.json' \
		::: 1 2 3 4 5
	# parallel's status is the number of jobs that failed: here, those that found violations
	[ "$status" -le 5 ]
	local i
	for i in 1 2 3 4 5; do
		validate_schema ss.collision-report.v1 "report-$i.json"
		[ "$(jq -c .partition "report-$i.json")" = "{\"index\":$i,\"count\":5,\"hash\":\"ss-collide-64a\"}" ]
		[ "$(jq .records "report-$i.json")" -eq 24000 ]
	done
	# each partition found some, none found all
	[ "$(jq -s '[.[].violations] | min > 0' report-?.json)" = true ]
	[ "$(jq -s '[.[].violations] | max' report-?.json)" -lt "$(jq .violations single.json)" ]
	# in any order, as files or on standard input
	run --separate-stderr ss-collision-check merge report-3.json report-1.json report-5.json report-2.json report-4.json
	[ "$status" -eq 1 ]
	[ "$output" = "$(cat single.json)" ]
	run --separate-stderr bash -c 'cat report-?.json | ss-collision-check merge'
	[ "$status" -eq 1 ]
	[ "$output" = "$(cat single.json)" ]
	assert_equal "$stderr" "ss-collision-check: $(jq .violations single.json) violations: $(jq -r '.by_kind | to_entries | map("\(.key) \(.value)") | join(" ")' single.json)"
}

@test "xargs -P runs the partitions as well, and a clean stream merges clean" {
	records 5000 --seed 4 >clean.jsonl
	collide clean.jsonl >clean.json
	seq 1 3 | xargs -P 3 -I{} sh -c 'ss-collision-check --partition {}/3 clean.jsonl >clean-{}.json'
	run --separate-stderr ss-collision-check merge clean-1.json clean-2.json clean-3.json
	assert_success
	[ "$output" = "$(cat clean.json)" ]
}

@test "one partition is the whole run, as a partial report" {
	collide --partition 1/1 --max-examples 40 part-00.jsonl part-01.jsonl part-02.jsonl >one.json || true
	run --separate-stderr ss-collision-check merge one.json
	[ "$status" -eq 1 ]
	[ "$output" = "$(cat single.json)" ]
}

@test "merge refuses reports that do not make one run" {
	local f="part-00.jsonl"
	for i in 1 2 3; do collide --partition "$i/3" "$f" >"p$i.json" || true; done
	run --separate-stderr ss-collision-check merge p1.json p2.json
	assert_failure_exact 3 "ss-collision-check: merge: partition 3/3 is missing"
	run --separate-stderr ss-collision-check merge p1.json p2.json p2.json p3.json
	assert_failure_exact 3 "ss-collision-check: merge: partition 2/3 is given twice"
	collide --partition 2/4 "$f" >q2.json || true
	run --separate-stderr ss-collision-check merge p1.json q2.json
	assert_failure_exact 3 "ss-collision-check: merge: report 2 is partition 2/4, report 1 is 1/3"
	collide --partition 2/3 part-01.jsonl >other.json || true
	run --separate-stderr ss-collision-check merge p1.json other.json p3.json
	assert_failure_exact 3 "ss-collision-check: merge: report 2 is of other inputs than report 1"
	collide --partition 2/3 --max-examples 3 "$f" >few.json || true
	run --separate-stderr ss-collision-check merge p1.json few.json p3.json
	assert_failure_exact 3 "ss-collision-check: merge: report 2 keeps 3 examples, report 1 10"
	collide "$f" >whole.json || true
	run --separate-stderr ss-collision-check merge p1.json whole.json p3.json
	assert_failure_exact 3 "ss-collision-check: merge: report 2 is not a partial report (no partition)"
	jq -c '.records += 1' p2.json >more.json
	n=$(wc -l <"$f")
	run --separate-stderr ss-collision-check merge p1.json more.json p3.json
	assert_failure_exact 3 "ss-collision-check: merge: report 2 counted $((n + 1)) records, report 1 $n"
	jq -c '.by_kind.key_reuse += 1' p2.json >edited.json
	run --separate-stderr ss-collision-check merge p1.json edited.json p3.json
	assert_failure_exact 3 "ss-collision-check: merge: 'edited.json': line 1: members 'violations' and 'passed' do not agree with 'by_kind'"
	jq -c '.partition.hash = "other"' p2.json >hash.json
	run --separate-stderr ss-collision-check merge p1.json hash.json p3.json
	assert_failure_exact 3 "ss-collision-check: merge: 'hash.json': line 1: partition hash 'other' is not this version's ('ss-collide-64a')"
	collide stress --tenants 2 --executions 2 >stress.json
	run --separate-stderr ss-collision-check merge stress.json
	assert_failure_exact 3 "ss-collision-check: merge: 'stress.json': line 1: a stress report is not a partial report"
	printf '{"type":"ss.collision-report.v1"' >cut.json
	run --separate-stderr ss-collision-check merge cut.json
	assert_failure_exact 3 "ss-collision-check: merge: 'cut.json': line 1: unexpected end of JSON at byte 32"
	run --separate-stderr ss-collision-check merge </dev/null
	assert_failure_exact 3 "ss-collision-check: merge: no reports to merge"
	run --separate-stderr ss-collision-check merge nothing.json
	assert_failure_exact 6 "ss-collision-check: merge: open 'nothing.json': No such file or directory"
}
