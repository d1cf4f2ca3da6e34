#!/usr/bin/python3
"""Write the bad-input corpus of one valid document.

    bad_inputs.py FORM VALID OUTDIR [--schema FILE] [--required a,b.c,...]
                  [--typed a,b.c,...] [--dup a.b]

FORM is json (one document), jsonl (one document on one line, as the batch
modes and verify-telemetry read) or yaml (the policy and the VM spec).
VALID is a document a tool really wrote.  Each case is a file in OUTDIR,
and OUTDIR/cases lists them, one per line: FILE<TAB>WORDS, where WORDS is
what the one-line message must contain.

The cases: each required member removed (required: the JSON Schema's
"required" lists, or --required), each member present given a value of
another type, a duplicate member, trailing garbage, invalid UTF-8 (a stray
byte, an overlong form, a surrogate), nesting deeper than 32 levels, a
2 MiB document, an empty input; for JSON also U+0000, a fraction, an
integer beyond 2^53, an array at the top.

For a reader that reads some members only and ignores the others (the
records of ss-collision-check): --typed lists the members whose type is
checked (the only ones given another type), and --dup the member given
twice (default: the first one at the top).
"""
import json
import os
import sys

import yaml

MIB = 1 << 20


def load_schema(path):
    with open(path) as f:
        return json.load(f)


def resolve(node, root, schema_dir):
    """Follow $ref (local "#/$defs/x" or "file.json#/..."), once or more."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        target, _, frag = ref.partition("#")
        doc = load_schema(os.path.join(schema_dir, target)) if target else root
        if target:
            root = doc
        node = doc
        for part in [p for p in frag.split("/") if p]:
            node = node[part]
    return node, root


def required_paths(schema, root, schema_dir, value, prefix):
    """Paths of the required members present in value, schema-wise."""
    schema, root = resolve(schema, root, schema_dir)
    out = []
    if not isinstance(schema, dict) or not isinstance(value, dict):
        return out
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name in value:
            out.append(prefix + [name])
    for name, sub in props.items():
        if name in value and isinstance(value[name], dict):
            out += required_paths(sub, root, schema_dir, value[name], prefix + [name])
        if name in value and isinstance(value[name], list) and value[name] and \
                isinstance(value[name][0], dict):
            items = resolve(sub, root, schema_dir)[0].get("items", {})
            out += required_paths(items, root, schema_dir, value[name][0], prefix + [name, 0])
    return out


def all_paths(value, prefix=()):
    """Every member present (objects, and the first element of arrays)."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(list(prefix) + [k])
            out += all_paths(v, list(prefix) + [k])
    elif isinstance(value, list) and value:
        out += all_paths(value[0], list(prefix) + [0])
    return out


def parse_path(doc, text):
    """"a.0.b" as a path: numbers index arrays."""
    path = []
    for part in text.split("."):
        path.append(int(part) if isinstance(doc, list) else part)
        doc = doc[path[-1]]
    return path


def get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def without(doc, path):
    doc = json.loads(json.dumps(doc))
    parent = get(doc, path[:-1])
    del parent[path[-1]]
    return doc


def replaced(doc, path, value):
    doc = json.loads(json.dumps(doc))
    get(doc, path[:-1])[path[-1]] = value
    return doc


def other_type(v):
    if isinstance(v, bool):
        return "true"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return 7
    if v is None:
        return 7
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return {"a": 1}
    raise ValueError(v)


def name_of(path):
    return str(path[-1])


