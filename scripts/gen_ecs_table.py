#!/usr/bin/env python3
"""Generate converters/data/ecs_fields.json, the ECS field table.

Input: the unpacked npm package @elastic/ecs (Apache-2.0), e.g.
    npm pack @elastic/ecs@9.4.0 && tar xzf elastic-ecs-9.4.0.tgz
    python scripts/gen_ecs_table.py package
Its generated/ecs_flat.js holds every ECS field (field sets reused under
others, such as process.parent.*, already expanded). Node reads the module,
so the table is what the package exports, not a guess from its text.

The table: ECS version, and field name -> ECS type, multi-fields included
(process.command_line.text).

A second table, converters/data/ecs_shapes.json, holds what event synthesis
needs about the shape of values: the fields ECS normalizes to arrays
(`normalize: [array]`), the allowed values of event.kind/category/type/outcome
(each category with its expected event types) and the expected values of
fields such as host.os.type.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from converters.files import atomic_write  # the project is installed where the generators run

OUT = Path(__file__).resolve().parent.parent / "converters" / "data" / "ecs_fields.json"
SHAPES = OUT.with_name("ecs_shapes.json")

_DUMP = """
const flat = require(process.argv[1]).EcsFlat;
const out = {};
for (const [name, f] of Object.entries(flat)) {
  out[name] = f.type;
  for (const m of (f.multi_fields || [])) out[m.flat_name] = m.type;
}
process.stdout.write(JSON.stringify(out));
"""

_DUMP_SHAPES = """
const flat = require(process.argv[1]).EcsFlat;
const arrays = [], allowed = {}, expected = {};
for (const [name, f] of Object.entries(flat)) {
  if ((f.normalize || []).includes('array')) arrays.push(name);
  if (f.allowed_values) allowed[name] = Object.fromEntries(
    f.allowed_values.map(v => [v.name, v.expected_event_types || []]));
  if (f.expected_values) expected[name] = f.expected_values;
}
process.stdout.write(JSON.stringify({arrays, allowed_values: allowed, expected_values: expected}));
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package", help="directory of the unpacked @elastic/ecs npm package")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--shapes-out", help="default: ecs_shapes.json beside --out")
    args = ap.parse_args(argv)
    pkg = Path(args.package).resolve()
    meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
    raw = subprocess.run(["node", "-e", _DUMP, str(pkg / "generated" / "ecs_flat.js")],
                         check=True, capture_output=True, text=True).stdout
    fields = json.loads(raw)
    table = {
        "format": 1,
        "ecs_version": meta["version"],
        "source": f"npm package {meta['name']}@{meta['version']} (Apache-2.0, Elasticsearch B.V.)",
        "fields": dict(sorted(fields.items())),
    }
    out = Path(args.out)
    atomic_write(out, json.dumps(table, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{out}: ECS {table['ecs_version']}, {len(fields)} fields", file=sys.stderr)
    raw = subprocess.run(["node", "-e", _DUMP_SHAPES, str(pkg / "generated" / "ecs_flat.js")],
                         check=True, capture_output=True, text=True).stdout
    shapes = json.loads(raw)
    shapes_table = {
        "format": 1,
        "ecs_version": meta["version"],
        "source": table["source"],
        "arrays": sorted(shapes["arrays"]),
        "allowed_values": dict(sorted(shapes["allowed_values"].items())),
        "expected_values": dict(sorted(shapes["expected_values"].items())),
    }
    shapes_out = args.shapes_out or str(Path(args.out).with_name(SHAPES.name))
    atomic_write(shapes_out, json.dumps(shapes_table, indent=1, ensure_ascii=False) + "\n")
    print(f"{shapes_out}: {len(shapes_table['arrays'])} array fields, "
          f"{len(shapes_table['allowed_values'])} fields with allowed values", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
