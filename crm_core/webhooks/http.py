"""The aiohttp client that POSTs webhook deliveries, and the name resolution both it
and registration check against the target policy; build and close it in the loop."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Mapping

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from crm_core.webhooks.ports import SendFailed
from crm_core.webhooks.targets import (
    TargetPolicy,
    host_and_port,
    literal_address,
    refusal,
)

RESOLVE_TIMEOUT_S = 5.0


class SystemResolver:
    """The host's resolver (getaddrinfo off the loop), bounded by a timeout."""

    async def addresses(self, host: str, port: int) -> list[str]:
        resolver = DefaultResolver()
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                found = await resolver.resolve(host, port, family=socket.AF_UNSPEC)
        except TimeoutError:
            raise OSError(f"no answer within {RESOLVE_TIMEOUT_S:g} s") from None
        finally:
            await resolver.close()
        return [r["host"] for r in found]


class GuardedResolver(AbstractResolver):
    """Resolves as usual, then refuses a name with any address the policy forbids:
    aiohttp connects to exactly the addresses returned here, so a name cannot be
    checked against one answer and connected to another (DNS rebinding)."""

    def __init__(self, policy: TargetPolicy) -> None:
        self._policy = policy
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for result in found:
            if problem := refusal(result["host"], self._policy):
                # aiohttp shows only strerror in its ClientConnectorDNSError
                raise OSError(
                    errno.EACCES, f"webhook target refused: {host}: {problem}"
                )
        return found

    async def close(self) -> None:
        await self._inner.close()


class AiohttpSender:
    """One client session for every delivery; `close()` it on shutdown. Refuses
    targets the policy forbids, whatever the subscription says."""

    def __init__(self, policy: TargetPolicy | None = None) -> None:
        self._policy = policy or TargetPolicy()
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float
    ) -> int:
        host, _ = host_and_port(url)
        # aiohttp connects to a literal address without asking the resolver
        if literal_address(host) and (problem := refusal(host, self._policy)):
            raise SendFailed(f"webhook target refused: {problem}")
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._policy))
            self._session = aiohttp.ClientSession(connector=connector)
        try:
            async with asyncio.timeout(timeout_s):
                async with self._session.post(
                    url, data=body, headers=dict(headers), allow_redirects=False
                ) as response:
                    await response.read()
                    return response.status
        except TimeoutError:
            raise SendFailed(f"no answer within {timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc}"[:400]) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
