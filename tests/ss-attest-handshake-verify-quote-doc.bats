#!/usr/bin/env bats
# verify-quote and the toolkit's own quotes: `ss-tpm-identity quote |
# ss-attest-handshake verify-quote` with the AK from --identity,
# --enrollment or --ak-pub, the PCR values of the ss.quote.v1 checked against
# the quote's digest; quotes taken without a nonce, judged only when the
# caller says so (--qualifying-data ''), and then not fresh.

load lib/common
load lib/swtpm
load lib/handshake

setup_file() { hs_suite_init; }
teardown_file() { swtpm_fini; }
setup() {
	hs_test_setup
	QD=$(openssl rand -hex 32)
	ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data "$QD" >"$T/q.json"
}
teardown() { assert_tpm_clean; }

# vqd [options] < QUOTE: verify-quote on a quote document.
vqd() {
	run --separate-stderr hs verify-quote --qualifying-data "$QD" "$@"
}

@test "ss-tpm-identity quote | verify-quote --identity: valid, its PCR values checked, fresh" {
	run --separate-stderr bash -c 'ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data "$1" |
		ss-attest-handshake verify-quote --identity "$2" --qualifying-data "$1"' _ "$QD" "$HS/id.json"
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >"$T/verdict.json"
	validate_schema ss.quote-verdict.v1 "$T/verdict.json"
	run jq -r '[.valid, .reason, .pcr_selection, .pcrs_checked, .policy_checked, .fresh] | join(" ")' "$T/verdict.json"
	assert_output "true valid sha256:0,1,2,3,4,5,6,7 true false true"
	[ "$(jq -c .pcrs "$T/verdict.json")" = "$(jq -c .pcrs "$T/q.json")" ]
	[ "$(jq -r .ak_name "$T/verdict.json")" = "$(jq -r .ak.name "$HS/id.json")" ]
}

@test "the AK from --enrollment or --ak-pub gives the same verdict; --policy is checked" {
	vqd --identity "$HS/id.json" <"$T/q.json"
	assert_success
	want=$output
	vqd --enrollment "$HS/enrollment.json" <"$T/q.json"
	assert_success
	assert_equal "$output" "$want"
	jq -r .ak.public_area_b64 "$HS/id.json" | base64 -d >"$T/ak.tpm2b"
	vqd --ak-pub "$T/ak.tpm2b" <"$T/q.json"
	assert_success
	assert_equal "$output" "$want"
	vqd --identity "$HS/id.json" --policy "$HS/policy.yaml" <"$T/q.json"
	assert_success
	[ "$(jq -r .policy_checked <<<"$output")" = true ]
}

@test "a PCR value edited in the quote document: pcr_digest_mismatch" {
	jq -c '.pcrs["3"] = ("ab" * 32)' "$T/q.json" >"$T/q2.json"
	vqd --identity "$HS/id.json" <"$T/q2.json"
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "ss-attest-handshake: quote is not valid: pcr_digest_mismatch"
	run jq -r '[.valid, .reason, .detail] | join(" ")' <<<"$output"
	assert_output "false pcr_digest_mismatch the PCR values do not hash to the quoted digest"
}

@test "PCR values for fewer PCRs than were quoted: pcr_selection_mismatch" {
	jq -c '.pcrs |= del(.["7"])' "$T/q.json" >"$T/q2.json"
	vqd --identity "$HS/id.json" <"$T/q2.json"
	[ "$status" -eq 1 ]
	run jq -r '[.reason, .detail] | join(" ")' <<<"$output"
	assert_output "pcr_selection_mismatch PCR values given for sha256:0,1,2,3,4,5,6, quoted sha256:0,1,2,3,4,5,6,7"
}

@test "a PCR value outside the policy: pcr_policy_violation with the quoted and the allowed value" {
	sed -E 's/^  4: [0-9a-f]+$/  4: '"$(printf 'cd%.0s' $(seq 32))"'/' "$HS/policy.yaml" >"$T/policy.yaml"
	vqd --identity "$HS/id.json" --policy "$T/policy.yaml" <"$T/q.json"
	[ "$status" -eq 1 ]
	run jq -r .detail <<<"$output"
	assert_output "PCR 4 is $(jq -r '.pcrs["4"]' "$T/q.json"), the policy allows $(printf 'cd%.0s' $(seq 32))"
}

@test "a quote whose ak_name is not the given AK's: exit 3 naming both" {
	jq -c '.ak_name = ("000b" + "11" * 32)' "$T/q.json" >"$T/q2.json"
	vqd --identity "$HS/id.json" <"$T/q2.json"
	assert_failure_exact 3 "ss-attest-handshake: quote: ak_name 000b$(printf '11%.0s' $(seq 32)) is not the AK of identity '$HS/id.json' ($(jq -r .ak.name "$HS/id.json"))"
}

