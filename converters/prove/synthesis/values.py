"""Values for one field: samples that satisfy its atoms, and values that just miss one.

`solve(field, need, gen)` yields values satisfying every atom the branch
requires of the field (`need.pos`) and none it forbids (`need.neg`); each is
checked with the atoms themselves (the real evaluator), so the samplers here
only have to propose well. `near_misses(atom, value, gen)` proposes values
one small step outside an atom; the caller keeps those the atom rejects.
"""

from __future__ import annotations

import ipaddress
import random
import re
import string
from dataclasses import dataclass, field
from typing import Iterator

from converters.prove.synthesis import ecs
from converters.prove.synthesis.formula import (
    CIDR, EQ, EXISTS, LENGTH, RANGE, REGEX, TEXT, WILDCARD, Atom)
from converters.prove.synthesis.patterns import (
    ONE, STAR, RegexError, edits, fill, literal_text, other_char, parse_regex, sample_regex, slots, swap_case)

SEPARATOR = {"windows": "\\", "linux": "/", "macos": "/"}
_PATH_WORDS = ("executable", "path", "working_directory", "directory", "target_path", "image")
_WORDS = ("update", "helper", "agent", "sync", "loader", "report", "backup", "service", "tools", "cache")


@dataclass
class Exact:
    """A value the field must hold exactly (a forced near miss, or a relation with another field)."""

    value: object
    kind: str = "exact"
    fold: bool = False

    def accepts(self, value) -> bool:
        return value == self.value or (isinstance(value, list) and self.value in value)

    @property
    def text(self) -> str:
        return f"= {self.value!r}"


@dataclass
class Need:
    """What one branch asks of one field: atoms that must hold, atoms that must not."""

    pos: list = field(default_factory=list)
    neg: list = field(default_factory=list)

    def accepts(self, value) -> bool:
        return all(a.accepts(value) for a in self.pos) and not any(a.accepts(value) for a in self.neg)

    def rejects_any(self, value) -> bool:
        return any(a.accepts(value) for a in self.neg)


class Gen:
    """The random source and context of one event: OS, user, and the values already chosen."""

    def __init__(self, rng: random.Random, os: str, alt: int = 0, edge: bool = False):
        self.rng = rng
        self.os = os
        self.alt = alt          # which alternative of a multi-valued atom to prefer
        self.edge = edge        # fill wildcards with nothing (the `*` edge)
        self.sep = SEPARATOR.get(os, "/")
        self.user = "alice"
        self.head: str | None = None   # how a command line begins (the quoted executable), for a leading `*`

    def head_of(self, exe: str) -> str:
        """A command line's beginning: the program, quoted when it holds a space."""
        return (f'"{exe}"' if " " in exe else exe) + " "

    def word(self, n: int = 0) -> str:
        w = self.rng.choice(_WORDS)
        return w + (str(self.rng.randint(1, 99)) if n else "")

    def token(self, size: int = 6) -> str:
        return "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(size))

    def directory(self) -> str:
        word = self.word().capitalize()
        if self.os == "windows":
            return self.rng.choice([f"C:\\Users\\{self.user}\\AppData\\Local\\Temp", f"C:\\ProgramData\\{word}",
                                    f"C:\\Users\\{self.user}\\Downloads", f"C:\\Program Files\\{word}",
                                    "C:\\Windows\\System32", f"D:\\{word}"])
        if self.os == "macos":
            return self.rng.choice([f"/Users/{self.user}/Downloads", "/private/tmp", "/usr/local/bin",
                                    f"/Applications/{word}.app/Contents/MacOS", "/usr/bin", f"/opt/{word.lower()}"])
        return self.rng.choice(["/tmp", f"/home/{self.user}/.local/bin", "/var/tmp", "/usr/bin", "/usr/local/bin",
                                f"/opt/{word.lower()}/bin", "/usr/sbin", "/srv/app"])

    def file_name(self, executable: bool = False) -> str:
        stem = self.word()
        if self.os == "windows":
            return stem + (".exe" if executable else self.rng.choice([".txt", ".dat", ".log"]))
        return stem if executable else stem + self.rng.choice([".txt", ".dat", ".log"])

    def ip(self, public: bool = True) -> str:
        if public:
            return f"{self.rng.choice([34, 52, 91, 104, 151, 185])}.{self.rng.randint(1, 254)}." \
                   f"{self.rng.randint(1, 254)}.{self.rng.randint(1, 254)}"
        return f"10.{self.rng.randint(0, 254)}.{self.rng.randint(0, 254)}.{self.rng.randint(1, 254)}"


