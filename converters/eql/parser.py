"""Parse EQL text into ruleport's AST (converters.eql.ast).

We reuse the grammar of Elastic's `eql` package (its lark grammar keeps
every operator token) and convert the parse tree ourselves.
`eql.parser.parse_query` is not used: it merges `:`/`like`/`like~`, drops
`?` and imports `eql_*` modules from sys.path on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from converters.eql import ast
from converters.errors import RuleportError


class EqlSyntaxError(RuleportError):
    """EQL text that does not parse. `line`/`column` are 1-based, within the query."""

    code = "query/eql-syntax"

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message, line=line)
        self.column = column


@lru_cache(maxsize=1)
def _lark():
    """A lark parser over the `eql` package's own grammar file.

    Built here rather than imported: importing eql.parser builds eql's
    parser with position tracking on every tree node (half the parse time,
    and our AST does not need it; errors take positions from tokens), and
    the eql package scans sys.path for `eql_*` plugin modules.
    """
    import importlib.util
    from pathlib import Path

    from lark import Lark

    spec = importlib.util.find_spec("eql")
    grammar = Path(spec.submodule_search_locations[0], "etc", "eql.g").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=False, start=["piped_query"])


def warm() -> None:
    """Build the grammar's parser now (before forking workers, say), not on the first parse."""
    _lark()


_DQ_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9a-fA-F]{2,8}\}|.)")


def _unescape(body: str) -> str:
    def repl(m: re.Match) -> str:
        s = m.group(1)
        if s.startswith("u{"):
            return chr(int(s[2:-1], 16))
        return _DQ_ESCAPES.get(s, "\\" + s)

    return _ESCAPE_RE.sub(repl, body)


def string_value(token: Token) -> str:
    text = str(token)
    kind = token.type
    if kind == "RAW_TQ_STRING":
        return text[3:-3]
    if kind in ("RAW_DQ_STRING", "RAW_SQ_STRING"):
        q = text[1]
        return text[2:-1].replace("\\" + q, q)
    return _unescape(text[1:-1])


def _field_path(text: str) -> str:
    # "process . name" and `escaped names` are legal; normalise to dotted text
    text = re.sub(r"\s+", "", text)
    return re.sub(r"`([^`]*)`", r"\1", text)


