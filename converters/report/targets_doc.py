"""Rewrite the generated parts of docs/targets.md.

    python -m converters.report.targets_doc docs/targets.md tests/fixtures/sigma/seed.yml
    python -m converters.report.targets_doc docs/targets.md tests/fixtures/sigma/seed.yml --corpus DIR

Three parts are generated, each between `<!-- generated: NAME -->` and
`<!-- end: NAME -->` (the seed part: everything after SEED_MARKER):
    data-models   per target, each data model with its table, what selects it and its source
                  (from the target records, the emit data models and the platform facts)
    corpus        per target, the corpus endpoint rules emitted and the refusals by reason
                  (only with --corpus: the Elastic rules directory; left as is otherwise)
    seed          the seed rule on every target, with its notes
Tests check that the data-models and seed parts are current.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

from converters.files import atomic_write

SEED_MARKER = "## The seed rule on every target\n"
MARKER = SEED_MARKER  # kept for callers of the old name
ENDPOINT_TARGETS = ("splunk", "splunk-cim", "kusto-defender", "kusto-sentinel")
ENDPOINT_CATEGORIES = ("process_creation", "file_event", "registry_event", "network_connection", "dns_query",
                       "image_load", "driver_load")


def seed_section(sigma_yaml: str) -> str:
    from converters.emit import emit
    from converters.emit.targets import TARGETS

    out = []
    for name in TARGETS:
        if name == "sigma":
            continue
        e = emit(sigma_yaml, name)
        out.append(f"### {name}\n\n```\n{e.queries[0]}\n```\n")
        out += [f"- `{n.code}`" + (f" ({n.field})" if n.field else "") + f": {n.message}" for n in e.notes]
        out.append("")
    return "\n".join(out)


def _selection(table) -> str:
    sel = {k: v for k, v in table.select.items() if k not in ("extend",)}
    parts = []
    for key, value in sel.items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key} {' / '.join(str(v) for v in values)}")
    if table.actions is not None and table.actions.field and table.actions.field not in sel:
        values = dict.fromkeys(str(r.value) for r in table.actions.rules if r.recorded and r.value)
        parts.append(f"{table.actions.field} {' / '.join(values)}")
    return "; ".join(parts)


def data_models_section() -> str:
    """Per endpoint target: each data model, its table, what selects its events, and its source."""
    from converters.emit.tables_microsoft import ASIM_MODELS, DEFENDER_LACKS, DEFENDER_MODELS
    from converters.emit.tables_splunk import CIM_LACKS, CIM_MODELS, SYSMON_LACKS, SYSMON_MODELS
    from converters.emit.targets import TARGETS

    lacks = {"splunk": SYSMON_LACKS, "splunk-cim": CIM_LACKS, "kusto-sentinel": {}, "kusto-defender": DEFENDER_LACKS}
    models = {"splunk": SYSMON_MODELS, "splunk-cim": CIM_MODELS, "kusto-defender": DEFENDER_MODELS,
              "kusto-sentinel": ASIM_MODELS}
    out = []
    for target in ENDPOINT_TARGETS:
        out.append(f"### {target}: {TARGETS[target].data}\n")
        out.append("| Sigma logsource | rule names | table (platform facts) | selected by | OSes | source |")
        out.append("|---|---|---|---|---|---|")
        for m in models[target]:
            products = ", ".join(p for p in m.tables if p) or "any"
            for t in m.facts_tables():
                names = ", ".join([f"`{s}`" for s in m.selects]
                                  + [f"`{f}` of its kind" for f, _ in m.selects_values]) or "(any)"
                category = m.category or ("none, event.category " + "/".join(m.selects_category)
                                          if m.selects_category else "none")
                out.append(f"| {category} ({products}) | {names} | `{t.platform}:{t.name}` | {_selection(t)} | "
                           f"{', '.join(t.os)} | {t.source} |")
        for what, why in lacks[target].items():
            out.append(f"| {what} | | refused | | | {why} |")
        out += _cloud_rows(target)
        out.append("")
    return "\n".join(out)


_CLOUD_PLATFORM = {"splunk": "splunk", "splunk-cim": "cim", "kusto-defender": "defender", "kusto-sentinel": "sentinel"}


def _cloud_rows(target: str) -> list[str]:
    """The cloud audit data models of `target` (converters/data/cloud), one row per source."""
    from converters.platforms.cloud.facts import sources

    key = _CLOUD_PLATFORM[target]
    rows = []
    for src in sources().values():
        product, _, service = src.dataset.partition(".")
        logsource = f"{product}/{service} (cloud audit: {src.title})"
        p = src.platforms.get(key)
        if p is None:
            why = src.refusals.get(key, "no data model is declared for it")
            rows.append(f"| {logsource} | | refused | | | {why} |")
            continue
        where = "; ".join(f"{k} {v}" for k, v in p.select.items())
        if p.scope is not None:
            where += f"; holds only events where {_scope_text(p.scope)}"
        rows.append(f"| {logsource} | (any) | `{p.title}` | {where} | | {p.source} |")
    return rows


def _scope_text(cond: dict) -> str:
    if "exists" in cond:
        return f"{cond['exists']} exists"
    if "field" in cond:
        return f"{cond['field']} is {' or '.join(cond['eq'])}"
    return str(cond)


def corpus_section(corpus_dir: str) -> str:
    """Per endpoint target, the corpus endpoint rules it emits and its refusals by reason."""
    from pathlib import Path

    import yaml

    from converters.emit import EmitError, emit
    from converters.load import load_rule
    from converters.translate import translate_rule

    endpoint, correlations = [], []
    for path in sorted(Path(corpus_dir).rglob("*.toml")):
        try:
            sigma = translate_rule(load_rule(path)).sigma_yaml
        except Exception:  # an untranslatable rule is the translator's report's business
            continue
        docs = [d for d in yaml.safe_load_all(sigma) if isinstance(d, dict)]
        categories = {(d.get("logsource") or {}).get("category") for d in docs if "logsource" in d}
        if categories & set(ENDPOINT_CATEGORIES):
            (endpoint if len(docs) == 1 else correlations).append(sigma)
    out = [f"{len(endpoint)} corpus rules translate to Sigma and read endpoint data (logsource categories "
           f"{', '.join(ENDPOINT_CATEGORIES)}); {len(correlations)} more translate to correlations of such "
           "rules (emitted count in brackets).\n",
           "| target | emitted | share | refused: logsource | refused: field | refused: other |",
           "|---|---|---|---|---|---|"]
    details = []
    for target in ENDPOINT_TARGETS:
        codes: Counter = Counter()
        reasons: Counter = Counter()
        ok = 0
        for sigma in endpoint:
            try:
                emit(sigma, target)
                ok += 1
            except EmitError as exc:
                codes[exc.code] += 1
                reasons[(exc.code, _reason(exc.message))] += 1
        other = sum(n for c, n in codes.items() if c not in ("emit/logsource-unsupported", "emit/field-unavailable"))
        correlated = 0
        for sigma in correlations:
            try:
                emit(sigma, target)
                correlated += 1
            except EmitError:
                pass
        out.append(f"| {target} | {ok} [{correlated}] | {100 * ok / max(len(endpoint), 1):.1f} % | "
                   f"{codes['emit/logsource-unsupported']} | {codes['emit/field-unavailable']} | {other} |")
        details.append(f"\n**{target}**, refusals by reason:\n")
        details += [f"- {n} × `{code}`: {why}" for (code, why), n in reasons.most_common()]
    return "\n".join(out + details) + "\n"


def _reason(message: str) -> str:
    """A refusal's reason without the rule-specific parts (target prefix, field lists kept)."""
    text = re.sub(r"^[a-z-]+: ", "", message)
    text = re.sub(r"logsource (\S+)/(\S+) is not covered", r"logsource \1/\2 is not covered", text)
    return text.split("; the condition becomes")[0]


def _replace(text: str, name: str, body: str) -> str:
    start, end = f"<!-- generated: {name} -->\n", f"<!-- end: {name} -->"
    if start not in text or end not in text:
        raise ValueError(f"docs/targets.md has no `{start.strip()}` ... `{end}` part")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return head + start + body + end + tail


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="targets_doc", description=__doc__.split("\n\n")[0])
    ap.add_argument("doc")
    ap.add_argument("seed")
    ap.add_argument("--corpus", metavar="DIR", help="the Elastic rules: regenerate the corpus coverage part")
    args = ap.parse_args(argv)
    with open(args.doc, encoding="utf-8") as f:
        text = f.read()
    text = _replace(text, "data-models", data_models_section())
    if args.corpus:
        text = _replace(text, "corpus", corpus_section(args.corpus))
    head, _, rest = text.partition(SEED_MARKER)
    intro = rest.split("### ", 1)[0]
    with open(args.seed, encoding="utf-8") as f:
        new = head + SEED_MARKER + intro + seed_section(f.read())
    atomic_write(args.doc, new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
