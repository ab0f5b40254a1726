"""Shared fixtures (engines, data, the network guard); shared values live in tests/support.py.

Tests marked `corpus` read ../shared (the Elastic corpus, Sigma's schemas).
Locally they skip when it is absent; under CI=true they fail instead, so a
missing corpus can never turn into a green run.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.support import CORPUS, SEED_RULE, SIGMA_SPEC, need_shared, require

@pytest.fixture(scope="session")
def lucene():
    """The real Lucene engine (Lucene 9.12.2's jars, `make engines`, through the JVM helper)."""
    from converters.lucene.executor import LuceneExecutor

    executor = LuceneExecutor()
    require("Lucene", executor.unavailable())
    return executor


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return need_shared(CORPUS)


@pytest.fixture(scope="session")
def sigma_spec_dir() -> Path:
    return need_shared(SIGMA_SPEC)


@pytest.fixture(scope="session")
def seed_rule() -> Path:
    return SEED_RULE


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing ruleport does may reach the network: any connection beyond loopback fails the test."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
            return real_connect(sock, address)
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host not in (None, "127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"DNS lookup attempted: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
