"""emit(): one Sigma rule (YAML text) to the queries of one target.

Speed (the corpus runs this path for every rule and target): the YAML of
the last rule is parsed once, with libyaml, into plain dicts, and each
target builds its pySigma rule from those dicts (pipelines rewrite rules in
place, so each target needs its own; building from dicts costs a twentieth
of parsing YAML). Each target's backend and pipeline are built once per
process and reused: pySigma combines the pipeline afresh, with a fresh
state, for every conversion.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache

from converters.emit.errors import EmitError
from converters.emit.targets import TARGETS
from converters.notes import Note


@dataclass
class Emitted:
    target: str
    queries: list[str]
    notes: list[Note] = field(default_factory=list)


@lru_cache(maxsize=4)
def _documents(sigma_yaml: str) -> tuple:
    """The YAML documents of a Sigma rule (or of a correlation and its base rules), as pySigma reads them."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same SafeConstructor, libyaml's parser
    return tuple(yaml.load_all(sigma_yaml, Loader=loader))


_BACKENDS: dict[str, object] = {}


def _backend(spec):
    backend = _BACKENDS.get(spec.name)
    if backend is None:
        backend = _BACKENDS[spec.name] = spec.backend(spec.build_pipeline())
    return backend


def emit(sigma_yaml: str, target: str) -> Emitted:
    """Convert `sigma_yaml` for `target`; raise EmitError when it cannot be expressed."""
    spec = TARGETS.get(target)
    if spec is None:
        raise EmitError(f"unknown target {target!r} (known: {', '.join(TARGETS)})", code="emit/unknown-target")
    if not spec.backend:
        return Emitted(target, [sigma_yaml], [])

    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    try:
        # pySigma may rewrite what it is given: each target gets its own copy of the documents
        collection = SigmaCollection.from_dicts(copy.deepcopy(list(_documents(sigma_yaml))))
    except SigmaError as exc:
        raise EmitError(f"not a valid Sigma rule: {exc}", code="emit/sigma-invalid") from None
    except Exception as exc:  # YAML errors surface as various types
        raise EmitError(f"not a valid Sigma rule: {exc}", code="emit/sigma-invalid") from None
    backend = _backend(spec)
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
