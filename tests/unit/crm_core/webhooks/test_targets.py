"""Which addresses a webhook may reach, and the URL check over a fake resolver."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from crm_core.webhooks.targets import (
    TargetPolicy,
    TargetRefused,
    check_target,
    refusal,
)

STRICT = TargetPolicy()
LAN = TargetPolicy(allowed_networks=(ip_network("10.20.0.0/16"),))


class FakeResolver:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int]] = []

    async def addresses(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        if host not in self.answers:
            raise OSError("Name or service not known")
        return self.answers[host]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("fd00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (a target, not a bind)
        ("100.64.0.1", "not globally routable"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_internal_address_is_refused_when_the_policy_allows_no_network(
    address: str, kind: str
) -> None:
    problem = refusal(address, STRICT)
    assert problem is not None
    assert kind in problem


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07::1"])
def test_public_address_is_accepted_when_checked(address: str) -> None:
    assert refusal(address, STRICT) is None


def test_allowed_internal_network_is_reached_when_the_policy_names_it() -> None:
    assert refusal("10.20.3.4", LAN) is None
    assert refusal("10.21.0.1", LAN) is not None
    assert refusal("127.0.0.1", LAN) is not None


async def test_url_is_refused_when_any_resolved_address_is_internal() -> None:
    resolver = FakeResolver(
        {"hooks.example.com": ["93.184.215.14", "10.0.0.7"], "ok.example.com":
         ["93.184.215.14"]}
    )  # fmt: skip
    with pytest.raises(TargetRefused, match=r"10\.0\.0\.7 is an internal"):
        await check_target("https://hooks.example.com/x", STRICT, resolver)
    await check_target("http://ok.example.com:8080/x", STRICT, resolver)
    assert resolver.asked == [("hooks.example.com", 443), ("ok.example.com", 8080)]


async def test_url_is_refused_when_its_name_does_not_resolve() -> None:
    with pytest.raises(TargetRefused, match="does not resolve"):
        await check_target("https://nowhere.example/x", STRICT, FakeResolver({}))


async def test_literal_address_is_checked_without_the_resolver_when_given() -> None:
    resolver = FakeResolver({})
    with pytest.raises(TargetRefused, match="loopback"):
        await check_target("http://[::1]:9/x", STRICT, resolver)
    await check_target("http://10.20.0.9/x", LAN, resolver)
    assert resolver.asked == []
