#!/usr/bin/env bats
# What enroll-challenge refuses before any credential is made: EK
# certificates that do not chain to the bundle or do not certify the EK,
# EK templates that do not fit, AKs that are not attestation keys.  Exact
# status and message each, nothing on stdout, and a line in the audit log.

load lib/common
load lib/swtpm
load lib/enroll

setup_file() { enroll_suite_init "$RSA_EK" "$RSA_EK_NV" ecc; }
teardown_file() { swtpm_fini; }
setup() {
	enroll_test_setup
	kit_copy "$KIT" "$T/kit"
}
teardown() { assert_tpm_clean; }

# challenge_with KIT [BUNDLE]: run enroll-challenge on the kit's identity.
challenge_with() {
	identity_doc "$1" >"$1.json"
	run --separate-stderr hs enroll-challenge --key "$CP_KEY" --identity "$1.json" \
		--ek-ca "${2:-$SWTPM_CA_BUNDLE}"
}

# other_ca DIR: a CA of its own (key and self-signed certificate).
other_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other-ca \
		-days 2 -keyout "$1/other-ca.key" -out "$1/other-ca.pem" 2>/dev/null
}

@test "an EK certificate from another CA is refused, and the refusal is audited" {
	other_ca "$T"
	# The same EK key, certified by a CA the control plane does not trust.
	openssl x509 -new -force_pubkey "$T/kit/ek.pem" -subj /CN=ek -CA "$T/other-ca.pem" \
		-CAkey "$T/other-ca.key" -days 2 -out "$T/kit/ek-cert.pem"
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: not issued by a CA in the bundle: unable to get local issuer certificate"
	run jq -r '[.event, .decision, .runner_id, .ak_name, .reason] | join("|")' "$STATE/audit.jsonl"
	assert_output "enroll-challenge|refused|runner-1|$NAME|EK certificate: not issued by a CA in the bundle: unable to get local issuer certificate"
	[ ! -d "$STATE/enroll-pending" ] || [ -z "$(ls "$STATE/enroll-pending")" ]

	# The genuine certificate against a bundle of that other CA: the same.
	challenge_with "$KIT" "$T/other-ca.pem"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: not issued by a CA in the bundle: unable to get local issuer certificate"
}

@test "the bundle must lead to a root: its root alone or its intermediate alone is not enough" {
	root=$SWTPM_DIR/ca/swtpm-localca-rootca-cert.pem
	issuer=$SWTPM_DIR/ca/issuercert.pem
	challenge_with "$KIT" "$root"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: not issued by a CA in the bundle: unable to get local issuer certificate"
	challenge_with "$KIT" "$issuer"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: not issued by a CA in the bundle: unable to get issuer certificate"
	# Intermediate and root, in either order.
	cat "$issuer" "$root" >"$T/bundle.pem"
	challenge_with "$KIT" "$T/bundle.pem"
	assert_success
	validate_schema ss.credential-challenge.v1 <(echo "$output")
}

@test "an identity whose EK key is not the certified one is refused" {
	tpm2_readpublic -c "$ECC_EK" -f pem -o "$T/kit/ek.pem" >/dev/null
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: certifies another key than the identity's EK"
}

@test "an identity without an EK certificate is refused, naming the remedy (issue 9)" {
	rm "$T/kit/ek-cert.pem"
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: the identity has none (ek.certificate_pem is null); put the TPM vendor's EK certificate in the runner's TPM NV (a swtpm: swtpm_setup --create-ek-cert), run 'ss-tpm-identity enroll' there again and send the new identity"
}

@test "the EK template comes from the NV index, and must fit the certified key and the claimed algorithm" {
	rm "$T/kit/nv_index"
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: no NV index (ek.nv_index is null), so no EK template"
	echo 0x01c00099 >"$T/kit/nv_index"
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: NV index 0x01c00099 is not a TCG EK certificate index"
	echo 0x01c0000a >"$T/kit/nv_index"
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: EK certificate: holds an rsa-2048 key, template L-2 is for ecc-p256"
	echo 0x01c00002 >"$T/kit/nv_index"
	echo ecc-p384 >"$T/kit/ek_alg"
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: EK: the identity says 'ecc-p384', the certificate holds an rsa-2048 key"
}

