"""`ruleport test` (being written)."""

from converters.errors import UsageError


def add_parser(sub):
    return sub.add_parser("test", help="(not yet available)")


def run(args) -> int:
    raise UsageError("'test' is not available yet")
