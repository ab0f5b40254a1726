"""Sigma regular expressions (PCRE-style searches) as Lucene regexes (whole-value matches).

Sigma's `|re` value is a PCRE-style regex that SEARCHES the value; Lucene's
RegExp (Elasticsearch regexp/query_string `/.../`, EQL `regex`, ES|QL RLIKE)
MATCHES the whole value and reads several constructs otherwise
(converters.engine.lucene_regexp). `sigma_regex_to_lucene` parses the Sigma
regex and writes a Lucene regex for the same set of values:

- unanchored sides get `.*`; `^` at the start and `$` at the end of a
  top-level alternative (also inside a leading/trailing group of
  alternatives, as in `(?:^|\\\\)name$`) become the whole-value edges. `$` is
  read as the end of the value (as RE2 reads it; PCRE and Python also let it
  match before a final newline). Anchors anywhere else are refused.
- every class is written out as Lucene reads it: PCRE's `\\d` `\\w` are
  ASCII and equal Lucene's; `\\s` (PCRE: space, \\t \\n \\v \\f \\r) becomes an
  explicit class since Lucene's `\\s` lacks \\v and \\f; `.` without the `s`
  flag is `[^\\n]` (Lucene's `.` also matches a newline).
- the `i` flag (and a leading `(?i)`) folds every letter, as PCRE does in
  UTF mode: each letter becomes a class of its cases, ranges gain their
  other-case ranges (Lucene has no flag for it: `regex~` would fold ASCII
  only and no range).
- lazy quantifiers (`*?` `+?` `??` `{n,m}?`) accept the same values as the
  greedy ones and are written greedy; `{,m}` is `{0,m}`.
- characters Lucene reserves (`" < > @ & ~ #` and its metacharacters) are
  escaped; control characters are written as themselves.

Refused with EmitError `emit/regex-unsupported`, naming the construct, only
where Lucene has no equivalent: lookarounds, backreferences, word
boundaries and other assertions (`\\b \\B \\A \\z \\Z \\G`), possessive and
atomic groups, inline flags other than a leading one, Unicode properties
(`\\p{..}`), POSIX classes, `\\Q..\\E`, `\\h`/`\\v`/`\\R`/`\\K`, the `m` flag.
"""

from __future__ import annotations

import re

from converters.emit.errors import EmitError
from converters.engine.lucene_regexp import MAX_CODE_POINT, _complement, _normalize

_LUCENE_RESERVED = set('.?+*|{}[]()"\\#@&<>~')
_PCRE_SPACE = ((0x09, 0x0D), (0x20, 0x20))  # \t \n \v \f \r and space (PCRE2's \s)
_CLASSES = {
    "d": ((0x30, 0x39),),
    "w": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    "s": _PCRE_SPACE,
}
_SIMPLE_ESCAPES = {"t": 9, "n": 10, "r": 13, "f": 12, "e": 27, "a": 7}
_REFUSED_ESCAPES = {
    "b": "the word boundary \\b", "B": "the assertion \\B", "A": "the assertion \\A", "z": "the assertion \\z",
    "Z": "the assertion \\Z", "G": "the assertion \\G", "K": "\\K", "Q": "\\Q...\\E quoting", "E": "\\E",
    "p": "Unicode properties \\p{...}", "P": "Unicode properties \\P{...}", "h": "\\h", "H": "\\H",
    "v": "\\v (vertical whitespace in PCRE, a character in others)", "V": "\\V", "R": "\\R", "X": "\\X",
    "N": "\\N", "g": "backreferences \\g", "k": "backreferences \\k",
}


class _Unsupported(Exception):
    pass


