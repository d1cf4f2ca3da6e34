# Helpers for the ss-collision-check suites.  Records are written here (jq,
# printf) or by tests/lib/collision_records.py; expected counts come from
# tests/lib/collision_oracle.py, the rules written again in Python, or from
# the benchmark's reference when BASELINES names its directory.

COLLIDE_RECORDS="$BATS_TEST_DIRNAME/lib/collision_records.py"
COLLIDE_ORACLE="$BATS_TEST_DIRNAME/lib/collision_oracle.py"
B1=5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9
B2=6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
B3=d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35
K1=d1a5ac9a015fac2ef7b341673635512a
K2=6ab9f1eb8f7d3388f4f9d586f66e99fd

collide() { ss-collision-check "$@"; }

# records N [collision_records.py options] > FILE
records() { "$SS_PYTHON" "$COLLIDE_RECORDS" "$@"; }

# oracle FILE... : {"records": N, "by_kind": {...}} by the Python rules
oracle() { "$SS_PYTHON" "$COLLIDE_ORACLE" "$@"; }

# counts REPORT_FILE : the same two members of a report, compact
counts() { jq -c '{records, by_kind}' "$1"; }

# session TENANT EXECUTION BINDING [CHALLENGE]: an approved ss.session.v1 line
# with the members the check reads (and a few it does not).
session() {
	jq -nc --arg t "$1" --arg e "$2" --arg b "$3" --arg c "${4:-ch-$2}" \
		'{type: "ss.session.v1", approved: true, reason: "approved", challenge_id: $c,
		  execution_id: $e, tenant_id: $t, operator_id: "op-1",
		  clock: {reset_count: 0, restart_count: 0, clock: 1, safe: true},
		  session_binding_hash: $b, verified_at: "2026-11-25T18:12:30Z"}'
}

# keyrec TENANT EXECUTION BINDING KEY_ID: an ss.key.v1 line
keyrec() {
	jq -nc --arg t "$1" --arg e "$2" --arg b "$3" --arg k "$4" \
		'{type: "ss.key.v1", key_id: $k, kind: "ed25519", purpose: "execution",
		  public_key_pem: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
		  execution_id: $e, tenant_id: $t, operator_id: "op-1", session_binding_hash: $b,
		  context_hash: $b, derived_at: "2026-11-25T18:12:31Z"}'
}

# event KIND TENANT EXECUTION BINDING KEY_ID: a CloudEvents telemetry line
# as ss-fc-launch writes them, the record's fields under data.
event() {
	jq -nc --arg type "dev.ss.fc.$1" --arg t "$2" --arg e "$3" --arg b "$4" --arg k "$5" \
		'{specversion: "1.0", id: ("ev-" + $e), source: "/ss-fc-launch/runner-1", type: $type,
		  time: "2026-11-25T18:12:32Z", datacontenttype: "application/json",
		  data: {execution_id: $e, tenant_id: $t, operator_id: "op-1",
		         session_binding_hash: $b, key_id: $k,
		         vm: {kernel_sha256: $b, vcpu_count: 2}}}'
}