@test "an NV index in another form than 0x and 8 hex digits is invalid input (issue 9)" {
	echo 0x1c00002 >"$T/kit/nv_index"
	challenge_with "$T/kit"
	assert_failure_exact 3 "ss-attest-handshake: identity '$T/kit.json': member 'ek.nv_index' is not a TPM handle (0x and 8 lowercase hex digits)"
}

# ek_cert_with KIT EXTENSIONS...: replace the kit's EK certificate by one for
# the same EK key, issued by a CA of this test ($T/other-ca.pem, which is
# then the whole bundle), with exactly these extension lines.
ek_cert_with() {
	local kit=$1
	shift
	[ -f "$T/other-ca.pem" ] || other_ca "$T"
	# A leading "N." of a name in a DN section is how OpenSSL repeats a
	# field: "1.2.23.133.2.1" stands for the OID 2.23.133.2.1.
	{
		echo '[ext]'
		printf '%s\n' "$@"
		echo '[tpm]'
		echo '1.2.23.133.2.1 = id:00001014'
		echo '1.2.23.133.2.2 = swtpm'
		echo '1.2.23.133.2.3 = id:20191023'
		echo '[tpm_no_model]'
		echo '1.2.23.133.2.1 = id:00001014'
		echo '1.2.23.133.2.3 = id:20191023'
	} >"$T/ext.cnf"
	openssl x509 -new -force_pubkey "$kit/ek.pem" -subj /CN=ek -CA "$T/other-ca.pem" \
		-CAkey "$T/other-ca.key" -days 2 -extfile "$T/ext.cnf" -extensions ext \
		-out "$kit/ek-cert.pem"
}

EKU='extendedKeyUsage = 2.23.133.8.1'
BC='basicConstraints = critical, CA:FALSE'
SAN='subjectAltName = critical, dirName:tpm'
KU_RSA='keyUsage = critical, keyEncipherment'

@test "an EK certificate follows the TCG EK Credential Profile: EKU, CA:FALSE, TPM in the SAN, key usage" {
	# All four, as swtpm issues them: accepted.
	ek_cert_with "$T/kit" "$EKU" "$BC" "$SAN" "$KU_RSA"
	challenge_with "$T/kit" "$T/other-ca.pem"
	assert_success
	local case
	while IFS='|' read -r case why; do
		kit_copy "$KIT" "$T/kit"
		case $case in
		no-eku) ek_cert_with "$T/kit" "$BC" "$SAN" "$KU_RSA" ;;
		other-eku) ek_cert_with "$T/kit" 'extendedKeyUsage = serverAuth' "$BC" "$SAN" "$KU_RSA" ;;
		no-bc) ek_cert_with "$T/kit" "$EKU" "$SAN" "$KU_RSA" ;;
		no-san) ek_cert_with "$T/kit" "$EKU" "$BC" "$KU_RSA" ;;
		no-model) ek_cert_with "$T/kit" "$EKU" "$BC" 'subjectAltName = critical, dirName:tpm_no_model' "$KU_RSA" ;;
		no-ku) ek_cert_with "$T/kit" "$EKU" "$BC" "$SAN" ;;
		ecc-ku) ek_cert_with "$T/kit" "$EKU" "$BC" "$SAN" 'keyUsage = critical, keyAgreement' ;;
		esac
		challenge_with "$T/kit" "$T/other-ca.pem"
		assert_failure_exact 1 "ss-attest-handshake: EK certificate: $why"
	done <<-'EOF'
	no-eku|no extended key usage tcg-kp-EKCertificate (2.23.133.8.1)
	other-eku|no extended key usage tcg-kp-EKCertificate (2.23.133.8.1)
	no-bc|no basic constraints: an EK certificate says CA:FALSE
	no-san|the subject alternative name does not name the TPM's manufacturer, model and version
	no-model|the subject alternative name does not name the TPM's manufacturer, model and version
	no-ku|no key usage: an rsa EK needs keyEncipherment
	ecc-ku|the key usage lacks keyEncipherment, which an rsa EK needs
	EOF
	run jq -r 'select(.event == "enroll-challenge") | .decision' "$STATE/audit.jsonl"
	assert_output "issued
