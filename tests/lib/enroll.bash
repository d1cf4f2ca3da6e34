# Helpers for the enrollment suites, built on tpm2-tools and openssl only so
# that what they check does not lean on the code under test.
#
# An identity "kit" is a directory of the parts of an ss.identity.v1:
#   runner_id ek_alg ek_handle ek.pem [ek-cert.pem] [nv_index]
#   ak_alg ak_handle ak.pem ak.pub (TPM2B_PUBLIC) ak.name (binary TPM name)
# identity_doc turns it into the document; tests swap single files to make
# the documents an attacker would send.

# The AK handles used by the suites, and the EKs swtpm_setup makes.
RSA_EK=0x81010001 RSA_EK_NV=0x01c00002
ECC_EK=0x81010016 ECC_EK_NV=0x01c00016

# ak_create EK_HANDLE AK_HANDLE ecc|rsa: a restricted signing key under the
# EK (tpm2_createak), made persistent at AK_HANDLE.
ak_create() {
	local ek=$1 handle=$2 alg=$3 d
	d=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/ak.XXXXXX")
	case $alg in
	ecc) set -- -G ecc256 -g sha256 -s ecdsa ;;
	rsa) set -- -G rsa2048 -g sha256 -s rsassa ;;
	esac
	tpm2_createak -C "$ek" -c "$d/ak.ctx" "$@" -u "$d/ak.pub" -n "$d/ak.name" >/dev/null &&
		tpm2_evictcontrol -C o -c "$d/ak.ctx" "$handle" >/dev/null
	local rc=$?
	# tpm2_createak leaves its AK and session loaded; swtpm has three slots.
	tpm2_flushcontext -t >/dev/null && tpm2_flushcontext -l >/dev/null
	rm -rf "$d"
	return $rc
}

# kit_ek DIR RUNNER_ID EK_HANDLE NV_INDEX: the EK part of a kit from the TPM.
kit_ek() {
	local dir=$1
	mkdir -p "$dir"
	echo "$2" >"$dir/runner_id"
	echo "$3" >"$dir/ek_handle"
	echo "$4" >"$dir/nv_index"
	case $3 in
	"$RSA_EK") echo rsa-2048 >"$dir/ek_alg" ;;
	"$ECC_EK") echo ecc-p384 >"$dir/ek_alg" ;;
	esac
	tpm2_readpublic -c "$3" -f pem -o "$dir/ek.pem" >/dev/null &&
		tpm2_nvread "$4" -o "$dir/ek.der" 2>/dev/null &&
		openssl x509 -inform der -in "$dir/ek.der" -out "$dir/ek-cert.pem"
}

# kit_ak DIR KEY_HANDLE_OR_CONTEXT ALG HANDLE_FOR_DOC: the AK part, from any
# loaded key (persistent handle or context file).
kit_ak() {
	local dir=$1
	echo "$3" >"$dir/ak_alg"
	echo "$4" >"$dir/ak_handle"
	tpm2_readpublic -c "$2" -o "$dir/ak.pub" -n "$dir/ak.name" >/dev/null &&
		tpm2_readpublic -c "$2" -f pem -o "$dir/ak.pem" >/dev/null
}

# kit_copy FROM TO
kit_copy() {
	rm -rf "$2"
	cp -a "$1" "$2"
}

# ak_name_hex KIT
ak_name_hex() {
	xxd -p -c 256 "$1/ak.name"
}

# identity_doc KIT: the ss.identity.v1 document, one line.
identity_doc() {
	local k=$1 cert=null nv=null
	[ -f "$k/ek-cert.pem" ] && cert=$(jq -Rs . <"$k/ek-cert.pem")
	[ -f "$k/nv_index" ] && nv=$(jq -R . <"$k/nv_index")
	jq -cn --arg runner "$(cat "$k/runner_id")" \
		--arg ek_alg "$(cat "$k/ek_alg")" --arg ek_handle "$(cat "$k/ek_handle")" \
		--rawfile ek_pem "$k/ek.pem" --argjson cert "$cert" --argjson nv "$nv" \
		--arg ak_alg "$(cat "$k/ak_alg")" --arg ak_handle "$(cat "$k/ak_handle")" \
		--rawfile ak_pem "$k/ak.pem" --arg ak_area "$(base64 -w0 "$k/ak.pub")" \
		--arg ak_name "$(ak_name_hex "$k")" --arg now "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		'{type: "ss.identity.v1", runner_id: $runner,
		  tpm: {manufacturer: "IBM", vendor: "SW   TPM", firmware: "0x2019102300163636",
			simulator: true},
		  ek: {alg: $ek_alg, handle: $ek_handle, public_pem: $ek_pem, certificate_pem: $cert,
		       nv_index: $nv},
		  ak: {alg: $ak_alg, handle: $ak_handle, public_pem: $ak_pem,
		       public_area_b64: $ak_area, name: $ak_name},
		  created_at: $now}'
}

# cp_key FILE: a control-plane signing key (ECDSA P-256), owner-only.
cp_key() {
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
}

