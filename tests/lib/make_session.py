#!/usr/bin/python3
"""Build a signed ss.session.v1 for the tests, independently of libss.

usage: make_session.py SIGNING_KEY.pem EXEC.json BINDING_HEX [--secret FILE]
           [--denied REASON] [--expires-in SECONDS] [--runner-id ID] [--ak-name HEX]
           [--after-signing NAME=JSON]...

With --secret, key_confirmation is the session's own for that session secret:
HMAC-SHA256(HKDF-SHA256(secret, salt = binding, info = "ss-session v1
confirm", 32), binding), computed here with hmac and hashlib (RFC 5869);
without it, a value that belongs to no secret.

The control plane's signature: RFC 8785 of the document without
"signature" (json.dumps with sorted keys and no spaces, which is JCS for
the ASCII strings and small integers a session holds), signed by
`openssl pkeyutl -sign -rawin` for Ed25519 or `openssl dgst -sha256 -sign`
for ECDSA P-256 (DER), key_id = SHA-256 of the signer's SubjectPublicKeyInfo
DER.  --after-signing edits members once the signature is made, as an
attacker would."""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_session_sign import canonical, sign  # noqa: E402


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hkdf_sha256(ikm, salt, info, length):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, i = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        okm += block
        i += 1
    return okm[:length]


def confirmation(secret, binding):
    key = hkdf_sha256(secret, binding, b"ss-session v1 confirm", 32)
    return hmac.new(key, binding, hashlib.sha256).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("key")
    ap.add_argument("execution")
    ap.add_argument("binding")
    ap.add_argument("--secret")
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
        "detail": "denied by the test" if a.denied else "every check passed",
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
        if a.secret:
            doc["key_confirmation"] = confirmation(open(a.secret, "rb").read(), bytes.fromhex(a.binding))
        else:
            doc["key_confirmation"] = hashlib.sha256(b"confirm" + bytes.fromhex(a.binding)).hexdigest()
    else:
        doc["expires_at"] = None
    doc["signature"] = sign(a.key, canonical(doc))
    for edit in a.after_signing:
        name, value = edit.split("=", 1)
        doc[name] = json.loads(value)
    sys.stdout.write(json.dumps(doc) + "\n")


main()
