#!/usr/bin/python3
"""The isolation rules of ss-collision-check(1), written again in Python from
the man page, to check the tool's counts on any input.

usage: collision_oracle.py FILE...   prints {"records": N, "by_kind": {...}}

Reads the same members (at the top or under "data"), treats null and "" as
absent, skips refusals (approved false, a type ending in ".denied"), counts
a record without tenant, execution or binding once as missing_field, and
compares every other value with the first record that carried it."""
import json
import sys


def field(doc, name):
    v = doc.get(name)
    if v in (None, "") and isinstance(doc.get("data"), dict):
        v = doc["data"].get(name)
    return None if v in (None, "") else v


def main():
    kinds = dict.fromkeys(["binding_cross_tenant", "key_reuse", "nonce_reuse",
                           "execution_cross_tenant", "missing_field"], 0)
    bindings, keys, nonces, executions = {}, {}, {}, {}
    records = 0
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            for line in f:
                records += 1
                doc = json.loads(line)
                approved = field(doc, "approved")
                kind = doc.get("type")
                if approved is False or (isinstance(kind, str) and kind.endswith(".denied")):
                    continue
                tenant, execution = field(doc, "tenant_id"), field(doc, "execution_id")
                binding = field(doc, "session_binding_hash")
                key, nonce = field(doc, "key_id"), field(doc, "challenge_id")
                if not (tenant and execution and binding):
                    kinds["missing_field"] += 1
                    continue
                if bindings.setdefault(binding, tenant) != tenant:
                    kinds["binding_cross_tenant"] += 1
                if key and keys.setdefault(key, (tenant, execution)) != (tenant, execution):
                    kinds["key_reuse"] += 1
                if nonce and nonces.setdefault(nonce, binding) != binding:
                    kinds["nonce_reuse"] += 1
                if executions.setdefault(execution, tenant) != tenant:
                    kinds["execution_cross_tenant"] += 1
    print(json.dumps({"records": records, "by_kind": kinds}, separators=(",", ":")))


main()
