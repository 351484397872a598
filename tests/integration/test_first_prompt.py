"""What a caller meets first, through the service as `bootstrap.build` wires it and
the simulator as a real peer: the call's contact is written before anything is
played (T1), even when AMI lags the call; the demo menu's recording exists because
the service made it from the flow's text; and a PBX that reads another sounds
directory is reported once, loudly, without costing a caller. Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select

from contactcentre.bootstrap import App, build
from contactcentre.demo import simulator_config
from contactcentre.settings import Settings
from crm_core.customers.tables import ContactRow
from ivr.sounds import CHECK_SOUND
from telephony.dialplan import WAIT_CONTEXT
from telephony.sim.model import Caller, SimConfig
from telephony.sim.simulator import InboundCall, Simulator
from tests.integration.service import service_settings
from tests.waiting import eventually

PLAYING = ("STREAM FILE", "GET DATA", "GET OPTION", "CONTROL STREAM FILE", "EXEC")
STRANGER = "+74990000077"


@dataclass
class FirstPlays:
    """For each IVR channel, whether its call's contact row existed when the
    simulator received the channel's first command that plays a file."""

    app: App
    sim: Simulator | None = None
    contact_existed: dict[str, bool] = field(default_factory=dict)

    async def __call__(self, uniqueid: str, command: str) -> None:
        if uniqueid in self.contact_existed or not command.startswith(PLAYING):
            return
        assert self.sim is not None
        channel = self.sim.pbx.find(uniqueid)
        assert channel is not None
        call_id = f"pbx1:{channel.linkedid}"
        async with self.app.sessions() as s:
            found = await s.scalar(
                select(ContactRow.id).where(ContactRow.call_id == call_id)
            )
        self.contact_existed[uniqueid] = found is not None


@dataclass
class Running:
    app: App
    sim: Simulator
    settings: Settings
    first: FirstPlays

    async def call(self, caller: Caller) -> InboundCall:
        return await self.sim.place_inbound(caller)

    async def parked(self, placed: InboundCall) -> bool:
        channel = self.sim.pbx.find(placed.ivr_uniqueid)
        return channel is not None and channel.context == WAIT_CONTEXT

    async def contacts_of(self, ani: str) -> list[ContactRow]:
        async with self.app.sessions() as s:
            rows = await s.scalars(select(ContactRow).where(ContactRow.address == ani))
            return list(rows)


def settings_for(
    database_url: str, tmp_path: Path, *, contact_wait_s: float = 1.0
) -> Settings:
    return service_settings(
        database_url,
        tmp_path,
        ivr={"contact_wait_s": contact_wait_s},
        simulator={"agents": 0},
    )


