#!/usr/bin/env bats
# ss-tpm-identity quote, pcrs and ak-pub.

load lib/common
load lib/swtpm
load lib/tpm_identity

setup_file() { swtpm_init && identity_snapshot; }
teardown_file() { swtpm_fini; }
setup() { identity_setup; }
teardown() { assert_tpm_clean; }

@test "quote: a valid ss.quote.v1 whose attest and signature pass tpm2_checkquote" {
	use_enrolled
	tpm2_pcrextend 16:sha256=$(printf '%064x' 7) >/dev/null
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0,1,16 --qualifying-data 00c0ffee11
	assert_success
	echo "$output" >q.json
	validate_schema ss.quote.v1 q.json
	[ "$(json_get q.json ak_name)" = "$(json_get enrolled.json ak name)" ]
	[ "$(json_get q.json pcr_bank)" = sha256 ]
	ss-tpm-identity ak-pub >ak.pem
	b64_member q.json attest_b64 attest.bin
	b64_member q.json signature_b64 sig.bin
	run tpm2_checkquote -u ak.pem -m attest.bin -s sig.bin -q 00c0ffee11 -g sha256
	assert_success
	# The same files with other qualifying data must not pass.
	run tpm2_checkquote -u ak.pem -m attest.bin -s sig.bin -q 00c0ffee12 -g sha256
	assert_failure
}

@test "quote: the PCR values in the document are the ones quoted" {
	use_enrolled
	tpm2_pcrextend 16:sha256=$(printf '%064x' 1) 23:sha256=$(printf '%064x' 2) >/dev/null
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0-23 --qualifying-data 0xABCDEF
	assert_success
	echo "$output" >q.json
	read -r extra digest composite < <(quote_facts q.json)
	[ "$extra" = abcdef ]
	[ "$digest" = "$composite" ]
	tpm2_pcrread sha256:16 -o pcr16.bin >/dev/null
	[ "$(json_get q.json pcrs 16)" = "$(xxd -p -c 64 pcr16.bin)" ]
}

@test "quote with the RSA AK: RSASSA signature that tpm2_checkquote accepts" {
	use_enrolled
	ss-tpm-identity enroll --runner-id runner-1 --alg rsa --force >/dev/null
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0-7 --qualifying-data 0102030405060708
	assert_success
	echo "$output" >q.json
	validate_schema ss.quote.v1 q.json
	ss-tpm-identity ak-pub >ak.pem
	b64_member q.json attest_b64 attest.bin
	b64_member q.json signature_b64 sig.bin
	[ "$(xxd -p -l 2 sig.bin)" = 0014 ] # TPM_ALG_RSASSA
	run tpm2_checkquote -u ak.pem -m attest.bin -s sig.bin -q 0102030405060708 -g sha256
	assert_success
}

@test "quote --ak-handle: the AK enrolled at another handle" {
	ss-tpm-identity enroll --runner-id r --ak-handle 0x81000042 >id.json
	run --separate-stderr ss-tpm-identity quote --ak-handle 0x81000042 --pcrs sha256:0 --qualifying-data 01
	assert_success
	echo "$output" >q.json
	[ "$(json_get q.json ak_name)" = "$(json_get id.json ak name)" ]
}

@test "quote: 64 bytes of qualifying data are accepted, 65 are not" {
	use_enrolled
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0 --qualifying-data "$(printf 'ab%.0s' $(seq 64))"
	assert_success
	echo "$output" >q.json
	read -r extra digest composite < <(quote_facts q.json)
	[ "$extra" = "$(printf 'ab%.0s' $(seq 64))" ]
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0 --qualifying-data "$(printf 'ab%.0s' $(seq 65))"
	assert_failure_exact 2 "ss-tpm-identity: --qualifying-data: not hex of 1 to 64 bytes"
}

@test "quote: bad PCR selections and bad hex are usage errors (exit 2)" {
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0-99 --qualifying-data 01
	assert_failure_exact 2 "ss-tpm-identity: --pcrs: PCR selection 'sha256:0-99': PCR 99 out of range 0-23"
	run --separate-stderr ss-tpm-identity quote --pcrs sha3:0 --qualifying-data 01
	assert_failure_exact 2 "ss-tpm-identity: --pcrs: PCR selection 'sha3:0': unknown bank 'sha3'"
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:1,1 --qualifying-data 01
	assert_failure_exact 2 "ss-tpm-identity: --pcrs: PCR selection 'sha256:1,1': PCR 1 listed twice"
	run --separate-stderr ss-tpm-identity quote --pcrs 0,1 --qualifying-data 01
	assert_failure_exact 2 "ss-tpm-identity: --pcrs: PCR selection '0,1': expected BANK:LIST, e.g. sha256:0,1,2"
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0 --qualifying-data xyz
	assert_failure_exact 2 "ss-tpm-identity: --qualifying-data: not hex of 1 to 64 bytes"
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0 --qualifying-data abc
	assert_failure_exact 2 "ss-tpm-identity: --qualifying-data: not hex of 1 to 64 bytes"
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0 --qualifying-data ''
	assert_failure_exact 2 "ss-tpm-identity: --qualifying-data: not hex of 1 to 64 bytes"
	run --separate-stderr ss-tpm-identity quote --qualifying-data 01
	assert_failure_exact 2 "ss-tpm-identity: quote: needs --pcrs"
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0
	assert_failure_exact 2 "ss-tpm-identity: quote: needs --qualifying-data"
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0 --qualifying-data 01 --ak-handle nope
	assert_failure_exact 2 "ss-tpm-identity: --ak-handle: 'nope' is not a handle in 0x81000000..0x817fffff"
}

