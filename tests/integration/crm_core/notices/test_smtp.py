"""The SMTP sender against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crm_core.notices.model import NoticeChannel
from crm_core.notices.ports import NoticeSendFailed, OutgoingMessage
from crm_core.notices.smtp import SmtpConfig, SmtpSender


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def inbox() -> AsyncIterator[tuple[Inbox, int]]:
    box = Inbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield box, port
    finally:
        await asyncio.to_thread(controller.stop)


def mail(channel: NoticeChannel = NoticeChannel.EMAIL) -> OutgoingMessage:
    return OutgoingMessage(
        id=uuid.uuid4(), channel=channel, address="olga@example.org",
        subject="Your appeal AB12 is closed", body="Dear Olga,\n\nrefund made.",
    )  # fmt: skip


async def test_mail_arrives_with_subject_and_body_when_sent(
    inbox: tuple[Inbox, int],
) -> None:
    box, port = inbox
    sender = SmtpSender(
        SmtpConfig(host="127.0.0.1", port=port, sender="cc@example.org")
    )
    await sender.send(mail(), timeout_s=5)
    [(to, got)] = box.mails
    assert to == ["olga@example.org"]
    assert (got["From"], got["Subject"]) == (
        "cc@example.org",
        "Your appeal AB12 is closed",
    )
    assert "refund made." in got.get_payload()


async def test_send_fails_when_server_refuses_or_channel_is_wrong(
    inbox: tuple[Inbox, int],
) -> None:
    box, port = inbox
    box.refuse = True
    sender = SmtpSender(
        SmtpConfig(host="127.0.0.1", port=port, sender="cc@example.org")
    )
    with pytest.raises(NoticeSendFailed, match="550"):
        await sender.send(mail(), timeout_s=5)
    with pytest.raises(NoticeSendFailed, match="cannot send sms"):
        await sender.send(mail(NoticeChannel.SMS), timeout_s=5)


async def test_send_fails_when_nothing_listens() -> None:
    sender = SmtpSender(SmtpConfig(host="127.0.0.1", port=_free_port(), sender="a@b.c"))
    with pytest.raises(NoticeSendFailed, match="SMTP"):
        await sender.send(mail(), timeout_s=2)
