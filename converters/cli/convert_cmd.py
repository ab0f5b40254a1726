"""`ruleport convert` (being written)."""

from converters.errors import UsageError


def add_parser(sub):
    return sub.add_parser("convert", help="(not yet available)")


def run(args) -> int:
    raise UsageError("'convert' is not available yet")
