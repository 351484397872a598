"""What notices need from the outside: a gateway that delivers one message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from crm_core.notices.model import NoticeChannel


class NoticeSendFailed(Exception):
    """The gateway did not take the message (refused, unreachable, timed out)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    id: uuid.UUID
    channel: NoticeChannel
    """sms or email: calls never reach a sender."""
    address: str
    subject: str
    body: str


class NoticeSender(Protocol):
    async def send(self, message: OutgoingMessage, *, timeout_s: float) -> None:
        """Hand `message` to the gateway within `timeout_s`.

        Raises NoticeSendFailed when the gateway did not take it.
        """
        ...