async def start(
    settings: Settings, sim_config: Callable[[Settings], SimConfig]
) -> AsyncIterator[Running]:
    app = build(settings, demo=True)
    first = FirstPlays(app)
    task = asyncio.create_task(app.run())
    try:
        async with Simulator(sim_config(settings)) as sim:
            first.sim = sim
            sim.watch_agi(first)

            async def connected() -> bool:
                return all(c.connected for c in app.telephony.clients.values())

            await eventually(connected)
            await eventually(lambda: _listening(settings.agi.port))
            yield Running(app, sim, settings, first)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def running(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    async for each in start(settings_for(database_url, tmp_path), simulator_config):
        yield each


async def test_contact_exists_before_the_first_prompt_when_the_call_arrives(
    running: Running,
) -> None:
    placed = await running.call(Caller(ani=STRANGER, dnis="8800", digits="2"))

    await eventually(lambda: running.parked(placed))
    assert running.first.contact_existed == {placed.ivr_uniqueid: True}
    await running.app.bus.drain()
    [contact] = await running.contacts_of(STRANGER)
    assert (contact.call_id, contact.dnis) == (f"pbx1:{placed.linkedid}", "8800")


async def test_contact_exists_before_the_first_prompt_when_ami_lags_the_call(
    running: Running,
) -> None:
    with running.sim.ami_events_held():
        placed = await running.call(Caller(ani=STRANGER, dnis="8800", digits="2"))

        async def prompted() -> bool:
            return placed.ivr_uniqueid in running.first.contact_existed

        await eventually(prompted)
        # the service has not heard of the call on the bus path yet
        assert running.app.telephony.live_calls() == []

    assert running.first.contact_existed == {placed.ivr_uniqueid: True}

    async def arrived() -> bool:
        return any(
            c.call_id == f"pbx1:{placed.linkedid}"
            for c in running.app.telephony.live_calls()
        )

    await eventually(arrived)
    await running.app.bus.drain()
    [contact] = await running.contacts_of(STRANGER)  # one row, whoever wrote it
    assert contact.call_id == f"pbx1:{placed.linkedid}"


@pytest.fixture
async def slow_database(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    settings = settings_for(database_url, tmp_path, contact_wait_s=0.3)
    async for each in start(settings, simulator_config):
        yield each


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_ivr_starts_after_the_wait_and_the_contact_follows_when_writes_stall(
    slow_database: Running, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    running = slow_database
    locker = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        stalled = locker.transaction()
        await stalled.start()
        await locker.execute("LOCK TABLE contacts IN EXCLUSIVE MODE")  # reads go on
        placed = await running.call(Caller(ani=STRANGER, dnis="8800", digits="2"))

        async def prompted() -> bool:
            return placed.ivr_uniqueid in running.first.contact_existed

        await eventually(prompted)
        assert running.first.contact_existed == {placed.ivr_uniqueid: False}
        await stalled.rollback()
    finally:
        await locker.close()

    await eventually(lambda: running.parked(placed))
    await eventually(lambda: running.contacts_of(STRANGER))
    await running.app.bus.drain()
    [contact] = await running.contacts_of(STRANGER)
    assert contact.call_id == f"pbx1:{placed.linkedid}"
    assert any("not written within 0.3 s" in r.getMessage() for r in caplog.records)


async def test_demo_menu_recording_is_made_at_start_and_played_when_a_call_comes(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    recording = running.settings.ivr.sounds_dir / "cc" / "en" / "main-menu.wav"
    await eventually(lambda: _exists(recording), timeout_s=30)
    caplog.set_level(logging.INFO)

    placed = await running.call(Caller(ani=STRANGER, dnis="8800", digits="2"))

    await eventually(lambda: running.parked(placed))
    assert (running.settings.ivr.sounds_dir / "cc" / "ru" / "main-menu.wav").is_file()
    missing = [r for r in caplog.records if "missing on the PBX" in r.getMessage()]
    assert missing == []
    assert any(
        "plays the prompts this service" in r.getMessage() for r in caplog.records
    )


async def _exists(path: Path) -> bool:
    return await asyncio.to_thread(path.is_file)


async def _listening(port: int) -> bool:
    """FastAGI takes connections (it starts after the stored flows are restored)."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


@pytest.fixture
async def elsewhere(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """The PBX reads a sounds directory the service does not write to."""
    asterisk_sounds = tmp_path / "asterisk" / "sounds"
    asterisk_sounds.mkdir(parents=True)

    def sim_config(settings: Settings) -> SimConfig:
        return replace(simulator_config(settings), sounds_dir=asterisk_sounds)

    async for each in start(settings_for(database_url, tmp_path), sim_config):
        yield each


async def test_wrong_sounds_directory_is_reported_once_and_callers_still_queued(
    elsewhere: Running, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.INFO)
    first = await elsewhere.call(Caller(ani=STRANGER, dnis="8800", digits="2"))
    second = await elsewhere.call(Caller(ani="+74990000078", dnis="8800"))

    await eventually(lambda: elsewhere.parked(first), timeout_s=20)
    await eventually(lambda: elsewhere.parked(second), timeout_s=20)
    reports = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(reports) == 1
    said = reports[0].getMessage()
    assert str(tmp_path / "asterisk" / "sounds") in said
    assert str((tmp_path / "sounds").resolve()) in said
    assert CHECK_SOUND in said