def label(path):
    return ".".join(str(p) for p in path)


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.lines = []

    def add(self, name, data, words):
        name = name.replace("/", "_")
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(data)
        self.lines.append(f"{name}\t{words}")

    def close(self):
        with open(os.path.join(self.outdir, "cases"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def first_string(doc, path=()):
    """Path of the first string value (for byte-level damage)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, str) and v:
                return list(path) + [k]
            found = first_string(v, list(path) + [k])
            if found:
                return found
    return None


def json_text(doc, lines):
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return text + ("\n" if lines else "")


def structural(doc, required, w, dump, typed=None):
    """Missing and wrong-typed members, in the given text form."""
    for path in required:
        w.add(f"missing-{label(path)}", dump(without(doc, path)), name_of(path))
    for path in all_paths(doc) if typed is None else typed:
        w.add(f"type-{label(path)}", dump(replaced(doc, path, other_type(get(doc, path)))),
              name_of(path))


def duplicated(doc, path):
    """doc as compact text, the member at path written twice in its object."""
    parent = get(doc, path[:-1])
    name = path[-1]
    inner = json_text(parent, False)
    inner = "{" + json.dumps(name) + ":" + json_text(parent[name], False) + "," + inner[1:]
    if not path[:-1]:
        return inner
    marker = "\u0001DUP\u0001"
    return json_text(replaced(doc, path[:-1], marker), False).replace(json.dumps(marker), inner)


def json_cases(doc, required, w, lines, typed=None, dup=None):
    dump = lambda d: json_text(d, lines)
    structural(doc, required, w, dump, typed)
    text = json_text(doc, False)
    nl = "\n" if lines else ""
    dup = dup or [next(iter(doc))]
    w.add("duplicate-member", duplicated(doc, dup) + nl, f"duplicate member '{label(dup)}'")
    w.add("trailing-garbage", text + " x" + nl, "trailing data after the document")
    w.add("trailing-document", text + "{}" + nl, "trailing data after the document")
    spath = first_string(doc)
    marker = "\x00MARK\x00"
    marked = json_text(replaced(doc, spath, marker), False).encode()
    for what, bad in (("stray-byte", b"\xff"), ("overlong", b"\xc0\xaf"),
                      ("surrogate", b"\xed\xa0\x80"), ("truncated-sequence", b"\xe2\x82")):
        data = marked.replace(b"\\u0000MARK\\u0000", b"x" + bad + b"y")
        w.add(f"utf8-{what}", data + nl.encode(), "invalid UTF-8")
    w.add("nul-escape", marked.replace(b"\\u0000MARK\\u0000", b"a\\u0000b") + nl.encode(),
          "U+0000 in a string")
    deep = "[" * 40 + "]" * 40
    w.add("deep-nesting", "{" + '"zz":' + deep + "," + text[1:] + nl,
          "nesting deeper than 32 levels")
    w.add("fraction", "{" + '"zz":1.5,' + text[1:] + nl, "number with a fraction or exponent")
    w.add("beyond-2-53", "{" + '"zz":9007199254740993,' + text[1:] + nl, "integer beyond 2^53")
    w.add("not-an-object", "[" + text + "]" + nl, "expected a JSON object")
    big = "{" + '"zz":"' + "a" * (2 * MIB) + '",' + text[1:] + nl
    w.add("2MiB", big, "longer than 1048576 bytes" if lines else "larger than")
    w.add("empty", "", "")


def yaml_cases(doc, required, w, text):
    dump = lambda d: yaml.safe_dump(d, sort_keys=False, allow_unicode=True)
    structural(doc, required, w, dump)
    first = next(iter(doc))
    w.add("duplicate-key", text + dump({first: doc[first]}), f"'{first}'")
    w.add("second-document", text + "---\n" + dump({first: doc[first]}), "")
    w.add("trailing-garbage", text + "]\n", "")
    spath = first_string(doc)
    marker = "MARKMARK"
    marked = dump(replaced(doc, spath, marker)).encode()
    for what, bad in (("stray-byte", b"\xff"), ("overlong", b"\xc0\xaf"),
                      ("surrogate", b"\xed\xa0\x80")):
        w.add(f"utf8-{what}", marked.replace(b"MARKMARK", b"x" + bad + b"y"), "")
    w.add("deep-nesting", text + "zz: " + "[" * 40 + "]" * 40 + "\n", "")
    w.add("2MiB", text + "# " + "a" * (2 * MIB) + "\n", "larger than")
    w.add("empty", "", "")


def main():
    form, valid, outdir = sys.argv[1:4]
    opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    os.makedirs(outdir, exist_ok=True)
    with open(valid, "rb") as f:
        raw = f.read().decode()
    doc = yaml.safe_load(raw) if form == "yaml" else json.loads(raw)
    if "--schema" in opts:
        schema = load_schema(opts["--schema"])
        required = required_paths(schema, schema, os.path.dirname(opts["--schema"]), doc, [])
    else:
        required = []
    for r in filter(None, opts.get("--required", "").split(",")):
        required.append(parse_path(doc, r))
    typed = None
    if "--typed" in opts:
        typed = [parse_path(doc, t) for t in opts["--typed"].split(",") if t]
    dup = parse_path(doc, opts["--dup"]) if "--dup" in opts else None
    w = Writer(outdir)
    if form == "yaml":
        yaml_cases(doc, required, w, raw)
    else:
        json_cases(doc, required, w, form == "jsonl", typed, dup)
    w.close()


if __name__ == "__main__":
    main()