def is_path_field(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last in _PATH_WORDS or name.endswith(".path")


# --- defaults -----------------------------------------------------------------------

def default(field_name: str, gen: Gen):
    """A plausible value for a field no atom pins down (ECS type and field name decide)."""
    kind = ecs.ecs_type(field_name)
    last = field_name.rsplit(".", 1)[-1]
    if kind == "ip" or ecs.is_ip(field_name):
        return gen.ip(public=not field_name.startswith(("source", "host", "client")))
    if kind in ecs.NUMERIC_TYPES:
        if last == "port":
            return gen.rng.choice([443, 8443, 4444, 50123])
        if last in ("pid", "ppid"):
            return gen.rng.randint(1000, 30000)
        return gen.rng.randint(1, 9)
    if kind in ecs.FLOAT_TYPES:
        return round(gen.rng.uniform(1, 9), 2)
    if kind == "boolean":
        return gen.rng.choice([True, False])
    if kind == "date":
        return "2025-01-01T00:00:00.000Z"
    if field_name.endswith(("working_directory", "directory")):
        return gen.directory()
    if is_path_field(field_name):
        return gen.directory() + gen.sep + gen.file_name(executable=field_name.endswith("executable"))
    if last in ("md5", "sha1", "sha256", "sha512"):
        size = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}[last]
        return "".join(gen.rng.choice("0123456789abcdef") for _ in range(size))
    if last == "name":
        if field_name.startswith("user"):
            return gen.user
        if field_name.startswith("host"):
            return "ws-" + gen.token(4)
        return gen.file_name(executable=field_name.startswith("process"))
    if last == "extension":
        return "dat"
    if last == "domain":
        return "CORP" if field_name.startswith("user") and gen.os == "windows" else "example.com"
    if last in ("id", "entity_id"):
        return gen.token(12)
    if last in ("full", "original") and field_name.startswith("url"):
        return f"https://{gen.word()}.example.com/{gen.word()}"
    return gen.word(1)


def defaults(field_name: str, gen: Gen, n: int = 8) -> Iterator:
    """`n` varied defaults: both booleans, private and public addresses, other words."""
    for k in range(n):
        value = ecs.typed(field_name, default(field_name, gen))
        if ecs.is_ip(field_name) and k % 2:
            value = gen.ip(public=k % 4 == 1)
        elif isinstance(value, bool) and k % 2:
            value = not value
        yield value


# --- samplers -------------------------------------------------------------------------

def _star_filler(field_name: str, before: str, after: str, gen: Gen) -> str:
    """A realistic run of characters for a `*` between `before` and `after`."""
    seps = "\\/"
    if field_name == "registry.key" and not before:
        # the key below its hive (Elastic Defend's registry.key has no root: registry.hive says it)
        return "SYSTEM\\CurrentControlSet\\Services" if after[:1] == "\\" else "SOFTWARE\\"
    if field_name.startswith("registry.") and not before:
        return "HKEY_USERS\\S-1-5-21-1004336348-1104" if after[:1] == "\\" else "HKEY_LOCAL_MACHINE\\"
    if field_name.startswith("registry.") and before.upper().endswith("HK"):
        return "EY_LOCAL_MACHINE"
    pathy = is_path_field(field_name) or any(s in before + after for s in seps)
    if pathy:
        sep = "\\" if "\\" in before + after else "/" if "/" in before + after else gen.sep
        if not before and after[:1] in seps:
            return gen.directory().replace("\\", sep) if sep == gen.sep else "C:" if sep == "\\" else "/tmp"
        if not before:
            return gen.directory() + gen.sep + (gen.word() if after[:1] == "." else "")
        if before[-1:] in seps and not after:
            return gen.file_name(executable=field_name.endswith("executable"))
        if before[-1:] in seps and after[:1] in seps:
            return gen.word()
        if not after:
            return gen.token(3)
        return gen.word()
    if field_name.endswith(("command_line", "args", "script_block_text", "value")):
        if not before:
            if field_name.endswith("command_line") and gen.head:
                return gen.head
            return gen.word() if after[:1] in (".", "") else ""
        if not after:
            return " " + gen.word()
        return " " if before[-1:] != " " and after[:1] != " " else gen.word()
    return gen.token(4)


def _one_filler(before: str, after: str, gen: Gen) -> str:
    if after.startswith(":\\") or after == ":":
        return "C"   # a drive letter
    if before[-6:].lower() == "volume" or before[-1:].isdigit():
        return str(gen.rng.randint(1, 9))
    return gen.rng.choice("abcdefk")


