#!/usr/bin/env bats
# verify-quote: a verdict on a quote alone from what tpm2-tools writes
# (tpm2_createak -u, tpm2_quote -m/-s/-o in both PCR file forms), the same
# attacks refused on those artifacts, and --batch.

load lib/common
load lib/swtpm
load lib/handshake

AK=0x8100B001

setup_file() {
	swtpm_init
	local d=$BATS_FILE_TMPDIR/ak
	mkdir -p "$d"
	tpm2_createak -C 0x81010001 -c "$d/ak.ctx" -G ecc -g sha256 -s ecdsa -u "$BATS_FILE_TMPDIR/ak.pub" \
		-f pem -n "$BATS_FILE_TMPDIR/ak.name" >/dev/null
	tpm2_readpublic -c "$d/ak.ctx" -o "$BATS_FILE_TMPDIR/ak.tpm2b" >/dev/null
	tpm2_flushcontext -t >/dev/null && tpm2_flushcontext -l >/dev/null && tpm2_flushcontext -s >/dev/null
	tpm2_evictcontrol -C o -c "$d/ak.ctx" $AK >/dev/null
	tpm2_flushcontext -t >/dev/null
	tpm_snapshot withak
}
teardown_file() { swtpm_fini; }
setup() {
	tpm_restore withak
	T=$BATS_TEST_TMPDIR
	QD=$(openssl rand -hex 32)
	tpm2_quote -Q -c $AK -l sha256:0,1,2,3,4,5,6,7 -q "$QD" -g sha256 -m "$T/q.msg" -s "$T/q.sig" \
		-o "$T/q.pcrs"
	tpm2_flushcontext -t >/dev/null
}
teardown() { assert_tpm_clean; }

vq() {
	run --separate-stderr hs verify-quote --ak-pub "$BATS_FILE_TMPDIR/ak.tpm2b" --attest "$T/q.msg" \
		--sig "$T/q.sig" --qualifying-data "$QD" "$@"
}

# invalid_because CODE: exit 1, the verdict on stdout, the reason on stderr.
invalid_because() {
	[ "$status" -eq 1 ] || { echo "status $status: $stderr" >&2; return 1; }
	[ "$stderr" = "ss-attest-handshake: quote is not valid: $1" ] || { echo "stderr: $stderr" >&2; return 1; }
	[ "$(jq -r '[.valid, .reason] | join(" ")' <<<"$output")" = "false $1" ] || { echo "$output" >&2; return 1; }
	validate_schema ss.quote-verdict.v1 <(echo "$output")
}

@test "tpm2-tools artifacts verify, PCR file in its serialized form" {
	vq --pcrs "$T/q.pcrs"
	assert_success
	echo "$output" >"$T/verdict.json"
	validate_schema ss.quote-verdict.v1 "$T/verdict.json"
	run jq -r '[.valid, .reason, .pcr_selection, .pcrs_checked, .policy_checked, (.ak_name | length)] | join(" ")' "$T/verdict.json"
	assert_output "true valid sha256:0,1,2,3,4,5,6,7 true false 68"
	[ "$(jq -r .ak_name "$T/verdict.json")" = "$(xxd -p -c 256 "$BATS_FILE_TMPDIR/ak.name")" ]
}

@test "the PCR values reported are tpm2_pcrread's" {
	vq --pcrs "$T/q.pcrs"
	assert_success
	want=$(tpm2_pcrread sha256:0,1,2,3,4,5,6,7 | awk '/0x/ {print tolower(substr($3, 3))}' | paste -sd' ')
	got=$(jq -r '[.pcrs["0","1","2","3","4","5","6","7"]] | join(" ")' <<<"$output")
	assert_equal "$got" "$want"
}

@test "the PCR file in its -F values form verifies too" {
	tpm2_pcrread sha256:0,1,2,3,4,5,6,7 -F values -o "$T/values.pcrs" >/dev/null
	vq --pcrs "$T/values.pcrs"
	assert_success
	[ "$(jq -r .pcrs_checked <<<"$output")" = true ]
}

@test "without a PCR file: the signature and binding are checked, the PCRs are not" {
	vq
	assert_success
	run jq -r '[.valid, .pcrs_checked, .pcrs] | join(" ")' <<<"$output"
	assert_output "true false "
}

