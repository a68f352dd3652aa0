#!/usr/bin/python3
"""Check every rule file of a rules folder against its ruleset.schema.json.

usage: check-rules-schema.py [RULES_DIR]   (default: rules/ beside scripts/)

Validates each *.json file of the folder except *.schema.json with
Debian's python3-jsonschema (JSON Schema 2020-12, formats checked), prints
every error as `file#/json/pointer: message`, the form zesctl check-rules
uses, and exits 1 when there is any, 2 when the folder or schema cannot be
read.  The loader (daemon/core/ruleset.c) checks more than a schema can say;
this check keeps the schema honest about the shape of the files.
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    sys.stderr.write("check-rules-schema: python3-jsonschema is not installed "
                     "(apt-get install python3-jsonschema)\n")
    sys.exit(2)


def pointer(path):
    """RFC 6901 pointer of a jsonschema error path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1")
                   for p in path)


def reject_duplicates(pairs):
    """object_pairs_hook: a repeated key is an error, as in the loader."""
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate member %r" % k)
        seen[k] = v
    return seen


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        sys.stdout.write(__doc__)
        return 0 if len(argv) == 2 else 2
    here = os.path.dirname(os.path.abspath(__file__))
    rules = argv[1] if len(argv) == 2 else os.path.join(here, "..", "rules")
    schema_path = os.path.join(rules, "ruleset.schema.json")
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        names = sorted(n for n in os.listdir(rules)
                       if n.endswith(".json") and not n.endswith(".schema.json"))
    except (OSError, ValueError) as e:
        sys.stderr.write("check-rules-schema: %s: %s\n" % (schema_path, e))
        return 2
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=jsonschema.FormatChecker())

    nerrors = 0
    for name in names:
        try:
            with open(os.path.join(rules, name), encoding="utf-8") as f:
                doc = json.load(f, object_pairs_hook=reject_duplicates)
        except (OSError, ValueError) as e:
            sys.stderr.write("%s#: %s\n" % (name, e))
            nerrors += 1
            continue
        errors = sorted(validator.iter_errors(doc),
                        key=lambda e: list(map(str, e.absolute_path)))
        for e in errors:
            # A oneOf/anyOf failure names the alternatives' own errors.
            best = jsonschema.exceptions.best_match([e])
            sys.stderr.write("%s#%s: %s\n" % (name, pointer(best.absolute_path),
                                              best.message))
            nerrors += 1
    if nerrors:
        sys.stderr.write("check-rules-schema: %d error(s) in %s\n" % (nerrors, rules))
        return 1
    print("ok: %d rule files match %s" % (len(names), os.path.basename(schema_path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
