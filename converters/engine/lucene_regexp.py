"""Lucene's regular expressions (org.apache.lucene.util.automaton.RegExp, Lucene 9), as Python `re`.

Elasticsearch's `regexp` query, query_string `/.../`, EQL `regex`/`regex~` and
ES|QL RLIKE all hand the pattern to Lucene's RegExp with every optional
operator enabled (RegExp.ALL) and match it against the WHOLE term. What we
follow (Lucene 9.12's RegExp parser; Elasticsearch's "Regular expression
syntax" page; held to the real Lucene by benchmarks/bench_leaves.py and
tests/engine/test_leaves.py):

- `.` any one code point (a newline too); `?` `*` `+` `{n}` `{n,}` `{n,m}`
  repeat what precedes them and may follow each other (`a{2,}?` is
  `(a{2,})?`, not a lazy repeat); `{n,m}` with m < n is an error.
- `|` union, `( )` group, `()` the empty string; `"..."` a literal string.
- `[...]` and `[^...]`: single characters, ranges `a-z`, and the classes
  below; a `]` right after `[` or `[^` is a literal; `[^...]` is any ONE
  code point outside the class.
- `\\d` = `[0-9]`, `\\s` = `[ \\t\\n\\r]` (no form feed, no vertical tab), `\\w` =
  `[a-zA-Z_0-9]`, `\\D \\S \\W` their complements (one code point each); they
  work inside brackets too. `\\\\` is a backslash; a backslash before an ASCII
  letter other than d s w D S W is an error (`\\n` is rejected); before any
  other character it makes that character literal. The range end after `-`
  takes no class: `[a-\\d]` is the range a..d.
- `^` and `$` are ordinary characters (there are no anchors); so are `*`,
  `+`, `?` or `{` with nothing before them to repeat, a `|` that starts an
  alternative (`a||b` is "a" or "|b"), and `}` `]` `-` outside brackets.
- `@` any string, `#` the empty language (enabled by RegExp.ALL). The
  operators `&` (intersection), `~` (complement) and `<...>` (numeric
  intervals, named automata) raise PatternError: modelled nowhere here.
- case_insensitive (Elasticsearch's `case_insensitive: true`, EQL `regex~`,
  passed as RegExp.ASCII_CASE_INSENSITIVE): only a single character
  (alone, in brackets or in `"..."`) is folded, and only an ASCII letter
  (code points above U+0080 are kept as they are). Ranges are NOT folded:
  `[a-c]` still rejects `A`, and `[^a-c]` accepts it; `[^a]` rejects `A`
  (the folded character is what is excluded); `\\w \\d \\s` and their
  complements are never folded. Lucene folds a string by concatenating its
  folded characters, and the concatenation of none is the empty language:
  under case_insensitive an empty pattern, `()` and `""` match nothing.

Errors follow Lucene: an unclosed group, bracket or string, a bad repeat,
an inverted range, a trailing `|` or backslash raise PatternError.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_CODE_POINT = 0x10FFFF


class PatternError(ValueError):
    """A pattern the dialect does not allow, or this package does not model."""


Ranges = tuple  # tuple[tuple[int, int], ...]: sorted, disjoint, inclusive code point ranges

_DIGIT: Ranges = ((0x30, 0x39),)
_SPACE: Ranges = ((0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x20))
_WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_PRE_CLASS_ERRORS = set("abcefghijklmnopqrtuvxyzABCEFGHIJKLMNOPQRTUVXYZ")


def _normalize(ranges) -> Ranges:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _complement(ranges: Ranges) -> Ranges:
    out, start = [], 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_CODE_POINT:
        out.append((start, MAX_CODE_POINT))
    return tuple(out)


_PRE_CLASSES: dict[str, Ranges] = {
    "d": _DIGIT, "D": _complement(_DIGIT),
    "s": _SPACE, "S": _complement(_SPACE),
    "w": _WORD, "W": _complement(_WORD),
}


def folded(cp: int) -> tuple[int, ...]:
    """A code point and its other case, as Lucene's ASCII_CASE_INSENSITIVE (and
    Elasticsearch's case_insensitive term/wildcard queries) fold it: ASCII letters only."""
    c = chr(cp)
    if cp <= 0x80 and c.isalpha():
        return (cp, ord(c.swapcase()))
    return (cp,)