class _Builder:
    def build(self, node):
        if isinstance(node, Token):
            return self.token(node)
        method = getattr(self, "t_" + node.data, None)
        if method is None:
            raise EqlSyntaxError(f"unsupported EQL construct: {node.data}", *_position(node))
        return method(node.children, node)

    def token(self, tok: Token):
        if tok.type in ("FIELD", "OPTIONAL_FIELD"):
            optional = tok.startswith("?")
            return ast.Field(_field_path(tok[1:] if optional else str(tok)), optional)
        raise EqlSyntaxError(f"unexpected token {tok!s}", tok.line, tok.column)

    # --- queries -------------------------------------------------------
    def t_piped_query(self, ch, node):
        base = None
        pipes: tuple = ()
        for c in ch:
            if c is None:
                continue
            if c.data == "pipes":
                pipes = tuple(self.build(p) for p in c.children)
            else:
                base = self.build(c)
        return ast.Query(base, pipes)

    def t_base_query(self, ch, node):
        return self.build(ch[0])

    def t_event_query(self, ch, node):
        name, expr = ch
        category = str(name.children[0]) if name is not None else "any"
        return ast.EventQuery(category, self.build(expr))

    def _subqueries(self, ch):
        subs, by, until, maxspan = [], (), None, None
        for c in ch:
            if c is None:
                continue
            if c.data == "subquery_by":
                subs.append(self.build(c))
            elif c.data == "join_values":
                by = self.build(c)
            elif c.data == "until_subquery_by":
                until = self.build(c.children[0])
            elif c.data == "with_params":
                maxspan = self._time_range(c.children[-1])
        return tuple(subs), by, until, maxspan

    def _time_range(self, node) -> str:
        number, unit = node.children[0], node.children[1] if len(node.children) > 1 else None
        text = str(self.build(number).value)
        return text + (str(unit.children[0]) if unit is not None else "")

    def t_sequence(self, ch, node):
        subs, by, until, maxspan = self._subqueries(ch)
        return ast.Sequence(subs, by, maxspan, until)

    def t_sample(self, ch, node):
        subs, by, _, _ = self._subqueries(ch)
        return ast.Sample(subs, by)

    def t_join(self, ch, node):
        subs, by, until, _ = self._subqueries(ch)
        return ast.Join(subs, by, until)

    def t_join_values(self, ch, node):
        return self.build(ch[0])

    def t_subquery_by(self, ch, node):
        sub = self.build(ch[0])
        by, runs, fork = (), None, None
        for c in ch[1:]:
            if c is None:
                continue
            if c.data == "join_values":
                by = self.build(c)
            elif c.data == "repeated_sequence":
                runs = int(c.children[-1])
            elif c.data == "fork_param":
                fork = True if not c.children or c.children[-1] is None else self.build(c.children[-1]).value
        return ast.SubQuery(sub.query, by, sub.missing, runs, fork)

    def t_subquery(self, ch, node):
        missing = any(isinstance(c, Token) and c.type == "MISSING_EVENT_OPEN" for c in ch)
        query = next(self.build(c) for c in ch if isinstance(c, Tree))
        return ast.SubQuery(query, missing=missing)

    def t_pipe(self, ch, node):
        name = str(ch[0].children[0])
        args: list = []
        for c in ch[1:]:
            if c is None:
                continue
            built = self.build(c)
            args.extend(built if isinstance(built, tuple) else [built])
        return ast.Pipe(name, tuple(args))

    # --- boolean logic -------------------------------------------------
    def t_or_expr(self, ch, node):
        return ast.Or(tuple(self.build(c) for c in ch))

    def t_and_expr(self, ch, node):
        return ast.And(tuple(self.build(c) for c in ch))

    def t_not_expr(self, ch, node):
        nots = sum(1 for c in ch if isinstance(c, Token) and c.type == "NOT_OP")
        term = self.build(ch[-1])
        for _ in range(nots):
            term = ast.Not(term)
        return term

    # --- comparisons ---------------------------------------------------
    def t_comparison(self, ch, node):
        left, op, right = ch
        op = "==" if str(op) in ("==", "=") else str(op)
        return ast.Comparison(self.build(left), op, self.build(right))

    def _in(self, ch, negated):
        left, op, exprs = ch[0], ch[1], ch[2]
        return ast.InSet(self.build(left), self.build(exprs), str(op) == "in~", negated)

    def t_in_set(self, ch, node):
        return self._in(ch, False)

    def t_not_in_set(self, ch, node):
        return self._in(ch, True)

    def t_string_predicate(self, ch, node):
        left, op, *patterns = ch
        left = self.build(left)
        strings, others = [], []
        for p in patterns:
            lit = self.build(p)
            if isinstance(lit.value, str):
                strings.append(lit.value)
            elif str(op) == ":":
                others.append(lit)   # `:` on a number or boolean is plain equality
            else:
                raise EqlSyntaxError(f"`{op}` needs string patterns, got {lit.value!r}", *_position(p))
        terms = ([ast.StringPredicate(left, str(op), tuple(strings))] if strings else []) \
            + [ast.Comparison(left, "==", lit) for lit in others]
        return terms[0] if len(terms) == 1 else ast.Or(tuple(terms))

    # --- values --------------------------------------------------------
    def t_expressions(self, ch, node):
        return tuple(self.build(c) for c in ch if c is not None)

    def _arith(self, ch):
        left = self.build(ch[0])
        for i in range(1, len(ch), 2):
            left = ast.Arithmetic(left, str(ch[i]), self.build(ch[i + 1]))
        return left

    def t_sum_expr(self, ch, node):
        return self._arith(ch)

    def t_mul_expr(self, ch, node):
        return self._arith(ch)

    def t_value(self, ch, node):
        sign, inner = (ch[0], ch[1]) if len(ch) == 2 else (None, ch[0])
        value = self.build(inner)
        if sign is not None and str(sign) == "-":
            if isinstance(value, ast.Literal) and isinstance(value.value, (int, float)):
                return ast.Literal(-value.value)
            return ast.Negative(value)
        return value

    def t_method_chain(self, ch, node):
        value = self.build(ch[0])
        for method in ch[1:]:
            name_tok = method.children[0].children[0]
            name = str(name_tok)[1:-1].strip()
            args = self.build(method.children[1]) if method.children[1] is not None else ()
            value = ast.FunctionCall(name, (value,) + args)
        return value

    def t_function_call(self, ch, node):
        name = str(ch[0])
        args = self.build(ch[1]) if len(ch) > 1 and ch[1] is not None else ()
        insensitive = name.endswith("~")
        return ast.FunctionCall(name.rstrip("~"), args, insensitive)

    def t_field(self, ch, node):
        return self.token(ch[0])

    def t_base_field(self, ch, node):
        return ast.Field(_field_path(str(ch[0].children[0])))

    def t_literal(self, ch, node):
        return self.build(ch[0])

    def t_string(self, ch, node):
        return ast.Literal(string_value(ch[0]))

    def t_number(self, ch, node):
        text = str(ch[0])
        return ast.Literal(int(text) if text.isdigit() else float(text))

    def t_boolean(self, ch, node):
        return ast.Literal(str(ch[0]) == "true")

    def t_null(self, ch, node):
        return ast.Literal(None)

    def t_named_subquery(self, ch, node):
        raise EqlSyntaxError("named subqueries (`descendant of`, ...) are not supported", *_position(node))


def _position(node) -> tuple[int | None, int | None]:
    meta = getattr(node, "meta", None)
    if isinstance(node, Token):
        return node.line, node.column
    if meta is not None and not getattr(meta, "empty", True):
        return meta.line, meta.column
    return None, None


@lru_cache(maxsize=512)
def parse_query(text: str) -> ast.Query:
    """Parse an EQL query (event query, sequence, sample, join, pipes).

    Cached: the stages each parse the same rule (lint, translate, the evaluator, the
    synthesizer), and the AST is immutable (frozen dataclasses), so they can share it."""
    try:
        tree = _lark().parse(text, start="piped_query")
    except UnexpectedInput as exc:
        line, col = getattr(exc, "line", None), getattr(exc, "column", None)
        line = line if isinstance(line, int) and line > 0 else None
        col = col if isinstance(col, int) and col > 0 else None
        snippet = ""
        if line:
            src = text.split("\n")[line - 1]
            snippet = f": {src.strip()[:80]!r}"
        raise EqlSyntaxError(f"EQL syntax error at line {line}, column {col}{snippet}", line, col) from None
    except LarkError as exc:
        raise EqlSyntaxError(f"EQL syntax error: {exc}") from None
    return _Builder().build(tree)
