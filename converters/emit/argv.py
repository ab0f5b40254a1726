"""Approximations from the command line and the user name (each one noted).

Platforms without ECS's argument array (`process.args`) or argument count
have the command line; Sysmon and ASIM write the user as DOMAIN\\name where
ruleport's Sigma rules carry ECS's bare user.name.
"""

from __future__ import annotations

from dataclasses import dataclass

from converters.emit.errors import EmitError
from converters.emit.strings import pcre_escape
from converters.emit.transforms import ci_regex, record_note
from converters.notes import EITHER, Affects, argv_mismatch, contains
from sigma.processing.transformations.base import DetectionItemTransformation, ValueTransformation
from sigma.rule import SigmaDetectionItem
from sigma.types import (
    CompareOperators,
    SigmaCasedString,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)


def _command_line_of(ecs_field: str) -> str:
    """process.args / process.parent.args_count -> the ECS command line of the same process."""
    return ecs_field.rsplit(".", 1)[0] + ".command_line"


# An even number of double quotes from the start: the match begins outside quotes.
_OUTSIDE_QUOTES = '^(?:[^"]*"[^"]*")*[^"]*'


def argv_regex(value: SigmaString) -> str:
    """A command-line regex true when some argument matches `value`.

    The command line is read as Windows-style tokens: whitespace separates
    arguments, double quotes group one argument (and are not part of it).
    The match starts outside quotes (an even number of quotes before it,
    `^(?:[^"]*"[^"]*")*[^"]*`), at a token start `(^|\\s)`, then is either an
    unquoted token (no whitespace, no quote) or a whole quoted token, and
    ends at whitespace or the end. A value starting/ending with `*` leaves
    that side of the token open; inner `*`/`?` stay inside the token.
    Backslash-escaped quotes inside an argument are not modelled: the
    declared part of the approximation. A value holding a double quote is
    matched as written, between blanks (how a Linux command line, argv joined
    with spaces, carries it).
    """
    parts = list(value.s)
    left = right = True
    if parts and parts[0] is SpecialChars.WILDCARD_MULTI:
        left, parts = False, parts[1:]
    if parts and parts[-1] is SpecialChars.WILDCARD_MULTI:
        right, parts = False, parts[:-1]
    literal = "".join(p for p in parts if isinstance(p, str))

    def token(any_char: str) -> str:
        body = "".join(any_char + "*" if p is SpecialChars.WILDCARD_MULTI else any_char
                       if p is SpecialChars.WILDCARD_SINGLE else pcre_escape(p) for p in parts)
        return ("" if left else any_char + "*") + body + ("" if right else any_char + "*")

    if not left and not right and len(parts) == 1 and '"' not in literal and not literal.isspace():
        if not any(c.isspace() for c in literal):
            return pcre_escape(literal)  # `*x*`: some argument contains x
    alternatives = []
    if '"' not in literal and not any(c.isspace() for c in literal):
        alternatives.append(token('[^\\s"]'))
    if '"' not in literal:
        alternatives.append('"' + token('[^"]') + '"')
    if not alternatives:
        # an argument holding a double quote: Linux command lines carry such arguments verbatim
        # (Defend joins argv with spaces), so the value is read as written, between blanks
        return "(?:^|\\s)" + token(".") + "(?:\\s|$)"
    return _OUTSIDE_QUOTES + "(?:^|\\s)(?:" + "|".join(alternatives) + ")(?:\\s|$)"


def argv_regex_from_regex(value: SigmaRegularExpression, argv_field: str, cmdline_field: str):
    """A whole-element regex `^...$` on argv, as a token of the command line
    (unquoted, or a whole quoted token), flags kept. A regex that does not
    match whole elements has no token form: error."""
    text = str(value.regexp)
    if not (text.startswith("^") and text.endswith("$") and not text.endswith("\\$")):
        raise EmitError(f"a regex on {argv_field} that does not match whole arguments cannot be "
                        f"approximated from {cmdline_field}", code="emit/field-unavailable")
    inner = text[1:-1]
    out = SigmaRegularExpression(f'{_OUTSIDE_QUOTES}(?:^|\\s)(?:"(?:{inner})"|(?:{inner}))(?:\\s|$)')
    out.flags = set(value.flags)
    return out


