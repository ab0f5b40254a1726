"""Strings that match, or just miss, a wildcard pattern or a Lucene regex.

A wildcard pattern is a tuple of parts: literal text, STAR (`*`: any run,
also empty) and ONE (`?`: exactly one character). EQL's `:`/`like` patterns
and KQL's unquoted values both become this shape; a literal `*` inside
literal text (EQL function arguments, KQL `\\*`) stays text.

Lucene regexes (EQL `regex`) are parsed here into a small tree to sample
from: the syntax of org.apache.lucene.util.automaton.RegExp as
converters/engine/patterns.py documents it (the evaluator's dialect), with
the optional operators refused the same way.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Union


class Star:
    def __repr__(self) -> str:
        return "*"


class One:
    def __repr__(self) -> str:
        return "?"


STAR, ONE = Star(), One()
Part = Union[str, Star, One]
Pattern = tuple  # of Part


def wildcard(text: str) -> Pattern:
    """An EQL wildcard pattern: every `*` and `?` is a wildcard (EQL has no escape for them)."""
    parts: list = []
    buf = []
    for ch in text:
        if ch in "*?":
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(STAR if ch == "*" else ONE)
        else:
            buf.append(ch)
    if buf:
        parts.append("".join(buf))
    return tuple(parts)


def normalize(parts) -> Pattern:
    """Merge adjacent text, drop empty text."""
    out: list = []
    for p in parts:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += p
                continue
        out.append(p)
    return tuple(out)


def has_wildcards(pattern: Pattern) -> bool:
    return any(not isinstance(p, str) for p in pattern)


def literal_text(pattern: Pattern) -> str:
    return "".join(p for p in pattern if isinstance(p, str))


def render(pattern: Pattern) -> str:
    return "".join(p if isinstance(p, str) else repr(p) for p in pattern)


def fill(pattern: Pattern, fillers) -> str:
    """The pattern with its wildcard slots filled in order (a ONE slot takes one character)."""
    out, it = [], iter(fillers)
    for p in pattern:
        out.append(p if isinstance(p, str) else next(it))
    return "".join(out)


def slots(pattern: Pattern) -> list[tuple[int, object, str, str]]:
    """Each wildcard slot: (index, kind, text just before, text just after)."""
    result = []
    for i, p in enumerate(pattern):
        if isinstance(p, str):
            continue
        before = pattern[i - 1] if i > 0 and isinstance(pattern[i - 1], str) else ""
        after = pattern[i + 1] if i + 1 < len(pattern) and isinstance(pattern[i + 1], str) else ""
        result.append((i, p, before, after))
    return result


# --- Lucene regex: parse to a small tree, sample from it ----------------------

@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Any_:
    pass


@dataclass(frozen=True)
class Cls:
    negate: bool
    ranges: tuple[tuple[str, str], ...]
    named: tuple[str, ...]        # d D s S w W


@dataclass(frozen=True)
class Cat:
    items: tuple


@dataclass(frozen=True)
class Alt:
    items: tuple


@dataclass(frozen=True)
class Rep:
    item: object
    lo: int
    hi: int | None


class RegexError(ValueError):
    pass


_OPTIONAL = set("@&~<>#")
_CLASSES = set("dDsSwW")


class _Parser:
    def __init__(self, text: str):
        self.t, self.i = text, 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def fail(self, why: str):
        raise RegexError(f"Lucene regex {self.t!r}: {why} at offset {self.i}")

    def union(self):
        items = [self.concat()]
        while self.peek() == "|":
            self.i += 1
            items.append(self.concat())
        return items[0] if len(items) == 1 else Alt(tuple(items))

    def concat(self):
        items = []
        while self.peek() is not None and self.peek() not in "|)":
            items.append(self.repeat())
        return items[0] if len(items) == 1 else Cat(tuple(items))

    def repeat(self):
        item = self.atom()
        while True:
            c = self.peek()
            if c in ("*", "+", "?"):
                self.i += 1
                item = Rep(item, 1 if c == "+" else 0, 1 if c == "?" else None)
            elif c == "{":
                end = self.t.find("}", self.i)
                body = self.t[self.i + 1:end] if end > 0 else ""
                lo, _, hi = body.partition(",")
                if not lo.isdigit() or (hi and not hi.isdigit()):
                    self.fail("bad repetition")
                self.i = end + 1
                item = Rep(item, int(lo), int(lo) if "," not in body else (int(hi) if hi else None))
            else:
                return item

    def atom(self):
        c = self.peek()
        if c == "(":
            self.i += 1
            inner = self.union() if self.peek() != ")" else Cat(())
            if self.peek() != ")":
                self.fail("unclosed group")
            self.i += 1
            return inner
        if c == "[":
            return self.char_class()
        if c == '"':
            end = self.t.find('"', self.i + 1)
            if end < 0:
                self.fail("unclosed quoted string")
            text = self.t[self.i + 1:end]
            self.i = end + 1
            return Lit(text)
        if c == ".":
            self.i += 1
            return Any_()
        if c == "\\":
            return self.escape()
        if c in _OPTIONAL:
            self.fail(f"operator {c!r} of Lucene's optional syntax")
        self.i += 1
        return Lit(c)

    def escape(self):
        if self.i + 1 >= len(self.t):
            self.fail("trailing backslash")
        nxt = self.t[self.i + 1]
        self.i += 2
        if nxt in _CLASSES:
            return Cls(False, (), (nxt,))
        if nxt.isascii() and nxt.isalpha():
            self.fail(f"invalid character class \\{nxt}")
        return Lit(nxt)

    def char_class(self):
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        ranges, named = [], []
        first = True
        while True:
            c = self.peek()
            if c is None:
                self.fail("unclosed character class")
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "\\":
                nxt = self.t[self.i + 1] if self.i + 1 < len(self.t) else None
                if nxt in _CLASSES:
                    named.append(nxt)
                    self.i += 2
                    continue
                if nxt is None:
                    self.fail("trailing backslash")
                ch = nxt
                self.i += 2
            else:
                ch = c
                self.i += 1
            if self.peek() == "-" and self.i + 1 < len(self.t) and self.t[self.i + 1] != "]":
                self.i += 1
                hi = self.t[self.i]
                if hi == "\\":
                    self.i += 1
                    hi = self.t[self.i]
                self.i += 1
                ranges.append((ch, hi))
            else:
                ranges.append((ch, ch))
        return Cls(negate, tuple(ranges), tuple(named))


def parse_regex(text: str):
    p = _Parser(text)
    tree = p.union()
    if p.i != len(text):
        p.fail(f"unexpected {text[p.i]!r}")
    return tree


_WORD = string.ascii_letters + string.digits + "_"
_PRINTABLE = string.ascii_letters + string.digits + " _-.:/\\=+,"


def _in_named(ch: str, name: str) -> bool:
    base = {"d": ch.isdigit(), "s": ch.isspace(), "w": ch.isalnum() or ch == "_"}[name.lower()]
    return base if name.islower() else not base


def class_contains(cls: Cls, ch: str) -> bool:
    hit = any(lo <= ch <= hi for lo, hi in cls.ranges) or any(_in_named(ch, n) for n in cls.named)
    return hit != cls.negate


def _class_pick(cls: Cls, rng: random.Random) -> str:
    if not cls.negate:
        choices = []
        for lo, hi in cls.ranges:
            span = [chr(c) for c in range(ord(lo), min(ord(hi), ord(lo) + 200) + 1)]
            choices.extend(c for c in span if c.isalnum()) if len(span) > 2 else choices.extend(span)
            if not choices:
                choices.extend(span)
        for n in cls.named:
            choices.extend(c for c in _PRINTABLE + "\t" if _in_named(c, n))
        if choices:
            return rng.choice(choices)
    pool = [c for c in _PRINTABLE if class_contains(cls, c)]
    if not pool:
        raise RegexError("empty character class")
    return rng.choice(pool)


def sample_regex(tree, rng: random.Random, extra: int = 2) -> str:
    """A string the regex matches; each open repetition takes its minimum plus up to `extra` more."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, Lit):
            out.append(node.text)
        elif isinstance(node, Any_):
            out.append(rng.choice(string.ascii_lowercase))
        elif isinstance(node, Cls):
            out.append(_class_pick(node, rng))
        elif isinstance(node, Cat):
            for item in node.items:
                walk(item)
        elif isinstance(node, Alt):
            walk(rng.choice(node.items))
        elif isinstance(node, Rep):
            hi = node.hi if node.hi is not None else node.lo + extra
            n = node.lo if extra == 0 else rng.randint(node.lo, max(node.lo, min(hi, node.lo + extra)))
            for _ in range(n):
                walk(node.item)

    walk(tree)
    return "".join(out)