def sample_pattern(pattern, field_name: str, gen: Gen, empty: bool = False, inserts=None, pad: int = 0) -> str:
    """A value matching a wildcard pattern. `empty`: every `*` matches nothing; `inserts`: slot -> text
    that goes into that `*` (another constraint's core); `pad`: extra characters in the last `*`."""
    fillers = []
    star_slots = [i for i, kind, _, _ in slots(pattern) if kind is STAR]
    for i, kind, before, after in slots(pattern):
        if kind is ONE:
            fillers.append(_one_filler(before, after, gen))
            continue
        text = "" if empty else _star_filler(field_name, before, after, gen)
        if inserts and i in inserts:
            text = inserts[i]
            if text[:1] in "\\/" and before.endswith(text[:1]):
                text = text[1:]   # the pattern already ends with that separator
            if after and i + 2 == len(pattern) and text.lower().endswith(after.lower()) and len(text) > len(after):
                text = text[: -len(after)]   # the pattern's own ending supplies the rest
        if pad and star_slots and i == star_slots[-1]:
            text += "A" * pad
        fillers.append(text)
    return fill(pattern, fillers)


def _range_candidates(atoms) -> list:
    out = []
    for a in atoms:
        op, bound = a.values
        if isinstance(bound, str):
            out.extend({">": [bound + "1"], ">=": [bound], "<": [bound[:-1] or "!"], "<=": [bound]}.get(op, [bound]))
            continue
        step = 1 if isinstance(bound, int) else 0.5
        out.extend({">": [bound + step], ">=": [bound], "<": [bound - step], "<=": [bound]}.get(op, [bound]))
        out.append(bound + 10 * step if op.startswith(">") else bound - 10 * step if op.startswith("<") else bound)
    return out


def _cidr_candidates(net, gen: Gen) -> list[str]:
    if net.num_addresses == 1:
        return [str(net.network_address)]
    first, last = int(net.network_address), int(net.broadcast_address)
    middle = first + gen.rng.randint(1, max(1, min(last - first - 1, 2 ** 20)))
    cls = type(net.network_address)
    return [str(cls(middle)), str(net.network_address), str(net.broadcast_address)]


def text_sample(atom: Atom, gen: Gen) -> list[str]:
    """Values an analysed text field matches for a KQL value: the text among other words."""
    value = atom.values[0]
    if value.has_wildcard:
        clauses = re.split(r"\s+", value.pattern())
        words = [c for c in clauses if c]
        pick = words[gen.alt % len(words)] if words else ""
        core = pick.replace("*", gen.rng.choice(["x", "Foo", "1"]))
    else:
        core = value.literal or ""
    return [f"$out = {core} | Out-Null", core, f"{gen.word()} {core} {gen.word()}"]


def atom_samples(atom, field_name: str, gen: Gen, pad: int = 0) -> Iterator:
    """Values satisfying one atom, its preferred alternative (gen.alt) first."""
    if isinstance(atom, Exact):
        yield atom.value
        return
    if atom.kind == "derived":
        yield from atom.samples
        return
    kind, n = atom.kind, max(1, atom.alternatives)
    order = [(gen.alt + k) % n for k in range(n)]
    if kind == EQ:
        for k in order:
            yield atom.values[k]
    elif kind == WILDCARD:
        for k in order:
            pattern = atom.values[k]
            if gen.edge:
                yield sample_pattern(pattern, field_name, gen, empty=True, pad=pad)
            for _ in range(3):
                yield sample_pattern(pattern, field_name, gen, pad=pad)
            yield sample_pattern(pattern, field_name, gen, empty=True, pad=pad)
    elif kind == REGEX:
        for k in order:
            try:
                tree = parse_regex(atom.values[k])
            except RegexError:
                continue
            if gen.edge:
                yield sample_regex(tree, gen.rng, extra=0)
            for extra in (2, 0, 4, 1):
                yield sample_regex(tree, gen.rng, extra=extra)
    elif kind == RANGE:
        yield from _range_candidates([atom])
    elif kind == CIDR:
        for k in order:
            found = _cidr_candidates(atom.values[k], gen)
            yield from (found[1:] + found[:1]) if gen.edge else found
    elif kind == LENGTH:
        op, size = atom.values
        target = {">": size + 1, ">=": size, "==": size, "<": max(size - 1, 0), "<=": size}.get(op, size)
        if target > 0:
            yield ("A" * target) if not is_path_field(field_name) else (gen.directory() + gen.sep).ljust(target, "a")
    elif kind == TEXT:
        yield from text_sample(atom, gen)
    elif kind == EXISTS:
        yield from defaults(field_name, gen)