class _Parser:
    """PCRE subset -> tree: ("alt", [seq...]), ("seq", [item...]), ("set", ranges), ("anchor", "^"|"$"),
    ("group", alt), ("rep", item, min, max)."""

    def __init__(self, text: str, dotall: bool, fold: bool):
        self.t = text
        self.i = 0
        self.dotall = dotall
        self.fold = fold

    def refuse(self, what: str):
        raise _Unsupported(what)

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def parse(self):
        m = re.match(r"\(\?([is]+)\)", self.t)
        if m:  # a leading inline flag group applies to the whole pattern
            self.fold |= "i" in m.group(1)
            self.dotall |= "s" in m.group(1)
            self.i = m.end()
        tree = self.alt()
        if self.i != len(self.t):
            self.refuse(f"an unbalanced ')' at offset {self.i}")
        return tree

    def alt(self):
        branches = [self.seq()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.seq())
        return ("alt", branches)

    def seq(self):
        items = []
        while self.peek() is not None and self.peek() not in "|)":
            items.append(self.repeat())
        return ("seq", items)

    def repeat(self):
        atom = self.atom()
        while True:
            c = self.peek()
            if c in ("*", "+", "?"):
                self.i += 1
                lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            elif c == "{":
                m = re.compile(r"\{(\d*)(,(\d*))?\}").match(self.t, self.i)
                if not m or (m.group(1) == "" and not m.group(2)):
                    return atom  # PCRE reads a brace that is no quantifier as a character
                self.i = m.end()
                lo = int(m.group(1) or 0)
                hi = lo if not m.group(2) else (int(m.group(3)) if m.group(3) else None)
            else:
                return atom
            if atom[0] == "anchor":
                self.refuse("a quantified anchor")
            if self.peek() == "?":
                self.i += 1  # lazy: the same values match
            elif self.peek() == "+":
                self.refuse("a possessive quantifier")
            atom = ("rep", atom, lo, hi)

    def atom(self):
        c = self.t[self.i]
        if c == "(":
            self.i += 1
            if self.t.startswith("?:", self.i):
                self.i += 2
            elif self.t.startswith("?P<", self.i) or (self.t.startswith("?<", self.i)
                                                      and self.t[self.i + 2:self.i + 3] not in ("=", "!")):
                end = self.t.find(">", self.i)
                if end < 0:
                    self.refuse("an unclosed group name")
                self.i = end + 1
            elif self.t.startswith("?", self.i):
                what = {"=": "a lookahead", "!": "a lookahead", "<": "a lookbehind", ">": "an atomic group"}
                self.refuse(what.get(self.t[self.i + 1:self.i + 2], "an inline flag or group option (?...)"))
            inner = self.alt()
            if self.peek() != ")":
                self.refuse("an unclosed group")
            self.i += 1
            return ("group", inner)
        if c == "[":
            return ("set", self.char_class())
        if c in "^$":
            self.i += 1
            return ("anchor", c)
        if c == ".":
            self.i += 1
            return ("set", ((0, MAX_CODE_POINT),) if self.dotall else _complement(((10, 10),)))
        if c == "\\":
            return ("set", self.escape(in_class=False))
        if c in "*+?":
            self.refuse(f"a quantifier {c!r} with nothing to repeat")
        self.i += 1
        return ("set", self.letter(ord(c)))

    def letter(self, cp: int):
        if not self.fold:
            return ((cp, cp),)
        return _normalize((ord(x), ord(x)) for x in _cases(chr(cp)))

    def escape(self, in_class: bool):
        if self.i + 1 >= len(self.t):
            self.refuse("a trailing backslash")
        c = self.t[self.i + 1]
        self.i += 2
        if c in "dws":
            return _CLASSES[c]
        if c in "DWS":
            return _complement(_CLASSES[c.lower()])
        if c in _SIMPLE_ESCAPES:
            return ((_SIMPLE_ESCAPES[c],) * 2,)
        if c == "x":
            m = re.compile(r"\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{2})").match(self.t, self.i)
            if not m:
                self.refuse("a malformed \\x escape")
            self.i = m.end()
            return self.letter(int(m.group(1) or m.group(2), 16))
        if c in _REFUSED_ESCAPES or (c == "b" and not in_class):
            self.refuse(_REFUSED_ESCAPES[c])
        if c.isdigit():
            self.refuse("backreferences and octal escapes")
        if c.isascii() and c.isalpha():
            self.refuse(f"the escape \\{c}")
        return self.letter(ord(c))

    def class_atom(self):
        """One member of a bracket expression: ranges, and the code point when it can start a range."""
        if self.t.startswith("[:", self.i):
            self.refuse("POSIX classes [:...:]")
        if self.peek() == "\\":
            ranges = self.escape(in_class=True)
            single = ranges[0][0] if len(ranges) == 1 and ranges[0][0] == ranges[0][1] else None
            if self.t[self.i - 1] in "dwsDWS":
                single = None
            return ranges, single
        cp = ord(self.t[self.i])
        self.i += 1
        return ((cp, cp),), cp

    def char_class(self):
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        items = []
        first = True
        while True:
            if self.peek() is None:
                self.refuse("an unclosed character class")
            if self.peek() == "]" and not first:
                self.i += 1
                break
            first = False
            ranges, lo = self.class_atom()
            if lo is not None and self.peek() == "-" and self.i + 1 < len(self.t) and self.t[self.i + 1] != "]":
                self.i += 1
                hi_ranges, hi = self.class_atom()
                if hi is None:
                    self.refuse("a range ending in a class shorthand")
                if hi < lo:
                    self.refuse(f"the inverted range {chr(lo)}-{chr(hi)}")
                ranges = ((lo, hi),)
            items.extend(_fold_ranges(ranges) if self.fold else ranges)
        ranges = _normalize(items)
        return _complement(ranges) if negate else ranges


