#!/usr/bin/env bats
# ss-tpm-identity enroll: which EK, by its certificate; EKs created from
# their TCG template; --ek-handle; hierarchy passwords.

load lib/common
load lib/swtpm
load lib/tpm_identity

setup_file() { swtpm_init; }
teardown_file() { swtpm_fini; }
setup() { identity_setup; }
teardown() { assert_tpm_clean; }

persistent() { tpm2_getcap handles-persistent | tr '\n' ' '; }

cert_pem_of_nv() {
	tpm2_nvread "$1" -o "$BATS_TEST_TMPDIR/nv.der" && openssl x509 -inform der -in "$BATS_TEST_TMPDIR/nv.der"
}

@test "the EK is re-created from the template of its certificate after eviction, and matches it" {
	tpm2_evictcontrol -C o -c 0x81010001 >/dev/null
	tpm2_evictcontrol -C o -c 0x81010016 >/dev/null
	run --separate-stderr ss-tpm-identity enroll --runner-id r -v
	assert_success
	assert_equal "$stderr" "$(printf 'ss-tpm-identity: created EK 0x81010001\nss-tpm-identity: created AK 0x8100a001')"
	echo "$output" >id.json
	validate_schema ss.identity.v1 id.json
	[ "$(json_get id.json ek handle)" = 0x81010001 ]
	[ "$(json_get id.json ek nv_index)" = 0x01c00002 ]
	cert_pem_of_nv 0x01c00002 >nv.pem
	json_get id.json ek certificate_pem >doc.pem
	cmp nv.pem doc.pem
	openssl x509 -in nv.pem -noout -pubkey >cert-key.pem
	tpm2_readpublic -c 0x81010001 -f pem -o ek.pem >/dev/null
	cmp cert-key.pem ek.pem
	run tpm2_readpublic -c 0x81010001
	assert_output --partial "value: fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|restricted|decrypt"
	assert_output --partial "authorization policy: 837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa"
	# Only the chosen certificate's EK is created.
	[ "$(persistent)" = "- 0x8100A001 - 0x81010001 " ]
}

@test "a persistent EK matching a certificate is preferred: the P-384 EK (H-3) when the RSA one is gone" {
	tpm2_evictcontrol -C o -c 0x81010001 >/dev/null
	run --separate-stderr ss-tpm-identity enroll --runner-id r
	assert_success
	echo "$output" >id.json
	validate_schema ss.identity.v1 id.json
	[ "$(json_get id.json ek handle)" = 0x81010016 ]
	[ "$(json_get id.json ek alg)" = ecc-p384 ]
	[ "$(json_get id.json ek nv_index)" = 0x01c00016 ]
	cert_pem_of_nv 0x01c00016 >nv.pem
	json_get id.json ek certificate_pem >doc.pem
	cmp nv.pem doc.pem
	[ "$(persistent)" = "- 0x8100A001 - 0x81010016 " ]
}

@test "no certificate anywhere: the default RSA EK (L-1) at 0x81010001, certificate_pem null, and a warning (issue 9)" {
	local warning="ss-tpm-identity: warning: the TPM holds no EK certificate: a control plane refuses to enroll this runner until the TPM vendor's EK certificate is in its NV (a swtpm: swtpm_setup --create-ek-cert) and enroll runs again"
	tpm2_nvundefine -C p 0x01c00002 >/dev/null
	tpm2_nvundefine -C p 0x01c00016 >/dev/null
	tpm2_evictcontrol -C o -c 0x81010001 >/dev/null
	tpm2_evictcontrol -C o -c 0x81010016 >/dev/null
	run --separate-stderr ss-tpm-identity enroll --runner-id r -v
	assert_success
	assert_equal "$stderr" "$(printf 'ss-tpm-identity: created EK 0x81010001\nss-tpm-identity: created AK 0x8100a001\n%s' "$warning")"
	echo "$output" >id.json
	validate_schema ss.identity.v1 id.json
	[ "$(json_get id.json ek certificate_pem)" = null ]
	[ "$(json_get id.json ek nv_index)" = null ]
	[ "$(json_get id.json ek handle)" = 0x81010001 ]
	[ "$(json_get id.json ek alg)" = rsa-2048 ]
	# Enrolling again uses it as it is (and warns again).
	run --separate-stderr ss-tpm-identity enroll --runner-id r -v
	assert_success
	assert_equal "$stderr" "$warning"
	[ "$output" = "$(cat id.json)" ]
}

@test "no certificate, and 0x81010001 holds another key: refused, nothing replaced (exit 4)" {
	tpm2_nvundefine -C p 0x01c00002 >/dev/null
	tpm2_nvundefine -C p 0x01c00016 >/dev/null
	tpm2_evictcontrol -C o -c 0x81010001 >/dev/null
	tpm2_createprimary -C o -G rsa2048 -c other.ctx >/dev/null
	tpm2_evictcontrol -C o -c other.ctx 0x81010001 >/dev/null
	tpm2_flushcontext -t
	tpm2_readpublic -c 0x81010001 -n before.name >/dev/null
	run --separate-stderr ss-tpm-identity enroll --runner-id r
	assert_failure_exact 4 "ss-tpm-identity: no EK certificate in the TPM, and 0x81010001 holds a key that is not the default EK (template L-1); it is never replaced"
	tpm2_readpublic -c 0x81010001 -n after.name >/dev/null
	cmp before.name after.name
}

