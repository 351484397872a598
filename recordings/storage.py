"""Where recordings live: the files under the recordings directory (inspected and
removed off the event loop) and the rows of the recordings table. No decisions."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crm_core.appeals.tables import AppealRow
from crm_core.customers.contact_rows import contact_from
from crm_core.customers.tables import ContactRow, CustomerRow
from crm_core.db import AsyncSession, Sessions
from recordings.model import (
    BadWav,
    MutedSpan,
    Recording,
    RecordingId,
    RecordingStatus,
    wav_info,
)
from recordings.ports import CallContact
from recordings.tables import RecordingRow

HEADER_READ_BYTES = 4096
CHUNK_BYTES = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCheck:
    """What was found on disk for a recording."""

    status: RecordingStatus
    duration_s: float | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    problem: str = ""
    modified_at: datetime | None = None
    """When the file was last written (MixMonitor stops writing at the hang-up)."""


class RecordingFiles:
    """The recordings directory. MixMonitor writes there (the PBX must see the same
    directory, e.g. a shared volume); this class only reads and removes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, file_name: str) -> Path:
        path = (self.directory / file_name).resolve()
        if not path.is_relative_to(self.directory.resolve()):
            raise ValueError(f"file name {file_name!r} leaves the recordings directory")
        return path

    async def check(self, file_name: str) -> FileCheck:
        """Status, duration, size and SHA-256 of the file; never raises for a
        missing, unreadable or malformed file (that is the status)."""
        return await asyncio.to_thread(_check, self.path_of(file_name))

    async def remove(self, file_name: str) -> bool:
        """Delete the file; False if it was already gone."""
        path = self.path_of(file_name)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True


def _check(path: Path) -> FileCheck:
    try:
        with path.open("rb") as handle:
            modified_at = datetime.fromtimestamp(
                os.fstat(handle.fileno()).st_mtime, UTC
            )
            header = handle.read(HEADER_READ_BYTES)
            digest = hashlib.sha256(header)
            size = len(header)
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return FileCheck(status=RecordingStatus.MISSING, problem=f"no file {path}")
    except OSError as exc:
        return FileCheck(status=RecordingStatus.DAMAGED, problem=f"unreadable: {exc}")
    try:
        info = wav_info(header, size_bytes=size)
    except BadWav as exc:
        return FileCheck(
            status=RecordingStatus.DAMAGED, size_bytes=size,
            sha256=digest.hexdigest(), problem=str(exc), modified_at=modified_at,
        )  # fmt: skip
    status = RecordingStatus.READY if info.frames else RecordingStatus.EMPTY
    return FileCheck(
        status=status, duration_s=round(info.duration_s, 3), size_bytes=size,
        sha256=digest.hexdigest(), problem="" if info.frames else "no audio",
        modified_at=modified_at,
    )  # fmt: skip


