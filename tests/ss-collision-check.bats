#!/usr/bin/env bats
# ss-collision-check: the isolation rules on hand-written records (each kind
# of violation at the right lines, the values that may repeat), counts held
# to an independent implementation and to the benchmark's reference,
# malformed input, usage, and the stress mode.

load lib/common
load lib/collision

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "a clean stream passes: status 0, the report on stdout, valid against its schema" {
	records 2000 >r.jsonl
	run --separate-stderr collide r.jsonl
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >report.json
	validate_schema ss.collision-report.v1 report.json
	run jq -c '[.inputs, .records, .violations, .passed, .examples, .max_examples]' report.json
	assert_output '[["r.jsonl"],2000,0,true,[],10]'
}

@test "standard input without FILE or as -, and an empty input is a clean report of no records" {
	records 30 >r.jsonl
	run --separate-stderr collide <r.jsonl
	assert_success
	[ "$(jq -c '[.inputs, .records]' <<<"$output")" = '[["-"],30]' ]
	run --separate-stderr collide - <r.jsonl
	[ "$(jq -c '[.inputs, .records]' <<<"$output")" = '[["-"],30]' ]
	run --separate-stderr collide </dev/null
	assert_success
	[ "$(jq -c '[.records, .passed]' <<<"$output")" = '[0,true]' ]
}

@test "from a pipe: the same report; a malformed line is reported before the writer is done" {
	records 30000 --mix --seed 9 >r.jsonl
	collide - <r.jsonl >file.json || [ $? -eq 1 ]
	run --separate-stderr bash -c 'cat r.jsonl | ss-collision-check'
	[ "$status" -eq 1 ]
	[ "$output" = "$(cat file.json)" ]
	# the writer is still there when the bad line has come
	mkfifo stream
	(head -3 r.jsonl; echo "{bad"; exec sleep 20) >stream &
	writer=$!
	run --separate-stderr timeout 10 ss-collision-check <stream
	kill "$writer"
	assert_failure_exact 3 "ss-collision-check: standard input: line 4: unexpected character 'b' at byte 1"
}

@test "every kind of violation is found, with the lines and tenants of both records" {
	{
		session tenant-a exec-1 "$B1" ch-1            # 1
		keyrec tenant-a exec-1 "$B1" "$K1"            # 2
		session tenant-b exec-2 "$B1" ch-2            # 3 binding of tenant-a
		keyrec tenant-b exec-2 "$B2" "$K1"            # 4 key of exec-1
		session tenant-b exec-3 "$B3" ch-1            # 5 challenge of line 1
		event launched tenant-c exec-1 "$B2" "$K2"    # 6 execution of tenant-a; B2 of tenant-b
		jq -nc '{type: "ss.key.v1", tenant_id: "tenant-d", execution_id: "exec-9"}'   # 7
	} >v.jsonl
	run --separate-stderr collide v.jsonl
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "ss-collision-check: 6 violations: binding_cross_tenant 2 key_reuse 1 nonce_reuse 1 execution_cross_tenant 1 missing_field 1"
	echo "$output" >report.json
	validate_schema ss.collision-report.v1 report.json
	run jq -r '.examples[] | [.kind, .value, .first.line, .first.tenant_id, (.second.line // "-"),
	          (.second.tenant_id // "-"), (.first.execution_id // "-"), (.second.execution_id // "-")] | join(" ")' report.json
	assert_output "binding_cross_tenant $B1 1 tenant-a 3 tenant-b - -
key_reuse $K1 2 tenant-a 4 tenant-b exec-1 exec-2
nonce_reuse ch-1 1 tenant-a 5 tenant-b - -
binding_cross_tenant $B2 4 tenant-b 6 tenant-c - -
execution_cross_tenant exec-1 1 tenant-a 6 tenant-c - -
missing_field session_binding_hash 7 tenant-d - - exec-9 -"
	[ "$(jq -c '[.violations, .passed, .by_kind.binding_cross_tenant]' report.json)" = '[6,false,2]' ]
}

@test "a session, its key and its telemetry share binding, execution and key id: no violation" {
	{
		session tenant-a exec-1 "$B1" ch-1
		keyrec tenant-a exec-1 "$B1" "$K1"
		keyrec tenant-a exec-1 "$B1" "$K2"            # a second key of the same execution
		event launched tenant-a exec-1 "$B1" "$K1"
		event exited tenant-a exec-1 "$B1" "$K1"
		session tenant-a exec-1 "$B1" ch-1            # the same session logged again
		session tenant-a exec-4 "$B1" ch-4            # one binding, two records of one tenant
	} >same.jsonl
	run --separate-stderr collide same.jsonl
	assert_success
	[ "$(jq -c '[.records, .violations]' <<<"$output")" = '[7,0]' ]
}

@test "refusals establish nothing: a denied session and a denied launch are counted, never violations" {
	{
		session tenant-a exec-1 "$B1" ch-1
		# the verifier refused a replay of ch-1: same challenge, no binding
		jq -nc '{type: "ss.session.v1", approved: false, reason: "challenge_reused",
		         challenge_id: "ch-1", execution_id: null, tenant_id: null,
		         session_binding_hash: null}'
		# a launch denied at its gates, naming another tenant with tenant-a's session
		event denied tenant-b exec-1 "$B1" "$K1"
		# and one refused by its attestation
		jq -nc --arg b "$B1" '{specversion: "1.0", id: "e", source: "/x", type: "dev.ss.fc.failed",
		         data: {approved: false, tenant_id: "tenant-c", execution_id: "exec-1",
		                session_binding_hash: $b}}'
	} >refused.jsonl
	run --separate-stderr collide refused.jsonl
	assert_success
	[ "$(jq -c '[.records, .violations]' <<<"$output")" = '[4,0]' ]
}

