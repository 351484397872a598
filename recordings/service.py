"""The recordings service: MixMonitor on the caller's channel when a call is
bridged, pause and resume, attach the closed file to the CRM when the call ends,
playback checks with an audit entry, and retention. Decisions live in model.py and
retention.py; this module carries them out."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import assert_never

from crm_core.appeals.events import AppealCreated
from crm_core.auth.model import Actor, Permission
from crm_core.auth.store import write_audit
from crm_core.db import Sessions
from crm_core.errors import Forbidden
from recordings import storage
from recordings.errors import NotRecording, RecordingNotFound, RecordingUnavailable
from recordings.events import RecordingMuted, RecordingStarted
from recordings.model import (
    PLAYABLE,
    Recording,
    RecordingStatus,
    file_name_for,
    may_hear,
    may_mute,
    muted,
    unmuted,
    with_appeal,
)
from recordings.ports import CallAgents, CallContacts, Clock, Publisher
from recordings.retention import RetentionPolicy, cutoff, expired
from recordings.rows import RecordingRows
from recordings.storage import RecordingFiles
from recordings.tables import RecordingRow
from telephony.errors import PbxError
from telephony.events import CallBridged, CallEnded
from telephony.model import PbxId
from telephony.ports import PbxPort

log = logging.getLogger(__name__)

RETENTION_BATCH = 500
STUCK_AFTER = timedelta(hours=6)
"""A recording still marked `recording` this long after it started belongs to a
call whose end was never seen (no call lasts this long): retention closes it."""

Keep = Callable[[RecordingStarted | CallEnded], Awaitable[None]]
"""Where the service hands the rows to write: recordings.rows.RecordingRows.handle,
behind the journal in production so that the database never holds a recording."""

EVENTS = (CallBridged, CallEnded, AppealCreated)
"""What `RecordingService.handle` takes: subscribe it to all of them with one
mailbox (`bus.subscribe_all`), so a call's bridge is handled before its end."""


class _NoPublisher:
    async def publish(self, event: object) -> None:
        return None


class _NobodyOnCalls:
    def is_on_call(self, agent_login: str, call_id: str) -> bool:
        return False


