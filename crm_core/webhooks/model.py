"""Webhook kinds, the retry schedule, and signing. Pure: no I/O, no clock.

A delivery's body is signed as HMAC-SHA256(secret, "<timestamp>." + body); the
timestamp is signed too, so a captured request cannot be replayed later with a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

SIGNATURE_HEADER = "X-CC-Webhook-Signature"
TIMESTAMP_HEADER = "X-CC-Webhook-Timestamp"
ID_HEADER = "X-CC-Webhook-Id"
EVENT_HEADER = "X-CC-Webhook-Event"


class WebhookKind(StrEnum):
    CONTACT_OPENED = "contact.opened"
    CONTACT_CLOSED = "contact.closed"
    APPEAL_CREATED = "appeal.created"
    APPEAL_CHANGED = "appeal.changed"
    APPEAL_OVERDUE = "appeal.overdue"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """Given up after the last attempt."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    first_delay_s: float = 10.0
    factor: float = 2.0
    max_delay_s: float = 3600.0
    max_attempts: int = 10
    timeout_s: float = 10.0
    """How long one POST may take, connection included."""


def next_attempt_at(
    attempts: int, now: datetime, policy: RetryPolicy
) -> datetime | None:
    """When to try again after `attempts` failed tries; None once they are used up."""
    if attempts >= policy.max_attempts:
        return None
    delay = policy.first_delay_s * policy.factor ** (attempts - 1)
    return now + timedelta(seconds=min(delay, policy.max_delay_s))


def jsonable(payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` as plain JSON data (UUIDs, datetimes, Decimals become strings)."""
    loaded: dict[str, Any] = json.loads(json.dumps(payload, default=_default))
    return loaded


def _default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def body_of(
    delivery_id: uuid.UUID, kind: str, created_at: datetime, payload: Mapping[str, Any]
) -> bytes:
    """The bytes POSTed for a delivery; the same on every attempt."""
    document = {
        "id": str(delivery_id),
        "kind": kind,
        "created_at": created_at.isoformat(),
        "data": payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(
    *, secret: str, delivery_id: uuid.UUID, kind: str, now: datetime, body: bytes
) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        ID_HEADER: str(delivery_id),
        EVENT_HEADER: kind,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: datetime,
    tolerance_s: float = 300,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
        signature = headers[SIGNATURE_HEADER]
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    id: uuid.UUID
    url: str
    kinds: frozenset[WebhookKind]
    description: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    id: uuid.UUID
    subscription_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    number: int
    at: datetime
    status: int | None
    error: str | None
    duration_ms: int