@test "fields are read at the top of documents or under data, once; null and empty are absent" {
	jq -nc --arg b "$B1" '{tenant_id: "t", data: {tenant_id: "t", execution_id: "e", session_binding_hash: $b}}' >two.jsonl
	run --separate-stderr collide two.jsonl
	assert_failure_exact 3 "ss-collision-check: 'two.jsonl': line 1: members 'tenant_id' and 'data.tenant_id' both given"
	{
		jq -nc --arg b "$B1" '{tenant_id: null, execution_id: "", data: {tenant_id: "t", execution_id: "e", session_binding_hash: $b}}'
		jq -nc --arg b "$B1" '{tenant_id: "", execution_id: "e2", session_binding_hash: $b}'
	} >absent.jsonl
	run --separate-stderr collide absent.jsonl
	[ "$status" -eq 1 ]
	run jq -c '[.by_kind.missing_field, .examples[0].value, .examples[0].first.line]' <<<"$output"
	assert_output '[1,"tenant_id",2]'
}

@test "counts agree with the rules written again in Python, on every kind of record" {
	records 20000 --mix --seed 7 >mix.jsonl
	run --separate-stderr collide --max-examples 3 mix.jsonl
	[ "$status" -eq 1 ]
	echo "$output" >report.json
	validate_schema ss.collision-report.v1 report.json
	[ "$(counts report.json)" = "$(oracle mix.jsonl)" ]
	# each kind occurs
	[ "$(jq '[.by_kind[] | select(. > 0)] | length' report.json)" -eq 5 ]
	# and one thread reads the same
	run --separate-stderr collide --jobs 1 --max-examples 3 mix.jsonl
	[ "$output" = "$(cat report.json)" ]
}

