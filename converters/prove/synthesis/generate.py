"""Events for one single-event query: positives per branch, near misses per leaf, other scopes.

`EventSynthesizer` is the reusable part (issue 11's correlation streams build
on it): given a query condition as an AST node, it makes events that satisfy
one branch (`positive`) or miss one leaf of it (`near_misses`). `cases()`
assembles the fixture set of a rule, each event labelled with what it was
built to show; every label is then checked against the rule's own evaluator
and an event whose verdict differs from its intent is dropped (counted in
`Synthesis.discarded`).
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass, field

from converters.eql import ast as eql_ast
from converters.eql.evaluator import compile_condition
from converters.kql.evaluator import compile_node
from converters.load import eql_fields
from converters.platforms.models import render_elastic
from converters.prove.synthesis import ecs
from converters.prove.synthesis.entities import (
    ENDPOINT_CATEGORIES, PATH_ENTITIES, PROCESS_PREFIXES, Builder, Unsolved, nest)
from converters.prove.synthesis.formula import (
    CIDR, EQ, EXISTS, OPAQUE, REGEX, RELATION, WILDCARD, Atom, Lit, branches, eql_formula, kql_formula)
from converters.prove.synthesis.patterns import swap_case
from converters.prove.synthesis.values import Exact, Gen, Need, near_misses

SCOPING_FIELDS = ("event.category", "event.type", "host.os.type")
_GROUPED = {f"{p}.{x}" for p in PROCESS_PREFIXES for x in ("executable", "name", "args", "command_line",
                                                           "args_count")} | \
    {f for group in PATH_ENTITIES for f in group if f} | {"registry.path", "registry.value", "registry.key"}
_ENDPOINT_INDEX = ("endpoint", "winlogbeat", "windows", "endgame", "auditbeat", "sysmon", "logs-system",
                   "sentinel_one", "m365_defender", "crowdstrike", "auditd", "microsoft_defender")
_WIN_PATH = re.compile(r"^[A-Za-z]:\\|\\\\|\\[A-Za-z]")
_MAC_HINTS = ("/Users/", "/Library/", "/Applications/", "/System/", "/private/", ".app/", "/Volumes/", "launchd")


@dataclass
class Case:
    """One synthesized event and what it was built to show."""

    event: dict
    expect: bool            # the verdict it was built for
    kind: str               # positive, variant (also a positive), near-miss, scope (verdict as evaluated)
    why: str
    branch: int | None = None
    tier: int = 0
    checked: bool = False   # already judged by the rule's evaluator, with the verdict `expect`


@dataclass
class Context:
    """What a rule says about its events beyond the condition."""

    category: str = "any"          # the EQL event category ("any" for KQL)
    os_hint: str | None = None
    endpoint_index: bool = False
    category_field: str = "event.category"   # where EQL reads the category (a rule's event_category_override)


def rule_context(rule: dict, path: str, category: str) -> Context:
    tags = " ".join(t for t in rule.get("tags", []) if isinstance(t, str)).lower()
    indexes = " ".join(i for i in rule.get("index", []) if isinstance(i, str)).lower()
    os_hint = next((o for o in ecs.OS_TYPES if f"os: {o}" in tags), None)
    if os_hint is None:
        os_hint = next((o for o in ecs.OS_TYPES if f"/{o}/" in path.replace("\\", "/")), None)
    endpoint = any(k in indexes for k in _ENDPOINT_INDEX)
    return Context(category, os_hint, endpoint, eql_fields(rule).category)


def _os_of_text(text: str) -> str | None:
    if _WIN_PATH.search(text):
        return "windows"
    if any(h in text for h in _MAC_HINTS):
        return "macos"
    if text.startswith("/") or "/bin/" in text or "/etc/" in text:
        return "linux"
    return None


class EventSynthesizer:
    """Events for one single-event condition (an NNF formula, see formula.py).

    `matches(events) -> [bool]` is the query's own verdict on each event (the evaluator over the
    Elastic rendering). For a query given as an AST node (a sequence's subquery, say) use
    `from_eql`/`from_kql`; then `solve(i)` gives the field values of an event satisfying branch i
    (`force={"user.id": Need([Exact("u1")])}` pins a join key), `positive(i)` the nested event,
    `near_misses(i, values)` events one step outside each leaf of that branch.
    """

    def __init__(self, formula, matches, context: Context, seed: int = 0, limit: int = 256):
        self.formula = formula
        self.matches = matches
        self.context = context
        self.seed = seed
        found = branches(formula, limit)
        self.branches = found.branches
        self.complete = found.complete
        self.dnf_size = found.dnf_size

    @classmethod
    def from_eql(cls, query: eql_ast.EventQuery, context: Context | None = None, seed: int = 0) -> "EventSynthesizer":
        """For an EQL event query (`category where condition`) as ruleport's AST holds it. Under a rule's
        event_category_override (context.category_field) the category is a condition on that field."""
        if context is not None:
            query = eql_ast.category_as_condition(query, context.category_field)
        test = compile_condition(query.condition)
        category = query.category

        def matches(events):
            docs = [render_elastic(e) for e in events]
            return [(category == "any" or category in d.get("event.category", ())) and test(d) for d in docs]

        context = context or Context(category)
        context.category = category
        return cls(eql_formula(query.condition), matches, context, seed)

    @classmethod
    def from_kql(cls, query, context: Context | None = None, seed: int = 0) -> "EventSynthesizer":
        """For a KQL query as ruleport's KQL AST holds it."""
        test = compile_node(query)
        return cls(kql_formula(query), lambda events: [test(render_elastic(e)) for e in events],
                   context or Context(), seed)

    # -- one branch ----------------------------------------------------------------------
    def _needs(self, branch: tuple[Lit, ...], scoped: bool = True) -> tuple[dict[str, Need], list[Lit]]:
        """The branch's atoms per field (plus the EQL event category unless `scoped` is False), and
        the atoms that read several fields."""
        needs: dict[str, Need] = {}
        others: list[Lit] = []
        for lit in branch:
            atom = lit.atom
            if atom.field is None or atom.kind in (RELATION, OPAQUE):
                others.append(lit)
                continue
            need = needs.setdefault(atom.field, Need())
            (need.pos if lit.positive else need.neg).append(atom)
        for lit in others:
            for f in lit.atom.fields:
                needs.setdefault(f.removesuffix(".caseless"), Need())
        if scoped and self.context.category != "any":
            needs.setdefault("event.category", Need()).pos.insert(0, Exact(self.context.category))
        return needs, others

    def _os_order(self, needs: dict[str, Need]) -> list[str]:
        order: list[str] = []
        os_need = needs.get("host.os.type")
        if os_need and os_need.pos:
            order += [o for o in ecs.OS_TYPES if os_need.accepts(o)]
        for need in needs.values():
            for atom in need.pos:
                if isinstance(atom, Atom) and atom.kind in (EQ, WILDCARD):
                    for v in atom.values:
                        text = v if isinstance(v, str) else "".join(p for p in v if isinstance(p, str)) \
                            if isinstance(v, tuple) else ""
                        hinted = _os_of_text(text)
                        if hinted:
                            order.append(hinted)
        if self.context.os_hint:
            order.append(self.context.os_hint)
        order += list(ecs.OS_TYPES)
        return list(dict.fromkeys(order))

    def _category(self, needs: dict[str, Need], scoped: bool = True) -> str | None:
        if scoped and self.context.category != "any":
            return self.context.category
        need = needs.get("event.category")
        if need and need.pos:
            for cat in ENDPOINT_CATEGORIES + tuple(ecs.allowed_values("event.category")):
                if any(a.accepts([cat]) for a in need.pos) and not need.rejects_any(cat):
                    return cat
        names = list(needs)
        for prefix, cat in (("registry.", "registry"), ("dll.", "library"), ("file.", "file"),
                            ("dns.", "network"), ("destination.", "network"), ("process.", "process")):
            if any(n.startswith(prefix) for n in names):
                return cat
        return None

    def solve(self, index: int, *, alt: int = 0, edge: bool = False, force: dict | None = None,
              os: str | None = None, drop: tuple[str, ...] = (), tries: int = 4, scoped: bool = True) -> dict:
        """Field values of an event satisfying branch `index` (Unsolved when none was found).

        `force`: field -> Need replacing the branch's own need of that field; `os`: the host's OS;
        `drop`: fields the event must not have; `scoped` False: the EQL event category is not imposed."""
        branch = self.branches[index]
        base_needs, others = self._needs(branch, scoped)
        needs = {k: Need(list(v.pos), list(v.neg)) for k, v in base_needs.items()}
        for name, need in (force or {}).items():
            needs[name] = need
        for name in drop:
            needs.pop(name, None)
        category = self._category(needs, scoped)
        endpoint = category in ENDPOINT_CATEGORIES and (self.context.endpoint_index or any(
            n.startswith(("process.", "file.", "registry.", "dll.")) for n in needs))
        order = [os] if os else self._os_order(needs)
        last: Exception | None = None
        for attempt in range(tries):
            rng = random.Random(f"{self.seed}:{index}:{alt}:{edge}:{attempt}:{sorted((force or {}).keys())}")
            gen = Gen(rng, order[0], alt=alt, edge=edge)
            try:
                # a dropped field is missing: the entity solvers also leave out what it derives from
                values = Builder(needs, gen, category, endpoint, strict=attempt < tries - 1, missing=drop).build(
                    order, [category] if category else [])
            except Unsolved as exc:
                last = exc
                continue
            for name in drop:
                values.pop(name, None)
            fixed = self._relations(values, others, needs, gen, category, endpoint, order)
            if fixed is not None:
                return fixed
            last = Unsolved(others[0].atom.text if others else "?")
        raise last if isinstance(last, Unsolved) else Unsolved("?")

    def _relations(self, values, others, needs, gen, category, endpoint, order):
        """Satisfy the branch's cross-field atoms (a == b, startsWith(a, b), ...) by making one side
        take the other's value; None when the branch still does not hold."""
        doc = render_elastic(nest(values))
        pending = [lit for lit in others if not lit.holds(doc)]
        if not pending:
            return values
        for lit in pending:
            atom = lit.atom
            if atom.kind != RELATION:
                return None
            a, b = (f.removesuffix(".caseless") for f in atom.fields)
            for src, dst in ((a, b), (b, a)):
                value = values.get(src if lit.positive else dst)
                if value is None or isinstance(value, list) or (not lit.positive and not isinstance(value, str)):
                    continue
                if not lit.positive:
                    value = value + "zz"   # no longer equal, a prefix, a suffix or a part of the other
                forced = dict(needs)
                forced[dst] = Need([Exact(value)], needs.get(dst, Need()).neg)
                try:
                    values2 = Builder(forced, gen, category, endpoint).build(order, [category] if category else [])
                except Unsolved:
                    continue
                if lit.holds(render_elastic(nest(values2))):
                    values, needs = values2, forced
                    break
            else:
                return None
        doc = render_elastic(nest(values))
        return values if all(lit.holds(doc) for lit in others) else None

    def positive(self, index: int, **kw) -> dict:
        """A nested ECS event satisfying branch `index`."""
        return nest(self.solve(index, **kw))

    # -- near misses ------------------------------------------------------------------------
    def near_misses(self, index: int, values: dict, per_leaf: int = 3, skip: set | None = None):
        """(why, event, expected verdict) for events one step outside each leaf of branch `index`;
        leaves whose id is in `skip` are left out, and the others are added to it."""
        branch = self.branches[index]
        needs, _ = self._needs(branch)
        rng = random.Random(f"{self.seed}:miss:{index}")
        os_value = values.get("host.os.type")
        gen = Gen(rng, os_value if os_value in ecs.OS_TYPES else "windows")
        skip = set() if skip is None else skip
        for lit in branch:
            atom = lit.atom
            if atom.field is None or atom.kind in (RELATION, OPAQUE) or id(atom) in skip:
                continue
            made = list(self._leaf_misses(index, lit, values, needs, gen, per_leaf))
            if made:
                skip.add(id(atom))
            yield from made

    def _leaf_misses(self, index, lit, values, needs, gen, per_leaf):
        atom, name = lit.atom, lit.atom.field
        need = needs.get(name, Need())
        if not lit.positive:
            yield from self._exclusion_hits(index, atom, need, name)
            return
        if atom.optional:
            yield from self._attempt(index, f"`{atom.text}`: ?{name} missing", False, drop=(name,))
        if name in SCOPING_FIELDS and atom.kind in (EQ, WILDCARD):
            yield from self._other_scopes(index, atom, need, name)
            return
        if atom.kind == EXISTS:
            yield from self._attempt(index, f"`{atom.text}`: {name} missing", False, drop=(name,))
            return
        current = values.get(name)
        if isinstance(current, list):
            current = next((v for v in current if atom.accepts(v)), None)
        if current is None:
            return
        program = values.get(name.rsplit(".", 1)[0] + ".executable") if name.endswith(".command_line") else None
        gen.head = gen.head_of(program) if isinstance(program, str) else None
        made = tried = 0
        for why, miss in near_misses(atom, current, name, gen):
            if made >= per_leaf or tried >= per_leaf + 3:
                return
            miss = ecs.typed(name, miss)
            if atom.accepts(miss) or (ecs.is_ip(name) and not ecs.is_valid_ip(str(miss))):
                continue
            tried += 1
            label = f"`{atom.text}`: {why}: {miss!r}"
            strict = Need([a for a in need.pos if a is not atom] + [Exact(miss)], need.neg)
            results = list(self._attempt(index, label, False, force={name: strict}))
            if not results:
                results = list(self._attempt(index, label, False, force={name: Need([Exact(miss)], [])}))
            made += bool(results)
            yield from results

    def _attempt(self, index, why, expect, **kw):
        """The event for branch `index` under `kw`, when it gets the verdict `expect`."""
        try:
            event = self.positive(index, **kw)
        except Unsolved:
            return
        if self.matches([event])[0] == expect:
            yield why, event, expect

    def _exclusion_hits(self, index, atom: Atom, need: Need, name: str):
        flipped = Need(need.pos + [atom], [a for a in need.neg if a is not atom])
        for alt in range(min(2, max(1, atom.alternatives))):
            yield from self._attempt(index, f"hits the exclusion `{atom.text}`", False, force={name: flipped}, alt=alt)
        if name not in _GROUPED and name not in SCOPING_FIELDS:
            yield from self._attempt(index, f"`not {atom.text}` holds when {name} is missing", True, drop=(name,))

    def _other_scopes(self, index, atom: Atom, need: Need, name: str):
        rng = random.Random(f"{self.seed}:scope:{index}:{name}")
        others = [v for v in (ecs.OS_TYPES if name == "host.os.type" else ecs.allowed_values(name))
                  if not atom.accepts(v)]
        rng.shuffle(others)
        for value in others[:2]:
            forced = Need([a for a in need.pos if a is not atom] + [Exact(value)], need.neg)
            os = value if name == "host.os.type" and value in ecs.OS_TYPES else None
            yield from self._attempt(index, f"`{atom.text}`: {name} is {value!r}", False, force={name: forced}, os=os)

    # -- other positives --------------------------------------------------------------------
    def variants(self, index: int, values: dict, done: dict[str, set] | None = None,
                 alternatives: dict[int, set[int]] | None = None, budget: list[int] | None = None):
        """(why, event) positives that probe how a match is made: the other alternatives of sets and
        pattern lists, `*` matching nothing, case variants where case does not matter, the match in a
        later array element only. `done`, `alternatives` and `budget` carry across branches what was
        already probed (leaf ids per probe, alternatives used per leaf, alternatives left to spend)."""
        branch = self.branches[index]
        needs, _ = self._needs(branch)
        done = done if done is not None else {"edge": set(), "case": set(), "array": set()}
        used = alternatives if alternatives is not None else {}
        budget = budget if budget is not None else [ALTERNATIVE_BUDGET]
        multi = [lit.atom for lit in branch if lit.positive and lit.atom.alternatives > 1]
        for atom in multi:
            used.setdefault(id(atom), {0})
        widest = max([a.alternatives for a in multi] + [1])
        for alt in range(1, widest):
            if budget[0] <= 0:
                break
            if all(alt % a.alternatives in used[id(a)] for a in multi):
                continue
            made = list(self._attempt(index, f"alternative {alt + 1} of each list", True, alt=alt))
            if made:
                budget[0] -= 1
                for a in multi:
                    used[id(a)].add(alt % a.alternatives)
            yield from ((why, event) for why, event, _ in made)
        edges = [lit.atom for lit in branch if lit.positive and lit.atom.kind in (WILDCARD, CIDR, REGEX)]
        if any(id(a) not in done["edge"] for a in edges):
            done["edge"].update(id(a) for a in edges)
            yield from ((w, e) for w, e, _ in self._attempt(
                index, "at the edges: every `*` matching nothing, repetitions at their minimum, CIDR blocks at "
                       "their first address", True, edge=True))
        folded = {}
        for lit in branch:
            atom = lit.atom
            value = values.get(atom.field) if atom.field else None
            if lit.positive and atom.fold and isinstance(value, str) and atom.field not in folded \
                    and id(atom) not in done["case"] and atom.field not in SCOPING_FIELDS:
                flipped = swap_case(value)
                if flipped and atom.accepts(flipped) and not needs[atom.field].rejects_any(flipped):
                    done["case"].add(id(atom))
                    folded[atom.field] = Need(needs[atom.field].pos + [Exact(flipped)], needs[atom.field].neg)
        if folded:
            yield from ((w, e) for w, e, _ in self._attempt(
                index, "case variants where the match ignores case: " + ", ".join(folded), True, force=folded))
        later = {}
        for name, need in needs.items():
            if not ecs.is_array(name) or not need.pos or name.endswith(".args") or name in done["array"]:
                continue
            filler = next((v for v in ecs.allowed_values(name) + ["other"]
                           if not any(a.accepts([v]) for a in need.pos) and not need.rejects_any(v)), None)
            if filler is not None:
                done["array"].add(name)
                later[name] = Need([Exact(filler)] + need.pos, need.neg)
        if later:
            yield from ((w, e) for w, e, _ in self._attempt(
                index, "the match only in a later array element: " + ", ".join(later), True, force=later))

    def other_scopes(self, index: int, values: dict):
        """The branch's event on other operating systems and in other categories (verdict as evaluated)."""
        current = values.get("host.os.type")
        for os in ecs.OS_TYPES:
            if os != current:
                force = {"host.os.type": Need([Exact(os)], [])}
                try:
                    yield f"on {os}", self.positive(index, force=force, os=os)
                except Unsolved:
                    continue
        cats = values.get("event.category") or []
        for cat in ("process", "file", "network", "registry", "authentication"):
            if cat not in cats:
                force = {"event.category": Need([Exact(cat)], [])}
                try:
                    yield f"event.category {cat!r}", self.positive(index, force=force, scoped=False)
                except Unsolved:
                    pass
                break


@dataclass
class Synthesis:
    cases: list[Case]
    branches: int
    complete: bool
    dnf_size: int
    covered: int = 0
    unsolved: dict[int, str] = field(default_factory=dict)
    discarded: int = 0
    dropped: list[str] = field(default_factory=list)


def rule_seed(seed: int, text: str) -> int:
    return seed * 1_000_003 + zlib.crc32(text.encode("utf-8"))


ALTERNATIVE_BUDGET = 48   # positives spent on the other values of sets and patterns, per rule


def build_cases(synth: EventSynthesizer) -> Synthesis:
    """Every case for the rule, tiered: 0 one positive per branch, 1 the first near miss of each
    leaf, 2 other scopes, 3 everything else. Near misses and variants are made once per leaf (the
    first branch that holds it), not once per branch."""
    cases: list[Case] = []
    result = Synthesis(cases, len(synth.branches), synth.complete, synth.dnf_size)
    firsts: dict[int, dict] = {}
    for i in range(len(synth.branches)):
        try:
            values = synth.solve(i)
        except Unsolved as exc:
            result.unsolved[i] = exc.field
            continue
        firsts[i] = values
        cases.append(Case(nest(values), True, "positive", f"branch {i + 1}: " + _describe(synth.branches[i]), i, 0))
    done: dict[str, set] = {"miss": set(), "edge": set(), "case": set(), "array": set()}
    alternatives: dict[int, set[int]] = {}
    budget = [ALTERNATIVE_BUDGET]
    miss_kinds: set = set()
    for i, values in firsts.items():
        for why, event, expect in synth.near_misses(i, values, skip=done["miss"]):
            key = why.split(":")[0]
            tier = 1 if key not in miss_kinds else 3
            miss_kinds.add(key)
            cases.append(Case(event, expect, "near-miss" if not expect else "variant", why, i, tier, checked=True))
        for why, event in synth.variants(i, values, done, alternatives, budget):
            cases.append(Case(event, True, "variant", f"branch {i + 1}: {why}", i, 3, checked=True))
    if firsts:
        first = min(firsts)
        for why, event in synth.other_scopes(first, firsts[first]):
            cases.append(Case(event, False, "scope", why, first, 2))
    return result


def _describe(branch: tuple[Lit, ...]) -> str:
    text = " and ".join(lit.describe() for lit in branch[:6])
    return text + (" and ..." if len(branch) > 6 else "")


def select(cases: list[Case], count: int | None) -> list[Case]:
    """Keep `count` cases (all when None), by tier, making sure a match and a non-match stay in."""
    ordered = sorted(enumerate(cases), key=lambda p: (p[1].tier, p[0]))
    if count is None or count >= len(ordered):
        return [c for _, c in ordered]
    chosen = [p for p in ordered[:count]]
    if count >= 2 and not any(not c.expect for _, c in chosen):
        negative = next((p for p in ordered[count:] if not p[1].expect), None)
        if negative is not None:
            chosen[-1] = negative
    return [c for _, c in sorted(chosen, key=lambda p: (p[1].tier, p[0]))]


def coverage(synth: EventSynthesizer, docs: list[dict], verdicts: list[bool]) -> int:
    """How many branches an event the rule matches satisfies."""
    matched = [d for d, v in zip(docs, verdicts) if v]
    return sum(1 for b in synth.branches if any(all(lit.holds(d) for lit in b) for d in matched))