def _char_ranges(cp: int, fold: bool) -> Ranges:
    return _normalize((c, c) for c in (folded(cp) if fold else (cp,)))


def _class_source(ranges: Ranges, portable: bool = False) -> str:
    """A set of code points as regex source: Python's (`.` meaning any code point, with DOTALL), or
    `portable`, which PCRE, RE2 and Python read alike (no \\u escapes, no DOTALL, no lookahead)."""
    if not ranges:
        return "[^\\s\\S]" if portable else "(?!)"
    if ranges == ((0, MAX_CODE_POINT),):
        return "[\\s\\S]" if portable else "."
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _literal(ranges[0][0], portable)
    negate = ranges[0][0] == 0 and ranges[-1][1] == MAX_CODE_POINT
    items = _complement(ranges) if negate else ranges
    parts = [_class_char(lo, portable) if lo == hi else f"{_class_char(lo, portable)}-{_class_char(hi, portable)}"
             for lo, hi in items]
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


_ATOM = re.compile(r"\\?.|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8}|\[\^?(?:\\.|[^\]\\])+\]", re.DOTALL)


def _group(src: str) -> str:
    """`src` ready for a repeat operator: one character or class as it is, anything else grouped."""
    return src if _ATOM.fullmatch(src) else f"(?:{src})"


def _literal(cp: int, portable: bool) -> str:
    c = chr(cp)
    if portable:
        if cp < 0x20 or cp == 0x7F:
            return f"\\x{cp:02x}"
        return "\\" + c if c in "\\.^$|?*+()[]{}/" else c
    return re.escape(c)


def _class_char(cp: int, portable: bool = False) -> str:
    c = chr(cp)
    if c.isalnum() and cp < 0x80:
        return c
    if portable:
        if cp < 0x20 or cp == 0x7F:
            return f"\\x{cp:02x}"
        return "\\" + c if c in "\\]^-[" else c
    return f"\\U{cp:08x}" if cp > 0xFFFF else f"\\u{cp:04x}" if cp > 0x7F or not c.isprintable() else "\\" + c


# Nodes: ("s", text) a literal string (a character, `"..."`, `()`), which Lucene merges with a
# neighbouring string when it concatenates; ("x", source, empty) anything else, rendered, with
# `empty` telling that Lucene's automaton has no state at all (see _Renderer).
_EMPTY = ("x", None, True)  # rendered by _Parser.empty_language()


