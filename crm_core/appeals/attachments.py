"""File attachments of appeals (C7): any type up to a configured size, streamed to a
content-addressed directory (by SHA-256) outside the database; the table keeps name,
media type, size, checksum, who and when. A file over the limit is refused with a
message naming the limit and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from crm_core.appeals import store
from crm_core.appeals.errors import AttachmentTooLarge
from crm_core.appeals.model import AppealAction, HistoryEntry
from crm_core.appeals.ports import Clock
from crm_core.appeals.tables import AttachmentRow
from crm_core.appeals.workflow import visible
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.db import Sessions
from crm_core.errors import FieldError, NotFound, ValidationFailed


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    id: uuid.UUID
    appeal_id: uuid.UUID
    name: str
    media_type: str
    size_bytes: int
    sha256: str
    created_by: uuid.UUID
    created_at: datetime


class AttachmentService:
    def __init__(
        self, sessions: Sessions, clock: Clock, *, directory: Path, max_bytes: int
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._directory = directory
        self._max_bytes = max_bytes

    async def attach(
        self,
        actor: Actor,
        appeal_id: uuid.UUID,
        *,
        name: str,
        media_type: str,
        chunks: AsyncIterable[bytes],
    ) -> Attachment:
        """Stream `chunks` to the store and record the file on the appeal.

        Needs appeal.edit. Raises AppealNotFound, ValidationFailed for an empty name,
        AttachmentTooLarge (naming the limit) once the stream passes the limit."""
        require(actor, Permission.APPEAL_EDIT)
        if not name.strip() or len(name) > 255:
            raise ValidationFailed([FieldError("name", "must be 1 to 255 characters")])
        await self._visible(actor, appeal_id)
        digest, size = await self._store(chunks)
        now = self._clock.now()
        row = AttachmentRow(
            id=uuid.uuid4(), appeal_id=appeal_id, name=name, media_type=media_type,
            size_bytes=size, sha256=digest, created_by=actor.user_id, created_at=now,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            s.add(row)
            entry = HistoryEntry(
                at=now, actor_id=actor.user_id, actor_login=actor.login,
                action=AppealAction.ATTACH, comment=f"{name} ({size} bytes)",
            )  # fmt: skip
            store.add_history(s, appeal_id, entry)
        return _attachment(row)

    async def list(self, actor: Actor, appeal_id: uuid.UUID) -> list[Attachment]:
        require(actor, Permission.APPEAL_READ)
        await self._visible(actor, appeal_id)
        async with self._sessions() as s:
            rows = await s.scalars(
                select(AttachmentRow)
                .where(AttachmentRow.appeal_id == appeal_id)
                .order_by(AttachmentRow.created_at, AttachmentRow.name)
            )
            return [_attachment(r) for r in rows]

    async def open(
        self, actor: Actor, attachment_id: uuid.UUID
    ) -> tuple[Attachment, Path]:
        """The attachment and the path of its bytes (for a streaming response)."""
        require(actor, Permission.APPEAL_READ)
        async with self._sessions() as s:
            row = await s.get(AttachmentRow, attachment_id)
        if row is None:
            raise NotFound(f"no attachment {attachment_id}")
        await self._visible(actor, row.appeal_id)
        return _attachment(row), self.path_of(row.sha256)

    @property
    def max_bytes(self) -> int:
        """The largest file accepted."""
        return self._max_bytes

    def path_of(self, sha256: str) -> Path:
        return self._directory / sha256[:2] / sha256

    async def _visible(self, actor: Actor, appeal_id: uuid.UUID) -> None:
        async with self._sessions() as s:
            appeal = await store.get_appeal(s, appeal_id)
        visible(actor, appeal_id, appeal)

    async def _store(self, chunks: AsyncIterable[bytes]) -> tuple[str, int]:
        await asyncio.to_thread(self._directory.mkdir, parents=True, exist_ok=True)
        partial = self._directory / f".upload-{uuid.uuid4().hex}"
        handle = await asyncio.to_thread(partial.open, "wb")
        digest = hashlib.sha256()
        size = 0
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > self._max_bytes:
                    raise AttachmentTooLarge(self._max_bytes)
                digest.update(chunk)
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(_move, partial, self.path_of(digest.hexdigest()))
        finally:
            if not handle.closed:
                await asyncio.to_thread(handle.close)
            await asyncio.to_thread(partial.unlink, missing_ok=True)
        return digest.hexdigest(), size


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _attachment(row: AttachmentRow) -> Attachment:
    return Attachment(
        id=row.id, appeal_id=row.appeal_id, name=row.name, media_type=row.media_type,
        size_bytes=row.size_bytes, sha256=row.sha256, created_by=row.created_by,
        created_at=store.aware(row.created_at),
    )  # fmt: skip