@dataclass
class ArgvFromCommandLine(DetectionItemTransformation):
    """An argv array field (ECS process.args) on a target that only has the
    command line: each value becomes a regex over the command line
    (case-insensitive unless the value is |cased). Note: emit/field-approximated."""

    argv_field: str
    cmdline_field: str
    platform: str

    def apply_detection_item(self, item: SigmaDetectionItem):
        if item.field != self.argv_field:
            return None
        values = []
        for v in item.value:
            if isinstance(v, (SigmaNull, SigmaExists)):
                values.append(v)  # argv present exactly when the command line is
                continue
            if isinstance(v, SigmaRegularExpression):
                values.append(argv_regex_from_regex(v, self.argv_field, self.cmdline_field))
                continue
            if not isinstance(v, SigmaString):
                raise EmitError(f"{self.argv_field}: unsupported value {v!r}", code="emit/field-unavailable")
            values.append(ci_regex(argv_regex(v), not isinstance(v, SigmaCasedString)))
        record_note(
            self._pipeline, "emit/field-approximated",
            f"{self.argv_field} (argument array) has no equivalent on {self.platform}: approximated by a "
            f"regex over {self.cmdline_field} (arguments split at whitespace outside double quotes; "
            "escaped quotes inside an argument are not modelled)",
            self.argv_field, Affects.of(EITHER, argv_mismatch(self.argv_field, _command_line_of(self.argv_field))))
        return SigmaDetectionItem(self.cmdline_field, [], values, value_linking=item.value_linking)


# One argument: single non-space characters and whole quoted segments (each
# iteration takes exactly one, so the regex cannot backtrack explosively).
_ARG = '(?:[^\\s"]|"[^"]*")+'


def argc_regex(op: str, n: int) -> str:
    """A command-line regex true when the argument count compares as `op` (eq, gte, lte) with n."""
    if op == "gte":
        return "" if n <= 0 else f"^\\s*(?:{_ARG}\\s+){{{n - 1}}}{_ARG}"
    if n < 0:
        raise EmitError("a negative argument count never holds", code="emit/field-unavailable")
    if op == "lte":
        return f"^\\s*(?:{_ARG}(?:\\s+|$)){{0,{n}}}$"
    return "^\\s*$" if n == 0 else f"^\\s*(?:{_ARG}\\s+){{{n - 1}}}{_ARG}\\s*$"


@dataclass
class ArgCountFromCommandLine(DetectionItemTransformation):
    """ECS process.args_count where only a command line exists: the number of
    arguments, counted as whitespace-separated tokens with double-quoted parts
    (Note: emit/field-approximated)."""

    count_field: str
    cmdline_field: str
    platform: str

    def apply_detection_item(self, item: SigmaDetectionItem):
        if item.field != self.count_field:
            return None
        ops = {CompareOperators.GT: ("gte", 1), CompareOperators.GTE: ("gte", 0),
               CompareOperators.LT: ("lte", -1), CompareOperators.LTE: ("lte", 0)}
        values = []
        for v in item.value:
            if isinstance(v, SigmaString) and not v.contains_special() and v.to_plain().isdigit():
                op, n = "eq", int(v.to_plain())  # a count the translation kept as text
            elif isinstance(v, SigmaNumber):
                op, n = "eq", v.number
            elif isinstance(v, SigmaCompareExpression):
                op, shift = ops[v.op]
                n = v.number.number + shift
            else:
                raise EmitError(f"{self.count_field}: unsupported value {v!r}", code="emit/field-unavailable")
            if not isinstance(n, int):
                raise EmitError(f"{self.count_field}: not a whole number", code="emit/field-unavailable")
            values.append(ci_regex(argc_regex(op, n), False))
        record_note(
            self._pipeline, "emit/field-approximated",
            f"{self.count_field} has no equivalent on {self.platform}: counted as the arguments of "
            f"{self.cmdline_field} (whitespace-separated, double quotes grouping)", self.count_field,
            Affects.of(EITHER, argv_mismatch(self.count_field.replace("args_count", "args"),
                                             _command_line_of(self.count_field))))
        return SigmaDetectionItem(self.cmdline_field, [], values, value_linking=item.value_linking)


@dataclass
class DomainQualifiedUser(ValueTransformation):
    """The platform writes the user as DOMAIN\\name (Sysmon User, ASIM
    TargetUsername) while ruleport's Sigma rules carry ECS user.name, the bare
    name: a value without a backslash that does not already start with `*`
    also matches `*\\value` (note `emit/field-approximated`)."""

    user_field: str = "User"
    platform: str = ""

    def apply_value(self, field: str | None, val: SigmaString):
        if field != self.user_field or not isinstance(val, SigmaString):
            return None
        if val.startswith(SpecialChars.WILDCARD_MULTI) or any(isinstance(p, str) and "\\" in p for p in val.s):
            return None
        qualified = SigmaString("")
        qualified.s = [SpecialChars.WILDCARD_MULTI, "\\"] + list(val.s)
        qualified._merge_strs()
        if isinstance(val, SigmaCasedString):
            qualified = SigmaCasedString.from_sigma_string(qualified)
        record_note(self._pipeline, "emit/field-approximated",
                    f"{self.user_field} holds DOMAIN\\name on {self.platform}: a name without a domain also "
                    "matches it after any domain", self.user_field,
                    # only a user name that itself holds a backslash can be read differently
                    Affects.of(EITHER, contains("user.name", "\\")))
        return [val, qualified]