refused
refused
refused
refused
refused
refused
refused"
}

@test "a signing key that is not restricted is not an AK" {
	tpm2_createprimary -C o -G ecc256:ecdsa-sha256 -c "$T/k.ctx" \
		-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' >/dev/null
	kit_ak "$T/kit" "$T/k.ctx" ecc-p256 0x81000005
	tpm2_flushcontext -t >/dev/null
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: AK '$(ak_name_hex "$T/kit")': not an attestation key: restricted is not set"
}

@test "a storage key is not an AK" {
	tpm2_createprimary -C o -G ecc256 -c "$T/k.ctx" >/dev/null
	kit_ak "$T/kit" "$T/k.ctx" ecc-p256 0x81000005
	tpm2_flushcontext -t >/dev/null
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: AK '$(ak_name_hex "$T/kit")': not an attestation key: sign is not set"
}

# ak_edit KIT ATTRIBUTES_XOR [AUTH_POLICY_HEX]: flip bits of the kit's AK
# objectAttributes (and set its authPolicy), then write the public area
# back with its new TPM name, as an attacker would send them.
ak_edit() {
	"$SS_PYTHON" - "$@" <<-'PY'
	import hashlib, struct, sys
	kit, flip = sys.argv[1], int(sys.argv[2], 0)
	b = open(kit + "/ak.pub", "rb").read()
	t = b[2:]
	name_alg, attrs = struct.unpack(">HI", t[2:8])
	t = t[:4] + struct.pack(">I", attrs ^ flip) + t[8:]
	if len(sys.argv) > 3:
	    n = struct.unpack(">H", t[8:10])[0]
	    policy = bytes.fromhex(sys.argv[3])
	    t = t[:8] + struct.pack(">H", len(policy)) + policy + t[10 + n:]
	assert name_alg == 0x000b
	open(kit + "/ak.pub", "wb").write(struct.pack(">H", len(t)) + t)
	open(kit + "/ak.name", "wb").write(struct.pack(">H", name_alg) + hashlib.sha256(t).digest())
	PY
}

@test "an AK must have the TCG AK template: each attribute refused with its own reason" {
	local case flip policy why
	while IFS='|' read -r flip policy why; do
		kit_copy "$KIT" "$T/kit"
		if [ -n "$policy" ]; then
			ak_edit "$T/kit" "$flip" "$policy"
		else
			ak_edit "$T/kit" "$flip"
		fi
		challenge_with "$T/kit"
		assert_failure_exact 1 "ss-attest-handshake: AK '$(ak_name_hex "$T/kit")': not an attestation key: $why"
	done <<-EOF
	0x2||fixedTPM is not set
	0x10||fixedParent is not set
	0x20||sensitiveDataOrigin is not set
	0x10000||restricted is not set
	0x40000||sign is not set
	0x20000||decrypt is set
	0x40||userWithAuth is not set
	0x80||adminWithPolicy is set
	0x0|$(printf 'ab%.0s' $(seq 32))|authPolicy is not empty
	0x80|$(printf 'ab%.0s' $(seq 32))|adminWithPolicy is set
	EOF
	[ "$(jq -r 'select(.event == "enroll-challenge") | .decision' "$STATE/audit.jsonl" | sort -u)" = refused ]
	# The kit as tpm2_createak made it passes.
	challenge_with "$KIT"
	assert_success
}

@test "an AK whose document disagrees with its public area is refused or invalid" {
	echo rsa-2048 >"$T/kit/ak_alg"
	challenge_with "$T/kit"
	assert_failure_exact 1 "ss-attest-handshake: AK '$NAME': the identity says 'rsa-2048', the public area holds an ecc-p256 key"
	kit_copy "$KIT" "$T/kit"
	tpm2_readpublic -c "$ECC_EK" -f pem -o "$T/kit/ak.pem" >/dev/null
	challenge_with "$T/kit"
	assert_failure_exact 3 "ss-attest-handshake: identity '$T/kit.json': member 'ak.public_pem' is not the key of 'ak.public_area_b64'"
}