_PRIORITY = {"exact": 0, EQ: 1, CIDR: 2, REGEX: 3, WILDCARD: 4, TEXT: 5, RANGE: 6, LENGTH: 7, "derived": 8,
             EXISTS: 9}


def _core(atom, field_name: str, gen: Gen) -> str | None:
    """A short text satisfying `atom` that can sit inside another pattern's `*`."""
    if isinstance(atom, Exact):
        return atom.value if isinstance(atom.value, str) else None
    if atom.kind == "derived":
        return atom.core
    if atom.kind == WILDCARD:
        return sample_pattern(atom.values[gen.alt % len(atom.values)], field_name, gen, empty=True)
    if atom.kind == EQ and isinstance(atom.values[0], str):
        return atom.values[gen.alt % len(atom.values)]
    return None


def solve(field_name: str, need: Need, gen: Gen, limit: int = 40) -> Iterator:
    """Values of `field_name` that every atom in `need.pos` accepts and no atom in `need.neg` does."""
    if not need.pos:
        for value in defaults(field_name, gen):
            if not need.rejects_any(value):
                yield value
        return
    pos = sorted(need.pos, key=lambda a: (_PRIORITY.get(a.kind, 9), -len(literal_text(a.values[0]))
                                          if getattr(a, "kind", "") == WILDCARD else 0))
    primary, others = pos[0], pos[1:]
    pad = 0
    for a in others:
        if getattr(a, "kind", None) == LENGTH and a.values[0] in (">", ">="):
            pad = a.values[1] + (1 if a.values[0] == ">" else 0)
    tried = 0
    seen = set()

    def candidates():
        if getattr(primary, "kind", None) != WILDCARD:
            yield from atom_samples(primary, field_name, gen)
        if getattr(primary, "kind", None) == TEXT:
            texts = [t for a in pos if getattr(a, "kind", None) == TEXT for t in text_sample(a, gen)[1:2]]
            yield " ".join(texts)
            yield "\n".join(f"{gen.word()} {t} {gen.word()}" for t in texts)
        if getattr(primary, "kind", None) == WILDCARD:
            cores = [c for c in (_core(a, field_name, gen) for a in others) if c]
            n = len(primary.values)
            for pattern in (primary.values[(gen.alt + k) % n] for k in range(n)):
                star = [i for i, kind, _, _ in slots(pattern) if kind is STAR]
                if not star:
                    continue
                if cores:
                    joined = "".join(cores)
                    for where in (star[-1], star[0]):
                        yield sample_pattern(pattern, field_name, gen, inserts={where: joined})
                        yield sample_pattern(pattern, field_name, gen, empty=True, inserts={where: joined})
                    if len(star) >= len(cores):
                        yield sample_pattern(pattern, field_name, gen, inserts=dict(zip(star, cores)))
                if pad:
                    for extra in (pad, pad * 2):
                        yield sample_pattern(pattern, field_name, gen, pad=extra)
        if getattr(primary, "kind", None) == WILDCARD:
            yield from atom_samples(primary, field_name, gen)
        for a in others:
            yield from atom_samples(a, field_name, gen)

    for value in candidates():
        value = ecs.typed(field_name, value) if not isinstance(primary, Exact) else value
        key = repr(value)
        if key in seen:
            continue
        seen.add(key)
        tried += 1
        if need.accepts(value):
            yield value
        if tried >= limit:
            return


# --- near misses -------------------------------------------------------------------------------

def _pattern_regex(pattern, fold: bool):
    body = "".join(re.escape(p) if isinstance(p, str) else (".*" if p is STAR else ".") for p in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if fold else 0))


def _matching_pattern(atom: Atom, value: str):
    for pattern in atom.values:
        if _pattern_regex(pattern, atom.fold).fullmatch(value):
            return pattern
    return atom.values[0]


