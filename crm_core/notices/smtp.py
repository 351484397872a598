"""An e-mail sender over SMTP: the standard library's smtplib, run in a thread so
the loop never blocks. Plain or STARTTLS; no SMS gateway exists here."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from crm_core.notices.model import NoticeChannel
from crm_core.notices.ports import NoticeSendFailed, OutgoingMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str
    """The From address."""
    starttls: bool = False
    login: str | None = None
    password: str | None = None


class SmtpSender:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send(self, message: OutgoingMessage, *, timeout_s: float) -> None:
        """Deliver an e-mail notice to the SMTP server within `timeout_s`.
        Raises NoticeSendFailed when refused, unreachable or too slow."""
        if message.channel is not NoticeChannel.EMAIL:
            raise NoticeSendFailed(f"SMTP cannot send {message.channel.value}")
        mail = EmailMessage()
        mail["From"] = self._config.sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{message.id}@notices>"
        mail.set_content(message.body)
        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.to_thread(self._deliver, mail, timeout_s)
        except TimeoutError:
            raise NoticeSendFailed(f"SMTP gave no answer in {timeout_s} s") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise NoticeSendFailed(f"SMTP: {exc}") from exc

    def _deliver(self, mail: EmailMessage, timeout_s: float) -> None:
        c = self._config
        with smtplib.SMTP(c.host, c.port, timeout=timeout_s) as smtp:
            if c.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if c.login is not None:
                smtp.login(c.login, c.password or "")
            smtp.send_message(mail)
