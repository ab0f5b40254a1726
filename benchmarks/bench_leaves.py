"""Hold ruleport's leaf matchers (converters.engine.leaves) to the real Lucene on generated pairs.

Every leaf the Elastic evaluators use (term, wildcard, regexp; cased and
case_insensitive) is checked on generated pattern/value pairs against Lucene
9.12 through the JVM helper's leaf mode. Patterns are random but aimed at
the edges: ASCII and non-ASCII case pairs (é/É, the Kelvin sign, long s,
dotted I, final sigma), astral code points, every class shorthand inside and
outside brackets, ranges under case_insensitive, stacked repeats, `"..."`,
`@` and `#`, a leading `*` or `|`, escapes, and broken patterns Lucene must
reject. Values are drawn from each pattern (so that many match), then
mutated (case flipped, a character changed, added or dropped) and mixed with
random text. Not generated: the `&`, `~` and `<...>` operators, which the
model refuses (lucene_regexp).

Sigma regexes going the other way (converters.emit.regex, what the Elastic
targets emit for `|re`) are generated too, and the emitted Lucene regex's
verdicts (real Lucene) compared with the Sigma regex's own (Python `re`
reading it as PCRE does: ASCII classes, `.` without newline).

Each regexp is also checked in the portable form the translation to Sigma
writes (lucene_regexp.lucene_regex_to_pcre), read with no flags.

`make bench` (python -m benchmarks leaves) runs 6,000 patterns (over
100,000 pairs); tests/engine/test_leaves.py runs a small fixed sample.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Iterable

KINDS = ("term", "wildcard", "regexp")

_LETTERS = "abcksiyzABCKSIYZ"
_ODD = "éÉßſ\u212aİıσςΣ😀中\u00b5\u039c"
_SPACES = " \t\n\r\x0b\x0c"
_PUNCT = "._-/\\:0123456789"
_REGEX_SPECIAL = '.?+*|{}[]()"\\#@&<>~^$'
_ALPHABET = _LETTERS * 3 + _ODD + _SPACES + _PUNCT * 2


def _char(rng: random.Random) -> str:
    return rng.choice(_ALPHABET)


# --- regexp: a small tree we can both print and sample from -----------------

def _regex_node(rng: random.Random, depth: int) -> tuple:
    r = rng.random()
    if depth > 2 or r < 0.35:
        c = _char(rng)
        return ("lit", c)
    if r < 0.45:
        return ("any",)
    if r < 0.55:
        return ("pre", rng.choice("dDsSwW"))
    if r < 0.68:
        items = []
        for _ in range(rng.randint(1, 3)):
            k = rng.random()
            if k < 0.4:
                lo = rng.choice("aAkK0")
                hi = {"a": "z", "A": "Z", "k": "s", "K": "S", "0": "9"}[lo]
                items.append(("range", lo, hi))
            elif k < 0.6:
                items.append(("pre", rng.choice("dDsSwW")))
            else:
                items.append(("lit", _char(rng)))
        return ("class", rng.random() < 0.35, items)
    if r < 0.73:
        return ("str", "".join(_char(rng) for _ in range(rng.randint(0, 3))).replace('"', ""))
    if r < 0.85:
        return ("alt", [_regex_node(rng, depth + 1) for _ in range(rng.randint(2, 3))])
    if r < 0.97:
        inner = _regex_node(rng, depth + 1)
        q = rng.choice(["?", "*", "+", "{2}", "{1,}", "{0,2}", "{1,3}", "{2,1}"])
        if rng.random() < 0.1:
            q += rng.choice(["?", "*", "+"])
        return ("rep", inner, q)
    return ("seq", [_regex_node(rng, depth + 1) for _ in range(rng.randint(2, 3))])


def _escape_regex(c: str) -> str:
    if c in _REGEX_SPECIAL:
        return "\\" + c
    return c


def _class_item(item) -> str:
    if item[0] == "range":
        return f"{item[1]}-{item[2]}"
    if item[0] == "pre":
        return "\\" + item[1]
    return "\\" + item[1] if item[1] in "]\\-^[" else item[1]


def _print(node) -> str:
    kind = node[0]
    if kind == "lit":
        return _escape_regex(node[1])
    if kind == "any":
        return "."
    if kind == "pre":
        return "\\" + node[1]
    if kind == "class":
        return "[" + ("^" if node[1] else "") + "".join(_class_item(i) for i in node[2]) + "]"
    if kind == "str":
        return '"' + node[1] + '"'
    if kind == "alt":
        return "(" + "|".join(_print(n) for n in node[1]) + ")"
    if kind == "rep":
        inner = _print(node[1])
        if node[1][0] in ("seq",):
            inner = "(" + inner + ")"
        return inner + node[2]
    return "".join(_print(n) for n in node[1])


_PRE = {"d": "0123456789", "s": " \t\n\r", "w": "aZ_9k"}


def _sample(node, rng: random.Random) -> str:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "any":
        return _char(rng)
    if kind == "pre":
        pool = _PRE[node[1].lower()]
        return rng.choice(pool) if node[1].islower() else rng.choice("é-!😀")
    if kind == "class":
        if node[1]:
            return rng.choice("é!😀Q")
        item = rng.choice(node[2])
        if item[0] == "range":
            return chr(rng.randint(ord(item[1]), ord(item[2])))
        if item[0] == "pre":
            return _sample(item, rng)
        return item[1]
    if kind == "str":
        return node[1]
    if kind == "alt":
        return _sample(rng.choice(node[1]), rng)
    if kind == "rep":
        return "".join(_sample(node[1], rng) for _ in range(rng.randint(0, 2)))
    return "".join(_sample(n, rng) for n in node[1])


def _mutate(text: str, rng: random.Random) -> str:
    r = rng.random()
    if not text or r < 0.2:
        return text + _char(rng)
    i = rng.randrange(len(text))
    if r < 0.55:
        c = text[i]
        swapped = {"k": "\u212a", "s": "ſ", "i": "İ", "é": "É", "σ": "Σ", "ς": "Σ"}.get(c.lower(), c.swapcase())
        return text[:i] + (swapped if rng.random() < 0.3 else c.swapcase()) + text[i + 1:]
    if r < 0.8:
        return text[:i] + _char(rng) + text[i + 1:]
    return text[:i] + text[i + 1:]


def _regex_pattern(rng: random.Random) -> tuple[str, list[str]]:
    nodes = [_regex_node(rng, 0) for _ in range(rng.randint(1, 4))]
    tree = ("seq", nodes)
    pattern = _print(tree)
    r = rng.random()
    if r < 0.06:  # odd or broken syntax: Lucene must agree on what it rejects or reads literally
        i = rng.randint(0, len(pattern))
        pattern = pattern[:i] + rng.choice(["|", "*", "{", "}", "(", ")", "[", "]", "\\", "\\n", "\\é", "^", "$",
                                            "a-", "||", "()", "{,2}", "@", "#"]) + pattern[i:]
    elif r < 0.09:
        pattern = rng.choice(["*", "|", "?", "{", "+"]) + pattern
    samples = [_sample(tree, rng) for _ in range(4)]
    return pattern, samples


def _wildcard_pattern(rng: random.Random) -> tuple[str, list[str]]:
    parts, sample = [], []
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.2:
            parts.append("*")
            sample.append("".join(_char(rng) for _ in range(rng.randint(0, 2))))
        elif r < 0.3:
            parts.append("?")
            sample.append(_char(rng))
        elif r < 0.4:
            c = rng.choice(_LETTERS + "*?\\é")
            parts.append("\\" + c)
            sample.append(c)
        else:
            c = _char(rng)
            parts.append("\\\\" if c == "\\" else c)
            sample.append(c)
    pattern = "".join(parts)
    if rng.random() < 0.05:
        pattern += "\\"  # a trailing backslash is literal
    return pattern, ["".join(sample)]


def generate(seed: int, patterns: int, values_per_pattern: int) -> list[tuple[str, bool, str, list[str]]]:
    """`patterns` cases (kind, case_insensitive, pattern, values), deterministic for `seed`."""
    rng = random.Random(seed)
    cases = []
    for n in range(patterns):
        kind = KINDS[n % 3]
        ci = rng.random() < 0.5
        if kind == "regexp":
            pattern, samples = _regex_pattern(rng)
        elif kind == "wildcard":
            pattern, samples = _wildcard_pattern(rng)
        else:
            pattern = "".join(_char(rng) for _ in range(rng.randint(0, 6)))
            samples = [pattern]
        values: list[str] = []
        while len(values) < values_per_pattern:
            base = rng.choice(samples)
            r = rng.random()
            if r < 0.3:
                values.append(base)
            elif r < 0.85:
                values.append(_mutate(_mutate(base, rng) if r > 0.7 else base, rng))
            else:
                values.append("".join(_char(rng) for _ in range(rng.randint(0, 8))))
        cases.append((kind, ci, pattern, values))
    return cases


def python_verdicts(case) -> list[bool] | None:
    """ruleport's verdicts on a case's values, None when the model rejects the pattern."""
    from converters.engine.leaves import KINDS as MATCHERS
    from converters.engine.leaves import PatternError

    kind, ci, pattern, values = case
    try:
        test = MATCHERS[kind](pattern, case_insensitive=ci)
    except PatternError:
        return None
    return [test(v) for v in values]


def portable_verdicts(case) -> list[bool] | None:
    """For regexps: the verdicts of the portable regex the translation to Sigma writes
    (lucene_regexp.lucene_regex_to_pcre), read by Python without flags as PCRE or RE2 would."""
    import re

    from converters.engine.lucene_regexp import PatternError, lucene_regex_to_pcre

    kind, ci, pattern, values = case
    try:
        rx = re.compile(lucene_regex_to_pcre(pattern, ci))
    except PatternError:
        return None
    return [rx.fullmatch(v) is not None for v in values]


def compare(cases: Iterable, lucene) -> dict:
    """Run both sides; the figures and the first disagreements."""
    from converters.engine.executor import ExecutionError

    cases = list(cases)
    answers = lucene.check_leaves(cases)
    tally: Counter = Counter()
    disagreements = []
    for case, truth in zip(cases, answers):
        ours = python_verdicts(case)
        kind, ci = case[0], case[1]
        key = f"{kind}{'~' if ci else ''}"
        if isinstance(truth, ExecutionError) or ours is None:
            if isinstance(truth, ExecutionError) and ours is None:
                tally[key + " rejected (both)"] += 1
            else:
                tally[key + " DISAGREE on validity"] += 1
                disagreements.append((case, "lucene " + ("rejects" if ours is not None else "accepts")))
            continue
        if kind == "regexp":
            portable = portable_verdicts(case)
            tally["portable regexp pairs"] += len(truth)
            tally["portable regexp agree"] += sum(a == b for a, b in zip(portable, truth))
            disagreements.extend(((kind, ci, case[2], [v]), f"portable form; lucene says {b}")
                                 for v, a, b in zip(case[3], portable, truth) if a != b)
        for value, a, b in zip(case[3], ours, truth):
            tally["pairs"] += 1
            tally[key + " pairs"] += 1
            tally["matches" if b else "non-matches"] += 1
            if a == b:
                tally["agree"] += 1
            else:
                disagreements.append(((kind, ci, case[2], [value]), f"lucene says {b}"))
    return {"tally": tally, "disagreements": disagreements}


def main() -> None:
    from converters.lucene.executor import LuceneExecutor

    lucene = LuceneExecutor()
    reason = lucene.unavailable()
    if reason:
        print(f"skipped: {reason}")
        return
    cases = generate(seed=20240601, patterns=6000, values_per_pattern=20)
    start = time.perf_counter()
    result = compare(cases, lucene)
    took = time.perf_counter() - start
    t = result["tally"]
    print(f"leaves: {len(cases)} patterns, {t['pairs']} pattern/value pairs checked against Lucene "
          f"{lucene.engine_version()} in {took:.1f} s ({t['matches']} matches, {t['non-matches']} non-matches)")
    print(f"leaves: agree on {t['agree']} of {t['pairs']} pairs; "
          f"{len(result['disagreements'])} disagreements (pairs and pattern validity)")
    for key in sorted(k for k in t if k not in ("pairs", "agree", "matches", "non-matches")):
        print(f"leaves:   {key}: {t[key]}")
    for case, why in result["disagreements"][:10]:
        print(f"leaves:   DISAGREE {case[0]}{'~' if case[1] else ''} {case[2]!r} on {case[3][:1]!r}: {why}")
    sigma = compare_sigma_regexes(sigma_regex_cases(seed=20240602, patterns=3000, values_per_pattern=10), lucene)
    t = sigma["tally"]
    print(f"leaves: Sigma regexes emitted for Lucene: agree with the Sigma regex (PCRE reading) on {t['agree']} "
          f"of {t['pairs']} pairs; {t['refused']} of 3000 regexes refused; "
          f"{len(sigma['disagreements'])} disagreements")
    for d in sigma["disagreements"][:10]:
        print(f"leaves:   DISAGREE {d!r}")


# --- Sigma regexes emitted for Lucene (converters.emit.regex) ---------------------

_PCRE_META = ".^$*+?()[]{}|\\/"
_PLAIN = "abcxyzABCXYZ019 -_.:/\\\t\n\x0b\x0cé中😀"  # no letter whose cases Python and PCRE fold otherwise


def _pcre_node(rng: random.Random, depth: int) -> str:
    r = rng.random()
    if depth > 2 or r < 0.4:
        c = rng.choice(_PLAIN)
        return "\\" + c if c in _PCRE_META else c
    if r < 0.5:
        return rng.choice([".", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S"])
    if r < 0.62:
        items = "".join(rng.choice(["a-c", "X-Z", "0-9", "\\d", "\\s", "_", "\\-", "é", "."]) for _ in range(2))
        return "[" + ("^" if rng.random() < 0.3 else "") + items + "]"
    if r < 0.75:
        return "(?:" + "|".join(_pcre_node(rng, depth + 1) for _ in range(rng.randint(2, 3))) + ")"
    if r < 0.95:
        q = rng.choice(["*", "+", "?", "{2}", "{1,}", "{0,2}", "*?", "+?", "??"])
        return "(?:" + _pcre_node(rng, depth + 1) + ")" + q
    return "".join(_pcre_node(rng, depth + 1) for _ in range(2))


def sigma_regex_cases(seed: int, patterns: int, values_per_pattern: int) -> list[tuple[str, bool, list[str]]]:
    """(Sigma regex, i flag, values): random searches, some anchored on a side or per alternative."""
    rng = random.Random(seed)
    out = []
    for _ in range(patterns):
        body = "".join(_pcre_node(rng, 0) for _ in range(rng.randint(1, 3)))
        r = rng.random()
        if r < 0.25:
            body = "^" + body + "$"
        elif r < 0.35:
            body = "^" + body
        elif r < 0.45:
            body = body + "$"
        elif r < 0.55:
            body = "(?:^|\\\\)" + body + "$"
        elif r < 0.6:
            body = "^" + body + "|" + _pcre_node(rng, 0) + "$"
        values = []
        for _ in range(values_per_pattern):
            v = "".join(rng.choice(_PLAIN) for _ in range(rng.randint(0, 7)))
            values.append(v.rstrip("\n"))  # PCRE's `$` also matches before a final newline; ours does not
        out.append((body, rng.random() < 0.4, values))
    return out


def compare_sigma_regexes(cases, lucene) -> dict:
    """Python's re.search of the Sigma regex (classes made ASCII as PCRE's) against Lucene's verdict
    on the regex converters.emit.regex writes for it."""
    import re

    from converters.emit.errors import EmitError
    from converters.emit.regex import sigma_regex_to_lucene

    batch, refs = [], []
    tally: Counter = Counter()
    for regex, ci, values in cases:
        try:
            lucene_regex = sigma_regex_to_lucene(regex, case_insensitive=ci)
        except EmitError:
            tally["refused"] += 1
            continue
        # re.ASCII: PCRE's \d \w \s without UCP; no pattern or value holds a non-ASCII letter's other case
        rx = re.compile(regex, re.ASCII | (re.IGNORECASE if ci else 0))
        batch.append(("regexp", False, lucene_regex, values))
        refs.append([rx.search(v) is not None for v in values])
    disagreements = []
    for case, ref, truth in zip(batch, refs, lucene.check_leaves(batch)):
        if not isinstance(truth, list):
            disagreements.append((case[2], "lucene rejects"))
            continue
        for v, a, b in zip(case[3], ref, truth):
            tally["pairs"] += 1
            tally["agree"] += a == b
            if a != b:
                disagreements.append((case[2], v, f"lucene says {b}"))
    return {"tally": tally, "disagreements": disagreements}
