"""Recording retention over a migrated database (SQLite and PostgreSQL) and real
files: recordings whose end was never seen are closed and attached, a pass removes
every recording due a batch at a time, and MixMonitor never waits for the database."""

from __future__ import annotations

import asyncio
import uuid
import wave
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from crm_core.auth.model import system_actor
from crm_core.db import Sessions, make_engine, make_sessions
from recordings import service as service_module
from recordings.events import RecordingReady, RecordingStarted
from recordings.model import Recording, RecordingStatus, file_name_for
from recordings.ports import CallContact
from recordings.retention import RetentionPolicy
from recordings.service import Keep, RecordingService
from recordings.storage import RecordingFiles
from telephony.events import CallBridged, CallEnded
from telephony.model import CallId, Direction, EndReason, PbxId
from tests.fakes import FakeClock, RecordingPublisher
from tests.integration.recordings.fakes import FakeCallContacts, FakePbx
from tests.servers import free_port
from tests.waiting import eventually

PBX = PbxId("pbx1")
CALLER = "Local/2001@cc-inbound-00000004;2"
AGENT_LEG = "Local/1001@cc-agentphone-00000005;1"
KEEP_30_DAYS = RetentionPolicy(keep_days=30)


@dataclass
class Rig:
    service: RecordingService
    pbx: FakePbx
    contacts: FakeCallContacts
    clock: FakeClock
    published: RecordingPublisher
    directory: Path

    def bridged(self, call_id: str) -> CallBridged:
        return CallBridged(
            occurred_at=self.clock.now(), call_id=CallId(call_id), pbx_id=PBX,
            bridge_id="b1", channels=(AGENT_LEG, CALLER),
        )  # fmt: skip

    def ended(self, call_id: str) -> CallEnded:
        now = self.clock.now()
        return CallEnded(
            occurred_at=now, call_id=CallId(call_id), pbx_id=PBX,
            direction=Direction.INBOUND, ani="+74951234567", dnis="2001",
            arrived_at=now - timedelta(seconds=60), answered_at=now,
            bridged_at=now, ended_at=now, hangup_cause=16,
            hangup_cause_text="Normal Clearing", reason=EndReason.HANGUP,
        )  # fmt: skip

    def write_wav(self, call_id: str, seconds: float = 1.0) -> Path:
        path = self.directory / file_name_for(call_id)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x10\x00" * int(8000 * seconds))
        return path

    async def recording(self, call_id: str) -> Recording:
        [found] = await self.service.find(system_actor(), call_id=call_id)
        return found

    async def recorded(self, *call_ids: str, ended: bool = True) -> None:
        """Calls bridged and recorded; their ends seen only when `ended`."""
        for call_id in call_ids:
            await self.service.on_call_bridged(self.bridged(call_id))
            self.write_wav(call_id)
            if ended:
                await self.service.on_call_ended(self.ended(call_id))


def make_rig(sessions: Sessions, directory: Path, *, keep: Keep | None = None) -> Rig:
    pbx, contacts, clock = FakePbx(), FakeCallContacts(), FakeClock()
    published = RecordingPublisher()
    service = RecordingService(
        sessions, pbx, RecordingFiles(directory), clock, contacts=contacts,
        publisher=published, keep=keep,
    )  # fmt: skip
    return Rig(service, pbx, contacts, clock, published, directory)


@pytest.fixture
def rig(sessions: Sessions, tmp_path: Path) -> Rig:
    return make_rig(sessions, tmp_path)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(service_module, "RETENTION_BATCH", 3)
    return 3


async def test_recordings_whose_end_was_never_seen_are_attached_when_long_stuck(
    rig: Rig, small_batches: int
) -> None:
    stuck = [f"pbx1:1.{n}" for n in range(small_batches + 2)]
    contact = CallContact(contact_id=uuid.uuid4(), agent_id=None, appeal_ids=())
    rig.contacts.by_call[stuck[0]] = contact
    await rig.recorded(*stuck, ended=False)
    rig.clock.advance(7 * 3600)
    await rig.recorded("pbx1:2.1", ended=False)

    closed = await rig.service.close_stuck()

    assert closed == len(stuck)
    for call_id in stuck:
        found = await rig.recording(call_id)
        assert found.status is RecordingStatus.READY
        assert found.duration_s == pytest.approx(1.0)
        assert found.ended_at is not None
        assert found.ended_at >= found.started_at
    assert (await rig.recording(stuck[0])).contact_id == contact.contact_id
    assert (await rig.recording("pbx1:2.1")).status is RecordingStatus.RECORDING
    ready = rig.published.of_type(RecordingReady)
    assert sorted(r.call_id for r in ready) == sorted(stuck)


async def test_retention_removes_everything_due_in_batches_when_stuck_ones_are_older(
    rig: Rig, small_batches: int
) -> None:
    stuck = [f"pbx1:1.{n}" for n in range(small_batches + 1)]
    await rig.recorded(*stuck, ended=False)
    rig.clock.advance(60)
    due = [f"pbx1:2.{n}" for n in range(2 * small_batches + 1)]
    await rig.recorded(*due)
    rig.clock.advance(40 * 86400)
    await rig.recorded("pbx1:3.1")

    assert await rig.service.purge(KEEP_30_DAYS) == len(due), "stuck rows stall it"
    for call_id in due:
        assert (await rig.recording(call_id)).status is RecordingStatus.DELETED
        assert not (rig.directory / file_name_for(call_id)).exists()

    task = asyncio.create_task(rig.service.run_retention(KEEP_30_DAYS, every_s=3600))
    try:

        async def stuck_gone() -> bool:
            states = {(await rig.recording(c)).status for c in stuck}
            return states == {RecordingStatus.DELETED}

        await eventually(stuck_gone)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (await rig.recording("pbx1:3.1")).status is RecordingStatus.READY
    assert (rig.directory / file_name_for("pbx1:3.1")).exists()


async def test_mixmonitor_starts_and_rows_wait_when_the_database_is_away(
    tmp_path: Path,
) -> None:
    kept: list[RecordingStarted | CallEnded] = []

    async def keep(event: RecordingStarted | CallEnded) -> None:
        kept.append(event)

    engine = make_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none")
    try:
        rig = make_rig(make_sessions(engine), tmp_path, keep=keep)
        await rig.service.on_call_bridged(rig.bridged("pbx1:4.1"))
        await rig.service.on_call_bridged(rig.bridged("pbx1:4.1"))
        await rig.service.on_call_ended(rig.ended("pbx1:4.1"))
    finally:
        await engine.dispose()

    expected_file = str((tmp_path / "pbx1_4.1.wav").resolve())
    assert rig.pbx.commands == [("MixMonitor", CALLER, expected_file)]
    started, ended = kept
    assert isinstance(started, RecordingStarted)
    assert (started.call_id, started.channel) == ("pbx1:4.1", CALLER)
    assert (started.file_name, started.problem) == ("pbx1_4.1.wav", "")
    assert isinstance(ended, CallEnded)
