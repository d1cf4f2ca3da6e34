#!/usr/bin/python3
"""Validate JSON documents against a JSON Schema (draft 2020-12).

usage: validate.py SCHEMA FILE [--lines]
FILE holds one document, or one per line with --lines. Exit 0 when all are
valid; otherwise print each error and exit 1."""
import json
import sys

import jsonschema


def main():
    schema_path, doc_path = sys.argv[1], sys.argv[2]
    lines = "--lines" in sys.argv[3:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    with open(doc_path, encoding="utf-8") as f:
        text = f.read()
    docs = [l for l in text.splitlines() if l.strip()] if lines else [text]
    if not docs:
        print("no document to validate")
        return 1
    bad = 0
    for n, d in enumerate(docs, 1):
        for e in validator.iter_errors(json.loads(d)):
            bad += 1
            where = "/".join(str(p) for p in e.absolute_path) or "(document)"
            print(f"document {n}: {where}: {e.message}")
    return 1 if bad else 0


sys.exit(main())
