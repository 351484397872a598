"""Which addresses a webhook may reach: never loopback, private, link-local or other
internal addresses (the service's own network) unless the policy allows that network.

Pure decisions, plus the check of a URL against a resolver port. Checked when a
webhook is registered and again by the sender on the addresses it connects to.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The webhook's host is (or resolves to) an address webhooks may not reach."""


class Resolver(Protocol):
    async def addresses(self, host: str, port: int) -> list[str]:
        """The IP addresses `host` resolves to. Raises OSError when it does not."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetPolicy:
    allowed_networks: tuple[IpNetwork, ...] = ()
    """Internal networks webhooks may reach all the same (a receiver on the LAN)."""


def refusal(address: str, policy: TargetPolicy) -> str | None:
    """Why a webhook may not connect to `address`, or None when it may."""
    try:
        ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    if any(ip in network for network in policy.allowed_networks):
        return None
    if ip.is_global and not ip.is_multicast:
        return None
    return f"{ip} is an internal address ({_kind(ip)})"


def _kind(ip: IpAddress) -> str:
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
    ):
        if flag:
            return kind
    return "not globally routable"


def host_and_port(url: str) -> tuple[str, int]:
    """The host (without IPv6 brackets) and port a URL connects to."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host, parts.port or (443 if parts.scheme == "https" else 80)


def literal_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


async def check_target(url: str, policy: TargetPolicy, resolver: Resolver) -> None:
    """Raise TargetRefused unless every address the URL's host resolves to may be
    reached (a name that does not resolve is refused: it cannot be checked)."""
    host, port = host_and_port(url)
    if literal_address(host):
        addresses = [host]
    else:
        try:
            addresses = await resolver.addresses(host, port)
        except OSError as exc:
            raise TargetRefused(f"{host} does not resolve: {exc}") from None
    problems = [p for p in (refusal(a, policy) for a in addresses) if p]
    if problems or not addresses:
        reason = problems[0] if problems else "no address"
        raise TargetRefused(f"{host}: {reason}")
