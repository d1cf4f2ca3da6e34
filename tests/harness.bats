#!/usr/bin/env bats
# The test harness itself: a private swtpm that starts, restores and stops
# cleanly, with EK certificates from its own CA.

load lib/common
load lib/swtpm

setup_file() { swtpm_init; }
teardown_file() { swtpm_fini; }
setup() { tpm_restore pristine; }
teardown() { assert_tpm_clean; }

@test "swtpm has EK certificates from the private CA" {
	tpm2_nvread 0x01c00002 -o "$BATS_TEST_TMPDIR/ek.der" 2>/dev/null
	run openssl verify -CAfile "$SWTPM_CA_BUNDLE" <(openssl x509 -inform der -in "$BATS_TEST_TMPDIR/ek.der")
	assert_success
}

@test "an orderly stop keeps clock.safe set" {
	swtpm_stop
	swtpm_start
	run tpm2_readclock
	assert_success
	assert_output --partial "safe: yes"
}

@test "a crash clears clock.safe" {
	swtpm_crash
	swtpm_start
	run tpm2_readclock
	assert_output --partial "safe: no"
}

@test "assert_tpm_clean sees a leftover transient object" {
	tpm2_createprimary -C o -c "$BATS_TEST_TMPDIR/p.ctx" >/dev/null
	run ! assert_tpm_clean
	tpm2_flushcontext -t
}
