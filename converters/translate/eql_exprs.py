"""EQL expressions that Sigma states another way: constants and length().

- Arithmetic on constants (`2 * 8`, `-1`) folds to its value, with Java's
  integer division and remainder (what Elasticsearch computes).
- `length(field) OP n` is a statement about how many characters the value
  has: a value of at least k characters matches the regex `^.{k}` (with
  Sigma's `s` flag, so that `.` also matches a line break), and at most k
  is "present and not at least k+1". No `$` is needed, so no end-of-line
  subtlety arises (`$` also matches before a final line break in PCRE and
  Python). Lengths count characters, as ruleport's EQL evaluator does
  (Elasticsearch's Java strings count UTF-16 units: a character outside the
  Basic Multilingual Plane counts twice there).
"""

from __future__ import annotations

import math

from converters.eql import ast
from converters.errors import TranslationError

_SWAPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _java_div(a, b):
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return a / b


def _java_mod(a, b):
    if isinstance(a, int) and isinstance(b, int):
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    return math.fmod(a, b)


_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _java_div, "%": _java_mod}
_ARITH_FUNCTIONS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "modulo": "%"}


def fold(node):
    """The node with arithmetic on numeric constants computed (a Literal), else the node itself."""
    if isinstance(node, ast.Negative):
        inner = fold(node.operand)
        if isinstance(inner, ast.Literal) and _is_num(inner.value):
            return ast.Literal(-inner.value)
        return node
    if isinstance(node, ast.FunctionCall) and node.name.lower() in _ARITH_FUNCTIONS and len(node.args) == 2:
        node = ast.Arithmetic(node.args[0], _ARITH_FUNCTIONS[node.name.lower()], node.args[1])
    if isinstance(node, ast.Arithmetic):
        left, right = fold(node.left), fold(node.right)
        if isinstance(left, ast.Literal) and isinstance(right, ast.Literal) \
                and _is_num(left.value) and _is_num(right.value):
            if node.op in "/%" and right.value == 0:
                return node   # null in Elasticsearch: not a constant Sigma can state
            return ast.Literal(_ARITH[node.op](left.value, right.value))
    return node


def describe(node) -> str:
    """Short EQL-like text of an expression, for messages."""
    if isinstance(node, ast.Field):
        return ("?" if node.optional else "") + node.path
    if isinstance(node, ast.Literal):
        return '"' + node.value + '"' if isinstance(node.value, str) else repr(node.value).lower()
    if isinstance(node, ast.FunctionCall):
        return f"{node.name}{'~' if node.case_insensitive else ''}({', '.join(describe(a) for a in node.args)})"
    if isinstance(node, ast.Arithmetic):
        def side(n):
            return f"({describe(n)})" if isinstance(n, ast.Arithmetic) else describe(n)
        return f"{side(node.left)} {node.op} {side(node.right)}"
    if isinstance(node, ast.Negative):
        return f"-{describe(node.operand)}"
    return type(node).__name__


def oriented(expr: ast.Comparison) -> tuple[object, str, object]:
    """(left, op, right) with constants folded and a lone constant on the right."""
    left, op, right = fold(expr.left), expr.op, fold(expr.right)
    if isinstance(left, ast.Literal) and not isinstance(right, ast.Literal):
        left, right, op = right, left, _SWAPPED[op]
    return left, op, right


def length_bounds(op: str, n) -> list[tuple[int, int | None]]:
    """The character counts L >= 0 with `L op n`, as inclusive ranges (None: no upper bound)."""
    if op == ">":
        ranges = [(math.floor(n) + 1, None)]
    elif op == ">=":
        ranges = [(math.ceil(n), None)]
    elif op == "<":
        ranges = [(0, math.ceil(n) - 1)]
    elif op == "<=":
        ranges = [(0, math.floor(n))]
    elif op == "==":
        ranges = [(int(n), int(n))] if float(n).is_integer() else []
    else:
        raise TranslationError(f"the operator {op} has no Sigma form", code="translate/unsupported-expression")
    return [(max(lo, 0), hi) for lo, hi in ranges if hi is None or hi >= max(lo, 0)]


def at_least(k: int) -> str:
    """Regex (with the `s` flag) for a value of at least k characters."""
    return f"^.{{{k},}}" if k > 1 else "^."


def complement(ranges: list[tuple[int, int | None]]) -> list[tuple[int, int | None]]:
    """The counts >= 0 outside the given (sorted, disjoint) ranges."""
    out, start = [], 0
    for lo, hi in sorted(ranges):
        if lo > start:
            out.append((start, lo - 1))
        if hi is None:
            return out
        start = hi + 1
    out.append((start, None))
    return out
