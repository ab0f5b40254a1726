"""Run the benchmarks in order (`make bench`); name some to run only those: `python -m benchmarks kql`."""

import sys

from benchmarks import (bench_convert, bench_corpus, bench_emit, bench_execute, bench_kql, bench_leaves,
                        bench_synthesize, bench_validate)

# the corpus figures first (convert against bare pySigma, validate, prove, memory); `convert` alone
# also compares one job with every core
BENCHMARKS = {"corpus": bench_corpus, "convert": bench_convert, "emit": bench_emit, "execute": bench_execute,
              "kql": bench_kql, "leaves": bench_leaves, "validate": bench_validate, "synthesize": bench_synthesize}


def main() -> int:
    only = set(sys.argv[1:])
    unknown = only - set(BENCHMARKS) - {f"bench_{n}" for n in BENCHMARKS}
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))} (known: {', '.join(BENCHMARKS)})", file=sys.stderr)
        return 2
    for name, module in BENCHMARKS.items():
        if only and name not in only and f"bench_{name}" not in only:
            continue
        print(f"== bench_{name}", flush=True)
        module.main()
    return 0


sys.exit(main())
