# Helpers for the ss-derive-key suites.  Documents are written with printf
# and jq, keys with openssl, expected values by tests/lib/ref_keys.py: none
# of it goes through the code under test.

REF_KEYS="$BATS_TEST_DIRNAME/lib/ref_keys.py"
MAKE_SESSION="$BATS_TEST_DIRNAME/lib/make_session.py"
FP_A=sha256:$(printf '%064d' 0)
FP_B=sha256:$(printf '%063d1' 0)

# exec_doc EXECUTION TENANT OPERATOR [FINGERPRINT]: one ss.execution.v1.
exec_doc() {
	printf '{"type":"ss.execution.v1","execution_id":"%s","tenant_id":"%s","operator_id":"%s","fingerprint":"%s"}\n' \
		"$1" "$2" "$3" "${4:-$FP_A}"
}

# contexts N [PREFIX]: N distinct contexts, one per line.
contexts() {
	awk -v n="$1" -v p="${2:-exec}" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"type\":\"ss.execution.v1\",\"execution_id\":\"%s-%d\",\"tenant_id\":\"tenant-%d\",\"operator_id\":\"op-%d\",\"fingerprint\":\"sha256:%056d%08x\"}\n",
				p, i, i % 7, i % 3, 0, i
	}'
}

# secret_file PATH BYTES: random bytes, owner-only.
secret_file() {
	head -c "$2" /dev/urandom >"$1"
	chmod 600 "$1"
}

# field JSON_FILE NAME: one member as text (null as "null").
field() {
	jq -r ".$2" "$1"
}

# hex FILE: the file's bytes as one line of lowercase hex.
hex() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}

# ids_of JSONL_FILE: "key_id context_hash" per record.
ids_of() {
	jq -r '"\(.key_id) \(.context_hash)"' "$1"
}

# ref ARGS... < CONTEXTS: "key_id context_hash" per line from the reference.
ref_ids() {
	"$SS_PYTHON" "$REF_KEYS" "$@" | cut -d' ' -f1,2
}
