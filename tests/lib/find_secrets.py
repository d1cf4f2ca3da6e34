#!/usr/bin/python3
"""Look for secret bytes where they must not be.

    find_secrets.py NAME=SECRETFILE... -- FILE...

Each secret is read from its file: raw bytes (a PKCS#8 PEM private key
counts by its 32-byte key, and by its PEM body).  Each FILE is searched
for every form of every secret: the raw bytes, lowercase and uppercase
hex, standard and URL-safe base64 (with and without padding, and the
three offsets a base64 string can start at inside a longer blob).  Prints
"FILE: NAME as FORM" per finding and exits 1 if there is any.
"""
import base64
import subprocess
import sys


def secret_bytes(path):
    data = open(path, "rb").read()
    if data.startswith(b"-----BEGIN PRIVATE KEY-----"):
        der = subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER"],
                             capture_output=True, check=True).stdout
        body = b"".join(line for line in data.splitlines() if not line.startswith(b"-----"))
        return der[-32:], body
    return data, None


def forms(raw, pem_body):
    out = {"raw": raw, "hex": raw.hex().encode(), "HEX": raw.hex().upper().encode()}
    for shift in range(3):
        # Base64 of the secret inside a longer blob: drop the characters
        # that depend on the bytes before it.
        chunk = raw[shift:]
        for name, enc in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            text = enc(chunk).rstrip(b"=")
            out[f"{name}+{shift}"] = text[2:-2] if len(text) > 8 else text
    if pem_body:
        out["PEM body"] = pem_body
    return out


def main():
    sep = sys.argv.index("--")
    secrets = {}
    for arg in sys.argv[1:sep]:
        name, path = arg.split("=", 1)
        secrets[name] = forms(*secret_bytes(path))
    found = 0
    for path in sys.argv[sep + 1:]:
        try:
            data = open(path, "rb").read()
        except OSError:
            continue
        for name, fs in secrets.items():
            for form, needle in fs.items():
                if needle and needle in data:
                    print(f"{path}: {name} as {form}")
                    found += 1
    sys.exit(1 if found else 0)


main()
