"""The FastAGI allow-list: PBX names resolved, explicit networks, loopback by
default, a refused address logged once."""

from __future__ import annotations

import logging
from ipaddress import ip_network

import pytest

from telephony.agi_peers import AgiPeers, peer_host


class FakeDns:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError("Name or service not known")
        return self.answers[host]


async def test_only_loopback_is_admitted_when_nothing_is_configured() -> None:
    peers = AgiPeers()
    assert await peers.admits("127.0.0.1")
    assert await peers.admits("::1")
    assert await peers.admits("::ffff:127.0.0.1")
    assert not await peers.admits("10.0.0.5")
    assert not await peers.admits("")


async def test_pbx_names_are_resolved_when_the_list_is_refreshed() -> None:
    dns = FakeDns({"asterisk": ["172.18.0.4"]})
    peers = AgiPeers(hosts=["asterisk", "10.1.1.1"], resolve=dns)
    await peers.refresh()
    assert await peers.admits("172.18.0.4")
    assert await peers.admits("::ffff:10.1.1.1")
    assert not await peers.admits("127.0.0.1")
    assert dns.asked == ["asterisk"]


async def test_explicit_networks_are_admitted_when_configured() -> None:
    peers = AgiPeers(
        hosts=["10.1.1.1"],
        networks=[ip_network("192.168.50.0/24")],
        resolve=FakeDns({}),
    )
    await peers.refresh()
    assert await peers.admits("192.168.50.77")
    assert not await peers.admits("192.168.51.1")


async def test_a_moved_pbx_is_admitted_when_a_refused_peer_triggers_a_refresh() -> None:
    dns = FakeDns({"asterisk": ["172.18.0.4"]})
    peers = AgiPeers(hosts=["asterisk"], resolve=dns)
    await peers.refresh()
    dns.answers["asterisk"] = ["172.18.0.9"]
    assert not await peers.admits("172.18.0.9")  # resolved moments ago: no refresh
    peers._resolved_at = 0.0  # long ago
    assert await peers.admits("172.18.0.9")


async def test_a_name_that_stops_resolving_keeps_its_addresses_when_refreshed() -> None:
    dns = FakeDns({"asterisk": ["172.18.0.4"]})
    peers = AgiPeers(hosts=["asterisk"], resolve=dns)
    await peers.refresh()
    dns.answers.clear()
    await peers.refresh()
    assert await peers.admits("172.18.0.4")


async def test_a_refused_address_is_logged_once_when_it_keeps_connecting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    peers = AgiPeers(networks=[ip_network("10.0.0.0/8")])
    with caplog.at_level(logging.WARNING, logger="telephony.agi_peers"):
        for _ in range(3):
            assert not await peers.admits("203.0.113.9")
        assert not await peers.admits("203.0.113.10")
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 2
    assert "203.0.113.9" in refused[0]
    assert peers.refused_total == 4


def test_peer_host_reads_both_socket_families_when_given_a_peername() -> None:
    assert peer_host(("10.0.0.1", 5000)) == "10.0.0.1"
    assert peer_host(("fe80::1", 5000, 0, 2)) == "fe80::1"
    assert peer_host(None) == ""
