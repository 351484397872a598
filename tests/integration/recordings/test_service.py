"""The recordings service over a migrated database (SQLite and PostgreSQL), real
files in a temporary directory, a fake PBX and the CRM's view of calls: recording,
attaching, playback rights, and retention (stuck recordings closed, everything due
removed a batch at a time)."""

from __future__ import annotations

import asyncio
import uuid
import wave
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from crm_core.appeals.events import AppealCreated
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.auth.tables import AuditRow
from crm_core.db import Sessions, make_engine, make_sessions
from crm_core.errors import Forbidden
from recordings import service as service_module
from recordings.errors import NotRecording, RecordingNotFound, RecordingUnavailable
from recordings.events import RecordingMuted, RecordingReady, RecordingStarted
from recordings.model import Recording, RecordingStatus, file_name_for
from recordings.ports import CallContact
from recordings.retention import RetentionPolicy
from recordings.service import RecordingService
from recordings.storage import RecordingFiles
from telephony.events import CallBridged, CallEnded
from telephony.model import CallId, ChannelId, Direction, EndReason, PbxId
from tests.fakes import FakeClock, RecordingPublisher
from tests.integration.recordings.fakes import (
    FakeCallAgents,
    FakeCallContacts,
    FakePbx,
)
from tests.servers import free_port
from tests.waiting import eventually

PBX = PbxId("pbx1")
CALLER = "Local/2001@cc-inbound-00000004;2"
AGENT_LEG = "Local/1001@cc-agentphone-00000005;1"


@dataclass
class Rig:
    service: RecordingService
    pbx: FakePbx
    contacts: FakeCallContacts
    clock: FakeClock
    published: RecordingPublisher
    directory: Path
    sessions: Sessions
    agents: FakeCallAgents

    def bridged(self, call_id: str) -> CallBridged:
        return CallBridged(
            occurred_at=self.clock.now(), call_id=CallId(call_id), pbx_id=PBX,
            bridge_id="b1", caller_channel=CALLER,
            caller_channel_id=ChannelId("caller-1b"), peer_channel=AGENT_LEG,
            peer_channel_id=ChannelId("agent-1"),
        )  # fmt: skip

    def ended(self, call_id: str) -> CallEnded:
        now = self.clock.now()
        return CallEnded(
            occurred_at=now, call_id=CallId(call_id), pbx_id=PBX,
            direction=Direction.INBOUND, ani="+74951234567", dnis="2001",
            arrived_at=now - timedelta(seconds=60), answered_at=None,
            bridged_at=None, ended_at=now, hangup_cause=16,
            hangup_cause_text="Normal Clearing", reason=EndReason.HANGUP,
        )  # fmt: skip

    def write_wav(self, call_id: str, seconds: float) -> Path:
        path = self.directory / file_name_for(call_id)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x10\x00" * int(8000 * seconds))
        return path

    async def record(self, call_id: str, seconds: float | None = 2.0) -> Recording:
        """A call bridged, recorded for `seconds` (None: no file), then ended."""
        await self.service.handle(self.bridged(call_id))
        if seconds is not None:
            self.write_wav(call_id, seconds)
        self.clock.advance(seconds or 1)
        await self.service.handle(self.ended(call_id))
        [found] = await self.service.find(BOSS, call_id=call_id)
        return found


def actor(role: Role, user_id: uuid.UUID | None = None) -> Actor:
    return actor_named(role.value, role, user_id)


def actor_named(login: str, role: Role, user_id: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=user_id or uuid.uuid4(), login=login, role=role,
        permissions=ROLE_PERMISSIONS[role],
    )  # fmt: skip


BOSS = actor(Role.SUPERVISOR)


@pytest.fixture
def rig(sessions: Sessions, tmp_path: Path) -> Rig:
    pbx, contacts, clock = FakePbx(), FakeCallContacts(), FakeClock()
    published, agents = RecordingPublisher(), FakeCallAgents()
    service = RecordingService(
        sessions, pbx, RecordingFiles(tmp_path), clock, contacts=contacts,
        publisher=published, agents=agents,
    )  # fmt: skip
    return Rig(service, pbx, contacts, clock, published, tmp_path, sessions, agents)


