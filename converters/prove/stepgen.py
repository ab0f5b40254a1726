"""Events that satisfy one event query: the steps of correlation streams.

A small, self-contained generator for the event queries a correlation is made
of (an EQL sequence step, a threshold rule's EQL or KQL query). It chooses
a branch of the condition (AND: all terms, OR: one, NOT pushed to the
leaves), builds values for each field from the leaves that must hold and
checks them against the leaves that must not, then checks the whole event
with the rule's own evaluator; it retries other branches and choices and
gives up (None) when none works. Values may be forced (join keys, the
counted field of a threshold). The project's single-event synthesizer
(converters/prove/synthesize.py, with near misses and entity consistency) is
the fuller tool; streams need only positives.

Consistency kept, as the platforms derive fields: a process (or parent)
name is the last component of its executable, and the argument array is the
command line split at spaces.
"""

from __future__ import annotations

import ipaddress
import random
import re
from re import _parser as sre_parse  # the standard library's own regex parser
from typing import Any, Callable

from converters.eql import ast as E
from converters.kql import ast as K
from converters.translate.fieldmap import ARRAY_FIELDS

_ABSENT = object()
_OS_DIRS = {"windows": "C:\\Windows\\System32\\", "linux": "/usr/bin/", "macos": "/usr/bin/"}
_MAX_BRANCHES = 48


# --- branches: which leaves must hold, which must not --------------------------------

def _eql_branches(node, want: bool) -> list[list[tuple[Any, bool]]]:
    if isinstance(node, E.Not):
        return _eql_branches(node.term, not want)
    if isinstance(node, (E.And, E.Or)):
        conj = isinstance(node, E.And) == want
        parts = [_eql_branches(t, want) for t in node.terms]
        return _combine(parts) if conj else [b for p in parts for b in p][:_MAX_BRANCHES]
    if isinstance(node, E.Literal) and isinstance(node.value, bool):
        return [[]] if node.value == want else []
    # `!=` and `not in` are negated equalities (true when the field is missing): values come from the positive form
    if isinstance(node, E.Comparison) and node.op == "!=":
        return [[(E.Comparison(node.left, "==", node.right), not want)]]
    if isinstance(node, E.InSet) and node.negated:
        return [[(E.InSet(node.left, node.values, node.case_insensitive, False), not want)]]
    return [[(node, want)]]


def _kql_branches(node, want: bool) -> list[list[tuple[Any, bool]]]:
    if isinstance(node, K.Not):
        return _kql_branches(node.term, not want)
    if isinstance(node, (K.And, K.Or)):
        conj = isinstance(node, K.And) == want
        parts = [_kql_branches(t, want) for t in node.terms]
        return _combine(parts) if conj else [b for p in parts for b in p][:_MAX_BRANCHES]
    if isinstance(node, K.MatchAll):
        return [[]] if want else []
    return [[(node, want)]]


def _combine(parts: list[list[list]]) -> list[list]:
    out: list[list] = [[]]
    for alternatives in parts:
        out = [a + b for a in out for b in alternatives][:_MAX_BRANCHES]
    return out


# --- values from one leaf -----------------------------------------------------------------

def _pattern_text(parts, rng: random.Random) -> str:
    """A string matching a wildcard pattern: `*` becomes nothing or a short word, `?` one letter."""
    out = []
    for p in parts:
        if p == "*":
            out.append(rng.choice(["", "x", "ab"]))
        elif p == "?":
            out.append("a")
        else:
            out.append(p)
    return "".join(out)


def _wildcard_parts(pattern: str) -> list[str]:
    return [c if c in "*?" else c for c in pattern]


def _regex_text(pattern: str, rng: random.Random) -> str | None:
    """A string a (Lucene or PCRE-like) regex matches whole, for simple regexes; None otherwise."""
    try:
        tree = sre_parse.parse(pattern)
    except Exception:  # a dialect the parser does not read: no candidate from this leaf
        return None

    def emit(items) -> str:
        out = []
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(av))
            elif name == "ANY":
                out.append("a")
            elif name == "IN":
                out.append(_class_char(av))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = av
                times = low if low > 0 else (1 if high and high >= 1 else 0)
                out.append("".join(emit(sub) for _ in range(times)))
            elif name == "SUBPATTERN":
                out.append(emit(av[-1]))
            elif name == "BRANCH":
                out.append(emit(rng.choice(av[1])))
            elif name == "AT":
                continue
            else:
                raise ValueError(name)
        return "".join(out)

    def _class_char(av) -> str:
        for op, value in av:
            name = str(op)
            if name == "LITERAL":
                return chr(value)
            if name == "RANGE":
                return chr(value[0])
            if name == "CATEGORY":
                return {"CATEGORY_DIGIT": "1", "CATEGORY_SPACE": " "}.get(str(value), "a")
        return "a"

    try:
        return emit(tree)
    except ValueError:
        return None


