"""The path of one inbound call through the whole service: the simulator rings,
the AMI bridge tracks the call, FastAGI greets the caller, the CRM identifies them
and opens a contact, the live-call API shows the call, and the hangup closes the
contact with its call log. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from contactcentre.bootstrap import App, build
from contactcentre.demo import simulator_config
from contactcentre.settings import Settings, load_settings
from crm_core.clock import UtcClock
from crm_core.customers.model import Identified
from crm_core.customers.seed import demo_phone_numbers, seed_customers
from crm_core.customers.service import CustomerService
from crm_core.customers.tables import ContactRow
from telephony.sim.model import Caller
from telephony.sim.simulator import Simulator
from tests.servers import free_port
from tests.waiting import eventually


@dataclass
class Running:
    app: App
    sim: Simulator
    settings: Settings
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.settings.http.port}"


@pytest.fixture
async def running(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    settings = load_settings(
        database={"url": database_url},
        http={"port": free_port()},
        agi={"port": free_port()},
        pbxs=[{"id": "pbx1", "port": free_port(), "secret": "sim-secret"}],
        recordings_dir=tmp_path / "recordings",
        data_dir=tmp_path / "data",
        simulator={"agents": 0},
    )
    app = build(settings, demo=True)
    await seed_customers(app.sessions, 30)
    task = asyncio.create_task(app.run())
    try:
        async with (
            Simulator(simulator_config(settings)) as sim,
            aiohttp.ClientSession() as http,
        ):
            await eventually(lambda: _connected(app))
            yield Running(app, sim, settings, http)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _connected(app: App) -> bool:
    return all(c.connected for c in app.telephony.clients.values())


async def _contact(app: App, call_id: str) -> ContactRow | None:
    async with app.sessions() as s:
        row: ContactRow | None = await s.scalar(
            select(ContactRow).where(ContactRow.call_id == call_id)
        )
        return row


async def test_known_caller_gets_a_contact_and_a_closed_call_log_when_they_hang_up(
    running: Running,
) -> None:
    number = demo_phone_numbers(30)[3]
    placed = await running.sim.place_inbound(
        Caller(ani=number, dnis="2001", digits="2", digit_delay_s=0.1, patience_s=None)
    )
    call_id = f"pbx1:{placed.linkedid}"

    async def listed() -> list[dict[str, Any]]:
        async with running.http.get(running.base + "/api/v1/calls") as response:
            assert response.status == 200
            body = await response.json()
        return [c for c in body["calls"] if c["call_id"] == call_id]

    [shown] = await eventually(listed)
    assert shown["direction"] == "inbound"
    assert shown["dnis"] == "2001"

    opened = await eventually(lambda: _contact(running.app, call_id))
    known = await CustomerService(running.app.sessions, UtcClock()).identify(number)
    assert isinstance(known, Identified)
    assert (opened.address, opened.customer_id) == (number, known.customer.id)
    assert opened.ended_at is None

    async def parked() -> bool:
        return any(ch.context == "cc-wait" for ch in running.sim.live_channels())

    await eventually(parked)
    assert running.sim.hangup(placed.uniqueid)

    async def closed() -> ContactRow | None:
        row = await _contact(running.app, call_id)
        return row if row is not None and row.ended_at is not None else None

    done = await eventually(closed)
    assert done.talk_s == 0
    assert done.wait_s is not None
    assert done.wait_s >= 0
    assert await listed() == []


async def test_stranger_gets_a_contact_without_a_customer_when_calling(
    running: Running,
) -> None:
    placed = await running.sim.place_inbound(
        Caller(ani="+74990000001", dnis="2001", digits="1", digit_delay_s=0.1)
    )
    opened = await eventually(lambda: _contact(running.app, f"pbx1:{placed.linkedid}"))
    assert opened.customer_id is None
