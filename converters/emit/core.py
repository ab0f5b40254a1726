"""emit(): one Sigma rule (YAML text) to the queries of one target."""

from __future__ import annotations

from dataclasses import dataclass, field

from converters.emit.errors import EmitError
from converters.emit.targets import TARGETS
from converters.notes import Note


@dataclass
class Emitted:
    target: str
    queries: list[str]
    notes: list[Note] = field(default_factory=list)


def emit(sigma_yaml: str, target: str) -> Emitted:
    """Convert `sigma_yaml` for `target`; raise EmitError when it cannot be expressed.

    The YAML is parsed afresh on every call: pipelines rewrite rules in place.
    """
    spec = TARGETS.get(target)
    if spec is None:
        raise EmitError(f"unknown target {target!r} (known: {', '.join(TARGETS)})", code="emit/unknown-target")
    if not spec.backend:
        return Emitted(target, [sigma_yaml], [])

    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    try:
        collection = SigmaCollection.from_yaml(sigma_yaml)
    except SigmaError as exc:
        raise EmitError(f"not a valid Sigma rule: {exc}", code="emit/sigma-invalid") from None
    except Exception as exc:  # YAML errors surface as various types
        raise EmitError(f"not a valid Sigma rule: {exc}", code="emit/sigma-invalid") from None
    backend = spec.backend(spec.build_pipeline())
    try:
        queries = backend.convert(collection)
    except EmitError as exc:
        raise EmitError(f"{target}: {exc.message}", code=exc.code) from None
    except SigmaError as exc:
        raise EmitError(f"{target}: {exc}", code="emit/unsupported") from None
    except NotImplementedError as exc:
        raise EmitError(f"{target}: {exc}", code="emit/unsupported") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        # a rule shape a pySigma backend does not expect: one rule's failure, not a crash
        raise EmitError(f"{target}: cannot convert this rule ({type(exc).__name__}: {exc})",
                        code="emit/backend-error") from exc
    return Emitted(target, [str(q) for q in queries], _collect_notes(backend, target))


def _collect_notes(backend, target: str) -> list[Note]:
    from converters.emit.transforms import NOTES_KEY

    # one channel: pipelines and backends alike record their notes in the pipeline state
    found = list(backend.last_processing_pipeline.state.get(NOTES_KEY, []))
    notes: list[Note] = []
    for n in found:
        n = Note(n.code, n.message, target=target, field=n.field, affects=n.affects)
        if n not in notes:
            notes.append(n)
    return notes