def _candidates(leaf, rng: random.Random) -> list[Any]:
    """Values that may make `leaf` true on its field (checked afterwards)."""
    if isinstance(leaf, E.Comparison):
        lit = leaf.right if isinstance(leaf.right, E.Literal) else leaf.left
        value = lit.value if isinstance(lit, E.Literal) else None
        if value is None:
            return ["present-value"] if leaf.op == "!=" else []
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return [value, value + 1, value - 1, value * 2 + 1]
        return [value]
    if isinstance(leaf, E.StringPredicate):
        out = []
        for p in leaf.patterns:
            out.append(_regex_text(p, rng) if leaf.is_regex else _pattern_text(_wildcard_parts(p), rng))
        return [v for v in out if v is not None]
    if isinstance(leaf, E.InSet):
        return [v.value for v in leaf.values if isinstance(v, E.Literal)]
    if isinstance(leaf, E.FunctionCall):
        args = [a.value for a in leaf.args[1:] if isinstance(a, E.Literal)]
        name = leaf.name.lower()
        if name == "startswith":
            return [a + "x" for a in args if isinstance(a, str)]
        if name == "endswith":
            return ["x" + a for a in args if isinstance(a, str)]
        if name in ("stringcontains", "wildcard"):
            return ["x" + _pattern_text(_wildcard_parts(a), rng) + "x" if name == "wildcard" else "x" + a + "x"
                    for a in args if isinstance(a, str)]
        if name == "cidrmatch":
            out = []
            for a in args:
                try:
                    net = ipaddress.ip_network(str(a), strict=False)
                    out.append(str(net[1] if net.num_addresses > 2 else net[0]))
                except ValueError:
                    continue
            return out
    if isinstance(leaf, K.FieldMatch):
        parts = ["*" if isinstance(p, K.Wildcard) else p for p in leaf.value.parts]
        text = _pattern_text(parts, rng)
        if not leaf.value.quoted and re.fullmatch(r"-?\d+", text or "x"):
            return [int(text), text]
        return [text]
    if isinstance(leaf, K.FieldExists):
        return ["present-value"]
    if isinstance(leaf, K.Range):
        try:
            n = float(leaf.value.literal)
        except (TypeError, ValueError):
            return []
        n = int(n) if n == int(n) else n
        return [n, n + 1, n - 1]
    return []


def _leaf_field(leaf) -> str | None:
    if isinstance(leaf, (K.FieldMatch, K.FieldExists, K.Range)):
        return leaf.field
    node = getattr(leaf, "left", None)
    if isinstance(leaf, E.FunctionCall) and leaf.args:
        node = leaf.args[0]
    if isinstance(leaf, E.Comparison) and isinstance(leaf.left, E.Literal):
        node = leaf.right
    return node.path if isinstance(node, E.Field) else None


# --- the generator ------------------------------------------------------------------------