async def test_mixmonitor_runs_on_the_caller_once_when_a_call_is_bridged(
    rig: Rig,
) -> None:
    await rig.service.on_call_bridged(rig.bridged("pbx1:1700000000.1"))
    await rig.service.on_call_bridged(rig.bridged("pbx1:1700000000.1"))

    expected_file = str((rig.directory / "pbx1_1700000000.1.wav").resolve())
    assert rig.pbx.commands == [("MixMonitor", CALLER, expected_file)]
    [found] = await rig.service.find(BOSS, call_id="pbx1:1700000000.1")
    assert found.status is RecordingStatus.RECORDING
    assert found.channel == CALLER


async def test_recording_is_attached_with_duration_and_size_when_the_call_ends(
    rig: Rig,
) -> None:
    contact = CallContact(
        contact_id=uuid.uuid4(), agent_ids=(uuid.uuid4(),),
        appeal_ids=(uuid.uuid4(), uuid.uuid4()),
    )  # fmt: skip
    rig.contacts.by_call["pbx1:1.2"] = contact

    found = await rig.record("pbx1:1.2", seconds=2.5)

    assert found.status is RecordingStatus.READY
    assert found.duration_s == pytest.approx(2.5)
    assert found.size_bytes == 44 + 2 * 8000 * 2.5
    assert found.contact_id == contact.contact_id
    assert found.appeal_ids == contact.appeal_ids
    assert found.sha256 is not None
    [ready] = rig.published.of_type(RecordingReady)
    assert (ready.recording_id, ready.status) == (str(found.id), "ready")
    assert ready.appeal_ids == tuple(str(a) for a in contact.appeal_ids)
    by_contact = await rig.service.find(BOSS, contact_id=contact.contact_id)
    assert [r.id for r in by_contact] == [found.id]


