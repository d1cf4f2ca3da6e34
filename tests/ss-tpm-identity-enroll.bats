#!/usr/bin/env bats
# ss-tpm-identity enroll and show: the identity document, reusing and
# replacing the AK, the command line.

load lib/common
load lib/swtpm
load lib/tpm_identity

setup_file() { swtpm_init && identity_snapshot; }
teardown_file() { swtpm_fini; }
setup() { identity_setup; }
teardown() { assert_tpm_clean; }

@test "enroll: the swtpm's RSA EK with its certificate, a new ECC AK, a valid ss.identity.v1" {
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1
	assert_success
	echo "$output" >id.json
	validate_schema ss.identity.v1 id.json
	[ "$(json_get id.json type)" = ss.identity.v1 ]
	[ "$(json_get id.json runner_id)" = runner-1 ]
	[ "$(json_get id.json ek alg)" = rsa-2048 ]
	[ "$(json_get id.json ek handle)" = 0x81010001 ]
	[ "$(json_get id.json ek nv_index)" = 0x01c00002 ]
	[ "$(json_get id.json ak alg)" = ecc-p256 ]
	[ "$(json_get id.json ak handle)" = 0x8100a001 ]
	[ "$(json_get id.json tpm manufacturer)" = IBM ]
	[ "$(json_get id.json tpm simulator)" = True ]
	# The certificate is the one in NV, and it certifies the EK's key.
	tpm2_nvread 0x01c00002 -o nv.der
	openssl x509 -inform der -in nv.der >nv.pem
	json_get id.json ek certificate_pem >doc.pem
	cmp nv.pem doc.pem
	openssl x509 -in doc.pem -noout -pubkey >cert-key.pem
	json_get id.json ek public_pem >ek.pem
	cmp cert-key.pem ek.pem
	# The AK is what the TPM holds at the handle, and its name is right.
	tpm2_readpublic -c 0x8100a001 -f pem -o ak.pem -n ak.name >/dev/null
	tpm2_readpublic -c 0x8100a001 -o ak.pub >/dev/null
	json_get id.json ak public_pem >doc-ak.pem
	cmp ak.pem doc-ak.pem
	[ "$(json_get id.json ak name)" = "$(xxd -p -c 256 ak.name)" ]
	"$SS_PYTHON" -c 'import base64, json, sys
sys.stdout.buffer.write(base64.b64decode(json.load(open("id.json"))["ak"]["public_area_b64"]))' >doc-ak.pub
	cmp ak.pub doc-ak.pub
}

@test "enroll: the AK is a restricted ECDSA-SHA256 signing key under the EK" {
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1
	assert_success
	run tpm2_readpublic -c 0x8100a001
	assert_output --partial "value: fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign"
	assert_output --partial "value: ecdsa"
	assert_output --partial "value: NIST p256"
}

@test "enroll twice gives the same AK and the same document" {
	use_enrolled
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1
	assert_success
	[ "$output" = "$(cat enrolled.json)" ]
	run tpm2_getcap handles-persistent
	assert_output "$(printf -- '- 0x8100A001\n- 0x81010001\n- 0x81010016')"
}

@test "show prints what enroll printed, from the TPM and the state directory" {
	use_enrolled
	run --separate-stderr ss-tpm-identity show
	assert_success
	[ "$output" = "$(cat enrolled.json)" ]
	echo "$output" >show.json
	validate_schema ss.identity.v1 show.json
}

@test "show --state reads the given state directory" {
	use_enrolled
	mv "$SS_STATE_DIR" elsewhere
	run --separate-stderr ss-tpm-identity show --state "$PWD/elsewhere"
	assert_success
	[ "$output" = "$(cat enrolled.json)" ]
}

@test "global options before the command: --state DIR show, --tcti and -v too" {
	use_enrolled
	mv "$SS_STATE_DIR" elsewhere
	local tcti=$SS_TCTI
	run --separate-stderr env -u SS_TCTI -u TPM2TOOLS_TCTI \
		ss-tpm-identity --state "$PWD/elsewhere" --tcti "$tcti" -v show
	assert_success
	[ -z "$stderr" ]
	[ "$output" = "$(cat enrolled.json)" ]
	run --separate-stderr ss-tpm-identity --state="$PWD/elsewhere" show
	assert_success
	[ "$output" = "$(cat enrolled.json)" ]
}

