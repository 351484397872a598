"""The service as `build` wires it, on its own PostgreSQL, under simulated traffic:
the database is stopped for 30 s in the middle and started again, and afterwards
every call has its whole record (contact opened and closed with its call log, IVR
record, wrap-up of the agent who answered, recording attached)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy import select

from acd.events import Disposition, WrapUpFinished
from acd.model import AgentId
from contactcentre.bootstrap import App
from contactcentre.demo import (
    log_in_simulated_agents,
    simulator_config,
    with_demo_seats,
)
from contactcentre.migrate import migrate
from contactcentre.settings import Settings
from crm_core.customers.seed import demo_phone_numbers, seed_customers
from crm_core.customers.tables import ContactRow
from recordings.tables import RecordingRow
from telephony.sim.model import Caller
from telephony.sim.simulator import Simulator
from tests import servers
from tests.integration.service import ready, service_settings, serving
from tests.waiting import eventually

OUTAGE_S = 30.0
BEFORE_S = 8.0
AFTER_S = 6.0
CALL_EVERY_S = 0.8
AGENTS = 8


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[servers.PostgresServer]:
    """A server of this module's own: the test stops and starts it."""
    with servers.postgres() as server:
        yield server


@dataclass
class Traffic:
    """The calls placed and the wrap-ups the agents finished."""

    calls: dict[str, float] = field(default_factory=dict)
    """Call id -> when it was placed (monotonic seconds)."""
    wrapped: set[str] = field(default_factory=set)


@pytest.fixture
async def running(
    own_postgres: servers.PostgresServer, tmp_path: Path
) -> AsyncIterator[tuple[App, Simulator]]:
    conn = await asyncpg.connect(own_postgres.dsn("postgres"))
    try:
        await conn.execute('DROP DATABASE IF EXISTS "cc" WITH (FORCE)')
        await conn.execute('CREATE DATABASE "cc"')
    finally:
        await conn.close()
    await migrate(own_postgres.url("cc"))
    settings = with_demo_seats(
        service_settings(own_postgres.url("cc"), tmp_path, simulator={"agents": AGENTS})
    )
    async with (
        serving(settings) as app,
        Simulator(simulator_config(settings)) as sim,
    ):
        await seed_customers(app.sessions, 30)
        await eventually(lambda: ready(app))
        await log_in_simulated_agents(app.acd_setup)
        yield app, sim


async def place_calls(sim: Simulator, traffic: Traffic, *, until: float) -> None:
    numbers = demo_phone_numbers(30)
    n = 0
    while time.monotonic() < until:
        placed = await sim.place_inbound(
            Caller(
                ani=numbers[n % len(numbers)], dnis="2001", digits="2",
                digit_delay_s=0.1, patience_s=None, talk_s=2.0,
            )
        )  # fmt: skip
        traffic.calls[f"pbx1:{placed.linkedid}"] = time.monotonic()
        n += 1
        await asyncio.sleep(CALL_EVERY_S)


async def finish_wrap_ups(app: App, settings: Settings, traffic: Traffic) -> None:
    """The agents end each wrap-up with a disposition, as their desktop does
    (acd.http finish_wrap_up: the ACD first, then WrapUpFinished on the bus)."""
    agents = [AgentId(seat.login) for seat in settings.acd.seats]
    while True:
        for agent in agents:
            call_id = app.acd.wrap_up_call(agent)
            if call_id is None or call_id in traffic.wrapped:
                continue
            traffic.wrapped.add(call_id)
            await app.acd.finish_wrap_up(agent)
            await app.bus.publish(
                WrapUpFinished(
                    agent_id=agent, call_id=call_id,
                    disposition=Disposition.RESOLVED, notes=f"call {call_id}",
                    at=datetime.now(UTC),
                )
            )  # fmt: skip
        await asyncio.sleep(0.1)


