"""Two Asterisk servers at once: both simulators call the same FastAGI server, and
a caller on the second PBX gets an IVR contact keyed on that PBX and is answered by
the agent whose phone is there, while the longer-idle agent on the first PBX stays
ready. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import select

from acd.model import AgentId, AgentState
from contactcentre.bootstrap import App, build
from contactcentre.demo import simulator_config
from contactcentre.settings import Settings, SettingsError, load_settings
from crm_core.customers.seed import demo_phone_numbers, seed_customers
from crm_core.customers.tables import ContactRow
from telephony.agi import AgiServer, AgiSession
from telephony.model import PbxId
from telephony.pbx_of import PbxOf
from telephony.sim.model import AgentPhone, Caller
from telephony.sim.simulator import Simulator
from tests.integration.service import service_settings
from tests.servers import free_port
from tests.waiting import eventually

FIRST, SECOND = AgentId("ann"), AgentId("bob")


@dataclass
class Running:
    app: App
    pbx1: Simulator
    pbx2: Simulator
    settings: Settings


@pytest.fixture
async def running(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    settings = service_settings(
        database_url,
        tmp_path,
        pbxs=[
            {"id": "pbx1", "port": free_port(), "secret": "sim-secret"},
            {"id": "pbx2", "port": free_port(), "secret": "sim-secret"},
        ],
        simulator={"agents": 0},
        acd={
            "seats": [
                {"login": FIRST, "endpoint": "1001"},  # the first PBX by default
                {"login": SECOND, "endpoint": "2001", "pbx": "pbx2"},
            ]
        },
    )
    app = build(settings, demo=True)
    await seed_customers(app.sessions, 30)
    first = replace(
        simulator_config(settings),
        agents=(AgentPhone(endpoint="1001", ring_s=0.5),),
    )
    second = replace(
        first,
        ami_port=settings.pbxs[1].port,
        pbx_id="pbx2",
        agents=(AgentPhone(endpoint="2001", ring_s=0.5),),
    )
    task = asyncio.create_task(app.run())
    try:
        async with Simulator(first) as pbx1, Simulator(second) as pbx2:
            await eventually(lambda: _connected(app))
            yield Running(app, pbx1, pbx2, settings)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _connected(app: App) -> bool:
    clients = app.telephony.clients.values()
    return len(clients) == 2 and all(c.connected for c in clients)


async def _contact(app: App, call_id: str) -> ContactRow | None:
    async with app.sessions() as s:
        row: ContactRow | None = await s.scalar(
            select(ContactRow).where(ContactRow.call_id == call_id)
        )
        return row


async def test_caller_on_the_second_pbx_is_answered_there_when_both_pbxs_serve(
    running: Running,
) -> None:
    acd = running.app.acd
    await acd.login(FIRST)  # the longest idle: offered first were PBXs ignored
    await acd.login(SECOND)
    assert acd.agent(FIRST).state is AgentState.READY
    number = demo_phone_numbers(30)[3]
    placed = await running.pbx2.place_inbound(
        Caller(ani=number, dnis="2001", digits="2", digit_delay_s=0.1, patience_s=None)
    )
    call_id = f"pbx2:{placed.linkedid}"

    opened = await eventually(lambda: _contact(running.app, call_id))
    assert opened.address == number

    async def answered() -> bool:
        return acd.agent(SECOND).state is AgentState.ON_CALL

    await eventually(answered, timeout_s=15)
    assert acd.agent(SECOND).call_id == call_id
    assert acd.agent(FIRST).state is AgentState.READY
    assert not any(ch for ch in running.pbx1.live_channels())
    assert await _contact(running.app, f"pbx1:{placed.linkedid}") is None


async def test_script_falls_back_to_the_first_pbx_when_its_id_is_unknown(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    pbx_of = PbxOf([PbxId("pbx1"), PbxId("pbx2")], default=PbxId("pbx1"))
    seen: asyncio.Queue[tuple[PbxId, PbxId]] = asyncio.Queue()

    async def script(session: AgiSession) -> None:
        await seen.put((await pbx_of(session), await pbx_of(session)))

    server = AgiServer(port=0, handlers={"inbound": script}, command_timeout_s=5)
    port = await server.start()
    try:
        for pbx_id in ("pbx2", "pbx9", "pbx9"):
            config = replace(
                simulator_config(load_settings()),
                ami_port=0,
                agi_port=port,
                pbx_id=pbx_id,
                recordings_dir=tmp_path,
            )
            async with Simulator(config) as sim:
                with caplog.at_level(logging.WARNING, logger="telephony.pbx_of"):
                    await sim.place_inbound(Caller(ani="+74990000001"))
                    got = await asyncio.wait_for(seen.get(), timeout=5)
            expected = PbxId("pbx1") if pbx_id == "pbx9" else PbxId(pbx_id)
            assert got == (expected, expected)
    finally:
        await server.stop()
    warned = [r for r in caplog.records if r.name == "telephony.pbx_of"]
    assert len(warned) == 1
    assert "pbx9" in warned[0].getMessage()


def test_settings_are_refused_when_a_seat_names_an_unknown_pbx() -> None:
    with pytest.raises(SettingsError, match="pbx3"):
        load_settings(
            pbxs=[{"id": "pbx1"}, {"id": "pbx2"}],
            acd={"seats": [{"login": "ann", "endpoint": "1001", "pbx": "pbx3"}]},
        )
    ok = load_settings(
        pbxs=[{"id": "pbx1"}, {"id": "pbx2"}],
        acd={"seats": [{"login": "ann", "endpoint": "1001", "pbx": "pbx2"}]},
    )
    assert ok.acd.seats[0].pbx == "pbx2"
