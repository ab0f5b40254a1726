"""Sigma values on analysed `text` fields (an integration's, e.g. powershell.file.script_block_text).

Elasticsearch indexes a text field as the words its analyzer makes of the
value, not as the value: a keyword-style wildcard or regex on it is tested
against each word alone, so `*Install-TransportAgent*` or a value holding a
space or a dot never matches what Sigma's `|contains` means. What the query
languages can say there:

- KQL and Lucene's query_string: a quoted phrase, analysed with the field's
  analyzer and matched as consecutive words (match_phrase). That is what
  Elastic's own rules write (`powershell.file.script_block_text : "..."`),
  so a `|contains` value is written as the phrase of its text, with a note
  whose `affects` is the events where the phrase and `|contains` (ignoring
  case) disagree (converters.translate.text_fields.differences: exact for
  the powershell_script_analyzer, a bound for the standard analyzer).
  Values of other shapes (a wildcard inside, |startswith, |endswith, an
  exact value, a regex, a |cased value: the words are lower-cased) have no
  phrase form and are refused, naming the field. The lucene column indexes
  these fields with their analyzers (converters/lucene/executor.py).
- ES|QL reads a text field's value itself (TO_LOWER(f) LIKE "*v*"): no change.
- EQL compares exact values only: Elasticsearch rejects an EQL comparison on
  a text field that has no keyword multi-field with a verification_exception
  ("No keyword/multi-field defined exact matches for [f]"; the EQL syntax
  reference warns against matching text fields, and elastic/elasticsearch
  issue 111235 shows the error for `==` on a text field): refused.

Which fields are text, and their analyzers, are platform facts
(converters/data/platforms/elastic-integrations.json), carried in the
pipeline state's `text_fields` by the data model (datamodels.DataModel.text_fields).
"""

from __future__ import annotations

from converters.emit.errors import EmitError
from converters.emit.transforms import record_note
from converters.kql import ast
from converters.notes import EITHER, Affects
from converters.translate.text_fields import differences
from sigma.types import SigmaString, SpecialChars

STATE = "text_fields"


def analyzer_of(field: str | None, state) -> str | None:
    """The analyzer of `field` when the rule's data model maps it as text, or an integration data
    stream the rule's indexes name does (transforms.RuleIndexes), else None."""
    if field is None or state is None:
        return None
    known = state.processing_state
    return known.get(STATE, {}).get(field) or known.get("integration_text", {}).get(field)


def contained_text(value) -> str | None:
    """The text of a `*text*` value (Sigma's |contains) with no other wildcard, else None."""
    if type(value) is not SigmaString:
        return None
    parts = value.s
    if len(parts) != 3 or parts[0] is not SpecialChars.WILDCARD_MULTI or parts[2] is not SpecialChars.WILDCARD_MULTI \
            or not isinstance(parts[1], str):
        return None
    return parts[1]


def phrase(pipeline, field: str, analyzer: str, value, target: str) -> str:
    """The text to write as a phrase for a |contains value on a text field, with the note saying
    where the phrase and |contains disagree; EmitError for any other value."""
    text = contained_text(value)
    if text is None:
        raise EmitError(
            f"{field} is an analysed text field ({analyzer} analyzer): {target} matches its words, so only a "
            f"|contains value without inner wildcards can be written (as a phrase); {value} cannot",
            code="emit/text-field")
    kql_value = ast.Value((text,), quoted=True)
    where = differences(field, analyzer, kql_value)
    record_note(pipeline, "emit/text-phrase",
                f"{field} is an analysed text field: {target} matches {text!r} as a phrase of its words "
                f"({analyzer} analyzer), Sigma's |contains the raw text (ignoring case)", field,
                Affects.of(EITHER, where))
    return text


def refuse_eql(field: str, analyzer: str) -> EmitError:
    return EmitError(
        f"{field} is an analysed text field ({analyzer} analyzer) with no keyword multi-field: Elasticsearch "
        "rejects EQL comparisons on it (EQL compares exact values)", code="emit/text-field")