# --- near misses: single edits ---------------------------------------------------

def swap_case(text: str) -> str | None:
    """The text with its first cased letter's case flipped (None when it has no letter that changes)."""
    for i, ch in enumerate(text):
        flipped = ch.swapcase()
        if flipped != ch and len(flipped) == 1 and flipped.swapcase() == ch:
            return text[:i] + flipped + text[i + 1:]
    return None


def other_char(ch: str, avoid: str = "") -> str:
    """A character unlike `ch` (of its kind where possible), not in `avoid` in either case."""
    bad = set(avoid.lower() + avoid.upper() + ch.lower() + ch.upper())
    pool = string.digits if ch.isdigit() else string.ascii_lowercase if ch.isalpha() else "_-x"
    for c in pool + string.ascii_lowercase + string.digits:
        if c not in bad:
            return c
    return "~"


def edits(text: str, rng: random.Random, limit: int = 24):
    """Single-character edits of `text`: (label, edited text), varied, at most `limit`."""
    n = len(text)
    positions = list(range(n))
    rng.shuffle(positions)
    seen = set()
    for i in [0, n - 1] + positions:
        if not 0 <= i < n or i in seen:
            continue
        seen.add(i)
        ch = text[i]
        yield f"character {i + 1} changed", text[:i] + other_char(ch) + text[i + 1:]
        yield f"character {i + 1} dropped", text[:i] + text[i + 1:]
        if len(seen) * 2 >= limit:
            break
    yield "one character more at the end", text + "x"
    yield "one character more at the start", "x" + text