@test "cross-tenant binding counts equal the reference implementation's, with and without --collide" {
	[ -n "${BASELINES:-}" ] && [ -f "$BASELINES/gen_records.py" ] && [ -f "$BASELINES/ref_collision.py" ] ||
		skip "BASELINES does not name the directory of gen_records.py and ref_collision.py"
	local k
	for k in 0 1 17 250; do
		if [ "$k" -eq 0 ]; then
			"$SS_PYTHON" "$BASELINES/gen_records.py" 50000 300 >g.jsonl
		else
			"$SS_PYTHON" "$BASELINES/gen_records.py" 50000 300 --collide "$k" >g.jsonl
		fi
		run "$SS_PYTHON" "$BASELINES/ref_collision.py" <g.jsonl
		want=$(jq '.violation_count' <<<"$output")
		run --separate-stderr collide g.jsonl
		[ "$(jq '.by_kind.binding_cross_tenant' <<<"$output")" -eq "$want" ] ||
			{ echo "--collide $k: ours $(jq -c .by_kind <<<"$output"), reference $want" >&2; return 1; }
		[ "$(jq '.violations' <<<"$output")" -eq "$want" ]
		[ "$k" -eq 0 ] || [ "$want" -gt 0 ]
	done
}

@test "the same counts on records shaped like the benchmark's, collisions made here" {
	# Without the reference: the benchmark's record shape with bindings
	# reused across tenants at known lines, counted by the Python rules.
	"$SS_PYTHON" - >g.jsonl <<-'PY'
	import hashlib, json
	for i in range(30000):
	    b = i - 1 if i % 1000 == 1 else i
	    print(json.dumps({"type": "ss.session.v1", "approved": True,
	        "tenant_id": "tenant-%d" % (i % 300), "execution_id": "exec-%d" % i,
	        "session_binding_hash": hashlib.sha256(b"%d" % b).hexdigest(),
	        "key_id": hashlib.sha256(b"k%d" % i).hexdigest()[:32]}, separators=(",", ":")))
	PY
	run --separate-stderr collide g.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c '.by_kind' <<<"$output")" = '{"binding_cross_tenant":30,"key_reuse":0,"nonce_reuse":0,"execution_cross_tenant":0,"missing_field":0}' ]
	[ "$(counts <(echo "$output"))" = "$(oracle g.jsonl)" ]
	[ "$(jq -r '.examples[0] | "\(.first.line) \(.second.line)"' <<<"$output")" = "1 2" ]
}

@test "several inputs: lines are counted per file and examples name the file" {
	{ session tenant-a exec-1 "$B1"; session tenant-a exec-2 "$B2"; } >a.jsonl
	{ keyrec tenant-a exec-1 "$B1" "$K1"; session tenant-b exec-3 "$B2"; } >b.jsonl
	run --separate-stderr collide a.jsonl b.jsonl
	[ "$status" -eq 1 ]
	run jq -c '[.inputs, .records, (.examples[0] | [.first.file, .first.line, .second.file, .second.line])]' <<<"$output"
	assert_output '[["a.jsonl","b.jsonl"],4,["a.jsonl",2,"b.jsonl",2]]'
}

@test "--max-examples bounds the examples, never the counts" {
	records 3000 --mix --seed 2 >mix.jsonl
	run --separate-stderr collide --max-examples 0 mix.jsonl
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.examples, .max_examples]' <<<"$output")" = '[[],0]' ]
	n=$(jq .violations <<<"$output")
	run --separate-stderr collide --max-examples 4 mix.jsonl
	[ "$(jq -c '[(.examples | length), .violations]' <<<"$output")" = "[4,$n]" ]
	run --separate-stderr collide --max-examples 1000 mix.jsonl
	[ "$(jq '.examples | length' <<<"$output")" -eq "$n" ]
	# in input order
	jq -c '[.examples[] | (.second // .first) | .line]' <<<"$output" >lines.json
	[ "$(jq -c 'sort' lines.json)" = "$(cat lines.json)" ]
}

@test "a malformed line: status 3 naming the file and line, nothing on stdout" {
	records 5000 >r.jsonl
	sed -i '4321s/"tenant_id"/"tenant_id":/' r.jsonl
	run --separate-stderr collide r.jsonl
	assert_failure_exact 3 "ss-collision-check: 'r.jsonl': line 4321: unexpected character ':' at byte 52"
	run --separate-stderr collide <r.jsonl
	assert_failure_exact 3 "ss-collision-check: standard input: line 4321: unexpected character ':' at byte 52"
}

