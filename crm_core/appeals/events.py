"""Events the appeals service publishes: created, changed (any workflow step or edit),
overdue. Fields are JSON primitives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealCreated:
    topic: ClassVar[str] = "appeal.created"
    occurred_at: datetime
    appeal_id: str
    topic_code: str
    customer_id: str | None
    contact_id: str | None
    parent_id: str | None
    stage: str
    queue: str | None
    actor_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealChanged:
    topic: ClassVar[str] = "appeal.changed"
    occurred_at: datetime
    appeal_id: str
    action: str
    """An AppealAction value: edit, take, assign, forward, reject, close, ..."""
    stage: str
    queue: str | None
    status: str
    assignee_id: str | None
    actor_id: str
    comment: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealOverdue:
    topic: ClassVar[str] = "appeal.overdue"
    occurred_at: datetime
    appeal_id: str
    stage: str
    queue: str | None
    deadline_at: datetime
    administrator_ids: tuple[str, ...]


AppealEvent = AppealCreated | AppealChanged | AppealOverdue