@test "show before enroll: exit 3, nothing enrolled (issue 9: not a TPM error)" {
	run --separate-stderr ss-tpm-identity show
	assert_failure_exact 3 "ss-tpm-identity: nothing enrolled: no identity in '$SS_STATE_DIR' (run 'ss-tpm-identity enroll' first)"
}

@test "show after the AK was evicted: exit 4" {
	use_enrolled
	tpm2_evictcontrol -C o -c 0x8100a001 >/dev/null
	run --separate-stderr ss-tpm-identity show
	assert_failure_exact 4 "ss-tpm-identity: enrolled identity: no AK at persistent handle 0x8100a001 (enroll one first)"
}

@test "show after the AK was replaced behind its back: exit 4" {
	use_enrolled
	tpm2_evictcontrol -C o -c 0x8100a001 >/dev/null
	SS_STATE_DIR="$BATS_TEST_TMPDIR/other" ss-tpm-identity enroll --runner-id runner-1 >/dev/null
	run --separate-stderr ss-tpm-identity show
	assert_failure_exact 4 "ss-tpm-identity: enrolled identity: the AK at 0x8100a001 is not the enrolled one (enroll again)"
}

@test "enroll --alg rsa: an RSA-2048 RSASSA-SHA256 AK" {
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --alg rsa
	assert_success
	echo "$output" >id.json
	validate_schema ss.identity.v1 id.json
	[ "$(json_get id.json ak alg)" = rsa-2048 ]
	run tpm2_readpublic -c 0x8100a001
	assert_output --partial "value: rsassa"
	assert_output --partial "bits: 2048"
	assert_output --partial "value: fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign"
}

@test "enroll: an AK of the other algorithm is kept without --force (exit 2)" {
	use_enrolled
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --alg rsa
	assert_failure_exact 2 "ss-tpm-identity: AK at 0x8100a001 is ecc-p256, not rsa-2048 (--force replaces it)"
	tpm2_readpublic -c 0x8100a001 -n ak.name >/dev/null
	[ "$(xxd -p -c 256 ak.name)" = "$(json_get enrolled.json ak name)" ]
	run --separate-stderr ss-tpm-identity show
	assert_success
}

@test "enroll --force replaces the AK and keeps the EK" {
	use_enrolled
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --force -v
	assert_success
	assert_equal "$stderr" "ss-tpm-identity: replaced AK 0x8100a001"
	echo "$output" >new.json
	[ "$(json_get new.json ak name)" != "$(json_get enrolled.json ak name)" ]
	[ "$(json_get new.json ek public_pem)" = "$(json_get enrolled.json ek public_pem)" ]
	[ "$(json_get new.json ek handle)" = "$(json_get enrolled.json ek handle)" ]
	run tpm2_getcap handles-persistent
	assert_output "$(printf -- '- 0x8100A001\n- 0x81010001\n- 0x81010016')"
	# show follows the new AK.
	run --separate-stderr ss-tpm-identity show
	assert_success
	[ "$output" = "$(cat new.json)" ]
}

@test "enroll --force --alg rsa replaces an ECC AK with an RSA one" {
	use_enrolled
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --alg rsa --force
	assert_success
	echo "$output" >new.json
	[ "$(json_get new.json ak alg)" = rsa-2048 ]
}

@test "enroll --force never replaces an object that is not an AK" {
	tpm2_createprimary -C o -c primary.ctx >/dev/null
	tpm2_evictcontrol -C o -c primary.ctx 0x81000005 >/dev/null
	tpm2_flushcontext -t
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --ak-handle 0x81000005 --force
	assert_failure_exact 2 "ss-tpm-identity: persistent handle 0x81000005 holds an object that is not an AK (sign is not set); it is never replaced"
	run tpm2_readpublic -c 0x81000005
	assert_output --partial "restricted|decrypt"
}

