"""Who may open a FastAGI session: the configured PBXs (their host names resolved)
and an explicit allow-list of networks. Anyone else who reaches the port could
otherwise drive the IVR, hand calls to queues and read callers' data.

Refusals are logged once per address, so a scanner cannot flood the log.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger(__name__)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str], Awaitable[list[str]]]

LOOPBACK: tuple[IpNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
REFRESH_S = 30.0
"""A refused peer re-resolves the PBX names at most this often (a PBX container
restarted with a new address is admitted without restarting the service)."""
RESOLVE_TIMEOUT_S = 5.0
REMEMBERED_REFUSALS = 4096


def peer_address(text: str) -> IpAddress | None:
    """The peer's IP, with an IPv4-mapped IPv6 address (a dual-stack listener)
    read as the IPv4 one; None for something that is not an IP address."""
    try:
        ip: IpAddress = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def peer_host(peername: object) -> str:
    """The address of a socket's peername ((host, port) or the IPv6 4-tuple)."""
    if isinstance(peername, tuple) and peername and isinstance(peername[0], str):
        return peername[0]
    return ""


def admitted(
    ip: IpAddress, *, networks: Iterable[IpNetwork], addresses: Iterable[IpAddress]
) -> bool:
    return ip in set(addresses) or any(ip in n for n in networks)


async def system_resolve(host: str) -> list[str]:
    """The addresses of `host` from the system resolver (off the loop)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(RESOLVE_TIMEOUT_S):
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AgiPeers:
    """The FastAGI allow-list: `hosts` (the PBXs' AMI hosts, names or addresses)
    and `networks` (an explicit allow-list). With neither, loopback only."""

    def __init__(
        self,
        *,
        hosts: Iterable[str] = (),
        networks: Iterable[IpNetwork] = (),
        resolve: Resolve = system_resolve,
    ) -> None:
        self._hosts = tuple(hosts)
        self._networks = tuple(networks)
        if not self._hosts and not self._networks:
            self._networks = LOOPBACK
        self._resolve = resolve
        self._by_host: dict[str, frozenset[IpAddress]] = {}
        self._resolved_at: float | None = None
        self._refused: set[IpAddress] = set()
        self.refused_total = 0

    async def refresh(self) -> None:
        """Resolve the PBX host names again; a name that fails is logged and the
        addresses it had are kept until it resolves."""
        self._resolved_at = time.monotonic()
        for host in self._hosts:
            try:
                answers = [host] if peer_address(host) else await self._resolve(host)
            except (OSError, TimeoutError) as exc:
                log.warning("FastAGI allow-list: PBX host %s unresolved: %s", host, exc)
                continue
            found = {ip for a in answers if (ip := peer_address(a)) is not None}
            self._by_host[host] = frozenset(found)
        shown = {*map(str, self._addresses()), *map(str, self._networks)}
        log.info("FastAGI accepts connections from %s", ", ".join(sorted(shown)))

    def _addresses(self) -> set[IpAddress]:
        return set().union(*self._by_host.values())

    async def admits(self, peer: str) -> bool:
        """Whether `peer` (an address) may open a session; a refusal is logged
        the first time that address is refused."""
        ip = peer_address(peer)
        if ip is None:
            return False
        if self._admitted(ip):
            return True
        stale = self._resolved_at is None or (
            time.monotonic() - self._resolved_at >= REFRESH_S
        )
        if self._hosts and stale:
            await self.refresh()
            if self._admitted(ip):
                return True
        self.refused_total += 1
        if ip not in self._refused and len(self._refused) < REMEMBERED_REFUSALS:
            self._refused.add(ip)
            log.warning(
                "FastAGI connection from %s refused: not a configured PBX (add its "
                "network to the FastAGI allow-list, agi.allow_from, if Asterisk "
                "connects from there)",
                ip,
            )
        return False

    def _admitted(self, ip: IpAddress) -> bool:
        return admitted(ip, networks=self._networks, addresses=self._addresses())
