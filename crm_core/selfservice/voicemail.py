"""Voicemail becomes an appeal: of a configurable topic, for the caller's customer
(none for a stranger, whose number is in the description), linked to the call's
contact when there is one, with the recording attached."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from crm_core.appeals.attachments import AttachmentService
from crm_core.appeals.model import Appeal
from crm_core.appeals.service import AppealService
from crm_core.auth.model import system_actor
from crm_core.db import Sessions
from crm_core.selfservice.call_appeals import open_call_appeal

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
        size = await asyncio.to_thread(_size, recording)
        description = f"Voicemail from {ani or 'an unknown number'} (call {call_id})."
        if not size:
            description += " The recording is missing or empty."
        appeal = await open_call_appeal(
            self._sessions, self._appeals, call_id=call_id, customer_id=customer_id,
            description=description, topic_code=topic_code,
            fallback_topic=fallback_topic,
        )  # fmt: skip
        if size:
            media_type = MEDIA_TYPES.get(recording.suffix.lower(), OCTETS)
            await self._attachments.attach(
                system_actor(), appeal.id, name=recording.name, media_type=media_type,
                chunks=_chunks(recording),
            )  # fmt: skip
        return appeal


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