@test "enroll: an AK that is not a child of the chosen EK is kept without --force (exit 2)" {
	use_enrolled
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --ek-handle 0x81010016
	assert_failure_exact 2 "ss-tpm-identity: AK at 0x8100a001 is not a child of EK 0x81010016 (--force replaces it)"
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-1 --ek-handle 0x81010016 --force
	assert_success
	echo "$output" >new.json
	[ "$(json_get new.json ek handle)" = 0x81010016 ]
	[ "$(json_get new.json ek alg)" = ecc-p384 ]
}

@test "enroll --ak-handle: another handle, and show finds it there" {
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-2 --ak-handle 0x81000123
	assert_success
	echo "$output" >id.json
	[ "$(json_get id.json ak handle)" = 0x81000123 ]
	run --separate-stderr ss-tpm-identity show
	assert_success
	[ "$output" = "$(cat id.json)" ]
}

@test "enroll: a new runner id on the same AK is a new identity (new created_at)" {
	use_enrolled
	sleep 1
	run --separate-stderr ss-tpm-identity enroll --runner-id runner-9
	assert_success
	echo "$output" >id.json
	[ "$(json_get id.json runner_id)" = runner-9 ]
	[ "$(json_get id.json ak name)" = "$(json_get enrolled.json ak name)" ]
	[ "$(json_get id.json created_at)" != "$(json_get enrolled.json created_at)" ]
}

@test "enroll: command-line errors are exit 2 with one line" {
	run --separate-stderr ss-tpm-identity enroll
	assert_failure_exact 2 "ss-tpm-identity: enroll: needs --runner-id"
	run --separate-stderr ss-tpm-identity enroll --runner-id 'bad id'
	assert_failure_exact 2 "ss-tpm-identity: --runner-id: 'bad id' is not an identifier ([A-Za-z0-9._:-]{1,128})"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --alg dsa
	assert_failure_exact 2 "ss-tpm-identity: --alg: 'dsa' is not ecc or rsa"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ak-handle 0x81010001
	assert_failure_exact 2 "ss-tpm-identity: --ak-handle: 0x81010001 is in the range reserved for EKs (0x81010000..0x8101ffff)"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ak-handle 0x81800000
	assert_failure_exact 2 "ss-tpm-identity: --ak-handle: '0x81800000' is not a handle in 0x81000000..0x817fffff"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ek-handle 12
	assert_failure_exact 2 "ss-tpm-identity: --ek-handle: '12' is not a handle in 0x81000000..0x81ffffff"
	run --separate-stderr ss-tpm-identity enroll --runner-id r extra
	assert_failure_exact 2 "ss-tpm-identity: unexpected argument 'extra'"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --pcrs sha256:0
	assert_failure_exact 2 "ss-tpm-identity: option '--pcrs' does not apply to 'enroll'"
	run --separate-stderr ss-tpm-identity show --force
	assert_failure_exact 2 "ss-tpm-identity: option '--force' does not apply to 'show'"
	run --separate-stderr ss-tpm-identity
	assert_failure_exact 2 "ss-tpm-identity: missing command (try 'ss-tpm-identity --help')"
	run --separate-stderr ss-tpm-identity frobnicate
	assert_failure_exact 2 "ss-tpm-identity: unknown command 'frobnicate' (try 'ss-tpm-identity --help')"
	# None of these touched the TPM.
	run tpm2_getcap handles-persistent
	assert_output "$(printf -- '- 0x81010001\n- 0x81010016')"
}

@test "enroll: a state directory others can enter is refused before the TPM is touched (exit 6)" {
	mkdir -m 0755 open
	run --separate-stderr ss-tpm-identity enroll --runner-id r --state "$PWD/open"
	assert_failure_exact 6 "ss-tpm-identity: state: directory '$PWD/open' is accessible by group or others (mode 0755)"
	run tpm2_getcap handles-persistent
	assert_output "$(printf -- '- 0x81010001\n- 0x81010016')"
}
