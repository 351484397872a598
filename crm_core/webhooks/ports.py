"""The one thing webhooks need from the network: POST some bytes, get a status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class SendFailed(Exception):
    """The POST did not get an HTTP answer (refused, reset, timed out)."""


class WebhookSender(Protocol):
    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float
    ) -> int:
        """POST `body` to `url` within `timeout_s`; the HTTP status.

        Raises SendFailed when no answer came.
        """
        ...