@test "tpm2_checkquote agrees on the same artifacts (interop)" {
	run tpm2_checkquote -u "$BATS_FILE_TMPDIR/ak.pub" -m "$T/q.msg" -s "$T/q.sig" -f "$T/q.pcrs" \
		-g sha256 -q "$QD"
	assert_success
	vq --pcrs "$T/q.pcrs"
	assert_success
}

@test "other qualifying data: binding_mismatch" {
	QD=$(openssl rand -hex 32)
	vq --pcrs "$T/q.pcrs"
	invalid_because binding_mismatch
}

@test "one bit flipped in the attest file, or in the signature: signature_invalid" {
	cp "$T/q.msg" "$T/good.msg"
	flip_bit "$T/q.msg" -1
	vq --pcrs "$T/q.pcrs"
	invalid_because signature_invalid
	cp "$T/good.msg" "$T/q.msg"
	flip_bit "$T/q.sig" -1
	vq --pcrs "$T/q.pcrs"
	invalid_because signature_invalid
}

@test "a magic that is not TPM_GENERATED: bad_magic (tpm2_checkquote 5.4 misses it)" {
	printf '\x00' | dd of="$T/q.msg" bs=1 seek=0 conv=notrunc status=none
	vq --pcrs "$T/q.pcrs"
	invalid_because bad_magic
}

@test "an attest file with a trailing byte: malformed_evidence" {
	printf '\x00' >>"$T/q.msg"
	vq --pcrs "$T/q.pcrs"
	invalid_because malformed_evidence
}

@test "a PCR value edited in the PCR file: pcr_digest_mismatch" {
	tpm2_pcrread sha256:0,1,2,3,4,5,6,7 -F values -o "$T/values.pcrs" >/dev/null
	printf '\xff' | dd of="$T/values.pcrs" bs=1 seek=40 conv=notrunc status=none
	vq --pcrs "$T/values.pcrs"
	invalid_because pcr_digest_mismatch
}

@test "a PCR file of another selection: pcr_selection_mismatch (tpm2_checkquote 5.4 misses it)" {
	tpm2_pcrread sha256:0,1,2,3 -F serialized -o "$T/four.pcrs" >/dev/null
	vq --pcrs "$T/four.pcrs"
	invalid_because pcr_selection_mismatch
	tpm2_pcrread sha256:0,1,2,3 -F values -o "$T/four.values" >/dev/null
	vq --pcrs "$T/four.values"
	invalid_because pcr_selection_mismatch
	run jq -r .detail <<<"$output"
	assert_output "PCR file holds 4 sha256 values, the quote selects 8"
}

@test "a quote by a key that is not a restricted AK: ak_attributes" {
	tpm2_createprimary -Q -C o -c "$T/prim.ctx"
	tpm2_create -Q -C "$T/prim.ctx" -G ecc256:ecdsa-sha256 -u "$T/k.pub" -r "$T/k.priv"
	tpm2_flushcontext -t >/dev/null
	tpm2_load -Q -C "$T/prim.ctx" -u "$T/k.pub" -r "$T/k.priv" -c "$T/k.ctx"
	tpm2_flushcontext -t >/dev/null
	tpm2_quote -Q -c "$T/k.ctx" -l sha256:0,1,2,3,4,5,6,7 -q "$QD" -g sha256 -m "$T/q.msg" \
		-s "$T/q.sig" -o "$T/q.pcrs"
	tpm2_flushcontext -t >/dev/null
	run --separate-stderr hs verify-quote --ak-pub "$T/k.pub" --attest "$T/q.msg" --sig "$T/q.sig" \
		--pcrs "$T/q.pcrs" --qualifying-data "$QD"
	invalid_because ak_attributes
	run jq -r .detail <<<"$output"
	assert_output "AK attributes: restricted is not set"
}

@test "the verdict reports the AK's attributes and authPolicy" {
	vq --pcrs "$T/q.pcrs"
	assert_success
	run jq -r '[(.ak_attributes | join("|")), (.ak_auth_policy | tostring)] | join(" ")' <<<"$output"
	assert_output "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign null"
}

