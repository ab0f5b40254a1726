"""Engines and data the suite needs are skipped locally when missing, but a CI
run without them fails: a missing install step can never pass as green."""

import pytest

from tests.support import require


def test_missing_engine_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Lucene must be available in CI: no java"):
        require("Lucene", "no java")


def test_missing_engine_skips_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no java"):
        require("Lucene", "no java")


def test_available_engine_passes(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require("Lucene", None) is None
