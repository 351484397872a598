"""What the IVR needs from the CRM: caller identification, lookups for self-service
and outage notices, and the writes a flow makes (meter readings, callbacks, survey
answers, voicemail appeals, outages heard). Contracts only: no I/O here.

Errors::

    IvrCrmError
    ├── CrmUnavailable     the CRM did not answer in time or failed; the runner
    │                      plays the flow's failure path or hands off to an agent
    └── ReadingRefused     a meter reading was rejected (lower than the previous
                           one, out of range, no such customer); `reason` says why
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Protocol
from uuid import UUID

from ivr.model import FieldValue, LookupKind

DEFAULT_METER = "main"
"""The meter a reading is for when the caller has one meter (the demo's case)."""


class IvrCrmError(Exception):
    """Base class of every CRM failure the IVR sees."""


class CrmUnavailable(IvrCrmError):
    """The CRM failed or timed out; the caller should not hear silence."""


class ReadingRefused(IvrCrmError):
    """A meter reading was not stored; `reason` is a stable key."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class OutageKind(StrEnum):
    PLANNED = "planned"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenAppeal:
    """The caller's most recently updated open appeal (offered first on entry)."""

    appeal_id: UUID
    number: str
    status: str
    topic: str
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveOutage:
    """An outage covering the caller's address or network node, now."""

    outage_id: UUID
    kind: OutageKind
    text: str
    """In the caller's language when the outage has one, else its default text."""
    starts_at: datetime
    expected_end: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerInfo:
    """Who is calling, as known before the first prompt.

    A stranger (or a number shared by several customers) has `customer_id` None and
    only `ani` set; an outage can still not be matched for them (no address).
    """

    ani: str
    customer_id: UUID | None = None
    name: str | None = None
    category: str | None = None
    vip: bool = False
    account: str | None = None
    balance: Decimal | None = None
    language: str | None = None
    """"en", "ru", ... when the CRM knows the caller's language."""
    city: str | None = None
    district: str | None = None
    building: str | None = None
    network_node: str | None = None
    open_appeal: OpenAppeal | None = None
    outage: ActiveOutage | None = None

    @property
    def known(self) -> bool:
        return self.customer_id is not None

    @property
    def address(self) -> str | None:
        parts = [p for p in (self.city, self.district, self.building) if p]
        return ", ".join(parts) or None

    def customer_fields(self) -> Mapping[str, FieldValue]:
        """The flow's `customer.*` fields (ivr.flow.CUSTOMER_FIELDS); empty for a
        stranger, so templates and rules see an unknown caller."""
        if self.customer_id is None:
            return {}
        first, _, last = (self.name or "").partition(" ")
        values: dict[str, FieldValue] = {
            "id": str(self.customer_id),
            "name": self.name,
            "first_name": first or None,
            "last_name": last or None,
            "category": self.category,
            "vip": self.vip,
            "account": self.account,
            "balance": self.balance,
            "address": self.address,
            "network_node": self.network_node,
            "language": self.language,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupAnswer:
    """A lookup's result; `fields` are those ivr.flow.LOOKUP_FIELDS declares for the
    kind (balance: amount, currency, as_of, due_date; appeal_status: number, status,
    topic, updated_at; order_status: number, status, expected_on; outage: active,
    kind, text, expected_end, plus outage_id for `outage_heard`). `found` False
    means the flow's failure exit; an outage lookup is found with active False when
    nothing covers the caller."""

    found: bool
    fields: Mapping[str, FieldValue] = field(default_factory=dict)


class IvrCrm(Protocol):
    """The CRM as the IVR runner sees it. Every method may raise CrmUnavailable."""

    async def caller(self, ani: str, *, call_id: str) -> CallerInfo:
        """Identify the caller from `ani` before the first prompt, with their open
        appeal and any outage active now at their address or network node."""
        ...

    async def lookup(
        self, kind: LookupKind, params: Mapping[str, str], caller: CallerInfo
    ) -> LookupAnswer:
        """Answer a flow's lookup node. `params` are the interpreter's (call_id,
        caller, and customer_id, account, address, network_node when known)."""
        ...

    async def store_meter_reading(
        self,
        customer_id: UUID,
        *,
        value: Decimal,
        call_id: str,
        at: datetime,
        meter: str = DEFAULT_METER,
    ) -> None:
        """Store a reading on the customer. Raises ReadingRefused when it is lower
        than the previous reading of the same meter, negative or too large."""
        ...

    async def register_callback(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: UUID | None,
        queue: str,
        note: str = "",
    ) -> UUID:
        """Register a pending callback request for the ACD; returns its id."""
        ...

    async def store_survey_answer(
        self,
        *,
        call_id: str,
        customer_id: UUID | None,
        question: str,
        answer: str,
        channel: str = "dtmf",
    ) -> None:
        """Store one survey answer (question code, answer value) of the call."""
        ...

    async def leave_voicemail(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: UUID | None,
        recording: Path,
        topic_code: str,
    ) -> UUID:
        """Create an appeal of topic `topic_code` for the caller's customer (none for
        a stranger, whose number goes in the description) with the recording
        attached; returns the appeal id."""
        ...

    async def outage_heard(self, *, call_id: str, outage_id: UUID) -> None:
        """Record that the call played the outage notice to the caller."""
        ...
