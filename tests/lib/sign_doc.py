#!/usr/bin/python3
"""Sign a document as the control plane does, independently of libss.

usage: sign_doc.py SIGNING_KEY.pem < DOC.json > SIGNED.json

The signature member is computed over the RFC 8785 form of the document
without it (json.dumps with sorted keys and no spaces: JCS for the ASCII
strings and small integers these documents hold), by openssl, as in
make_session.py.  A "signature" already there is replaced."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_session_sign import canonical, sign  # noqa: E402

doc = json.load(sys.stdin)
doc.pop("signature", None)
doc["signature"] = sign(sys.argv[1], canonical(doc))
sys.stdout.write(json.dumps(doc) + "\n")