@test "a certificate whose key the template does not create: exit 4, nothing persisted" {
	# Replace the RSA EK certificate by one for an unrelated RSA key.
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -subj /CN=other -days 1 \
		-outform der -out other.der 2>/dev/null
	tpm2_nvundefine -C p 0x01c00002 >/dev/null
	tpm2_nvdefine -C p -s "$(stat -c %s other.der)" \
		-a "ppwrite|ppread|ownerread|authread|no_da|platformcreate" 0x01c00002 >/dev/null
	tpm2_nvwrite -C p -i other.der 0x01c00002
	tpm2_evictcontrol -C o -c 0x81010001 >/dev/null
	tpm2_evictcontrol -C o -c 0x81010016 >/dev/null
	run --separate-stderr ss-tpm-identity enroll --runner-id r
	assert_failure_exact 4 "ss-tpm-identity: EK certificate at NV 0x01c00002 does not match the key that template L-1 creates"
	run tpm2_getcap handles-persistent
	assert_output ""
}

@test "--ek-handle: that EK, with the certificate whose key matches it" {
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ek-handle 0x81010016
	assert_success
	echo "$output" >id.json
	[ "$(json_get id.json ek handle)" = 0x81010016 ]
	[ "$(json_get id.json ek nv_index)" = 0x01c00016 ]
	cert_pem_of_nv 0x01c00016 >nv.pem
	json_get id.json ek certificate_pem >doc.pem
	cmp nv.pem doc.pem
}

@test "--ek-handle: an EK with PolicyB and userWithAuth clear (PolicySecret + PolicyOR), no certificate" {
	# An H-3-shaped EK whose only authorization is its policy.
	echo b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12 |
		xxd -r -p >policy-b.bin
	tpm2_createprimary -C e -g sha384 -G ecc384:aes256cfb -L policy-b.bin \
		-a "fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|restricted|decrypt" \
		-c ek.ctx >/dev/null
	tpm2_evictcontrol -C o -c ek.ctx 0x81010020 >/dev/null
	tpm2_flushcontext -t
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ek-handle 0x81010020
	assert_success
	echo "$output" >id.json
	validate_schema ss.identity.v1 id.json
	[ "$(json_get id.json ek handle)" = 0x81010020 ]
	[ "$(json_get id.json ek certificate_pem)" = null ]
	[ "$(json_get id.json ek nv_index)" = null ]
}

@test "--ek-handle: nothing there, not a decryption key, not an endorsement primary (exit 4)" {
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ek-handle 0x81010099
	assert_failure_exact 4 "ss-tpm-identity: no EK at persistent handle 0x81010099"
	tpm2_createprimary -C o -c srk.ctx >/dev/null
	tpm2_evictcontrol -C o -c srk.ctx 0x81000001 >/dev/null
	tpm2_flushcontext -t
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ek-handle 0x81000001
	assert_failure_exact 4 "ss-tpm-identity: object at 0x81000001 is not a primary key of the endorsement hierarchy"
	ss-tpm-identity enroll --runner-id r >/dev/null
	run --separate-stderr ss-tpm-identity enroll --runner-id r --ek-handle 0x8100a001
	assert_failure_exact 4 "ss-tpm-identity: object at 0x8100a001 is not an endorsement key (not a restricted decryption key)"
}

@test "endorsement password: from a 0600 file or a descriptor; without it exit 4" {
	printf '%s' 'e-secret' >eauth
	chmod 600 eauth
	tpm2_changeauth -c e e-secret
	run --separate-stderr ss-tpm-identity enroll --runner-id r
	assert_failure_exact 4 "ss-tpm-identity: authorize EK 0x81010001 with the endorsement hierarchy: tpm:session(1):authorization failure without DA implications (0x9a2)"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --endorsement-auth-file eauth
	assert_success
	tpm2_evictcontrol -C o -c 0x8100a001 >/dev/null
	run --separate-stderr ss-tpm-identity enroll --runner-id r --endorsement-auth-fd 3 3<eauth
	assert_success
	tpm2_changeauth -c e -p e-secret
}

@test "owner password: needed to persist the AK" {
	printf '%s' 'o-secret' >oauth
	chmod 600 oauth
	tpm2_changeauth -c o o-secret
	run --separate-stderr ss-tpm-identity enroll --runner-id r
	assert_failure_exact 4 "ss-tpm-identity: make object persistent at 0x8100a001: tpm:session(1):authorization failure without DA implications (0x9a2)"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --owner-auth-file oauth
	assert_success
	tpm2_changeauth -c o -p o-secret
}

@test "hierarchy password files others can read are refused before the TPM is touched (exit 3)" {
	printf '%s' 'secret' >auth
	chmod 640 auth
	run --separate-stderr ss-tpm-identity enroll --runner-id r --endorsement-auth-file auth
	assert_failure_exact 3 "ss-tpm-identity: endorsement authorization: secret file 'auth' is accessible by group or others (mode 0640)"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --owner-auth-file auth
	assert_failure_exact 3 "ss-tpm-identity: owner authorization: secret file 'auth' is accessible by group or others (mode 0640)"
	chmod 600 auth
	head -c 65 /dev/zero >long
	chmod 600 long
	run --separate-stderr ss-tpm-identity enroll --runner-id r --owner-auth-file long
	assert_failure_exact 3 "ss-tpm-identity: owner authorization: secret file 'long' is longer than 64 bytes"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --owner-auth-file auth --owner-auth-fd 3 3<auth
	assert_failure_exact 2 "ss-tpm-identity: --owner-auth-file and --owner-auth-fd exclude each other"
	run --separate-stderr ss-tpm-identity enroll --runner-id r --endorsement-auth-fd 9
	assert_failure_exact 2 "ss-tpm-identity: --endorsement-auth-fd: descriptor 9 is not open"
	run tpm2_getcap handles-persistent
	assert_output "$(printf -- '- 0x81010001\n- 0x81010016')"
}