class RecordingService:
    """Records every bridged call (R1) and attaches it to the CRM (R2)."""

    def __init__(
        self,
        sessions: Sessions,
        pbx: PbxPort,
        files: RecordingFiles,
        clock: Clock,
        *,
        contacts: CallContacts,
        publisher: Publisher | None = None,
        pbx_directory: str | None = None,
        agents: CallAgents | None = None,
        keep: Keep | None = None,
    ) -> None:
        """`pbx_directory`: where the PBX sees the recordings directory, if it
        mounts it elsewhere (default: the same absolute path). `agents` says who
        is on a live call (without it only supervisors may pause recordings).
        `keep`: where the rows of started and ended recordings go (default:
        written at once)."""
        self._sessions = sessions
        self._pbx = pbx
        self._files = files
        self._clock = clock
        self._contacts = contacts
        self._publisher: Publisher = publisher or _NoPublisher()
        self._pbx_directory = pbx_directory
        self._agents: CallAgents = agents or _NobodyOnCalls()
        self._rows = RecordingRows(
            sessions, files, clock, contacts=contacts, publisher=self._publisher
        )
        self._keep: Keep = keep or self._rows.handle
        self._recording: set[str] = set()
        """Calls whose recording this run started, until they end."""

    async def handle(self, event: CallBridged | CallEnded | AppealCreated) -> None:
        """The bus entry point for EVENTS, in publish order."""
        match event:
            case CallBridged():
                await self.on_call_bridged(event)
            case CallEnded():
                await self.on_call_ended(event)
            case AppealCreated():
                await self.on_appeal_created(event)
            case _:
                assert_never(event)

    # recording ------------------------------------------------------------------

    async def on_call_bridged(self, event: CallBridged) -> None:
        """Start MixMonitor on the caller's channel, once per call, then hand the
        recording's row to `keep`: the database never delays or stops a recording.
        MixMonitor stays on that channel through Local channel optimisation,
        transfers and consultations, so the file keeps growing. A PBX refusal is
        logged and kept on the row (status missing), never raised."""
        channel = event.caller_channel
        if event.call_id in self._recording:
            return
        self._recording.add(event.call_id)
        recording_id, file_name = uuid.uuid4(), file_name_for(event.call_id)
        problem = ""
        try:
            await self._pbx.mix_monitor(
                event.pbx_id, channel=channel, file=self._pbx_path(file_name)
            )
        except PbxError as exc:
            problem = f"MixMonitor refused: {exc}"
            log.warning(
                "recording=%s call=%s MixMonitor refused on %s: %s",
                recording_id, event.call_id, channel, exc,
            )  # fmt: skip
        else:
            log.info(
                "recording=%s call=%s started on %s file=%s",
                recording_id, event.call_id, channel, file_name,
            )  # fmt: skip
        await self._keep(
            RecordingStarted(
                occurred_at=event.occurred_at, recording_id=str(recording_id),
                call_id=event.call_id, pbx_id=event.pbx_id, channel=channel,
                file_name=file_name, problem=problem,
            )
        )  # fmt: skip

    async def set_muted(self, actor: Actor, call_id: str, *, muted_: bool) -> Recording:
        """Pause (card details being read out) or resume the call's recording; the
        gap is stored as a muted span and the change audit-logged. Only the agent
        on the call and supervisors may. Raises Forbidden for anyone else,
        NotRecording when no recording runs for the call, PbxError when the PBX
        refuses."""
        on_the_call = self._agents.is_on_call(actor.login, call_id)
        if not may_mute(actor, on_the_call=on_the_call):
            log.warning("call=%s recording pause refused to %s", call_id, actor.login)
            raise Forbidden(f"{actor.login} is not on call {call_id}")
        async with self._sessions() as s:
            row = await storage.by_call(s, call_id)
            current = None if row is None else storage.recording_from(row)
        if current is None or current.status is not RecordingStatus.RECORDING:
            raise NotRecording(f"no recording runs for call {call_id}")
        if current.muted == muted_:
            return current
        await self._pbx.mute_mix_monitor(
            PbxId(current.pbx_id), channel=current.channel, muted=muted_
        )
        now = self._clock.now()
        changed = muted(current, at=now) if muted_ else unmuted(current, at=now)
        await self._save(changed)
        await self._audit_mute(actor, changed, on_the_call=on_the_call, at=now)
        await self._publisher.publish(
            RecordingMuted(
                occurred_at=now, recording_id=str(current.id), call_id=call_id,
                muted=muted_,
            )
        )  # fmt: skip
        return changed

    async def on_call_ended(self, event: CallEnded) -> None:
        """Hand the call's end to `keep`, which checks the closed file and attaches
        it to the call's contact and appeals (RecordingRows.close_call)."""
        self._recording.discard(event.call_id)
        await self._keep(event)

    async def on_appeal_created(self, event: AppealCreated) -> None:
        """Attach the recordings of the appeal's contact to an appeal registered
        after the call's recording was attached (during wrap-up). Idempotent."""
        if event.contact_id is None:
            return
        contact_id, appeal_id = uuid.UUID(event.contact_id), uuid.UUID(event.appeal_id)
        async with self._sessions() as s:
            rows = await storage.listed(s, contact_id=contact_id)
            found = [storage.recording_from(r) for r in rows]
        for recording in found:
            linked = with_appeal(recording, appeal_id)
            if linked is not recording:
                await self._save(linked)
                log.info(
                    "recording=%s call=%s attached to appeal=%s",
                    recording.id, recording.call_id, appeal_id,
                )  # fmt: skip

    # reading --------------------------------------------------------------------

    async def find(
        self,
        actor: Actor,
        *,
        call_id: str | None = None,
        contact_id: uuid.UUID | None = None,
    ) -> list[Recording]:
        """The recordings of a call or a contact that `actor` may hear."""
        _require_listen(actor)
        async with self._sessions() as s:
            rows = await storage.listed(s, call_id=call_id, contact_id=contact_id)
            found = [storage.recording_from(r) for r in rows]
        return [r for r in found if await self._hears(actor, r)]

    async def of_contacts(
        self, actor: Actor, contact_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[Recording]]:
        """The recordings `actor` may hear of each of `contact_ids` (a page of a
        call log), read at once; a contact with none is left out."""
        _require_listen(actor)
        if not contact_ids:
            return {}
        async with self._sessions() as s:
            rows = await storage.of_contacts(s, contact_ids)
            found = [storage.recording_from(r) for r in rows]
        heard: dict[uuid.UUID, list[Recording]] = {}
        for recording in found:
            if recording.contact_id is not None and await self._hears(actor, recording):
                heard.setdefault(recording.contact_id, []).append(recording)
        return heard

    async def get(self, actor: Actor, recording_id: uuid.UUID) -> Recording:
        """Raises RecordingNotFound, or Forbidden when it is not the actor's call."""
        _require_listen(actor)
        async with self._sessions() as s:
            row = await s.get(RecordingRow, recording_id)
            found = None if row is None else storage.recording_from(row)
        if found is None:
            raise RecordingNotFound(f"no recording {recording_id}")
        if not await self._hears(actor, found):
            raise Forbidden(f"{actor.login} may not hear recording {recording_id}")
        return found

    async def open_audio(
        self, actor: Actor, recording_id: uuid.UUID, *, detail: str = ""
    ) -> tuple[Recording, Path]:
        """The recording and its file for playback, after the rights check; writes
        an audit entry (`recording.listen`, with `detail`, e.g. the byte range).

        Raises RecordingNotFound, Forbidden, RecordingUnavailable (missing, damaged
        or deleted file)."""
        found = await self.get(actor, recording_id)
        path = self._files.path_of(found.file_name)
        if found.status in PLAYABLE and not await asyncio.to_thread(path.is_file):
            log.warning("recording=%s call=%s file gone", found.id, found.call_id)
            found = replace(found, status=RecordingStatus.MISSING, problem="file gone")
            await self._save(found)
        async with self._sessions.begin() as s:
            write_audit(
                s, actor, "recording.listen", at=self._clock.now(),
                object_type="recording", object_id=found.id,
                details={"call_id": found.call_id, "status": found.status.value,
                         "detail": detail[:200]},
            )  # fmt: skip
        if found.status not in PLAYABLE:
            raise RecordingUnavailable(
                f"recording {found.id} is {found.status.value}: {found.problem}",
                status=found.status.value,
            )
        return found, path

    # retention ------------------------------------------------------------------

    async def close_stuck(self) -> int:
        """Close the recordings still marked `recording` long after their call must
        have ended (its end was never seen): the file is checked and attached as at
        a hang-up, ended when it was last written. Returns how many were closed."""
        before = self._clock.now() - STUCK_AFTER
        closed = 0
        while True:
            async with self._sessions() as s:
                rows = await storage.still_recording(s, before, limit=RETENTION_BATCH)
                stuck = [storage.recording_from(r) for r in rows]
            for recording in stuck:
                log.warning(
                    "recording=%s call=%s still recording %s after it started: "
                    "closed by retention",
                    recording.id, recording.call_id, STUCK_AFTER,
                )  # fmt: skip
                self._recording.discard(recording.call_id)
                await self._rows.close(recording, ended_at=None)
            closed += len(stuck)
            if len(stuck) < RETENTION_BATCH:
                return closed

    async def purge(self, policy: RetentionPolicy) -> int:
        """Delete the files of every recording past the policy's age, a batch at a
        time, and mark their rows deleted; logs each one. Returns how many were
        removed. A recording still being written is never removed."""
        now = self._clock.now()
        before = cutoff(policy, now=now)
        if before is None:
            return 0
        removed = 0
        while True:
            async with self._sessions() as s:
                rows = await storage.due_for_retention(s, before, limit=RETENTION_BATCH)
                candidates = {r.id: storage.recording_from(r) for r in rows}
            chosen = expired(list(candidates.values()), policy, now=now)
            gone = [await self._remove(candidates[i], now=now) for i in chosen]
            await self._rows.save(*gone)
            removed += len(gone)
            if not gone or len(candidates) < RETENTION_BATCH:
                return removed

    async def _remove(self, recording: Recording, *, now: datetime) -> Recording:
        had_file = await self._files.remove(recording.file_name)
        log.info(
            "recording=%s call=%s removed by retention (started %s, file %s)",
            recording.id, recording.call_id, recording.started_at.isoformat(),
            recording.file_name if had_file else "already gone",
        )  # fmt: skip
        return replace(recording, status=RecordingStatus.DELETED, deleted_at=now)

    async def run_retention(self, policy: RetentionPolicy, *, every_s: float) -> None:
        """Close stuck recordings and purge every `every_s` seconds until cancelled
        (own it with a TaskGroup or aiohttp's cleanup_ctx). A failed pass is logged
        and retried next time."""
        while True:
            try:
                await self.close_stuck()
                await self.purge(policy)
            except Exception:
                log.exception("recording retention pass failed")
            await asyncio.sleep(every_s)

    # internals ------------------------------------------------------------------

    async def _audit_mute(
        self, actor: Actor, recording: Recording, *, on_the_call: bool, at: datetime
    ) -> None:
        action = "pause" if recording.muted else "resume"
        async with self._sessions.begin() as s:
            write_audit(
                s, actor, f"recording.{action}", at=at, object_type="recording",
                object_id=recording.id,
                details={"call_id": recording.call_id, "on_the_call": on_the_call},
            )  # fmt: skip
        log.info(
            "recording=%s call=%s %s by %s at %s",
            recording.id, recording.call_id, action, actor.login, at.isoformat(),
        )  # fmt: skip

    async def _hears(self, actor: Actor, recording: Recording) -> bool:
        contact = await self._contacts.of_call(recording.call_id)
        return may_hear(
            actor,
            agent_ids=() if contact is None else contact.agent_ids,
            customer_group=None if contact is None else contact.customer_group,
        )

    def _pbx_path(self, file_name: str) -> str:
        if self._pbx_directory is not None:
            return str(PurePosixPath(self._pbx_directory) / file_name)
        return str(self._files.path_of(file_name))

    async def _save(self, recording: Recording) -> None:
        await self._rows.save(recording)


def _require_listen(actor: Actor) -> None:
    if not (
        actor.can(Permission.RECORDING_LISTEN_ALL)
        or actor.can(Permission.RECORDING_LISTEN_OWN)
    ):
        raise Forbidden(f"{actor.login} ({actor.role}) may not hear recordings")
