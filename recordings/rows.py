"""The rows of the recordings table that the journal keeps: a started recording's
row, written once per call, and the call's recording closed when the call ends (the
file checked and attached to the call's contact and appeals). Idempotent per call
id: a record applied again after a crash changes nothing. No decisions."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime
from typing import assert_never

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm_core.db import Sessions
from recordings import storage
from recordings.events import RecordingReady, RecordingStarted
from recordings.model import Recording, RecordingId, RecordingStatus, closed_spans
from recordings.ports import CallContacts, Clock, Publisher
from recordings.storage import FileCheck, RecordingFiles
from recordings.tables import RecordingRow
from telephony.events import CallEnded

log = logging.getLogger(__name__)

EVENTS = (RecordingStarted, CallEnded)
"""What `RecordingRows.handle` takes, in order per call."""


def started(event: RecordingStarted) -> Recording:
    """The recording a RecordingStarted describes: being written, or missing when
    the PBX refused to start it."""
    return Recording(
        id=RecordingId(uuid.UUID(event.recording_id)), call_id=event.call_id,
        pbx_id=event.pbx_id, channel=event.channel, file_name=event.file_name,
        status=RecordingStatus.MISSING if event.problem else RecordingStatus.RECORDING,
        started_at=event.occurred_at, problem=event.problem,
    )  # fmt: skip


class RecordingRows:
    """Writes recording rows; `handle` is the journal's entry point for EVENTS."""

    def __init__(
        self,
        sessions: Sessions,
        files: RecordingFiles,
        clock: Clock,
        *,
        contacts: CallContacts,
        publisher: Publisher,
    ) -> None:
        self._sessions = sessions
        self._files = files
        self._clock = clock
        self._contacts = contacts
        self._publisher = publisher

    async def handle(self, event: RecordingStarted | CallEnded) -> None:
        match event:
            case RecordingStarted():
                await self.insert(started(event))
            case CallEnded():
                await self.close_call(event.call_id, ended_at=event.ended_at)
            case _:
                assert_never(event)

    async def insert(self, recording: Recording) -> bool:
        """Insert the recording; False if its call already has one."""
        try:
            async with self._sessions.begin() as s:
                if await storage.by_call(s, recording.call_id) is not None:
                    return False
                row = RecordingRow()
                storage.write_row(row, recording)
                s.add(row)
        except IntegrityError:
            return False
        return True

    async def close_call(self, call_id: str, *, ended_at: datetime) -> None:
        """Close the call's recording if one is still being written."""
        async with self._sessions() as s:
            row = await storage.by_call(s, call_id)
            current = None if row is None else storage.recording_from(row)
        if current is not None and current.status is RecordingStatus.RECORDING:
            await self.close(current, ended_at=ended_at)

    async def close(
        self, current: Recording, *, ended_at: datetime | None
    ) -> Recording:
        """Check the closed file and attach it to the call's contact and appeals;
        publishes RecordingReady. `ended_at` None (the end was never seen): when the
        file was last written. A missing, empty or damaged file is stored with that
        status and logged; no exception escapes for it."""
        check = await self._files.check(current.file_name)
        end = ended_at or max(
            current.started_at, check.modified_at or current.started_at
        )
        contact = await self._contacts.of_call(current.call_id)
        done = replace(
            closed_spans(current, at=end),
            ended_at=end, status=check.status,
            duration_s=check.duration_s, size_bytes=check.size_bytes,
            sha256=check.sha256, problem=check.problem,
            contact_id=None if contact is None else contact.contact_id,
            appeal_ids=() if contact is None else contact.appeal_ids,
        )  # fmt: skip
        await self.save(done)
        _log_attached(done, check)
        await self._publisher.publish(_ready(done, self._clock))
        return done

    async def save(self, *recordings: Recording) -> None:
        """Write every field of each recording onto its row, in one transaction."""
        ids = [r.id for r in recordings]
        async with self._sessions.begin() as s:
            rows = {
                r.id: r
                for r in await s.scalars(
                    select(RecordingRow).where(RecordingRow.id.in_(ids))
                )
            }
            for recording in recordings:
                row = rows.get(recording.id)
                assert row is not None, f"recording {recording.id} vanished"
                storage.write_row(row, recording)


def _log_attached(recording: Recording, check: FileCheck) -> None:
    if recording.status is RecordingStatus.READY:
        log.info(
            "recording=%s call=%s ready: %.1f s, %s bytes, contact=%s appeals=%d",
            recording.id, recording.call_id, check.duration_s, check.size_bytes,
            recording.contact_id, len(recording.appeal_ids),
        )  # fmt: skip
    else:
        log.warning(
            "recording=%s call=%s %s at attach: %s (contact=%s)",
            recording.id, recording.call_id, recording.status.value, check.problem,
            recording.contact_id,
        )  # fmt: skip


def _ready(recording: Recording, clock: Clock) -> RecordingReady:
    return RecordingReady(
        occurred_at=clock.now(), recording_id=str(recording.id),
        call_id=recording.call_id,
        contact_id=None if recording.contact_id is None else str(recording.contact_id),
        appeal_ids=tuple(str(a) for a in recording.appeal_ids),
        status=recording.status.value, duration_s=recording.duration_s,
        size_bytes=recording.size_bytes,
    )  # fmt: skip
