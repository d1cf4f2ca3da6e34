"""The control plane's document signature, made with openssl alone (for the
test helpers make_session.py and sign_doc.py)."""
import base64
import hashlib
import json
import os
import subprocess
import tempfile


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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
