"""JSON Schema validation of a rule (schemas/elastic-rule.schema.json, draft 2020-12).

jsonschema is the reference validator and writes every finding. A compiled
fastjsonschema validator is the fast path: it only says valid or not, and
only an invalid rule goes on to jsonschema (tests/lint/test_schema.py
checks both agree on the whole corpus), so findings are jsonschema's alone.

Each error becomes a Finding on the line of the key it concerns; an unknown
key is reported on its own line, a missing key on its table's header.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from pathlib import Path

from converters.errors import did_you_mean
from converters.lint.codes import finding
from converters.load import RuleFile

# converters/data/elastic-rule.schema.json is a symlink to schemas/ (the canonical copy), so that
# the schema also ships inside an installed package
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "elastic-rule.schema.json"

_CODE_BY_KEYWORD = {
    "required": "schema/required",
    "additionalProperties": "schema/unknown-key",
    "type": "schema/type",
    "enum": "schema/enum",
    "const": "schema/enum",
    "pattern": "schema/format",
    "minimum": "schema/range",
    "maximum": "schema/range",
    "minLength": "schema/range",
    "minItems": "schema/range",
    "maxItems": "schema/range",
    "uniqueItems": "schema/invalid",
}


@functools.cache
def rule_schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def _inline(node, root):
    """The schema with every local $ref replaced by its target (the rule schema is not recursive)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return {**_inline(target, root), **{k: _inline(v, root) for k, v in node.items() if k != "$ref"}}
        return {k: _inline(v, root) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(item, root) for item in node]
    return node


@functools.cache
def flat_schema() -> dict:
    """The schema with $refs inlined: same meaning, and jsonschema runs it about twice as fast."""
    return _inline(rule_schema(), rule_schema())


@functools.cache
def reference_validator():
    import jsonschema  # noqa: PLC0415 - heavy; only needed for rules with errors

    return jsonschema.Draft202012Validator(flat_schema())


@functools.cache
def fast_validator():
    import copy  # noqa: PLC0415

    import fastjsonschema  # noqa: PLC0415

    # fastjsonschema rewrites the $refs of the dict it is given: hand it a copy
    return fastjsonschema.compile(copy.deepcopy(rule_schema()))


def is_valid_fast(data: dict) -> bool:
    import fastjsonschema  # noqa: PLC0415

    try:
        fast_validator()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def schema_findings(rf: RuleFile, *, fast: bool = True) -> list:
    """Findings for every schema violation in `rf` (none when the fast path says valid)."""
    if fast and is_valid_fast(rf.data):
        return []
    out = []
    for error in reference_validator().iter_errors(rf.data):
        out.extend(_to_findings(rf, error))
    # every schema finding carries a line: what has none (a missing top-level table) is the file's start
    return [f if f.line else dataclasses.replace(f, line=1) for f in out]


def _dotted(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text or "(top level)"


def _schema_at(error) -> str | None:
    """The `description` of the innermost allOf branch (an if/then rule) an error came from."""
    path = list(error.absolute_schema_path)
    node, found = flat_schema(), None
    for i, key in enumerate(path):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if i >= 1 and path[i - 1] == "allOf" and isinstance(node, dict) and "description" in node:
            found = node["description"]
    return found


def _to_findings(rf: RuleFile, error) -> list:
    path = tuple(error.absolute_path)
    where = _dotted(path)
    keyword = error.validator
    code = _CODE_BY_KEYWORD.get(keyword, "schema/invalid")
    condition = _schema_at(error)
    if keyword == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        return [finding(rf.path, rf.line_of(path + (k,)), "schema/unknown-key",
                        f"{_dotted(path + (k,))}: unknown key {k!r}{did_you_mean(k, allowed)}") for k in extra]
    if keyword == "required":
        missing = re.match(r"'([^']+)'", error.message)
        name = missing.group(1) if missing else "?"
        table = "[" + where + "]" if path else "the file"
        message = f"{table}: missing required key {name!r}"
        if condition:
            return [finding(rf.path, rf.line_of(path), "schema/conditional", f"{message} ({condition})")]
        return [finding(rf.path, rf.line_of(path), code, message)]
    if keyword == "not" and condition:
        present = _present_keys(error.validator_value, error.instance)
        keys = ", ".join(repr(k) for k in present) or "these keys"
        lines = [rf.line_of(path + (k,)) for k in present] or [rf.line_of(path)]
        return [finding(rf.path, lines[0], "schema/conditional",
                        f"{where}: {keys} not allowed here ({condition})")]
    if keyword == "oneOf":
        return [finding(rf.path, rf.line_of(path), "schema/type",
                        f"{where}: {_short(error.instance)} is neither a string nor a list of strings")]
    message = f"{where}: {_plain(error)}"
    if condition:
        return [finding(rf.path, rf.line_of(path), "schema/conditional", f"{message} ({condition})")]
    return [finding(rf.path, rf.line_of(path), code, message)]


def _present_keys(subschema, instance) -> list:
    """Keys of `instance` that a `not: {required | anyOf: [required...]}` forbids."""
    names = list(subschema.get("required", []))
    for branch in subschema.get("anyOf", []):
        names.extend(branch.get("required", []))
    return [n for n in names if isinstance(instance, dict) and n in instance]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(error) -> str:
    kw, sch, inst = error.validator, error.schema, error.instance
    if kw == "pattern":
        hint = sch.get("description") or f"pattern {error.validator_value}"
        return f"{_short(inst)} is not in the expected format ({hint})"
    if kw == "enum":
        return f"{_short(inst)} is not one of " + ", ".join(repr(v) for v in error.validator_value)
    if kw == "const":
        return f"{_short(inst)} should be {error.validator_value!r}"
    if kw == "type":
        return f"{_short(inst)} is not of type {error.validator_value!r}"
    if kw in ("minimum", "maximum"):
        bound = "at least" if kw == "minimum" else "at most"
        return f"{_short(inst)} is out of range (must be {bound} {error.validator_value})"
    if kw == "minLength":
        return "must not be empty"
    if kw in ("minItems", "maxItems"):
        bound = "at least" if kw == "minItems" else "at most"
        return f"must have {bound} {error.validator_value} item(s)"
    if kw == "uniqueItems":
        return "has duplicate items"
    return error.message
