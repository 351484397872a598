"""Notices as values and the pure decisions: which channel and address reach a
customer, and the text from a template. No I/O, no clock."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from string import Template
from typing import NewType, assert_never

NoticeId = NewType("NoticeId", uuid.UUID)


class NoticeChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    CALL = "call"
    """A call-back request left for the dialer; never sent by the outbox."""


class NoticeStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class NoticeReason(StrEnum):
    APPEAL_CLOSED = "appeal_closed"
    INCIDENT_RESOLVED = "incident_resolved"


SENDABLE = frozenset({NoticeChannel.SMS, NoticeChannel.EMAIL})
"""Channels the outbox sends itself; calls wait for the dialer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactPoint:
    """How a customer can be reached, from the customer card."""

    preferred_channels: Sequence[str] = ()
    """Customer-card channels in order of preference: sms, email, phone..."""
    mobiles: Sequence[str] = ()
    """E.164 numbers that take SMS, primary first."""
    phones: Sequence[str] = ()
    """E.164 numbers to call, primary first."""
    emails: Sequence[str] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    channel: NoticeChannel
    address: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Templates:
    """Texts per reason and channel, `$field` placeholders (string.Template): fields
    are appeal_id, appeal_number, topic, comment, customer_name, incident_title,
    resolution. An unknown placeholder stays as written."""

    appeal_closed_sms: str = "Your appeal $appeal_number ($topic) is closed: $comment"
    appeal_closed_subject: str = "Your appeal $appeal_number is closed"
    appeal_closed_email: str = (
        "Dear $customer_name,\n\nyour appeal $appeal_number ($topic) is closed.\n\n"
        "$comment\n"
    )
    incident_sms: str = "$incident_title is resolved: $resolution"
    incident_subject: str = "Resolved: $incident_title"
    incident_email: str = (
        'Dear $customer_name,\n\nthe problem "$incident_title" is resolved.\n\n'
        "$resolution\n"
    )
    callback_note: str = "Call back about appeal $appeal_number: $comment"


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    subject: str
    body: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    id: NoticeId
    customer_id: uuid.UUID
    appeal_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    reason: NoticeReason
    channel: NoticeChannel
    address: str
    subject: str
    body: str
    status: NoticeStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


_CARD_CHANNELS: Mapping[str, NoticeChannel] = {
    "sms": NoticeChannel.SMS,
    "email": NoticeChannel.EMAIL,
    "phone": NoticeChannel.CALL,
}


def choose_route(point: ContactPoint) -> Route | None:
    """The first preferred channel the card has an address for; without a usable
    preference, SMS to a mobile, then e-mail. None when nothing reaches them (a
    call is only made when the customer asked for calls)."""
    for name in point.preferred_channels:
        channel = _CARD_CHANNELS.get(name)
        address = None if channel is None else _address(point, channel)
        if channel is not None and address is not None:
            return Route(channel=channel, address=address)
    for channel in (NoticeChannel.SMS, NoticeChannel.EMAIL):
        address = _address(point, channel)
        if address is not None:
            return Route(channel=channel, address=address)
    return None


def render(
    templates: Templates,
    reason: NoticeReason,
    channel: NoticeChannel,
    fields: Mapping[str, str],
) -> Text:
    """The subject and body for `reason` over `channel`, filled from `fields`."""
    if channel is NoticeChannel.CALL:
        body, subject = templates.callback_note, ""
    elif reason is NoticeReason.APPEAL_CLOSED:
        body = (
            templates.appeal_closed_email
            if channel is NoticeChannel.EMAIL
            else templates.appeal_closed_sms
        )
        subject = templates.appeal_closed_subject
    else:
        body = (
            templates.incident_email
            if channel is NoticeChannel.EMAIL
            else templates.incident_sms
        )
        subject = templates.incident_subject
    if channel is not NoticeChannel.EMAIL:
        subject = ""
    fill = Template(body).safe_substitute(fields).strip()
    return Text(subject=Template(subject).safe_substitute(fields).strip(), body=fill)


def appeal_number(appeal_id: uuid.UUID) -> str:
    """A short reference a person can read out: the id's first eight hex digits."""
    return appeal_id.hex[:8].upper()


def _address(point: ContactPoint, channel: NoticeChannel) -> str | None:
    candidates: Sequence[str]
    match channel:
        case NoticeChannel.SMS:
            candidates = point.mobiles
        case NoticeChannel.EMAIL:
            candidates = point.emails
        case NoticeChannel.CALL:
            candidates = point.phones
        case _ as unreachable:
            assert_never(unreachable)
    return next((c for c in candidates if c.strip()), None)