# credential_file CHALLENGE OUT: the tpm2-tools credential file for a
# challenge (header, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET), as
# tpm2_makecredential writes it and tpm2_activatecredential reads it.
credential_file() {
	{
		printf '\xba\xdc\xc0\xde\x00\x00\x00\x01'
		jq -r .credential_blob_b64 "$1" | base64 -d
		jq -r .encrypted_secret_b64 "$1" | base64 -d
	} >"$2"
}

# activate_tpm2_tools CHALLENGE EK_HANDLE AK_HANDLE OUT: TPM2_ActivateCredential
# with tpm2-tools.  The low-range RSA EK has no userWithAuth: its policy
# (PolicySecret on the endorsement hierarchy) needs a policy session.
activate_tpm2_tools() {
	local ch=$1 ek=$2 ak=$3 out=$4 d rc
	d=$(mktemp -d "$BATS_TEST_TMPDIR/act.XXXXXX")
	credential_file "$ch" "$d/cred.bin"
	if [ "$ek" = "$RSA_EK" ]; then
		tpm2_startauthsession --policy-session -S "$d/s.ctx" >/dev/null &&
			tpm2_policysecret -S "$d/s.ctx" -c e >/dev/null &&
			tpm2_activatecredential -c "$ak" -C "$ek" -i "$d/cred.bin" -o "$out" \
				-P "session:$d/s.ctx" >/dev/null 2>"$d/err"
		rc=$?
		tpm2_flushcontext "$d/s.ctx" >/dev/null 2>&1
	else
		tpm2_activatecredential -c "$ak" -C "$ek" -i "$d/cred.bin" -o "$out" \
			>/dev/null 2>"$d/err"
		rc=$?
	fi
	[ $rc -eq 0 ] || cat "$d/err" >&2
	return $rc
}

# response_doc CHALLENGE CREDENTIAL_FILE: the ss.credential-response.v1 a
# runner sends, proof = HMAC-SHA256(credential, nonce || AK name).
response_doc() {
	local ch=$1 key proof
	key=$(xxd -p -c 256 "$2")
	proof=$({
		jq -r .nonce "$ch" | xxd -r -p
		jq -r .ak_name "$ch" | xxd -r -p
	} | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" | awk '{print $NF}')
	jq -c --arg proof "$proof" \
		'{type: "ss.credential-response.v1", challenge_id, runner_id, ak_name, proof: $proof}' "$ch"
}

# enroll_suite_init EK_HANDLE NV_INDEX ecc|rsa (setup_file): a private swtpm
# with an AK under that EK at $AK (snapshot "with-ak"), the AK's identity kit
# in $KIT (runner "runner-1"), and a control-plane key $CP_KEY / $CP_PUB.
enroll_suite_init() {
	local ek=$1 nv=$2 alg=$3
	export AK=0x81000002 KIT=$BATS_FILE_TMPDIR/kit
	export CP_KEY=$BATS_FILE_TMPDIR/cp.pem CP_PUB=$BATS_FILE_TMPDIR/cp.pub
	export SUITE_EK=$ek
	swtpm_init || return
	ak_create "$ek" "$AK" "$alg" || return
	kit_ek "$KIT" runner-1 "$ek" "$nv" || return
	kit_ak "$KIT" "$AK" "$([ "$alg" = ecc ] && echo ecc-p256 || echo rsa-2048)" "$AK" || return
	tpm_snapshot with-ak
	cp_key "$CP_KEY" && openssl pkey -in "$CP_KEY" -pubout -out "$CP_PUB" 2>/dev/null
}

# enroll_test_setup (setup): the TPM with the AK, this test's state
# directory in $STATE, $T, and the AK's name in $NAME.
enroll_test_setup() {
	tpm_restore with-ak
	STATE=$BATS_TEST_TMPDIR/state
	T=$BATS_TEST_TMPDIR
	NAME=$(ak_name_hex "$KIT")
}

# hs ARGS...: the tool with this test's state directory.
hs() {
	ss-attest-handshake "$@" --state "$STATE"
}

# enroll_challenge KIT OUT [ARGS...]: the identity made from KIT, and the
# challenge for it in OUT.
enroll_challenge() {
	local kit=$1 out=$2
	shift 2
	identity_doc "$kit" >"$kit.json" &&
		hs enroll-challenge --key "$CP_KEY" --identity "$kit.json" --ek-ca "$SWTPM_CA_BUNDLE" \
			"$@" >"$out"
}

# enroll_respond CHALLENGE EK_HANDLE AK_HANDLE OUT: activate with tpm2-tools
# and write the response.
enroll_respond() {
	local cred
	cred=$(mktemp "$BATS_TEST_TMPDIR/cred.XXXXXX")
	activate_tpm2_tools "$1" "$2" "$3" "$cred" && response_doc "$1" "$cred" >"$4"
}

# tpm_name HANDLE: the name the TPM reports for an object.
tpm_name() {
	tpm2_readpublic -c "$1" | awk '$1 == "name:" { print $2; exit }'
}
