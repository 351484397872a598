"""The appeals domain: topics, attribute definitions, dictionaries, contact templates,
route definitions, appeals and their history. Frozen data, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NewType

TopicId = NewType("TopicId", uuid.UUID)
AppealId = NewType("AppealId", uuid.UUID)
RouteId = NewType("RouteId", uuid.UUID)

AttrValue = str | Decimal | bool | date | None
"""An attribute value: string or dictionary code, decimal, boolean or date."""


class AttributeKind(StrEnum):
    DATE = "date"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    STRING = "string"
    DICTIONARY = "dictionary"


class AppealStatus(StrEnum):
    WAITING = "waiting"
    IN_PROGRESS = "in_progress"
    REJECTED_BACK = "rejected_back"
    CLOSED = "closed"


class AppealAction(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    TAKE = "take"
    ASSIGN = "assign"
    FORWARD = "forward"
    REJECT = "reject"
    CLOSE = "close"
    REOPEN = "reopen"
    SET_DEADLINE = "set_deadline"
    OVERDUE = "overdue"
    ARCHIVE = "archive"
    ATTACH = "attach"


@dataclass(frozen=True, slots=True, kw_only=True)
class Topic:
    id: TopicId
    parent_id: TopicId | None
    code: str
    name: str
    is_group: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DictionaryItem:
    code: str
    label: str
    active: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Dictionary:
    code: str
    name: str
    items: tuple[DictionaryItem, ...] = ()

    def offers(self, code: str) -> bool:
        return any(item.code == code and item.active for item in self.items)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeDef:
    """A typed extra attribute. Each flag, when set, may be limited by a rule
    (`*_when`):
    the flag applies only while its rule holds."""

    code: str
    label: str
    kind: AttributeKind
    dictionary_code: str | None = None
    default_value: AttrValue = None
    default_rule: str | None = None
    """A rules expression computing the default (e.g. `today() + 3`)."""
    required: bool = False
    required_when: str | None = None
    hidden: bool = False
    hidden_when: str | None = None
    read_only: bool = False
    read_only_when: str | None = None
    active: bool = True
    """Inactive attributes stay on old appeals but are not offered on new ones."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactTemplate:
    """An operator's form defaults (C4)."""

    user_id: uuid.UUID
    place: str | None = None
    channel: str | None = None
    allowed_topic_ids: frozenset[TopicId] = frozenset()
    """Empty means every topic."""
    default_topic_id: TopicId | None = None
    default_category: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Queue:
    """A stage's work queue. The first queue whose `when` rule holds (or that has none)
    receives the appeal."""

    name: str
    members: frozenset[uuid.UUID] = frozenset()
    administrators: frozenset[uuid.UUID] = frozenset()
    when: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    name: str
    to_stage: str
    guard: str | None = None
    """A rule that must hold to take this transition; None always holds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    code: str
    name: str
    queues: tuple[Queue, ...]
    transitions: tuple[Transition, ...] = ()
    deadline_s: int | None = None
    closing_allowed: bool = False

    def queue(self, name: str | None) -> Queue | None:
        return next((q for q in self.queues if q.name == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One version of a topic's workflow route; appeals start at the first stage."""

    id: RouteId
    topic_id: TopicId
    version: int
    name: str
    stages: tuple[Stage, ...]

    def stage(self, code: str) -> Stage:
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise KeyError(code)


@dataclass(frozen=True, slots=True, kw_only=True)
class Appeal:
    id: AppealId
    topic_id: TopicId
    route_id: RouteId
    stage: str
    queue: str | None
    status: AppealStatus
    assignee_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    parent_id: AppealId | None
    customer_category: str | None
    customer_group: str | None
    description: str
    attributes: dict[str, AttrValue] = field(default_factory=dict)
    stage_path: tuple[str, ...]
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    overdue: bool = False
    overdue_at: datetime | None = None
    closed_at: datetime | None = None
    archived: bool = False
    archived_at: datetime | None = None
    version: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One step of an appeal's life."""

    at: datetime
    actor_id: uuid.UUID
    actor_login: str
    action: AppealAction
    from_stage: str | None = None
    from_queue: str | None = None
    from_status: AppealStatus | None = None
    from_assignee_id: uuid.UUID | None = None
    to_stage: str | None = None
    to_queue: str | None = None
    to_status: AppealStatus | None = None
    to_assignee_id: uuid.UUID | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What a workflow operation produced: the new appeal state and its history row."""

    appeal: Appeal
    entry: HistoryEntry
