"""Run every benchmarks/bench_*.py module's main(), in name order."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    only = set(sys.argv[1:])
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        if only and info.name not in only and info.name[6:] not in only:
            continue
        print(f"== {info.name}", flush=True)
        importlib.import_module(f"benchmarks.{info.name}").main()
    return 0


sys.exit(main())
