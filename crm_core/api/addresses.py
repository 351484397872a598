"""Where a request comes from: the peer's address, or behind reverse proxies the
client they name in X-Forwarded-For, but only proxies the deployment trusts may
name it (anyone else could send the header to pose as any address). Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[IpNetwork]
) -> str:
    """The client's address. `forwarded_for` holds the X-Forwarded-For headers in
    order; walking them from the right (the nearest hop first), each hop added by
    a trusted proxy is believed and the first one not trusted is the client."""
    hop = peer or UNKNOWN
    if not _trusted(hop, trusted):
        return hop
    named = [a.strip() for h in forwarded_for for a in h.split(",") if a.strip()]
    for address in reversed(named):
        hop = address
        if not _trusted(hop, trusted):
            return hop
    return hop


def _trusted(address: str, trusted: Sequence[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
