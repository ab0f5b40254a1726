"""`ruleport targets` (being written)."""

from converters.errors import UsageError


def add_parser(sub):
    return sub.add_parser("targets", help="(not yet available)")


def run(args) -> int:
    raise UsageError("'targets' is not available yet")
