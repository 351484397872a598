"""Search results, report tables and keyset cursors. Frozen data, no I/O."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from crm_core.appeals.model import AppealStatus
from crm_core.reports.errors import BadCursor

Cell = (
    str | int | float | Decimal | bool | date | datetime | timedelta | uuid.UUID | None
)
"""One value in a report or export row (datetime is a date too; a naive datetime
is a wall-clock time in a zone the report chose)."""


class SortOrder(StrEnum):
    CREATED_DESC = "created_desc"
    """Newest first."""
    DEADLINE_ASC = "deadline_asc"
    """Nearest deadline first; appeals without a deadline last."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    name: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A report: typed columns and rows of cells in column order."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealHit:
    """One appeal as a search lists it."""

    id: uuid.UUID
    topic_id: uuid.UUID
    stage: str
    queue: str | None
    status: AppealStatus
    assignee_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    customer_group: str | None
    description: str
    created_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    overdue: bool
    archived: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchPage:
    """One page; pass `next_cursor` (None on the last page) for the next one."""

    items: tuple[AppealHit, ...]
    next_cursor: str | None


HIT_COLUMNS = (
    Column(name="id", label="Appeal"),
    Column(name="topic_id", label="Topic"),
    Column(name="stage", label="Stage"),
    Column(name="queue", label="Queue"),
    Column(name="status", label="Status"),
    Column(name="assignee_id", label="Assignee"),
    Column(name="customer_id", label="Customer"),
    Column(name="description", label="Description"),
    Column(name="created_at", label="Created"),
    Column(name="deadline_at", label="Deadline"),
    Column(name="overdue", label="Overdue"),
)


def hit_row(hit: AppealHit) -> tuple[Cell, ...]:
    """A search hit as an export row, in HIT_COLUMNS order."""
    return (
        hit.id, hit.topic_id, hit.stage, hit.queue, hit.status.value,
        hit.assignee_id, hit.customer_id, hit.description, hit.created_at,
        hit.deadline_at, hit.overdue,
    )  # fmt: skip


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime (SQLite gives back naive ones that were stored in UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Cursor:
    """The sort key of the last row of a page: resume strictly after it."""

    sort: SortOrder
    key: datetime | None
    """created_at or deadline_at (None: an appeal without a deadline)."""
    id: uuid.UUID


def encode_cursor(cursor: Cursor) -> str:
    key = "" if cursor.key is None else utc(cursor.key).isoformat()
    raw = f"{cursor.sort.value}|{key}|{cursor.id.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, sort: SortOrder) -> Cursor:
    """The cursor, or BadCursor when it is garbage or was given out for another sort."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        sort_text, key_text, hex_id = raw.split("|")
        key = datetime.fromisoformat(key_text) if key_text else None
        cursor = Cursor(sort=SortOrder(sort_text), key=key, id=uuid.UUID(hex=hex_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor from None
    if cursor.sort is not sort or (key is None and sort is SortOrder.CREATED_DESC):
        raise BadCursor
    if key is not None and key.tzinfo is None:
        raise BadCursor
    return cursor


def cursor_after(hit: AppealHit, sort: SortOrder) -> Cursor:
    key = hit.created_at if sort is SortOrder.CREATED_DESC else hit.deadline_at
    return Cursor(sort=sort, key=key, id=hit.id)
