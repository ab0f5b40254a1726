"""`ruleport validate` (being written)."""

from converters.errors import UsageError


def add_parser(sub):
    return sub.add_parser("validate", help="(not yet available)")


def run(args) -> int:
    raise UsageError("'validate' is not available yet")
