#!/usr/bin/python3
"""An independent reference for ss-derive-key's derivation, for the tests.

usage: ref_keys.py (--root FILE | --session-secret FILE --binding HEX | --prk FILE)
                   [--kind K] [--purpose P] < CONTEXTS.jsonl

For each ss.execution.v1 line, prints "key_id context_hash okm_hex".
Only hashlib and hmac: nothing shared with the C code under test.
--prk starts from an already extracted PRK (a TPM root: PRK comes from
tpm2_hmac), expanding only.  Canonical JSON here is json.dumps with sorted
keys and no spaces, which is RFC 8785 for the ASCII strings that
identifiers and hex are."""
import argparse
import hashlib
import hmac
import json
import sys


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hmac256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def expand(prk, info, length=32):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac256(prk, block + info + bytes([counter]))
        out += block
        counter += 1
    return out[:length]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root")
    ap.add_argument("--session-secret")
    ap.add_argument("--binding", default="")
    ap.add_argument("--prk")
    ap.add_argument("--kind", default="ed25519")
    ap.add_argument("--purpose", default="execution")
    a = ap.parse_args()
    if a.prk:
        prk = open(a.prk, "rb").read()
    else:
        ikm = open(a.root or a.session_secret, "rb").read()
        salt = bytes.fromhex(a.binding)
        prk = hmac256(salt if salt else bytes(32), ikm)
    for line in sys.stdin:
        context = canonical({"execution": json.loads(line), "kind": a.kind,
                             "purpose": a.purpose})
        okm = expand(prk, b"ss-derive-key v1\x00" + context)
        print(hmac256(okm, b"ss-key-id v1").hex()[:32], hashlib.sha256(context).hexdigest(),
              okm.hex())


main()
