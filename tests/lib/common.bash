# Loaded by every bats file: assertions, the built tools on PATH, and a few
# helpers for documents and exact-failure checks.
bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

: "${SS_BUILD:=$BATS_TEST_DIRNAME/../build}"
export PATH="$SS_BUILD/bin:$PATH"
export SS_TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
export SS_SCHEMAS="$SS_TOP/docs/schemas"
# Debian's python3-jsonschema belongs to the system Python.
export SS_PYTHON=/usr/bin/python3
unset SS_TCTI TPM2TOOLS_TCTI SS_STATE_DIR

# assert_failure_exact STATUS MESSAGE: the last `run` ended with exactly this
# status, printed exactly this one line on stderr and nothing on stdout.
# Use with `run --separate-stderr`.
assert_failure_exact() {
	local want_status=$1 want_msg=$2
	if [ "$status" -ne "$want_status" ]; then
		echo "status $status, want $want_status; stderr: $stderr" >&2
		return 1
	fi
	if [ "$stderr" != "$want_msg" ]; then
		printf 'stderr:\n  %s\nwant:\n  %s\n' "$stderr" "$want_msg" >&2
		return 1
	fi
	if [ -n "$output" ]; then
		printf 'stdout not empty: %s\n' "$output" >&2
		return 1
	fi
}

# validate_schema SCHEMA_NAME FILE: FILE holds one JSON document (or JSONL
# with --lines) that must validate against docs/schemas/NAME.schema.json.
validate_schema() {
	"$SS_PYTHON" "$SS_TOP/tests/lib/validate.py" "$SS_SCHEMAS/$1.schema.json" "${@:2}"
}

# flip_bit FILE OFFSET: XOR one bit of the byte at OFFSET (negative: from
# the end), so the file always changes, whatever the byte was.
flip_bit() {
	"$SS_PYTHON" -c 'import sys
p, i = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
b[i] ^= 1
open(p, "wb").write(b)' "$1" "$2"
}
