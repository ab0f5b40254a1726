"""What every ruleport backend adds to its pySigma base class."""

from __future__ import annotations


class CombinedPipelineOnce:
    """Combine the backend's pipelines once per output format, not once per rule.

    pySigma's Backend.convert combines the backend, processing and output-format
    pipelines anew for every rule (a new ProcessingPipeline, every item re-bound
    to it): a seventh of the conversion time on the corpus. For one backend
    instance the combination never changes, and ProcessingPipeline.apply resets
    every per-rule field (applied items, field tracking, state), so the first
    combination is kept and reused. Put before the pySigma base class.
    """

    def init_processing_pipeline(self, output_format: str | None = None) -> None:
        combined = self.__dict__.setdefault("_ruleport_combined", {})
        key = output_format or self.default_format
        if key not in combined:
            super().init_processing_pipeline(output_format)
            combined[key] = self.last_processing_pipeline
        self.last_processing_pipeline = combined[key]
