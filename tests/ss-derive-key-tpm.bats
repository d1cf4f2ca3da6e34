#!/usr/bin/env bats
# ss-derive-key with a root kept in the TPM (a private swtpm): init-tpm-root,
# PRK = TPM2_HMAC(root, salt) checked against tpm2_hmac, determinism,
# refusals, and no transient object or session left behind.

load lib/common
load lib/swtpm
load lib/derive

ROOT=0x81000100

setup_file() { swtpm_init; }
teardown_file() { swtpm_fini; }
setup() {
	tpm_restore pristine
	cd "$BATS_TEST_TMPDIR"
	printf 'root-auth-value' >auth
	chmod 600 auth
	exec_doc exec-1 tenant-a op-1 >exec.json
}
teardown() { assert_tpm_clean; }

@test "init-tpm-root persists a fixedTPM HMAC-SHA256 key and prints nothing" {
	run --separate-stderr ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	assert_success
	[ -z "$output" ]
	[ -z "$stderr" ]
	tpm2_readpublic -c "$ROOT" >pub.txt
	grep -q 'value: keyedhash' pub.txt
	grep -q 'value: fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' pub.txt
	grep -A2 '^algorithm:' pub.txt | grep -q 'value: hmac'
}

@test "PRK is TPM2_HMAC(root, empty salt) and the rest is RFC 5869 expand (checked with tpm2_hmac)" {
	ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	: >empty
	tpm2_hmac -c "$ROOT" -p file:auth -g sha256 -o prk.bin empty
	[ "$(wc -c <prk.bin)" -eq 32 ]
	local kind
	for kind in raw ed25519; do
		run --separate-stderr ss-derive-key --root-tpm "$ROOT" --auth-file auth --kind "$kind" \
			--secret-out "k-$kind" <exec.json
		assert_success
		echo "$output" >rec.json
		validate_schema ss.key.v1 rec.json
		[ "$(ids_of rec.json)" = "$(ref_ids --prk prk.bin --kind "$kind" <exec.json)" ]
		[ "$(field rec.json session_binding_hash)" = null ]
	done
	[ "$(hex k-raw)" = "$("$SS_PYTHON" "$REF_KEYS" --prk prk.bin --kind raw <exec.json | cut -d' ' -f3)" ]
}

@test "a TPM root is deterministic, single and batch alike, and unlike a software root" {
	ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	ss-derive-key --root-tpm "$ROOT" --auth-file auth --kind raw <exec.json >a.json
	ss-derive-key --root-tpm "$ROOT" --auth-fd 5 --kind raw <exec.json >b.json 5<auth
	[ "$(field a.json key_id)" = "$(field b.json key_id)" ]
	contexts 50 >in.jsonl
	ss-derive-key --root-tpm "$ROOT" --auth-file auth --kind raw --batch <in.jsonl >batch.jsonl
	[ "$(wc -l <batch.jsonl)" -eq 50 ]
	head -1 in.jsonl | ss-derive-key --root-tpm "$ROOT" --auth-file auth --kind raw >first.json
	[ "$(field first.json key_id)" = "$(head -1 batch.jsonl | jq -r .key_id)" ]
	# The context hash does not depend on the root; the key id does.
	secret_file soft 32
	ss-derive-key --root-secret soft --kind raw <exec.json >soft.json
	[ "$(field soft.json context_hash)" = "$(field a.json context_hash)" ]
	[ "$(field soft.json key_id)" != "$(field a.json key_id)" ]
}

@test "two TPM roots give different keys" {
	ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	ss-derive-key init-tpm-root --handle 0x81000101 --auth-file auth
	ss-derive-key --root-tpm "$ROOT" --auth-file auth --kind raw <exec.json >a.json
	ss-derive-key --root-tpm 0x81000101 --auth-file auth --kind raw <exec.json >b.json
	[ "$(field a.json key_id)" != "$(field b.json key_id)" ]
}

@test "a root without an auth value needs none" {
	ss-derive-key init-tpm-root --handle "$ROOT"
	run --separate-stderr ss-derive-key --root-tpm "$ROOT" --kind raw <exec.json
	assert_success
}

@test "a wrong or missing auth value is refused by the TPM (exit 4)" {
	ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	printf 'not-the-auth' >wrong
	chmod 600 wrong
	run --separate-stderr ss-derive-key --root-tpm "$ROOT" --auth-file wrong <exec.json
	assert_failure_exact 4 "ss-derive-key: TPM root $ROOT: TPM2_HMAC: tpm:session(1):the authorization HMAC check failed and DA counter incremented (0x98e)"
	run --separate-stderr ss-derive-key --root-tpm "$ROOT" <exec.json
	assert_failure_exact 4 "ss-derive-key: TPM root $ROOT: TPM2_HMAC: tpm:session(1):the authorization HMAC check failed and DA counter incremented (0x98e)"
}

