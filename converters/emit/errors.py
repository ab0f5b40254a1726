"""The error every emit stage raises when a target cannot express a rule."""

from converters.errors import RuleportError


class EmitError(RuleportError):
    """A Sigma rule that a target cannot express (code `emit/<reason>`)."""

    code = "emit/unsupported"