@test "quote: a bank the TPM does not keep is a TPM error (exit 4)" {
	use_enrolled
	run --separate-stderr ss-tpm-identity quote --pcrs sha1:0 --qualifying-data 01
	assert_failure_exact 4 "ss-tpm-identity: PCR bank 'sha1' is not active on this TPM"
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha384:0
	assert_failure_exact 4 "ss-tpm-identity: PCR bank 'sha384' is not active on this TPM"
}

@test "quote, ak-pub before enroll: no AK (exit 4)" {
	run --separate-stderr ss-tpm-identity quote --pcrs sha256:0 --qualifying-data 01
	assert_failure_exact 4 "ss-tpm-identity: no AK at persistent handle 0x8100a001 (enroll one first)"
	run --separate-stderr ss-tpm-identity ak-pub
	assert_failure_exact 4 "ss-tpm-identity: no AK at persistent handle 0x8100a001 (enroll one first)"
}

@test "quote with a key that is not an AK: exit 4" {
	tpm2_createprimary -C o -c srk.ctx >/dev/null
	tpm2_evictcontrol -C o -c srk.ctx 0x81000001 >/dev/null
	tpm2_flushcontext -t
	run --separate-stderr ss-tpm-identity quote --ak-handle 0x81000001 --pcrs sha256:0 --qualifying-data 01
	assert_failure_exact 4 "ss-tpm-identity: object at 0x81000001 is not an AK (sign is not set)"
}

@test "pcrs: a valid ss.pcrs.v1 with the TPM's values, all 24 PCRs (several reads)" {
	tpm2_pcrextend 0:sha256=$(printf '%064x' 5) 9:sha256=$(printf '%064x' 6) >/dev/null
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:0-23
	assert_success
	echo "$output" >p.json
	validate_schema ss.pcrs.v1 p.json
	[ "$(json_get p.json type)" = ss.pcrs.v1 ]
	for i in 0 7 8 9 16 17 23; do
		tpm2_pcrread sha256:$i -o v.bin >/dev/null
		[ "$(json_get p.json pcrs $i)" = "$(xxd -p -c 64 v.bin)" ] || { echo "PCR $i differs" >&2; return 1; }
	done
	[ "$("$SS_PYTHON" -c 'import json; print(len(json.load(open("p.json"))["pcrs"]))')" = 24 ]
}

@test "pcrs: only the PCRs asked for, in index order" {
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:17,3
	assert_success
	assert_output '{"type":"ss.pcrs.v1","pcr_bank":"sha256","pcrs":{"3":"0000000000000000000000000000000000000000000000000000000000000000","17":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}}'
	run --separate-stderr ss-tpm-identity pcrs
	assert_failure_exact 2 "ss-tpm-identity: pcrs: needs --pcrs"
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:24
	assert_failure_exact 2 "ss-tpm-identity: --pcrs: PCR selection 'sha256:24': PCR 24 out of range 0-23"
}

@test "pcrs with --tcti and -v before the command reads the same TPM" {
	local tcti=$SS_TCTI
	run --separate-stderr env -u SS_TCTI -u TPM2TOOLS_TCTI ss-tpm-identity --tcti "$tcti" -v pcrs --pcrs sha256:17,3
	assert_success
	assert_output '{"type":"ss.pcrs.v1","pcr_bank":"sha256","pcrs":{"3":"0000000000000000000000000000000000000000000000000000000000000000","17":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}}'
}

@test "the schemas refuse documents the tool must never print" {
	run --separate-stderr ss-tpm-identity pcrs --pcrs sha256:3
	assert_success
	echo "${output/\"pcrs\":/\"extra\":1,\"pcrs\":}" >extra.json
	run validate_schema ss.pcrs.v1 extra.json
	assert_failure
	echo "${output/0000000000/00000000}" >short.json
	run validate_schema ss.pcrs.v1 short.json
	assert_failure
}

@test "ak-pub: the AK's public key as PEM, as in the identity" {
	use_enrolled
	run --separate-stderr ss-tpm-identity ak-pub
	assert_success
	[ "$output" = "$(json_get enrolled.json ak public_pem)" ]
	tpm2_readpublic -c 0x8100a001 -f pem -o ak.pem >/dev/null
	[ "$output" = "$(cat ak.pem)" ]
	run --separate-stderr ss-tpm-identity ak-pub --pcrs sha256:0
	assert_failure_exact 2 "ss-tpm-identity: option '--pcrs' does not apply to 'ak-pub'"
}
