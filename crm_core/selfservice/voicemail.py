"""Voicemail becomes an appeal: of a configurable topic, for the caller's customer
(none for a stranger, whose number is in the description), linked to the call's
contact when there is one, with the recording attached."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import select

from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.model import Appeal, TopicId
from crm_core.appeals.service import AppealInput, AppealService
from crm_core.appeals.tables import TopicRow
from crm_core.auth.model import system_actor
from crm_core.customers.tables import ContactRow
from crm_core.db import Sessions
from crm_core.selfservice.errors import TopicMissing

CHUNK_BYTES = 64 * 1024
OCTETS = "application/octet-stream"
MEDIA_TYPES = {".wav": "audio/wav", ".gsm": "audio/x-gsm", ".mp3": "audio/mpeg"}


class VoicemailService:
    def __init__(
        self, sessions: Sessions, appeals: AppealService, attachments: AttachmentService
    ) -> None:
        self._sessions = sessions
        self._appeals = appeals
        self._attachments = attachments

    async def leave(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: uuid.UUID | None,
        recording: Path,
        topic_code: str,
        fallback_topic: str | None = None,
    ) -> Appeal:
        """Create the appeal and attach `recording`. The appeal is kept when the
        recording is missing or empty (the caller's number still asks for a call
        back), and says so. Raises TopicMissing when neither `topic_code` nor
        `fallback_topic` is a topic, and what AppealService.create raises."""
        topic_id = await self._topic(topic_code, fallback_topic)
        size = await asyncio.to_thread(_size, recording)
        description = f"Voicemail from {ani or 'an unknown number'} (call {call_id})."
        if not size:
            description += " The recording is missing or empty."
        actor = system_actor()
        appeal = await self._appeals.create(
            actor,
            AppealInput(
                topic_id=topic_id,
                customer_id=customer_id,
                contact_id=await self._contact(call_id),
                description=description,
            ),
        )
        if size:
            media_type = MEDIA_TYPES.get(recording.suffix.lower(), OCTETS)
            await self._attachments.attach(
                actor, appeal.id, name=recording.name, media_type=media_type,
                chunks=_chunks(recording),
            )  # fmt: skip
        return appeal

    async def _topic(self, code: str, fallback: str | None) -> TopicId:
        codes = [code] if fallback is None or fallback == code else [code, fallback]
        async with self._sessions() as s:
            rows = {
                r.code: r
                for r in await s.scalars(
                    select(TopicRow).where(TopicRow.code.in_(codes))
                )
            }
        for wanted in codes:
            row = rows.get(wanted)
            if row is not None and row.active and not row.is_group:
                return TopicId(row.id)
        raise TopicMissing(f"no usable voicemail topic among {', '.join(codes)}")

    async def _contact(self, call_id: str) -> uuid.UUID | None:
        async with self._sessions() as s:
            return await s.scalar(
                select(ContactRow.id)
                .where(ContactRow.call_id == call_id)
                .order_by(ContactRow.started_at.desc())
                .limit(1)
            )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)