class SqlCallContacts:
    """The CRM's contacts and appeals read from its tables (CallContacts).

    Read-only; the CRM owns these tables."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def of_call(self, call_id: str) -> CallContact | None:
        async with self._sessions() as s:
            row = await s.scalar(
                select(ContactRow).where(ContactRow.call_id == call_id)
            )
            return None if row is None else await _call_contact(s, row)

    async def of_contact(self, contact_id: uuid.UUID) -> CallContact | None:
        async with self._sessions() as s:
            row = await s.get(ContactRow, contact_id)
            return None if row is None else await _call_contact(s, row)


async def _call_contact(s: AsyncSession, row: ContactRow) -> CallContact:
    appeals = await s.scalars(
        select(AppealRow.id)
        .where(AppealRow.contact_id == row.id)
        .order_by(AppealRow.created_at, AppealRow.id)
    )
    group = None
    if row.customer_id is not None:
        group = await s.scalar(
            select(CustomerRow.customer_group).where(CustomerRow.id == row.customer_id)
        )
    agents = contact_from(row).agents
    return CallContact(
        contact_id=row.id,
        agent_ids=tuple(a.user_id for a in agents if a.user_id is not None),
        appeal_ids=tuple(appeals),
        customer_group=group,
    )


# rows ----------------------------------------------------------------------------


def aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def recording_from(row: RecordingRow) -> Recording:
    return Recording(
        id=RecordingId(row.id), call_id=row.call_id, pbx_id=row.pbx_id,
        channel=row.channel, file_name=row.file_name,
        status=RecordingStatus(row.status), started_at=aware(row.started_at),
        ended_at=None if row.ended_at is None else aware(row.ended_at),
        contact_id=row.contact_id,
        appeal_ids=tuple(uuid.UUID(a) for a in row.appeal_ids),
        duration_s=row.duration_s, size_bytes=row.size_bytes, sha256=row.sha256,
        muted_spans=tuple(_span(s) for s in row.muted_spans), problem=row.problem,
        deleted_at=None if row.deleted_at is None else aware(row.deleted_at),
    )  # fmt: skip


def write_row(row: RecordingRow, recording: Recording) -> None:
    """Copy every field of `recording` onto `row` (new or loaded)."""
    row.id = recording.id
    row.call_id = recording.call_id
    row.pbx_id = recording.pbx_id
    row.channel = recording.channel[:200]
    row.file_name = recording.file_name
    row.status = recording.status.value
    row.started_at = recording.started_at
    row.ended_at = recording.ended_at
    row.contact_id = recording.contact_id
    row.appeal_ids = [str(a) for a in recording.appeal_ids]
    row.duration_s = recording.duration_s
    row.size_bytes = recording.size_bytes
    row.sha256 = recording.sha256
    row.muted_spans = [_span_json(s) for s in recording.muted_spans]
    row.problem = recording.problem[:500]
    row.deleted_at = recording.deleted_at


def _span(data: dict[str, Any]) -> MutedSpan:
    end = data.get("ended_at")
    return MutedSpan(
        started_at=datetime.fromisoformat(str(data["started_at"])),
        ended_at=None if end is None else datetime.fromisoformat(str(end)),
    )


def _span_json(span: MutedSpan) -> dict[str, Any]:
    return {
        "started_at": span.started_at.isoformat(),
        "ended_at": None if span.ended_at is None else span.ended_at.isoformat(),
    }


async def by_call(s: AsyncSession, call_id: str) -> RecordingRow | None:
    row: RecordingRow | None = await s.scalar(
        select(RecordingRow).where(RecordingRow.call_id == call_id)
    )
    return row


async def listed(
    s: AsyncSession, *, call_id: str | None = None, contact_id: uuid.UUID | None = None
) -> Sequence[RecordingRow]:
    stmt = select(RecordingRow).order_by(RecordingRow.started_at, RecordingRow.id)
    if call_id is not None:
        stmt = stmt.where(RecordingRow.call_id == call_id)
    if contact_id is not None:
        stmt = stmt.where(RecordingRow.contact_id == contact_id)
    return (await s.scalars(stmt)).all()


async def of_contacts(
    s: AsyncSession, contact_ids: Collection[uuid.UUID]
) -> Sequence[RecordingRow]:
    """The recordings of any of `contact_ids`, oldest first."""
    stmt = (
        select(RecordingRow)
        .where(RecordingRow.contact_id.in_(contact_ids))
        .order_by(RecordingRow.started_at, RecordingRow.id)
    )
    return (await s.scalars(stmt)).all()


_NOT_CLOSED = (RecordingStatus.RECORDING.value, RecordingStatus.DELETED.value)


async def due_for_retention(
    s: AsyncSession, moment: datetime, *, limit: int
) -> Sequence[RecordingRow]:
    """The oldest `limit` closed recordings started before `moment` and not yet
    deleted (one still being written is never due)."""
    stmt = (
        select(RecordingRow)
        .where(
            RecordingRow.started_at < moment,
            RecordingRow.deleted_at.is_(None),
            RecordingRow.status.not_in(_NOT_CLOSED),
        )
        .order_by(RecordingRow.started_at, RecordingRow.id)
        .limit(limit)
    )
    return (await s.scalars(stmt)).all()


async def still_recording(
    s: AsyncSession, moment: datetime, *, limit: int
) -> Sequence[RecordingRow]:
    """The oldest `limit` recordings still marked `recording` that started before
    `moment`."""
    stmt = (
        select(RecordingRow)
        .where(
            RecordingRow.started_at < moment,
            RecordingRow.status == RecordingStatus.RECORDING.value,
        )
        .order_by(RecordingRow.started_at, RecordingRow.id)
        .limit(limit)
    )
    return (await s.scalars(stmt)).all()
