"""The suite's network guard (conftest.no_network) really blocks: the offline
guarantee of every other test rests on it."""

import socket
import urllib.request

import pytest


def test_outbound_connection_is_refused():
    with pytest.raises(AssertionError, match="attempted"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)


def test_raw_connect_is_refused():
    sock = socket.socket()
    try:
        with pytest.raises(AssertionError, match="network access attempted"):
            sock.connect(("192.0.2.1", 443))
    finally:
        sock.close()


def test_dns_lookup_is_refused():
    with pytest.raises(AssertionError, match="DNS lookup attempted"):
        urllib.request.urlopen("https://attack.mitre.org/", timeout=1)


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    client.connect(server.getsockname())
    client.close()
    server.close()
