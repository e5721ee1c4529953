#!/usr/bin/python3
"""schema-check.py SCHEMA FILE... -- validate JSON files against a JSON Schema (the draft
the schema names in "$schema"; 2020-12 when it names none).

Prints one line per file; exit 0 when all are valid, 1 when one is not, 77 (skip) when
Debian's python3-jsonschema is not installed.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed")
    sys.exit(77)

schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
cls.check_schema(schema)
validator = cls(schema)
bad = 0
for path in sys.argv[2:]:
    errors = sorted(validator.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
    for e in errors[:5]:
        print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
    bad += bool(errors)
    if not errors:
        print(f"{path}: valid")
sys.exit(1 if bad else 0)
