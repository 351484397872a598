"""A real SMTP server (aiosmtpd) on loopback that keeps what it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers import free_port


@dataclass
class Inbox:
    mails: list[tuple[list[str], Message]] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(  # the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refuse:
            return "550 mailbox unavailable"
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(raw)))
        return "250 OK"


@pytest.fixture
async def inbox() -> AsyncIterator[tuple[Inbox, int]]:
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield box, port
    finally:
        await asyncio.to_thread(controller.stop)