class StepGenerator:
    """Events satisfying one event query. `matches(event) -> bool` is the query's own verdict."""

    def __init__(self, condition, language: str, category: str, matches: Callable[[dict], bool],
                 leaf_test: Callable[[Any, dict], bool], os_hint: str | None = None):
        branches = _eql_branches(condition, True) if language == "eql" else _kql_branches(condition, True)
        self.branches = branches
        self.category = category
        self.matches = matches
        self.leaf_test = leaf_test
        self.os_hint = os_hint

    def positive(self, rng: random.Random, force: dict[str, Any] | None = None, tries: int = 6) -> dict | None:
        """An event satisfying the query with the `force`d field values, or None."""
        force = force or {}
        order = list(range(len(self.branches)))
        for _ in range(tries):
            for b in order:
                event = self._realize(self.branches[b], rng, force)
                if event is not None and self.matches(event):
                    return event
            rng.shuffle(order)
        return None

    def _realize(self, branch, rng, force) -> dict | None:
        by_field: dict[str, list[tuple[Any, bool]]] = {}
        for leaf, want in branch:
            field = _leaf_field(leaf)
            if field is None:
                continue
            by_field.setdefault(field.removesuffix(".caseless"), []).append((leaf, want))
        flat: dict[str, Any] = {}
        for field, value in force.items():
            flat[field] = value
        for field, leaves in by_field.items():
            if field in force:
                continue
            value = self._value(field, leaves, rng)
            if value is None:
                return None
            if value is not _ABSENT:
                flat[field] = value
        if self.category and self.category != "any":
            cats = flat.get("event.category")
            cats = [] if cats is None else (list(cats) if isinstance(cats, list) else [cats])
            if self.category not in cats:
                flat["event.category"] = cats + [self.category]
        if "host.os.type" not in flat and self.os_hint:
            flat["host.os.type"] = self.os_hint
        if "process" in (flat.get("event.category") or ()) and "event.type" not in by_field \
                and "event.type" not in flat:
            flat["event.type"] = ["start"]  # what Elastic Defend writes for a process exec
        _consistent(flat, by_field)
        return _nest(flat)

    def _value(self, field: str, leaves, rng):
        positives = [leaf for leaf, want in leaves if want]
        negatives = [leaf for leaf, want in leaves if not want]

        def ok(value) -> bool:
            doc = {} if value is _ABSENT else {field: value if isinstance(value, list) else [value]}
            return all(self.leaf_test(leaf, doc) for leaf in positives) and \
                not any(self.leaf_test(leaf, doc) for leaf in negatives)

        if field in ARRAY_FIELDS and len(positives) > 1:
            elements = []
            for leaf in positives:
                options = _candidates(leaf, rng)
                if not options:
                    return None
                elements.append(options[0])
            return elements if ok(elements) else None
        if not positives:
            if ok(_ABSENT):
                return _ABSENT
            for candidate in _fillers(field):
                if ok(candidate):
                    return candidate
            return None
        pool = []
        for leaf in positives:
            pool += _candidates(leaf, rng)
        rng.shuffle(pool)
        for candidate in pool:
            if ok(candidate):
                return [candidate] if field in ARRAY_FIELDS else candidate
        return None


def _fillers(field: str) -> tuple:
    """Values for a field that must merely avoid some values, of the field's ECS kind."""
    last = field.rsplit(".", 1)[-1]
    if last in ("ip", "address") or field.endswith("_ip"):
        return ("8.8.4.4", "2001:4860:4860::8844", "1.0.0.1")
    if last in ("port", "pid", "code", "count", "bytes", "packets") or last.endswith("_count"):
        return (4444, 8081, 31337)
    return ("ruleport-value", "other.exe", 12345)


def _consistent(flat: dict, constrained: dict) -> None:
    """Fill the fields a platform derives from others (name from executable, args from command line)."""
    os_type = flat.get("host.os.type") if isinstance(flat.get("host.os.type"), str) else "windows"
    sep = "\\" if os_type == "windows" else "/"
    for prefix in ("process", "process.parent"):
        name, exe = flat.get(f"{prefix}.name"), flat.get(f"{prefix}.executable")
        if isinstance(exe, str) and name is None and f"{prefix}.name" not in constrained:
            flat[f"{prefix}.name"] = exe[max(exe.rfind("\\"), exe.rfind("/")) + 1:] if os_type == "windows" \
                else exe[exe.rfind("/") + 1:]
        elif isinstance(name, str) and exe is None and f"{prefix}.executable" not in constrained:
            flat[f"{prefix}.executable"] = _OS_DIRS.get(os_type, "/usr/bin/").replace("\\", sep) + name
        line, args = flat.get(f"{prefix}.command_line"), flat.get(f"{prefix}.args")
        if isinstance(line, str) and args is None and f"{prefix}.args" not in constrained:
            flat[f"{prefix}.args"] = line.split()
        elif isinstance(args, list) and line is None and f"{prefix}.command_line" not in constrained:
            flat[f"{prefix}.command_line"] = " ".join(str(a) for a in args)


def _nest(flat: dict) -> dict:
    """Dotted keys as nested ECS objects (a key that is both a value and a parent stays dotted)."""
    out: dict = {}
    for key in sorted(flat, key=lambda k: k.count(".")):
        node, parts = out, key.split(".")
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                node = None
                break
            node = nxt
        if node is None or parts[-1] in node:
            out[key] = flat[key]
        else:
            node[parts[-1]] = flat[key]
    return out
