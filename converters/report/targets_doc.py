"""Rewrite the generated part of docs/targets.md: the seed rule on every target.

    python -m converters.report.targets_doc docs/targets.md tests/fixtures/sigma/seed.yml

Everything after MARKER is replaced; a test checks the page is current.
"""

from __future__ import annotations

import sys

from converters.files import atomic_write

MARKER = "## The seed rule on every target\n"


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


def main(argv: list[str]) -> int:
    doc_path, seed_path = argv
    with open(doc_path, encoding="utf-8") as f:
        text = f.read()
    head, _, rest = text.partition(MARKER)
    intro = rest.split("### ", 1)[0]
    with open(seed_path, encoding="utf-8") as f:
        new = head + MARKER + intro + seed_section(f.read())
    atomic_write(doc_path, new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