@test "malformed tracked members and lines that are not one object are invalid input" {
	printf '{"tenant_id":"a b"}\n' >id.jsonl
	run --separate-stderr collide id.jsonl
	assert_failure_exact 3 "ss-collision-check: 'id.jsonl': line 1: member 'tenant_id' is not an identifier ([A-Za-z0-9._:-]{1,128})"
	printf '{"x":1}\n{"data":{"session_binding_hash":"ABC"}}\n' >hex.jsonl
	run --separate-stderr collide hex.jsonl
	assert_failure_exact 3 "ss-collision-check: 'hex.jsonl': line 2: member 'data.session_binding_hash' must be 64 lowercase hex digits"
	printf '{"key_id":null,"key_id":null}\n' >dup.jsonl
	run --separate-stderr collide dup.jsonl
	assert_failure_exact 3 "ss-collision-check: 'dup.jsonl': line 1: duplicate member 'key_id'"
	printf '{"x":1}\n\n{"x":2}\n' >blank.jsonl
	run --separate-stderr collide blank.jsonl
	assert_failure_exact 3 "ss-collision-check: 'blank.jsonl': line 2: unexpected end of JSON at byte 0"
	printf '[1]\n' >array.jsonl
	run --separate-stderr collide array.jsonl
	assert_failure_exact 3 "ss-collision-check: 'array.jsonl': line 1: expected a JSON object at byte 0"
	printf '{"x":"\\u0000"}\n' >nul.jsonl
	run --separate-stderr collide nul.jsonl
	assert_failure_exact 3 "ss-collision-check: 'nul.jsonl': line 1: U+0000 in a string at byte 6"
	# untracked members are only validated, whatever they hold
	printf '{"tenant_id":"t","execution_id":"e","session_binding_hash":"%s","x":{"tenant_id":7,"y":[1,"\\u00e9",null]},"x":2}\n' "$B1" >other.jsonl
	run --separate-stderr collide other.jsonl
	assert_success
}

@test "a line longer than 1 MiB is refused with its number; the last line may lack its newline" {
	{ records 2; printf '{"x":"%s"}\n' "$(head -c 1100000 /dev/zero | tr '\0' a)"; } >long.jsonl
	run --separate-stderr collide long.jsonl
	assert_failure_exact 3 "ss-collision-check: 'long.jsonl': line 3: longer than 1048576 bytes"
	records 3 | head -c -1 >nonl.jsonl
	run --separate-stderr collide nonl.jsonl
	assert_success
	[ "$(jq .records <<<"$output")" -eq 3 ]
}

@test "an input that cannot be opened is an I/O error; a later input is not read" {
	records 3 >r.jsonl
	run --separate-stderr collide r.jsonl missing.jsonl
	assert_failure_exact 6 "ss-collision-check: open 'missing.jsonl': No such file or directory"
}

@test "an input that cannot be read is an I/O error naming it, after the inputs before it" {
	records 3 >r.jsonl
	mkdir dir
	run --separate-stderr collide r.jsonl dir
	assert_failure_exact 6 "ss-collision-check: read 'dir': Is a directory"
	run --separate-stderr collide <dir
	assert_failure_exact 6 "ss-collision-check: read standard input: Is a directory"
}

@test "the report does not depend on the thread count, from a file or a pipe" {
	records 20000 --mix --seed 5 >mix.jsonl
	collide --max-examples 50 mix.jsonl >one.json || [ $? -eq 1 ]
	collide --max-examples 50 <mix.jsonl >stdin.json || [ $? -eq 1 ]
	[ "$(jq .violations one.json)" -gt 50 ]
	for jobs in 1 2 3 5; do
		run --separate-stderr collide --jobs "$jobs" --max-examples 50 mix.jsonl
		[ "$status" -eq 1 ]
		[ "$output" = "$(cat one.json)" ]
		run --separate-stderr bash -c "cat mix.jsonl | ss-collision-check --jobs $jobs --max-examples 50"
		[ "$status" -eq 1 ]
		[ "$output" = "$(cat stdin.json)" ]
	done
}