@pytest.mark.timeout(240)
async def test_every_call_record_is_complete_when_the_database_was_away_for_30s(
    running: tuple[App, Simulator],
    own_postgres: servers.PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="contactcentre.journal")
    app, sim = running
    traffic = Traffic()
    start = time.monotonic()
    calls = asyncio.create_task(
        place_calls(sim, traffic, until=start + BEFORE_S + OUTAGE_S + AFTER_S)
    )
    wrap_ups = asyncio.create_task(finish_wrap_ups(app, app.settings, traffic))
    try:
        await asyncio.sleep(BEFORE_S)
        await asyncio.to_thread(own_postgres.stop)
        stopped_at = time.monotonic()
        journal = await eventually(lambda: _journal_waiting(app), timeout_s=OUTAGE_S)
        await asyncio.sleep(OUTAGE_S - (time.monotonic() - stopped_at))
        await asyncio.to_thread(own_postgres.start)
        started_at = time.monotonic()
        await calls
        await eventually(lambda: _all_ended(sim), timeout_s=60)
        await eventually(lambda: _all_wrapped(app, traffic), timeout_s=30)
        async with asyncio.timeout(60):
            await app.bus.drain()
            await app.journal.drained()
    finally:
        calls.cancel()
        wrap_ups.cancel()
        await asyncio.gather(calls, wrap_ups, return_exceptions=True)

    during = [c for c, at in traffic.calls.items() if stopped_at <= at < started_at]
    assert len(during) >= OUTAGE_S / CALL_EVERY_S / 2, "calls placed in the outage"
    contacts = await _contacts(app)
    recordings = await _recordings(app)
    incomplete = {
        call_id: _missing(contacts.get(call_id), recordings.get(call_id), traffic)
        for call_id in traffic.calls
    }
    assert {c: m for c, m in incomplete.items() if m} == {}
    answered = [c for c in traffic.calls if c in traffic.wrapped]
    assert len(answered) >= len(traffic.calls) * 0.8, "most calls reach an agent"
    assert set(during) & set(answered), "calls answered in the outage"
    assert journal["retrying"] is True
    assert journal["pending"] >= 1
    backlog = app.journal.backlog()
    assert (backlog.pending, backlog.dead_letters) == (0, 0)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("database unreachable") for m in messages)
    assert any(m.startswith("journal drained") for m in messages)


def _missing(
    contact: ContactRow | None, recording: RecordingRow | None, traffic: Traffic
) -> list[str]:
    """What the call's record lacks (nothing when it is complete)."""
    if contact is None:
        return ["contact"]
    missing = []
    if contact.ended_at is None or contact.outcome is None or contact.wait_s is None:
        missing.append("call log")
    if contact.ivr_completed_at is None:
        missing.append("ivr record")
    if contact.call_id in traffic.wrapped:
        if contact.wrap_up_at is None or contact.disposition != "resolved":
            missing.append("wrap-up")
        if recording is None or recording.status != "ready":
            missing.append(f"recording ({recording and recording.status})")
        elif recording.contact_id != contact.id:
            missing.append("recording attached")
    return missing


async def _journal_waiting(app: App) -> dict[str, Any] | None:
    """/readyz while the database is away: not ready, the journal's depth shown."""
    url = f"http://127.0.0.1:{app.settings.http.port}/readyz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        body: dict[str, Any] = await response.json()
    journal: dict[str, Any] = body["checks"]["journal"]
    waiting = response.status == 503 and journal["retrying"] and journal["pending"]
    return journal if waiting else None


async def _all_ended(sim: Simulator) -> bool:
    return not sim.live_channels()


async def _all_wrapped(app: App, traffic: Traffic) -> bool:
    agents = [AgentId(s.login) for s in app.settings.acd.seats]
    return all(app.acd.wrap_up_call(a) in (None, *traffic.wrapped) for a in agents)


async def _contacts(app: App) -> dict[str, ContactRow]:
    async with app.sessions() as s:
        rows = (await s.scalars(select(ContactRow))).all()
    return {r.call_id: r for r in rows if r.call_id is not None}


async def _recordings(app: App) -> dict[str, RecordingRow]:
    async with app.sessions() as s:
        rows = (await s.scalars(select(RecordingRow))).all()
    return {r.call_id: r for r in rows}
