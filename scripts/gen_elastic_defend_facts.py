#!/usr/bin/env python3
"""Generate converters/data/platforms/elastic-defend.json: Elastic Defend's field mappings.

Input: a git checkout (or bare mirror) of github.com/elastic/endpoint-package
(Elastic License 2.0), e.g.
    git clone https://github.com/elastic/endpoint-package
    python scripts/gen_elastic_defend_facts.py endpoint-package [--rev main]
Each data stream's index template is built by Fleet from
package/endpoint/data_stream/<stream>/fields/fields.yml; this reads those
files at one revision and keeps, per field, its Elasticsearch type and its
multi-fields (`.caseless`: keyword with the lowercase normalizer; `.text`).
Object and group entries are dropped: only leaf fields are searchable.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

from converters.files import atomic_write  # the project is installed where the generators run

OUT = Path(__file__).resolve().parent.parent / "converters" / "data" / "platforms" / "elastic-defend.json"

_ALL = ["windows", "linux", "macos"]
#: Defend's event data streams: the endpoint event kind each one holds, and on which OSes
#: (the OS filters of the package's custom_documentation/src/endpoint/data_stream/<stream>/)
STREAMS = {
    "process": ("process", _ALL),
    "file": ("file", _ALL),
    "network": ("network", _ALL),   # connections, and DNS lookups (event.action lookup_*)
    "registry": ("registry", ["windows"]),
    "library": ("library", ["windows", "macos"]),
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _leaves(items: list, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        name = prefix + item["name"]
        if item.get("type") == "group" or "fields" in item:
            out.update(_leaves(item.get("fields", []), name + "."))
            continue
        if item.get("type") in (None, "object", "nested"):
            continue
        multi = [m["name"] for m in item.get("multi_fields", [])]
        out[name] = {"type": item["type"], "multi": multi} if multi else item["type"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", help="checkout or mirror of elastic/endpoint-package")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    repo = Path(args.repo)
    commit = _git(repo, "rev-parse", args.rev).strip()
    manifest = yaml.safe_load(_git(repo, "show", f"{commit}:package/endpoint/manifest.yml"))
    tables = {}
    for stream, (kind, os_types) in STREAMS.items():
        base = f"package/endpoint/data_stream/{stream}"
        ds = yaml.safe_load(_git(repo, "show", f"{commit}:{base}/manifest.yml"))
        fields = _leaves(yaml.safe_load(_git(repo, "show", f"{commit}:{base}/fields/fields.yml")))
        dataset = ds.get("dataset", f"endpoint.events.{stream}")
        tables[f"logs-{dataset}"] = {
            "kind": kind,
            "os": os_types,
            "select": {"index": f"logs-{dataset}-*", "dataset": dataset},
            "source": f"elastic/endpoint-package@{commit[:12]} {base}/fields/fields.yml",
            "fields": dict(sorted(fields.items())),
        }
    facts = {
        "format": 1,
        "platform": "Elastic Defend",
        "source": (f"elastic/endpoint-package@{commit} (Elastic License 2.0), package version "
                   f"{manifest['version']}: the fields.yml of each event data stream, from which Fleet "
                   "builds the index templates"),
        "tables": tables,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, json.dumps(facts, indent=1, ensure_ascii=False) + "\n")
    counts = ", ".join(f"{name} ({len(table['fields'])})" for name, table in tables.items())
    print(f"{out}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
