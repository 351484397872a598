"""Events the customer service publishes when a call meets the CRM (T1, C2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerIdentified:
    """A call's ANI was looked up: `customer_ids` holds none, one or several."""

    topic: ClassVar[str] = "caller.identified"
    occurred_at: datetime
    call_id: str
    ani: str
    customer_ids: tuple[str, ...]
    contact_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactOpened:
    topic: ClassVar[str] = "contact.opened"
    occurred_at: datetime
    contact_id: str
    customer_id: str | None
    channel: str
    call_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactClosed:
    topic: ClassVar[str] = "contact.closed"
    occurred_at: datetime
    contact_id: str
    customer_id: str | None
    channel: str
    call_id: str | None


CustomerEvent = CallerIdentified | ContactOpened | ContactClosed