@test "a restricted AK with adminWithPolicy and an authPolicy is still valid, and says so" {
	local policy
	policy=$(printf 'cd%.0s' $(seq 32))
	echo "$policy" | xxd -r -p >"$T/policy.bin"
	tpm2_createprimary -Q -C o -G ecc256:ecdsa-sha256:null -L "$T/policy.bin" -c "$T/pak.ctx" \
		-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|adminwithpolicy|restricted|sign'
	tpm2_readpublic -Q -c "$T/pak.ctx" -o "$T/pak.tpm2b"
	tpm2_quote -Q -c "$T/pak.ctx" -l sha256:0,1,2,3,4,5,6,7 -q "$QD" -g sha256 -m "$T/q.msg" \
		-s "$T/q.sig" -o "$T/q.pcrs"
	tpm2_flushcontext -t >/dev/null
	run --separate-stderr hs verify-quote --ak-pub "$T/pak.tpm2b" --attest "$T/q.msg" --sig "$T/q.sig" \
		--pcrs "$T/q.pcrs" --qualifying-data "$QD"
	assert_success
	validate_schema ss.quote-verdict.v1 <(echo "$output")
	run jq -r '[.valid, (.ak_attributes | join("|")), .ak_auth_policy] | join(" ")' <<<"$output"
	assert_output "true fixedtpm|fixedparent|sensitivedataorigin|userwithauth|adminwithpolicy|restricted|sign $policy"
}

@test "an attestation that is not a quote (TPM2_Certify): wrong_attest_type" {
	tpm2_certify -Q -c $AK -C $AK -g sha256 -o "$T/q.msg" -s "$T/q.sig"
	tpm2_flushcontext -t >/dev/null
	vq
	invalid_because wrong_attest_type
}

@test "a policy: PCR values checked against it, policy_checked reported" {
	hs policy --pcrs sha256:0-7 >"$T/p.yaml"
	vq --pcrs "$T/q.pcrs" --policy "$T/p.yaml"
	assert_success
	[ "$(jq -r .policy_checked <<<"$output")" = true ]
	sed -E 's/^  2: [0-9a-f]+$/  2: '"$(printf '77%.0s' $(seq 32))"'/' "$T/p.yaml" >"$T/p2.yaml"
	vq --pcrs "$T/q.pcrs" --policy "$T/p2.yaml"
	invalid_because pcr_policy_violation
	vq --policy "$T/p.yaml"
	invalid_because pcr_policy_violation
	run jq -r .detail <<<"$output"
	assert_output "the policy names PCR values but no PCR file was given"
}

@test "a PEM AK key is refused: its attributes cannot be seen (exit 3)" {
	run --separate-stderr hs verify-quote --ak-pub "$BATS_FILE_TMPDIR/ak.pub" --attest "$T/q.msg" \
		--sig "$T/q.sig" --qualifying-data "$QD"
	assert_failure_exact 3 "ss-attest-handshake: --ak-pub: a PEM key cannot show the AK's attributes; give the TPM2B_PUBLIC that tpm2_createak -u writes"
}

@test "usage errors: missing qualifying data, bad hex, --batch with files (exit 2)" {
	run --separate-stderr hs verify-quote --ak-pub "$BATS_FILE_TMPDIR/ak.tpm2b" --attest "$T/q.msg" --sig "$T/q.sig"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: needs --qualifying-data"
	run --separate-stderr hs verify-quote --ak-pub "$BATS_FILE_TMPDIR/ak.tpm2b" --attest "$T/q.msg" \
		--sig "$T/q.sig" --qualifying-data zz
	assert_failure_exact 2 "ss-attest-handshake: --qualifying-data: not hex of 1 to 64 bytes"
	run --separate-stderr hs verify-quote --batch --attest "$T/q.msg"
	assert_failure_exact 2 "ss-attest-handshake: --batch reads every quote from standard input: no --ak-pub, --attest, --sig, --pcrs or --qualifying-data"
	run --separate-stderr hs verify-quote --ak-pub "$T/missing" --attest "$T/q.msg" --sig "$T/q.sig" \
		--qualifying-data "$QD"
	assert_failure_exact 6 "ss-attest-handshake: --ak-pub: open '$T/missing': No such file or directory"
}

# batch_line ID [QD]: one --batch line for the quote in $T.
batch_line() {
	jq -cn --arg id "$1" --arg ak "$(base64 -w0 "$BATS_FILE_TMPDIR/ak.tpm2b")" \
		--arg a "$(base64 -w0 "$T/q.msg")" --arg s "$(base64 -w0 "$T/q.sig")" \
		--arg p "$(base64 -w0 "$T/q.pcrs")" --arg q "${2:-$QD}" \
		'{id: $id, ak_public_b64: $ak, attest_b64: $a, signature_b64: $s, pcrs_b64: $p, qualifying_data: $q}'
}

