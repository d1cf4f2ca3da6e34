#!/usr/bin/python3
"""Records for the ss-collision-check suites, reproducible from a seed.

usage: collision_records.py N [--tenants T] [--seed S] [--mix]

Without --mix: N session lines of the synthetic shape the benchmark uses
(tenant, execution, binding, key id), every value fresh, so the stream is
clean.  With --mix: sessions, key records and CloudEvents telemetry of the
same executions, denied sessions and launches, records missing a field, and
now and then a value taken from an earlier record of another tenant or
execution: every kind of violation, at random lines."""
import argparse
import hashlib
import json
import random


def h(*parts, n=64):
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--tenants", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mix", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    out = []
    past = []  # (tenant, execution, binding, key, challenge) of earlier sessions
    i = 0
    while len(out) < a.n:
        tenant = "tenant-%d" % rnd.randrange(a.tenants)
        execution, binding, key, challenge = "exec-%d" % i, h("b", i), h("k", i, n=32), "ch-" + h("c", i, n=24)
        i += 1
        if not a.mix:
            out.append({"type": "ss.session.v1", "approved": True, "tenant_id": tenant,
                        "execution_id": execution, "session_binding_hash": binding, "key_id": key})
            continue
        if past and rnd.random() < 0.08:
            t2, e2, b2, k2, c2 = rnd.choice(past)
            pick = rnd.randrange(4)
            if pick == 0:
                binding = b2
            elif pick == 1:
                key = k2
            elif pick == 2:
                challenge = c2
            else:
                execution = e2
        past.append((tenant, execution, binding, key, challenge))
        session = {"type": "ss.session.v1", "approved": True, "reason": "approved",
                   "challenge_id": challenge, "execution_id": execution, "tenant_id": tenant,
                   "operator_id": "operator-1", "session_binding_hash": binding,
                   "clock": {"reset_count": 0, "safe": True}}
        keyrec = {"type": "ss.key.v1", "key_id": key, "kind": "ed25519",
                  "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n",
                  "execution_id": execution, "tenant_id": tenant, "operator_id": "operator-1",
                  "session_binding_hash": binding, "context_hash": h("x", i)}
        event = {"specversion": "1.0", "id": "ev-%d" % i, "source": "/runner-1",
                 "type": "dev.ss.fc.launched", "time": "2026-11-25T18:12:32Z",
                 "data": {"execution_id": execution, "tenant_id": tenant,
                          "session_binding_hash": binding, "key_id": key,
                          "vm": {"vcpu_count": 2, "drives": [{"sha256": h("d", i)}]}}}
        roll = rnd.random()
        if roll < 0.02:
            session = {"type": "ss.session.v1", "approved": False, "reason": "challenge_reused",
                       "challenge_id": challenge, "execution_id": execution,
                       "tenant_id": "tenant-x", "session_binding_hash": None}
        elif roll < 0.04:
            event["type"] = "dev.ss.fc.denied"
            event["data"]["tenant_id"] = "tenant-x"
        elif roll < 0.06:
            del keyrec[rnd.choice(["tenant_id", "execution_id", "session_binding_hash"])]
        out.extend([session, keyrec, event][:a.n - len(out)])
    for rec in out:
        print(json.dumps(rec, separators=(",", ":")))


main()
