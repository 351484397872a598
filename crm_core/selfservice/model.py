"""Self-service records as values, and the reading check. Pure: no I/O, no clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NewType

from crm_core.errors import FieldError

CallbackId = NewType("CallbackId", uuid.UUID)

READING_MAX = Decimal("99999999.999")
"""Eight digits before the point, as the keypad flow accepts, plus three decimals."""


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterReading:
    id: uuid.UUID
    customer_id: uuid.UUID
    meter: str
    value: Decimal
    call_id: str | None
    taken_at: datetime
    flagged: bool
    """Stored although lower than the previous reading (a meter replaced or reset)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequest:
    id: CallbackId
    call_id: str
    ani: str
    customer_id: uuid.UUID | None
    queue: str
    note: str
    requested_at: datetime
    status: CallbackStatus
    attempts: int
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedCallback:
    """A callback the ACD gave up on after `attempts` tries at `number` (A5)."""

    call_id: str
    """The telephony call id of the call that asked for the callback."""
    queue: str
    number: str
    attempts: int
    gave_up_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyAnswer:
    call_id: str
    customer_id: uuid.UUID | None
    question: str
    answer: str
    channel: str
    answered_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenAppealFacts:
    """A customer's open appeal as a caller hears it."""

    appeal_id: uuid.UUID
    number: str
    status: str
    topic_code: str
    topic_name: str
    updated_at: datetime
    deadline_at: datetime | None


def reading_problem(
    value: Decimal, previous: Decimal | None, *, flagged: bool
) -> FieldError | None:
    """Why `value` cannot be stored after `previous`, or None. A reading lower than
    the previous one is refused unless flagged (a meter replaced or reset)."""
    if not value.is_finite() or value < 0:
        return FieldError("value", "must be zero or more")
    if value > READING_MAX:
        return FieldError("value", f"must be at most {READING_MAX}")
    if previous is not None and value < previous and not flagged:
        return FieldError("value", f"lower than the previous reading {previous}")
    return None


def appeal_number(appeal_id: uuid.UUID) -> str:
    """The short number a caller hears for an appeal: its id's first 8 hex digits."""
    return appeal_id.hex[:8].upper()