@test "--batch: one verdict per line in order; any invalid quote makes exit 1" {
	{ batch_line q1; batch_line q2 "$(openssl rand -hex 32)"; batch_line q3; } >"$T/in.jsonl"
	validate_schema ss.quote-batch-line.v1 "$T/in.jsonl" --lines
	run --separate-stderr hs verify-quote --batch <"$T/in.jsonl"
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "ss-attest-handshake: 1 of 3 quotes are not valid"
	echo "$output" >"$T/out.jsonl"
	validate_schema ss.quote-verdict.v1 "$T/out.jsonl" --lines
	run jq -r '[.id, .valid, .reason] | join(" ")' "$T/out.jsonl"
	assert_output "q1 true valid
q2 false binding_mismatch
q3 true valid"
	{ batch_line q1; batch_line q3; } >"$T/ok.jsonl"
	run --separate-stderr hs verify-quote --batch --jobs 2 <"$T/ok.jsonl"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 2
}

@test "--batch: the same verdicts whatever the thread count" {
	for i in $(seq 1 40); do batch_line "q$i" $([ $((i % 7)) -eq 0 ] && openssl rand -hex 32); done >"$T/in.jsonl"
	hs verify-quote --batch --jobs 1 <"$T/in.jsonl" >"$T/one.jsonl" || true
	hs verify-quote --batch --jobs 4 <"$T/in.jsonl" >"$T/four.jsonl" || true
	cmp "$T/one.jsonl" "$T/four.jsonl"
	[ "$(wc -l <"$T/one.jsonl")" -eq 40 ]
}

@test "--batch: a malformed line stops the run (exit 3) after complete verdicts" {
	{ batch_line q1; batch_line q2; echo '{"id":"q3","ak_public_b64":1}'; batch_line q4; } >"$T/in.jsonl"
	run --separate-stderr hs verify-quote --batch <"$T/in.jsonl"
	assert_equal "$status" 3
	assert_equal "$stderr" "ss-attest-handshake: line 3: member 'ak_public_b64' must be a string"
	assert_equal "$(echo "$output" | wc -l)" 2
	validate_schema ss.quote-verdict.v1 <(echo "$output") --lines
}

@test "--batch shows progress on stderr only when it is a terminal" {
	line=$(batch_line q)
	yes "$line" | head -n 12000 >"$T/many.jsonl"
	run script -qec "ss-attest-handshake verify-quote --batch --jobs 1 <'$T/many.jsonl' >'$T/out.jsonl'" /dev/null
	assert_success
	assert_output --partial "ss-attest-handshake: verify-quote: 12000 done ("
	[ "$(wc -l <"$T/out.jsonl")" -eq 12000 ]
	run --separate-stderr hs verify-quote --batch --jobs 1 <"$T/many.jsonl"
	assert_success
	assert_equal "$stderr" ""
}

@test "--batch | head -1 ends quietly: exit 0, nothing on stderr (issue 9)" {
	line=$(batch_line q)
	yes "$line" | head -n 3000 >"$T/many.jsonl"
	run --separate-stderr bash -c 'set -o pipefail; ss-attest-handshake verify-quote --batch --jobs 2 <"$1" | head -1' _ "$T/many.jsonl"
	assert_success
	assert_equal "$stderr" ""
	[ "$(jq -r .id <<<"$output")" = q ]
	# Invalid quotes among those read change nothing: the reader wanted one line.
	bad=$(batch_line x "$(printf '%064d' 0)")
	{ batch_line q1; yes "$bad" | head -n 3000; } >"$T/bad.jsonl"
	run --separate-stderr bash -c 'set -o pipefail; ss-attest-handshake verify-quote --batch <"$1" | head -1' _ "$T/bad.jsonl"
	assert_success
	assert_equal "$stderr" ""
}

@test "--batch of nothing is invalid input, never a vacuous 'all valid'" {
	run --separate-stderr hs verify-quote --batch </dev/null
	assert_failure_exact 3 "ss-attest-handshake: standard input: no quotes"
}