@test "another handle, or an object that is not an HMAC root, is refused (exit 4)" {
	ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	run --separate-stderr ss-derive-key --root-tpm 0x81000101 --auth-file auth <exec.json
	assert_failure_exact 4 "ss-derive-key: TPM root 0x81000101: no persistent object there"
	# swtpm_setup's RSA EK: a restricted decryption key.
	run --separate-stderr ss-derive-key --root-tpm 0x81010001 <exec.json
	assert_failure_exact 4 "ss-derive-key: TPM root 0x81010001: not an HMAC-SHA256 keyed-hash key"
}

@test "an HMAC key that could leave the TPM is refused (exit 4)" {
	# Imported keys are never fixedTPM.
	# swtpm has three object slots and tpm2-tools leaves its objects loaded.
	tpm2_createprimary -C o -g sha256 -G ecc -c prim.ctx >/dev/null
	tpm2_flushcontext -t
	head -c 32 /dev/urandom >hmac.key
	tpm2_import -C prim.ctx -G hmac -i hmac.key -u imp.pub -r imp.priv >/dev/null
	tpm2_flushcontext -t
	tpm2_load -C prim.ctx -u imp.pub -r imp.priv -c imp.ctx >/dev/null
	tpm2_evictcontrol -C o -c imp.ctx 0x81000102 >/dev/null
	tpm2_flushcontext -t
	run --separate-stderr ss-derive-key --root-tpm 0x81000102 --kind raw <exec.json
	assert_failure_exact 4 "ss-derive-key: TPM root 0x81000102: not fixedTPM (it could leave the TPM)"
}

@test "init-tpm-root on an occupied handle fails (exit 4) and leaves the object" {
	ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	local before
	before=$(tpm2_readpublic -c "$ROOT" | grep '^name:')
	run --separate-stderr ss-derive-key init-tpm-root --handle "$ROOT"
	assert_failure_exact 4 "ss-derive-key: persistent handle $ROOT is already in use"
	[ "$(tpm2_readpublic -c "$ROOT" | grep '^name:')" = "$before" ]
}

@test "init-tpm-root auth values come from owner-only files of 1 to 32 bytes" {
	chmod 644 auth
	run --separate-stderr ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	assert_failure_exact 3 "ss-derive-key: secret file 'auth' is accessible by group or others (mode 0644)"
	secret_file long 33
	run --separate-stderr ss-derive-key init-tpm-root --handle "$ROOT" --auth-file long
	assert_failure_exact 3 "ss-derive-key: secret file 'long' is longer than 32 bytes"
	run --separate-stderr ss-derive-key init-tpm-root --handle 0x80000000
	assert_failure_exact 2 "ss-derive-key: --handle: '0x80000000' is not a handle in 0x81000000..0x81ffffff"
}

@test "init-tpm-root with the owner's auth value when the owner hierarchy has one" {
	printf 'owner-secret' >owner
	chmod 600 owner
	tpm2_changeauth -c o owner-secret
	run --separate-stderr ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth
	[ "$status" -eq 4 ]
	run --separate-stderr ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth \
		--owner-auth-file owner
	assert_success
	run --separate-stderr ss-derive-key --root-tpm "$ROOT" --auth-file auth --kind raw <exec.json
	assert_success
}

@test "--tcti and -v before the command: init-tpm-root on that TPM" {
	local tcti=$SS_TCTI
	run --separate-stderr env -u SS_TCTI -u TPM2TOOLS_TCTI \
		ss-derive-key --tcti "$tcti" init-tpm-root --handle "$ROOT" --auth-file auth
	assert_success
	assert_output ""
	run tpm2_readpublic -c "$ROOT"
	assert_success
	run --separate-stderr env -u SS_TCTI -u TPM2TOOLS_TCTI \
		ss-derive-key -v --tcti "$tcti" --root-tpm "$ROOT" --auth-file auth --kind raw <exec.json
	assert_success
}

@test "the TPM root's auth value comes from a file or a descriptor, not both" {
	run --separate-stderr ss-derive-key init-tpm-root --handle "$ROOT" --auth-file auth --auth-fd 5 5<auth
	assert_failure_exact 2 "ss-derive-key: --auth-file and --auth-fd exclude each other"
	run --separate-stderr ss-derive-key --root-tpm "$ROOT" --auth-fd 5 --auth-file auth 5<auth <exec.json
	assert_failure_exact 2 "ss-derive-key: --auth-fd and --auth-file exclude each other"
}

@test "an unreachable TPM is a TPM error (exit 4)" {
	run --separate-stderr ss-derive-key --root-tpm "$ROOT" --tcti swtpm:host=127.0.0.1,port=1 <exec.json
	assert_failure_exact 4 "ss-derive-key: connect to TPM 'swtpm:host=127.0.0.1,port=1': cannot reach the TPM (is it running?)"
}