@test "usage errors: status 2, one line" {
	records 3 >r.jsonl
	run --separate-stderr collide --partition 0/4 r.jsonl
	assert_failure_exact 2 "ss-collision-check: --partition: '0/4' is not I/N with 1 <= I <= N <= 65536"
	run --separate-stderr collide --partition 5/4 r.jsonl
	assert_failure_exact 2 "ss-collision-check: --partition: '5/4' is not I/N with 1 <= I <= N <= 65536"
	run --separate-stderr collide --partition 2 r.jsonl
	assert_failure_exact 2 "ss-collision-check: --partition: '2' is not I/N with 1 <= I <= N <= 65536"
	run --separate-stderr collide --max-examples 1001 r.jsonl
	assert_failure_exact 2 "ss-collision-check: --max-examples: '1001' is not a number in 0..1000"
	run --separate-stderr collide r.jsonl r.jsonl
	assert_failure_exact 2 "ss-collision-check: 'r.jsonl' given twice"
	run --separate-stderr collide --tenants 3 r.jsonl
	assert_failure_exact 2 "ss-collision-check: option '--tenants' does not apply without a command"
	run --separate-stderr collide stress --tenants 3
	assert_failure_exact 2 "ss-collision-check: stress: needs --executions"
	run --separate-stderr collide stress --tenants 3 --executions 2 r.jsonl
	assert_failure_exact 2 "ss-collision-check: unexpected argument 'r.jsonl'"
	run --separate-stderr collide stress --tenants 100000 --executions 100000
	assert_failure_exact 2 "ss-collision-check: stress: --tenants x --executions is more than 100000000"
	run --separate-stderr collide merge --partition 1/2
	assert_failure_exact 2 "ss-collision-check: option '--partition' does not apply to 'merge'"
}

@test "progress on stderr only when it is a terminal" {
	records 100000 >r.jsonl
	# script(1) gives the command a terminal for stdin/stdout/stderr; the
	# pause makes the run last long enough for progress to be drawn.
	run script -qec "(cat r.jsonl; sleep 1; cat r.jsonl) | ss-collision-check >out.json" /dev/null
	assert_success # the same records twice: the same tenants, executions and keys
	[[ "$output" == *"ss-collision-check: records: 200000 done ("*"/s)"* ]]
	[ "$(jq .records out.json)" -eq 200000 ]
	collide r.jsonl >/dev/null 2>err
	[ ! -s err ]
}

@test "--stats reports the state kept per binding on stderr" {
	records 20000 >r.jsonl
	run --separate-stderr collide --stats r.jsonl
	assert_success
	[[ "$stderr" =~ ^ss-collision-check:\ stats:\ 20000\ records\ in\ [0-9.]+\ s\ \([0-9]+/s\)\;\ 20000\ bindings,\ ([0-9.]+)\ bytes\ of\ state\ each\; ]]
}

@test "stress: sessions and keys of tenants x executions made with the toolkit's code never collide" {
	run --separate-stderr collide stress --tenants 40 --executions 60 --seed 12
	assert_success
	echo "$output" >stress.json
	validate_schema ss.collision-report.v1 stress.json
	run jq -c '[.inputs, .records, .violations, .passed, .stress.tenants, .stress.executions,
	           .stress.seed, .stress.derivations, (.stress.per_second > 0)]' stress.json
	assert_output '[["stress"],4800,0,true,40,60,"0xc",2400,true]'
	# one thread makes the same sessions: same verdict, same records
	run --separate-stderr collide stress --tenants 40 --executions 60 --seed 12 --jobs 1
	[ "$(jq -c 'del(.stress.milliseconds, .stress.per_second, .stress.jobs)' <<<"$output")" = \
	  "$(jq -c 'del(.stress.milliseconds, .stress.per_second, .stress.jobs)' stress.json)" ]
	# without a seed, one is drawn and reported
	run --separate-stderr collide stress --tenants 2 --executions 3
	assert_success
	[[ "$(jq -r .stress.seed <<<"$output")" =~ ^0x[0-9a-f]+$ ]]
}