class _Parser:
    """A recursive-descent reading of the pattern, in the order Lucene's parser reads it."""

    def __init__(self, text: str, fold: bool, portable: bool = False):
        self.t = text
        self.i = 0
        self.fold = fold
        self.portable = portable

    def cls(self, ranges: Ranges) -> str:
        return _class_source(ranges, self.portable)

    def empty_language(self) -> str:
        return self.cls(())

    def fail(self, why: str):
        raise PatternError(f"Lucene regex {self.t!r}: {why} at position {self.i}")

    def more(self) -> bool:
        return self.i < len(self.t)

    def peek(self, chars: str) -> bool:
        return self.more() and self.t[self.i] in chars

    def match(self, c: str) -> bool:
        if self.more() and self.t[self.i] == c:
            self.i += 1
            return True
        return False

    def next(self) -> int:
        if not self.more():
            self.fail("unexpected end-of-string")
        self.i += 1
        return ord(self.t[self.i - 1])

    # rendering ------------------------------------------------------------
    def render(self, node) -> tuple[str, bool]:
        """(Python source, empty). A folded string is the concatenation of its folded characters,
        and Lucene's concatenation of none is an automaton without states: the empty language."""
        if node[0] == "x":
            return (self.empty_language() if node[1] is None else node[1]), node[2]
        text = node[1]
        if not text:
            return (self.empty_language(), True) if self.fold else ("(?:)", False)
        return "".join(self.cls(_char_ranges(ord(c), self.fold)) for c in text), False

    def concat_nodes(self, left, right):
        """Lucene's makeConcatenation: strings merge with a neighbouring string."""
        if left[0] == "s" and right[0] == "s":
            return ("s", left[1] + right[1])
        if left[0] == "s" and right[0] == "cat" and right[1][0] == "s":
            return ("cat", ("s", left[1] + right[1][1]), right[2])
        return ("cat", left, right)

    def flatten(self, node) -> tuple:
        if node[0] != "cat":
            return node
        (a, ea), (b, eb) = self.render(self.flatten(node[1])), self.render(self.flatten(node[2]))
        return _EMPTY if ea or eb else ("x", a + b, False)

    # grammar --------------------------------------------------------------
    def parse(self) -> str:
        if not self.t:
            return self.render(("s", ""))[0]
        out = self.union()
        if self.more():
            self.fail("end-of-string expected")
        return self.render(out)[0]

    def union(self):
        parts = [self.inter()]
        while self.match("|"):
            parts.append(self.inter())
        if len(parts) == 1:
            return parts[0]
        rendered = [self.render(p) for p in parts]
        if all(e for _, e in rendered):
            return _EMPTY
        return ("x", "(?:" + "|".join(src for src, _ in rendered) + ")", False)

    def inter(self):
        out = self.concat()
        if self.peek("&"):
            self.fail("the intersection operator & is not modelled")
        return out

    def concat(self):
        items = [self.repeat()]
        while self.more() and not self.peek(")|&"):
            items.append(self.repeat())
        # Lucene's concatenation is right-recursive: fold from the right, merging strings as it does
        acc = items[-1]
        for item in reversed(items[:-1]):
            acc = self.concat_nodes(item, acc)
        return self.flatten(acc) if acc[0] == "cat" else acc

    def repeat(self):
        e = self.compl()
        while self.peek("?*+{"):
            c = self.t[self.i]
            self.i += 1
            src, empty = self.render(e)
            if c == "?":
                e = ("x", f"{_group(src)}?", False)
                continue
            if c in "*+":
                # Lucene repeats an automaton without states as itself: `#*` matches nothing
                e = _EMPTY if empty else ("x", f"{_group(src)}{c}", False)
                continue
            start = self.i
            while self.peek("0123456789"):
                self.i += 1
            if start == self.i:
                self.fail("integer expected")
            n, m = int(self.t[start:self.i]), None
            if self.match(","):
                start = self.i
                while self.peek("0123456789"):
                    self.i += 1
                m = int(self.t[start:self.i]) if start != self.i else -1
            if not self.match("}"):
                self.fail("expected '}'")
            if m is not None and m != -1 and m < n:
                self.fail(f"invalid repetition range(out of order): {n}..{m}")
            if empty and (n > 0 or m == -1):
                e = _EMPTY
            elif m is None:
                e = ("x", f"{_group(src)}{{{n}}}", False)
            elif m == -1:
                e = ("x", f"{_group(src)}{{{n},}}", False)
            else:
                e = ("x", f"{_group(src)}{{{n},{m}}}", False)
        return e

    def compl(self):
        if self.peek("~"):
            self.fail("the complement operator ~ is not modelled")
        return self.char_class_exp()

    def char_class_exp(self):
        if not self.match("["):
            return self.simple()
        negate = self.match("^")
        items: list = [self.char_class_item()]
        while self.more() and not self.peek("]"):
            items.append(self.char_class_item())
        if not self.match("]"):
            self.fail("expected ']'")
        if not negate and len(items) == 1 and items[0][0] == "s":
            return items[0]  # one character in brackets is a plain character to Lucene
        ranges = _normalize(r for item in items for r in self.item_ranges(item))
        if negate:
            ranges = _complement(ranges)
        if not ranges:
            return _EMPTY  # Lucene removes the dead states of `[^\\d\\D]`: no state is left
        return ("x", self.cls(ranges), False)

    def item_ranges(self, item) -> Ranges:
        if item[0] == "s":
            return _char_ranges(ord(item[1]), self.fold)
        return item[1]

    def char_class_item(self):
        pre = self.predefined()
        if pre is not None:
            return pre
        lo = self.char_exp()
        if self.match("-"):
            hi = self.char_exp()
            if lo > hi:
                self.fail(f"invalid range: from ({lo}) cannot be > to ({hi})")
            return ("r", ((lo, hi),))  # ranges are never case-folded
        return ("s", chr(lo))

    def predefined(self):
        """After a backslash: a class shorthand, an escaped backslash, or an error for other ASCII letters;
        None (the backslash left to char_exp) when the next character is a plain escaped character."""
        if not self.match("\\"):
            return None
        if self.peek("dDwWsS"):
            return ("r", _PRE_CLASSES[chr(self.next())])
        if self.peek("\\"):
            return ("s", chr(self.next()))
        if self.peek("".join(_PRE_CLASS_ERRORS)):
            self.fail(f"invalid character class \\{self.t[self.i]}")
        self.i -= 1
        return None

    def char_exp(self) -> int:
        self.match("\\")
        return self.next()

    def simple(self):
        if self.match("."):
            return ("x", self.cls(((0, MAX_CODE_POINT),)), False)
        if self.match("#"):
            return _EMPTY
        if self.match("@"):
            return ("x", self.cls(((0, MAX_CODE_POINT),)) + "*", False)
        if self.match('"'):
            start = self.i
            while self.more() and not self.peek('"'):
                self.i += 1
            if not self.match('"'):
                self.fail("expected '\"'")
            return ("s", self.t[start:self.i - 1])
        if self.match("("):
            if self.match(")"):
                return ("s", "")
            inner = self.union()
            if not self.match(")"):
                self.fail("expected ')'")
            if inner[0] == "s":
                return inner  # a group of one string is that string (Lucene keeps no group node)
            src, empty = self.render(inner)
            return _EMPTY if empty else ("x", f"(?:{src})", False)
        if self.peek("<"):
            self.fail("intervals and named automata <...> are not modelled")
        pre = self.predefined()
        if pre is not None:
            return pre if pre[0] == "s" else ("x", self.cls(pre[1]), False)
        return ("s", chr(self.char_exp()))


@lru_cache(maxsize=4096)
def lucene_regex_to_python(pattern: str, case_insensitive: bool = False) -> str:
    """Python regex source, for `fullmatch` with re.DOTALL, of a Lucene RegExp (module docstring)."""
    return _Parser(pattern, case_insensitive).parse()


@lru_cache(maxsize=1024)
def lucene_regex_to_pcre(pattern: str, case_insensitive: bool = False) -> str:
    """The same language as regex source that PCRE, RE2 and Python read alike, for a whole-value
    match with no flags: every character class explicit (`.` is `[\\s\\S]`), case_insensitive
    folding written out as classes (`[Aa]`), control characters as `\\xHH`."""
    return _Parser(pattern, case_insensitive, portable=True).parse()


@lru_cache(maxsize=4096)
def lucene_regex(pattern: str, case_insensitive: bool = False) -> re.Pattern:
    """The compiled pattern; `.fullmatch(value)` is Lucene's verdict on the whole value."""
    try:
        return re.compile(lucene_regex_to_python(pattern, case_insensitive), re.DOTALL)
    except re.error as exc:  # e.g. a repeat count beyond what Python allows
        raise PatternError(f"Lucene regex {pattern!r}: {exc}") from None
