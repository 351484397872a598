"""Notice senders: an outbox-only one that logs (no SMS or e-mail gateway is
configured), and one that routes each channel to its own sender."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from crm_core.notices.model import NoticeChannel
from crm_core.notices.ports import NoticeSender, NoticeSendFailed, OutgoingMessage

log = logging.getLogger(__name__)


class LoggingSender:
    """Takes every message and logs it: the outbox rows are the record."""

    async def send(self, message: OutgoingMessage, *, timeout_s: float) -> None:
        log.info(
            "notice sent notice=%s channel=%s to=%s",
            message.id, message.channel.value, _masked(message.address),
        )  # fmt: skip
        log.debug("notice text notice=%s: %s", message.id, message.body)


class ChannelSender:
    """Sends each message through the sender registered for its channel."""

    def __init__(self, senders: Mapping[NoticeChannel, NoticeSender]) -> None:
        self._senders = dict(senders)

    async def send(self, message: OutgoingMessage, *, timeout_s: float) -> None:
        sender = self._senders.get(message.channel)
        if sender is None:
            raise NoticeSendFailed(f"no sender for {message.channel.value}")
        await sender.send(message, timeout_s=timeout_s)


def _masked(address: str) -> str:
    # full phone numbers and addresses only at DEBUG (STYLE.md 9)
    return address[:4] + "***" if len(address) > 6 else "***"