def _cases(c: str) -> set[str]:
    return {x for x in (c, c.lower(), c.upper(), c.swapcase()) if len(x) == 1}


def _fold_ranges(ranges) -> list:
    """Ranges with every letter's other cases added (PCRE's caseless matching in UTF mode)."""
    out = list(ranges)
    for lo, hi in ranges:
        if hi - lo > 5000:  # a wide range (a negated class, `.`): its letters' cases are mostly inside it
            continue
        for cp in range(lo, hi + 1):
            out.extend((ord(x), ord(x)) for x in _cases(chr(cp)))
    return out


# --- writing Lucene -------------------------------------------------------------

def _lucene_char(cp: int, in_class: bool) -> str:
    c = chr(cp)
    if in_class:
        return "\\" + c if c in "]\\-^[" else c
    return "\\" + c if c in _LUCENE_RESERVED else c


_SHORTHANDS = {_CLASSES["d"]: "\\d", _CLASSES["w"]: "\\w",
               _complement(_CLASSES["d"]): "\\D", _complement(_CLASSES["w"]): "\\W"}


def _lucene_set(ranges) -> str:
    if ranges in _SHORTHANDS:  # Lucene 9's \d \w \D \W are PCRE's (ASCII)
        return _SHORTHANDS[ranges]
    if not ranges:
        return "#"
    if ranges == ((0, MAX_CODE_POINT),):
        return "."
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _lucene_char(ranges[0][0], False)
    negate = ranges[0][0] == 0 and ranges[-1][1] == MAX_CODE_POINT
    items = _complement(ranges) if negate else ranges
    body = "".join(_lucene_char(lo, True) if lo == hi else f"{_lucene_char(lo, True)}-{_lucene_char(hi, True)}"
                   for lo, hi in items)
    return "[" + ("^" if negate else "") + body + "]"


def _write(node) -> str:
    kind = node[0]
    if kind == "set":
        return _lucene_set(node[1])
    if kind == "seq":
        return "".join(_write(n) for n in node[1])
    if kind == "alt":
        return "|".join(_write(b) for b in node[1])
    if kind == "group":
        return "(" + _write(node[1]) + ")"
    if kind == "rep":
        inner = _write(node[1])
        if not (node[1][0] == "set" or node[1][0] == "group"):
            inner = "(" + inner + ")"
        lo, hi = node[2], node[3]
        quant = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((lo, hi))
        if quant is None:
            quant = f"{{{lo}}}" if lo == hi else f"{{{lo},}}" if hi is None else f"{{{lo},{hi}}}"
        return inner + quant
    raise _Unsupported(f"anchors inside the pattern ({node[1]})")


def _edges(items: list) -> list[tuple[bool, list, bool]]:
    """(starts at the value's start, items, ends at its end) for each way the sequence can be read:
    a leading/trailing anchor, or a leading/trailing group of alternatives holding anchors, is
    distributed over the alternatives."""
    if items and items[0][0] == "group" and _has_anchor(items[0], "^", first=True):
        return [r for b in items[0][1][1] for r in _edges(b[1] + items[1:])]
    if items and items[-1][0] == "group" and _has_anchor(items[-1], "$", first=False):
        return [r for b in items[-1][1][1] for r in _edges(items[:-1] + b[1])]
    start = bool(items) and items[0] == ("anchor", "^")
    if start:
        items = items[1:]
    end = bool(items) and items[-1] == ("anchor", "$")
    if end:
        items = items[:-1]
    return [(start, items, end)]


def _has_anchor(group, anchor: str, first: bool) -> bool:
    for branch in group[1][1]:
        seq = branch[1]
        if seq and (seq[0] if first else seq[-1]) == ("anchor", anchor):
            return True
    return False


def sigma_regex_to_lucene(regex: str, *, case_insensitive: bool, dotall: bool = False) -> str:
    """A Sigma regex (search) as a Lucene RegExp (whole value) with the same matches (module docstring)."""
    try:
        tree = _Parser(regex, dotall, case_insensitive).parse()
        readings = [r for branch in tree[1] for r in _edges(branch[1])]
        if len(readings) > 64:
            raise _Unsupported("too many anchored alternatives")
        groups: dict[tuple[bool, bool], list[str]] = {}
        for start, items, end in readings:
            groups.setdefault((start, end), []).append(_write(("seq", items)))
    except _Unsupported as exc:
        raise EmitError(f"regex {regex!r}: {exc} has no Lucene equivalent", code="emit/regex-unsupported") from None
    parts = []
    for (start, end), bodies in groups.items():
        body = bodies[0] if len(bodies) == 1 else "(" + "|".join(bodies) + ")"
        parts.append(("" if start else ".*") + body + ("" if end else ".*"))
    if len(parts) == 1:
        return parts[0]
    return "|".join(f"({p})" for p in parts)