async def test_missing_file_is_recorded_and_reported_when_attached(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    found = await rig.record("pbx1:1.3", seconds=None)

    assert found.status is RecordingStatus.MISSING
    assert found.duration_s is None
    assert "no file" in found.problem
    [ready] = rig.published.of_type(RecordingReady)
    assert ready.status == "missing"
    assert any("missing at attach" in r.getMessage() for r in caplog.records)
    with pytest.raises(RecordingUnavailable):
        await rig.service.open_audio(BOSS, found.id)


async def test_damaged_file_is_recorded_when_attached(rig: Rig) -> None:
    await rig.service.on_call_bridged(rig.bridged("pbx1:1.4"))
    (rig.directory / file_name_for("pbx1:1.4")).write_bytes(b"not a wav at all" * 9)
    await rig.service.on_call_ended(rig.ended("pbx1:1.4"))

    [found] = await rig.service.find(BOSS, call_id="pbx1:1.4")
    assert found.status is RecordingStatus.DAMAGED
    assert found.size_bytes == 16 * 9


async def test_header_only_file_is_empty_when_attached(rig: Rig) -> None:
    found = await rig.record("pbx1:1.5", seconds=0)
    assert found.status is RecordingStatus.EMPTY
    assert found.size_bytes == 44


async def test_call_never_bridged_has_no_recording_when_it_ends(rig: Rig) -> None:
    await rig.service.on_call_ended(rig.ended("pbx1:1.6"))
    assert await rig.service.find(BOSS, call_id="pbx1:1.6") == []
    assert rig.published.events == []


async def test_refused_mixmonitor_is_stored_as_missing_when_bridged(rig: Rig) -> None:
    rig.pbx.refuse = "No such channel"
    await rig.service.on_call_bridged(rig.bridged("pbx1:1.7"))
    [found] = await rig.service.find(BOSS, call_id="pbx1:1.7")
    assert found.status is RecordingStatus.MISSING
    assert "No such channel" in found.problem


async def test_pause_and_resume_store_the_gap_when_requested(rig: Rig) -> None:
    await rig.service.on_call_bridged(rig.bridged("pbx1:1.8"))
    start = rig.clock.now()
    rig.clock.advance(5)
    await rig.service.set_muted(BOSS, "pbx1:1.8", muted_=True)
    rig.clock.advance(20)
    await rig.service.set_muted(BOSS, "pbx1:1.8", muted_=False)
    await rig.service.set_muted(BOSS, "pbx1:1.8", muted_=False)

    assert [c[0::2] for c in rig.pbx.commands[1:]] == [
        ("MixMonitorMute", "1"),
        ("MixMonitorMute", "0"),
    ]
    [found] = await rig.service.find(BOSS, call_id="pbx1:1.8")
    [span] = found.muted_spans
    assert span.started_at - start == timedelta(seconds=5)
    assert span.ended_at is not None
    assert span.ended_at - start == timedelta(seconds=25)
    assert [e.muted for e in rig.published.of_type(RecordingMuted)] == [True, False]


async def test_pause_is_refused_when_no_recording_runs(rig: Rig) -> None:
    with pytest.raises(NotRecording):
        await rig.service.set_muted(BOSS, "pbx1:none", muted_=True)


async def test_pause_is_refused_when_the_agent_is_not_on_that_call(rig: Rig) -> None:
    await rig.service.on_call_bridged(rig.bridged("pbx1:1.9"))
    await rig.service.on_call_bridged(rig.bridged("pbx1:1.10"))
    anna, boris = actor_named("anna", Role.AGENT), actor_named("boris", Role.AGENT)
    rig.agents.on_call.update({"anna": "pbx1:1.9", "boris": "pbx1:1.10"})
    with pytest.raises(Forbidden):
        await rig.service.set_muted(boris, "pbx1:1.9", muted_=True)
    with pytest.raises(Forbidden):  # back office hears calls, never pauses them
        await rig.service.set_muted(actor(Role.BACK_OFFICE), "pbx1:1.9", muted_=True)
    assert [c for c in rig.pbx.commands if c[0] == "MixMonitorMute"] == []

    await rig.service.set_muted(anna, "pbx1:1.9", muted_=True)
    await rig.service.set_muted(BOSS, "pbx1:1.9", muted_=False)  # not on the call
    rig.agents.on_call.pop("anna")  # she has left the call
    with pytest.raises(Forbidden):
        await rig.service.set_muted(anna, "pbx1:1.9", muted_=True)

    async with rig.sessions() as s:
        audit = (await s.execute(
            select(AuditRow.action, AuditRow.actor_login, AuditRow.details)
            .where(AuditRow.object_type == "recording").order_by(AuditRow.at)
        )).all()  # fmt: skip
    assert [(a, who, d["call_id"]) for a, who, d in audit] == [
        ("recording.pause", "anna", "pbx1:1.9"),
        ("recording.resume", BOSS.login, "pbx1:1.9"),
    ]


@pytest.mark.parametrize(
    ("groups", "heard"),
    [
        (None, {"VIP", "mass", "none", "unknown"}),
        (frozenset({"mass"}), {"mass"}),
        (frozenset({"mass", ""}), {"mass", "none", "unknown"}),
    ],
)
async def test_listen_all_hears_only_visible_customers_when_groups_limit_it(
    rig: Rig, groups: frozenset[str] | None, heard: set[str]
) -> None:
    calls = {"VIP": "VIP", "mass": "mass", "none": None}
    for name, group in calls.items():
        rig.contacts.by_call[f"pbx1:g.{name}"] = CallContact(
            contact_id=uuid.uuid4(), agent_ids=(), appeal_ids=(),
            customer_group=group,
        )  # fmt: skip
    recorded = {
        name: await rig.record(f"pbx1:g.{name}") for name in [*calls, "unknown"]
    }
    listener = replace(actor(Role.BACK_OFFICE), customer_groups=groups)
    found = set()
    for name, recording in recorded.items():
        listed = await rig.service.find(listener, call_id=recording.call_id)
        if listed:
            found.add(name)
            assert (await rig.service.get(listener, recording.id)).id == recording.id
        else:
            with pytest.raises(Forbidden):
                await rig.service.open_audio(listener, recording.id)
    assert found == heard


async def test_agent_hears_own_call_and_playback_is_audited_when_opened(
    rig: Rig,
) -> None:
    agent = actor(Role.AGENT)
    rig.contacts.by_call["pbx1:2.1"] = CallContact(
        contact_id=uuid.uuid4(), agent_ids=(agent.user_id,), appeal_ids=()
    )
    found = await rig.record("pbx1:2.1")

    opened, path = await rig.service.open_audio(agent, found.id, detail="bytes=0-99")
    assert opened.id == found.id
    assert path.is_file()
    async with rig.sessions() as s:
        [audit] = (await s.scalars(select(AuditRow))).all()
    assert (audit.action, audit.actor_login) == ("recording.listen", "agent")
    assert audit.object_id == str(found.id)
    assert audit.details["detail"] == "bytes=0-99"


async def test_agent_cannot_hear_someone_elses_call_when_opened(rig: Rig) -> None:
    rig.contacts.by_call["pbx1:2.2"] = CallContact(
        contact_id=uuid.uuid4(), agent_ids=(uuid.uuid4(),), appeal_ids=()
    )
    found = await rig.record("pbx1:2.2")
    agent = actor(Role.AGENT)
    with pytest.raises(Forbidden):
        await rig.service.open_audio(agent, found.id)
    assert await rig.service.find(agent, call_id="pbx1:2.2") == []
    with pytest.raises(Forbidden):
        await rig.service.find(actor(Role.MARKETING), call_id="pbx1:2.2")
    with pytest.raises(RecordingNotFound):
        await rig.service.get(BOSS, uuid.uuid4())


async def test_a_page_of_contacts_gets_the_recordings_each_may_hear_when_listed(
    rig: Rig,
) -> None:
    agent = actor(Role.AGENT)
    mine, theirs, silent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rig.contacts.by_call["pbx1:3.1"] = CallContact(
        contact_id=mine, agent_ids=(agent.user_id,), appeal_ids=()
    )
    rig.contacts.by_call["pbx1:3.2"] = CallContact(
        contact_id=theirs, agent_ids=(uuid.uuid4(),), appeal_ids=()
    )
    first = await rig.record("pbx1:3.1")
    second = await rig.record("pbx1:3.2")
    contacts = [mine, theirs, silent]
    everyone = await rig.service.of_contacts(BOSS, contacts)
    assert {c: [r.id for r in found] for c, found in everyone.items()} == {
        mine: [first.id],
        theirs: [second.id],
    }
    own = await rig.service.of_contacts(agent, contacts)
    assert {c: [r.id for r in found] for c, found in own.items()} == {mine: [first.id]}
    assert await rig.service.of_contacts(agent, []) == {}
    with pytest.raises(Forbidden):
        await rig.service.of_contacts(actor(Role.MARKETING), contacts)


async def test_file_removed_later_is_reported_as_missing_when_played(
    rig: Rig,
) -> None:
    found = await rig.record("pbx1:2.3")
    (rig.directory / found.file_name).unlink()
    with pytest.raises(RecordingUnavailable) as raised:
        await rig.service.open_audio(BOSS, found.id)
    assert raised.value.status == "missing"
    assert (await rig.service.get(BOSS, found.id)).status is RecordingStatus.MISSING


async def test_retention_removes_old_files_and_marks_rows_when_past_the_age(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    old = await rig.record("pbx1:3.1")
    rig.clock.advance(40 * 86400)
    fresh = await rig.record("pbx1:3.2")
    caplog.set_level("INFO", logger="recordings.service")

    removed = await rig.service.purge(RetentionPolicy(keep_days=30))

    assert removed == 1
    assert not (rig.directory / old.file_name).exists()
    assert (rig.directory / fresh.file_name).exists()
    gone = await rig.service.get(BOSS, old.id)
    assert gone.status is RecordingStatus.DELETED
    assert gone.deleted_at == rig.clock.now()
    assert any("removed by retention" in r.getMessage() for r in caplog.records)
    assert await rig.service.purge(RetentionPolicy(keep_days=30)) == 0


async def test_appeal_registered_after_attach_is_linked_when_created(
    rig: Rig,
) -> None:
    contact = CallContact(contact_id=uuid.uuid4(), agent_ids=(), appeal_ids=())
    rig.contacts.by_call["pbx1:4.1"] = contact
    found = await rig.record("pbx1:4.1")
    appeal_id = uuid.uuid4()
    created = AppealCreated(
        occurred_at=rig.clock.now(), appeal_id=str(appeal_id), topic_code="billing",
        customer_id=None, contact_id=str(contact.contact_id), parent_id=None,
        stage="new", queue=None, actor_id=str(uuid.uuid4()),
    )  # fmt: skip

    await rig.service.handle(created)
    await rig.service.handle(created)

    linked = await rig.service.get(BOSS, found.id)
    assert linked.appeal_ids == (appeal_id,)


KEEP_30_DAYS = RetentionPolicy(keep_days=30)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(service_module, "RETENTION_BATCH", 3)
    return 3


async def bridged_only(rig: Rig, *call_ids: str) -> None:
    """Calls bridged and recorded for a second, whose end is never seen."""
    for call_id in call_ids:
        await rig.service.handle(rig.bridged(call_id))
        rig.write_wav(call_id, 1.0)


async def one(rig: Rig, call_id: str) -> Recording:
    [found] = await rig.service.find(BOSS, call_id=call_id)
    return found


async def test_recordings_whose_end_was_never_seen_are_attached_when_long_stuck(
    rig: Rig, small_batches: int
) -> None:
    stuck = [f"pbx1:5.{n}" for n in range(small_batches + 2)]
    contact = CallContact(contact_id=uuid.uuid4(), agent_ids=(), appeal_ids=())
    rig.contacts.by_call[stuck[0]] = contact
    await bridged_only(rig, *stuck)
    rig.clock.advance(7 * 3600)
    await bridged_only(rig, "pbx1:5.99")

    assert await rig.service.close_stuck() == len(stuck)

    for call_id in stuck:
        found = await one(rig, call_id)
        assert found.status is RecordingStatus.READY
        assert found.duration_s == pytest.approx(1.0)
        assert found.ended_at is not None
        assert found.ended_at >= found.started_at
    assert (await one(rig, stuck[0])).contact_id == contact.contact_id
    assert (await one(rig, "pbx1:5.99")).status is RecordingStatus.RECORDING
    ready = rig.published.of_type(RecordingReady)
    assert sorted(r.call_id for r in ready) == sorted(stuck)


async def test_retention_removes_everything_due_in_batches_when_stuck_ones_are_older(
    rig: Rig, small_batches: int
) -> None:
    stuck = [f"pbx1:6.{n}" for n in range(small_batches + 1)]
    await bridged_only(rig, *stuck)
    due = [(await rig.record(f"pbx1:7.{n}")) for n in range(2 * small_batches + 1)]
    rig.clock.advance(40 * 86400)
    fresh = await rig.record("pbx1:8.1")

    assert await rig.service.purge(KEEP_30_DAYS) == len(due), "stuck rows stall it"
    for recording in due:
        assert (await one(rig, recording.call_id)).status is RecordingStatus.DELETED
        assert not (rig.directory / recording.file_name).exists()

    task = asyncio.create_task(rig.service.run_retention(KEEP_30_DAYS, every_s=3600))
    try:

        async def stuck_removed() -> bool:
            states = {(await one(rig, c)).status for c in stuck}
            return states == {RecordingStatus.DELETED}

        await eventually(stuck_removed)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (await one(rig, fresh.call_id)).status is RecordingStatus.READY
    assert (rig.directory / fresh.file_name).exists()


async def test_mixmonitor_starts_and_rows_wait_when_the_database_is_away(
    tmp_path: Path,
) -> None:
    kept: list[RecordingStarted | CallEnded] = []

    async def keep(event: RecordingStarted | CallEnded) -> None:
        kept.append(event)

    engine = make_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none")
    pbx, contacts, clock = FakePbx(), FakeCallContacts(), FakeClock()
    away = make_sessions(engine)
    service = RecordingService(
        away, pbx, RecordingFiles(tmp_path), clock, contacts=contacts, keep=keep
    )
    rig = Rig(
        service,
        pbx,
        contacts,
        clock,
        RecordingPublisher(),
        tmp_path,
        away,
        FakeCallAgents(),
    )
    try:
        await service.handle(rig.bridged("pbx1:9.1"))
        await service.handle(rig.bridged("pbx1:9.1"))
        await service.handle(rig.ended("pbx1:9.1"))
    finally:
        await engine.dispose()

    expected_file = str((tmp_path / "pbx1_9.1.wav").resolve())
    assert pbx.commands == [("MixMonitor", CALLER, expected_file)]
    started, ended = kept
    assert isinstance(started, RecordingStarted)
    assert (started.call_id, started.channel) == ("pbx1:9.1", CALLER)
    assert (started.file_name, started.problem) == ("pbx1_9.1.wav", "")
    assert isinstance(ended, CallEnded)