@test "another document on standard input, and the AK's sources: exit 3 and usage errors" {
	ss-tpm-identity pcrs --pcrs sha256:0-7 >"$T/pcrs.json"
	vqd --identity "$HS/id.json" <"$T/pcrs.json"
	assert_failure_exact 3 "ss-attest-handshake: quote: document type 'ss.pcrs.v1' where 'ss.quote.v1' was expected"
	vqd <"$T/q.json"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: a quote on standard input needs the AK from one of --ak-pub, --identity and --enrollment"
	vqd --identity "$HS/id.json" --enrollment "$HS/enrollment.json" <"$T/q.json"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: a quote on standard input needs the AK from one of --ak-pub, --identity and --enrollment"
	vqd --identity "$HS/id.json" --pcrs "$T/pcrs.json" <"$T/q.json"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: --pcrs goes with --attest: a quote on standard input carries its PCR values"
	vqd --identity "$HS/id.json" --attest "$T/q.json" --sig "$T/q.json" --ak-pub "$T/q.json"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: --attest and --sig take the AK from --ak-pub (a TPM2B_PUBLIC), not --identity or --enrollment"
	vqd --ak-pub "$T/q.json" --attest "$T/q.json"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: needs --sig"
	vqd --ak-pub "$T/q.json" --sig "$T/q.json"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: needs --attest"
	vqd --identity "$HS/id.json" --sig "$T/q.json" --attest "$T/q.json"
	assert_failure_exact 2 "ss-attest-handshake: verify-quote: needs --ak-pub"
}

@test "a quote taken without a nonce: judged only with --qualifying-data '', and then not fresh" {
	local ak
	ak=$(jq -r .ak.handle "$HS/id.json")
	jq -r .ak.public_area_b64 "$HS/id.json" | base64 -d >"$T/ak.tpm2b"
	tpm2_quote -Q -c "$ak" -l sha256:0,1,2,3,4,5,6,7 -g sha256 -m "$T/n.msg" -s "$T/n.sig" -o "$T/n.pcrs"
	tpm2_flushcontext -t >/dev/null
	run --separate-stderr hs verify-quote --ak-pub "$T/ak.tpm2b" --attest "$T/n.msg" --sig "$T/n.sig" \
		--pcrs "$T/n.pcrs" --qualifying-data ''
	assert_success
	validate_schema ss.quote-verdict.v1 <(echo "$output")
	run jq -r '[.valid, .pcrs_checked, .fresh] | join(" ")' <<<"$output"
	assert_output "true true false"
	# Judged as if it had a nonce, it is refused.
	run --separate-stderr hs verify-quote --ak-pub "$T/ak.tpm2b" --attest "$T/n.msg" --sig "$T/n.sig" \
		--qualifying-data "$QD"
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "ss-attest-handshake: quote is not valid: binding_mismatch"
	# The same quote as an ss.quote.v1, and in a --batch line.
	jq -c --arg a "$(base64 -w0 "$T/n.msg")" --arg s "$(base64 -w0 "$T/n.sig")" \
		'.attest_b64 = $a | .signature_b64 = $s' "$T/q.json" >"$T/n.json"
	run --separate-stderr hs verify-quote --identity "$HS/id.json" --qualifying-data '' <"$T/n.json"
	assert_success
	[ "$(jq -r '[.valid, .fresh] | join(" ")' <<<"$output")" = "true false" ]
	jq -cn --arg ak "$(base64 -w0 "$T/ak.tpm2b")" --arg a "$(base64 -w0 "$T/n.msg")" \
		--arg s "$(base64 -w0 "$T/n.sig")" \
		'{id: "n", ak_public_b64: $ak, attest_b64: $a, signature_b64: $s, qualifying_data: ""}' >"$T/in.jsonl"
	validate_schema ss.quote-batch-line.v1 "$T/in.jsonl" --lines
	run --separate-stderr hs verify-quote --batch <"$T/in.jsonl"
	assert_success
	[ "$(jq -r '[.id, .valid, .fresh] | join(" ")' <<<"$output")" = "n true false" ]
	# A quote with a nonce is not taken for one without.
	run --separate-stderr hs verify-quote --identity "$HS/id.json" --qualifying-data '' <"$T/q.json"
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.reason, .fresh] | join(" ")' <<<"$output")" = "binding_mismatch false" ]
}
