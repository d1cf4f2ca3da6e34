#!/usr/bin/python3
"""Build a signed ss.session.v1 for the tests, independently of libss.

usage: make_session.py SIGNING_KEY.pem EXEC.json BINDING_HEX
           [--denied REASON] [--expires-in SECONDS] [--runner-id ID] [--ak-name HEX]
           [--after-signing NAME=JSON]...

The control plane's signature: RFC 8785 of the document without
"signature" (json.dumps with sorted keys and no spaces, which is JCS for
the ASCII strings and small integers a session holds), signed by
`openssl pkeyutl -sign -rawin` for Ed25519 or `openssl dgst -sha256 -sign`
for ECDSA P-256 (DER), key_id = SHA-256 of the signer's SubjectPublicKeyInfo
DER.  --after-signing edits members once the signature is made, as an
attacker would."""
import argparse
import base64
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def sign(key_path, message):
    spki = openssl("pkey", "-in", key_path, "-pubout", "-outform", "DER")
    text = openssl("pkey", "-in", key_path, "-noout", "-text")
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(message)
    try:
        if text.startswith(b"ED25519"):
            alg = "ed25519"
            value = openssl("pkeyutl", "-sign", "-rawin", "-inkey", key_path, "-in", f.name)
        else:
            alg = "ecdsa-p256-sha256"
            value = openssl("dgst", "-sha256", "-sign", key_path, f.name)
    finally:
        os.unlink(f.name)
    return {"alg": alg, "key_id": hashlib.sha256(spki).hexdigest(),
            "value": base64.b64encode(value).decode()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("key")
    ap.add_argument("execution")
    ap.add_argument("binding")
    ap.add_argument("--denied")
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--runner-id", default="runner-1")
    ap.add_argument("--ak-name", default="000b" + hashlib.sha256(b"ak").hexdigest())
    ap.add_argument("--after-signing", action="append", default=[])
    a = ap.parse_args()
    execution = json.load(open(a.execution))
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    doc = {
        "type": "ss.session.v1",
        "approved": a.denied is None,
        "reason": a.denied or "approved",
        "challenge_id": "chal-1",
        "execution_id": execution["execution_id"],
        "tenant_id": execution["tenant_id"],
        "operator_id": execution["operator_id"],
        "fingerprint": execution["fingerprint"],
        "runner_id": a.runner_id,
        "ak_name": a.ak_name,
        "pcr_digest": hashlib.sha256(b"pcrs").hexdigest(),
        "clock": {"reset_count": 1, "restart_count": 0, "clock": "0x1f4", "safe": True},
        "verified_at": rfc3339(now - 5),
        "expires_at": rfc3339(now + a.expires_in),
    }
    if a.denied is None:
        doc["session_binding_hash"] = a.binding
        doc["key_confirmation"] = hashlib.sha256(b"confirm" + bytes.fromhex(a.binding)).hexdigest()
    else:
        doc["expires_at"] = None
    doc["signature"] = sign(a.key, canonical(doc))
    for edit in a.after_signing:
        name, value = edit.split("=", 1)
        doc[name] = json.loads(value)
    sys.stdout.write(json.dumps(doc) + "\n")


main()