def _wildcard_misses(atom: Atom, value: str, field_name: str, gen: Gen) -> Iterator[tuple[str, str]]:
    pattern = _matching_pattern(atom, value)
    if not atom.fold:
        flipped = tuple(swap_case(p) or p if isinstance(p, str) else p for p in pattern)
        if flipped != pattern:
            yield "case variant (the match is case-sensitive)", sample_pattern(flipped, field_name, gen)
    for i, kind, _before, _after in slots(pattern):
        if kind is ONE:
            zero = tuple(p for j, p in enumerate(pattern) if j != i)
            two = pattern[:i] + (ONE, ONE) + pattern[i + 1:]
            yield "`?` with zero characters", sample_pattern(zero, field_name, gen)
            yield "`?` with two characters", sample_pattern(two, field_name, gen)
    if pattern and pattern[0] is not STAR:
        # on a command line, the program's path before it keeps argv[0] naming the program
        yield "text before the pattern (it is anchored at the start)", (gen.head or gen.word()) + value
    if pattern and pattern[-1] is not STAR:
        yield "text after the pattern (it is anchored at the end)", value + "x"
    for i, kind, before, after in slots(pattern):
        if kind is STAR and after:
            changed = pattern[:i + 1] + (other_first(after),) + pattern[i + 2:]
            yield "the text after `*` changed at its first character", sample_pattern(changed, field_name, gen)
        if kind is STAR and before:
            changed = pattern[:i - 1] + (other_last(before),) + pattern[i:]
            yield "the text before `*` changed at its last character", sample_pattern(changed, field_name, gen)
    if not any(not isinstance(p, str) for p in pattern) and len(value) > 1:
        yield "one character short", value[:-1]


def other_first(text: str) -> str:
    return other_char(text[0], text) + text[1:]


def other_last(text: str) -> str:
    return text[:-1] + other_char(text[-1], text)


def near_misses(atom: Atom, value, field_name: str, gen: Gen) -> Iterator[tuple[str, object]]:
    """(why, value) pairs one small step outside `atom`, starting from a value it accepts."""
    kind = atom.kind
    if ecs.is_ip(field_name) and isinstance(value, str) and ecs.is_valid_ip(value) and kind in (EQ, WILDCARD):
        address = ipaddress.ip_address(value)
        for why, step in (("the next address", 1), ("the previous address", -1)):
            try:
                yield why, str(address + step)
            except (ValueError, ipaddress.AddressValueError):
                continue
        return
    if kind == EQ:
        if isinstance(value, bool):
            yield "the other boolean", not value
        elif isinstance(value, (int, float)):
            yield "one less", value - 1
            yield "one more", value + 1
        elif isinstance(value, str):
            if not atom.fold and swap_case(value):
                yield "case variant (the comparison is case-sensitive)", swap_case(value)
            if value:
                yield "one character short", value[:-1]
            yield "one character more", value + "x"
    elif kind == WILDCARD and isinstance(value, str):
        yield from _wildcard_misses(atom, value, field_name, gen)
    elif kind == REGEX and isinstance(value, str):
        if not atom.fold and swap_case(value):
            yield "case variant (the regex is case-sensitive)", swap_case(value)
        yield from edits(value, gen.rng)
    elif kind == RANGE:
        op, bound = atom.values
        if isinstance(bound, str):
            yield "just outside the bound", {">": bound, ">=": bound[:-1], "<": bound, "<=": bound + "1"}.get(op, bound)
            return
        step = 1 if isinstance(bound, int) else 0.5
        yield "just outside the bound", {">": bound, ">=": bound - step, "<": bound, "<=": bound + step}.get(op, bound)
        yield "far outside the bound", bound - 10 * step if op.startswith(">") else bound + 10 * step
    elif kind == CIDR:
        for net in atom.values:
            for why, addr in (("just below the block", int(net.network_address) - 1),
                              ("just above the block", int(net.broadcast_address) + 1)):
                try:
                    yield why + f" {net}", str(type(net.network_address)(addr))
                except (ValueError, ipaddress.AddressValueError):
                    continue
    elif kind == LENGTH and isinstance(value, str):
        op, size = atom.values
        target = {">": size, ">=": size - 1, "==": size + 1, "<": size, "<=": size + 1}.get(op, size)
        if target >= 0:
            yield f"length {target}", (value + "A" * target)[:target] if target > len(value) else value[:target]
    elif kind == TEXT and isinstance(value, str):
        core = literal_text(tuple(p for p in atom.values[0].parts if isinstance(p, str)))
        word = max(re.findall(r"[A-Za-z]{3,}", core) or [""], key=len)
        if word:
            mid = len(word) // 2
            broken = word[:mid] + ("q" if word[mid].lower() != "q" else "z") + word[mid + 1:]
            yield "a word of the phrase misspelt", value.replace(word, broken)
        yield from edits(value, gen.rng, limit=8)
