"""The SMTP sender against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import uuid

import pytest

from crm_core.notices.model import NoticeChannel
from crm_core.notices.ports import NoticeSendFailed, OutgoingMessage
from crm_core.notices.smtp import SmtpConfig, SmtpSender
from tests.integration.crm_core.notices.conftest import Inbox
from tests.servers import free_port


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
    sender = SmtpSender(SmtpConfig(host="127.0.0.1", port=free_port(), sender="a@b.c"))
    with pytest.raises(NoticeSendFailed, match="SMTP"):
        await sender.send(mail(), timeout_s=2)
