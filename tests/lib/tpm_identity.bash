# Helpers for the ss-tpm-identity suites (load after common and swtpm).
#
# setup_file:  swtpm_init; identity_snapshot   (an enrolled TPM, saved once)
# setup:       identity_setup                  (pristine TPM, private state dir)
# in a test:   use_enrolled                    (the enrolled TPM and its state)

# Every test has its own state directory: never the user's.
identity_setup() {
	tpm_restore pristine
	export SS_STATE_DIR="$BATS_TEST_TMPDIR/state"
	cd "$BATS_TEST_TMPDIR"
}

# Enroll once with the defaults and keep that TPM and state as "enrolled".
identity_snapshot() {
	local state="$BATS_FILE_TMPDIR/enrolled-state"
	SS_STATE_DIR="$state" ss-tpm-identity enroll --runner-id runner-1 \
		>"$BATS_FILE_TMPDIR/enrolled.json" || return 1
	tpm_snapshot enrolled
}

use_enrolled() {
	tpm_restore enrolled
	rm -rf "$SS_STATE_DIR"
	cp -a "$BATS_FILE_TMPDIR/enrolled-state" "$SS_STATE_DIR"
	cp "$BATS_FILE_TMPDIR/enrolled.json" "$BATS_TEST_TMPDIR/enrolled.json"
}

# json_get FILE PATH...: one member of a JSON document (null prints "null").
json_get() {
	"$SS_PYTHON" - "$@" <<-'PY'
	import json, sys
	v = json.load(open(sys.argv[1]))
	for k in sys.argv[2:]:
	    v = v[k]
	print("null" if v is None else v, end="" if isinstance(v, str) and v.endswith("\n") else "\n")
	PY
}

# b64_member FILE MEMBER OUT: decode a base64 member into a file.
b64_member() {
	"$SS_PYTHON" -c 'import base64, json, sys
open(sys.argv[3], "wb").write(base64.b64decode(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$@"
}

# quote_facts QUOTE_JSON: "extraData-hex pcrDigest-hex composite-hex" where
# composite is the bank's hash over the document's PCR values in index
# order, and the other two come from decoding attest_b64 (TPMS_ATTEST).
quote_facts() {
	"$SS_PYTHON" - "$1" <<-'PY'
	import base64, hashlib, json, struct, sys
	q = json.load(open(sys.argv[1]))
	a = base64.b64decode(q["attest_b64"])
	magic, typ = struct.unpack(">IH", a[:6])
	assert magic == 0xff544347 and typ == 0x8018, "not a quote"
	o = 6
	def tpm2b():
	    global o
	    n = struct.unpack(">H", a[o:o + 2])[0]
	    v = a[o + 2:o + 2 + n]
	    o += 2 + n
	    return v
	tpm2b()                      # qualifiedSigner
	extra = tpm2b()
	o += 17 + 8                  # clockInfo, firmwareVersion
	count = struct.unpack(">I", a[o:o + 4])[0]
	o += 4
	for _ in range(count):
	    o += 3 + a[o + 2]        # hash, sizeofSelect, pcrSelect
	digest = tpm2b()
	assert o == len(a), "trailing bytes"
	h = hashlib.new(q["pcr_bank"])
	for i in sorted(q["pcrs"], key=int):
	    h.update(bytes.fromhex(q["pcrs"][i]))
	print(extra.hex(), digest.hex(), h.hexdigest())
	PY
}

# The control plane's key that signs what make_challenge writes
# ($CP_SIGNING_KEY), and its public half for --cp-pub ($CP_SIGNING_PUB).
CP_SIGNING_KEY=$BATS_FILE_TMPDIR/cp-signing.pem
CP_SIGNING_PUB=$BATS_FILE_TMPDIR/cp-signing.pub
cp_signing_key() {
	[ -f "$CP_SIGNING_KEY" ] && return 0
	(umask 077 && openssl genpkey -algorithm ed25519 -out "$CP_SIGNING_KEY" 2>/dev/null) &&
		openssl pkey -in "$CP_SIGNING_KEY" -pubout -out "$CP_SIGNING_PUB"
}

# sign_doc KEY < DOC > SIGNED: the control plane's signature, made with openssl.
sign_doc() {
	"$SS_PYTHON" "$BATS_TEST_DIRNAME/lib/sign_doc.py" "$1"
}

# activate ARGS...: ss-tpm-identity activate, pinning the key of make_challenge.
activate() {
	ss-tpm-identity activate --cp-pub "$CP_SIGNING_PUB" "$@"
}

# make_challenge EK_HANDLE AK_NAME SECRET_FILE OUT [EXPIRES [RUNNER_ID]]: what
# a control plane sends, made here with tpm2_makecredential -T none from the
# EK's public area; its output file (magic 0xBADCC0DE, version 1,
# TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET) becomes an
# ss.credential-challenge.v1, signed with $CP_SIGNING_KEY.
make_challenge() {
	local ek=$1 name=$2 secret=$3 out=$4 expires=${5:-2099-01-01T00:00:00Z} runner=${6:-runner-1}
	cp_signing_key || return 1
	tpm2_readpublic -c "$ek" -o "$BATS_TEST_TMPDIR/ek.pub" >/dev/null || return 1
	tpm2_makecredential -T none -u "$BATS_TEST_TMPDIR/ek.pub" -s "$secret" -n "$name" \
		-o "$BATS_TEST_TMPDIR/cred.out" >/dev/null 2>&1 || return 1
	"$SS_PYTHON" - "$BATS_TEST_TMPDIR/cred.out" "$name" "$expires" "$runner" <<-'PY' |
	import base64, json, struct, sys
	b = open(sys.argv[1], "rb").read()
	magic, version = struct.unpack(">II", b[:8])
	assert (magic, version) == (0xBADCC0DE, 1), "not a tpm2_makecredential file"
	n = struct.unpack(">H", b[8:10])[0]
	blob, rest = b[8:10 + n], b[10 + n:]
	n = struct.unpack(">H", rest[:2])[0]
	assert len(rest) == 2 + n, "trailing bytes"
	print(json.dumps({
	    "type": "ss.credential-challenge.v1", "challenge_id": "chal-1", "runner_id": sys.argv[4],
	    "ak_name": sys.argv[2],
	    "credential_blob_b64": base64.b64encode(blob).decode(),
	    "encrypted_secret_b64": base64.b64encode(rest).decode(),
	    "nonce": "5a" * 32, "issued_at": "2020-01-01T00:00:00Z", "expires_at": sys.argv[3]}))
	PY
		sign_doc "$CP_SIGNING_KEY" >"$out"
}

# A loopback port nobody listens on, and nobody on the port after it
# either (a swtpm TCTI also uses port + 1 for control).
free_port() {
	_swtpm_pick_ports
}
