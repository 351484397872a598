"""The aiohttp client that POSTs webhook deliveries; build and close it in the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import aiohttp

from crm_core.webhooks.ports import SendFailed


class AiohttpSender:
    """One client session for every delivery; `close()` it on shutdown."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float
    ) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession()
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
