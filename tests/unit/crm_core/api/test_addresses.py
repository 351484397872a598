"""The client address behind reverse proxies: X-Forwarded-For only from trusted ones."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from crm_core.api.addresses import client_address

PROXY = (ip_network("10.0.0.0/24"),)


@pytest.mark.parametrize(
    ("peer", "headers", "trusted", "client"),
    [
        ("203.0.113.7", [], (), "203.0.113.7"),
        ("203.0.113.7", ["198.51.100.1"], (), "203.0.113.7"),
        ("203.0.113.7", ["198.51.100.1"], PROXY, "203.0.113.7"),
        ("10.0.0.2", ["198.51.100.1"], PROXY, "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], PROXY, "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1, 10.0.0.3"], PROXY, "198.51.100.1"),
        ("10.0.0.2", ["10.0.0.4"], PROXY, "10.0.0.4"),
        ("10.0.0.2", [], PROXY, "10.0.0.2"),
        ("10.0.0.2", ["not-an-ip"], PROXY, "not-an-ip"),
        (None, [], (), "unknown"),
    ],
)
def test_client_is_the_first_untrusted_hop_when_proxies_forward_it(
    peer: str | None, headers: list[str], trusted: tuple[object, ...], client: str
) -> None:
    assert client_address(peer, headers, PROXY if trusted else ()) == client
