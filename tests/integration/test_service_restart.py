"""The service killed with SIGKILL under load (K3): `contactcentre serve` runs as a
real child process beside the PBX simulator in this process, is killed while
callers are in menus, waiting, ringing and talking, and started again. Every call
reaches an agent or ends with its contact closed, no agent ever has two calls, and
agents and waiting callers are back without anyone logging in again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select

from crm_core.customers.tables import ContactRow
from crm_core.db import make_engine, make_sessions
from telephony.sim.channels import Event
from telephony.sim.model import AgentPhone, Caller
from telephony.sim.simulator import InboundCall, Simulator
from tests.service_process import Desk, ServiceProcess, ServiceSetup
from tests.waiting import eventually

Check = Callable[[], Awaitable[bool]]
SEATS = tuple((f"agent{n}", str(1001 + n)) for n in range(8))
TALK_S = 2.5
LONG_TALK_S = 12.0


def patient(n: int) -> Caller:
    """Presses 1, 2 or 3 for a queue (some still in the menu at the kill) and waits
    as long as it takes; the first talks on across the restart."""
    return Caller(
        ani=f"+7495000{n:04d}",
        digits="123"[n % 3],
        digit_delay_s=0.2 + 0.3 * (n % 4),
        patience_s=None,
        talk_s=LONG_TALK_S if n == 0 else TALK_S,
    )


def bridged(events: Iterable[Event], call: InboundCall) -> bool:
    """The caller's channel entered a bridge (with an agent's leg)."""
    return any(
        ("Event", "BridgeEnter") in e and ("Uniqueid", call.ivr_uniqueid) in e
        for e in events
    )


def most_calls_per_agent(events: Iterable[Event]) -> int:
    """The most agent legs (ringing or talking) any one phone had at once."""
    live: dict[str, set[str]] = {}
    most = 0
    for event in events:
        fields = dict(event)
        name = fields.get("Channel", "")
        if "@cc-agent-" not in name or not name.endswith(";1"):
            continue
        legs = live.setdefault(name.split("@")[0], set())
        if fields["Event"] == "Newchannel":
            legs.add(fields["Uniqueid"])
        elif fields["Event"] == "Hangup":
            legs.discard(fields["Uniqueid"])
        most = max(most, len(legs))
    return most


async def contacts(database_url: str) -> list[ContactRow]:
    engine = make_engine(database_url)
    try:
        async with make_sessions(engine)() as s:
            return list(await s.scalars(select(ContactRow)))
    finally:
        await engine.dispose()


async def test_every_call_is_served_or_closed_when_the_service_is_killed_under_load(
    postgres_url: str, tmp_path: Path
) -> None:
    setup = ServiceSetup(database_url=postgres_url, workdir=tmp_path, seats=SEATS)
    service = ServiceProcess(setup)
    phones = tuple(
        # the last phone never answers: an offer to it is ringing at the kill
        AgentPhone(endpoint=ep, ring_s=0.3, talk_s=600, answers=n < len(SEATS) - 1)
        for n, (_, ep) in enumerate(SEATS)
    )
    config = setup.simulator(agents=phones)
    async with (
        aiohttp.ClientSession() as http,
        Simulator(config, keep_events=True) as sim,
    ):
        desk = await Desk.made(setup, http)
        try:
            await service.start()
            await service.healthy(http, timeout_s=20)
            for login, _ in SEATS:
                await desk.post(login, "/acd/agents/me/login")
            await desk.post(SEATS[0][0], "/acd/agents/me/pause", {"reason": "lunch"})
            served = [await _arrive(sim, patient(n)) for n in range(10)]
            # talking, ringing, waiting and in the menu: then the kill
            await eventually(_bridged_at_least(sim, served, 2), timeout_s=10)
            await eventually(_ringing(sim, SEATS[-1][1]), timeout_s=10)
            served += [await _arrive(sim, patient(n)) for n in range(10, 12)]
            gave_up = await _arrive(
                sim, Caller(ani="+74950009999", digits="1", patience_s=1.5)
            )
            await service.kill()
            killed_at = datetime.now(UTC)
            served += [await _arrive(sim, patient(n)) for n in range(12, 14)]
            await asyncio.sleep(1.5)
            await service.start()
            await service.healthy(http, timeout_s=20)

            async def restored() -> dict[str, dict[str, str]] | None:
                agents = await desk.agents()
                states = {a["state"] for a in agents.values()}
                return None if "logged_out" in states else agents

            agents = await eventually(restored, timeout_s=10)
            paused = agents[SEATS[0][0]]
            assert (paused["state"], paused["reason"]) == ("paused", "lunch")
            served += [await _arrive(sim, patient(n)) for n in range(14, 16)]

            await eventually(_all_ended(sim), timeout_s=40)
            closed = await eventually(_all_closed(postgres_url, 17), timeout_s=10)
        finally:
            await service.stop()
        assert [c for c in served if not bridged(sim.events, c)] == []
        assert not bridged(sim.events, gave_up)
        assert most_calls_per_agent(sim.events) == 1
        [lost] = [c for c in closed if c.call_id == f"pbx1:{gave_up.linkedid}"]
        assert lost.end_reason == "service_down"
        assert lost.ended_at is not None
        assert lost.ended_at.astimezone(UTC) <= killed_at  # last seen, not now
        assert {c.outcome for c in closed if c is not lost} == {"answered"}


async def _arrive(sim: Simulator, caller: Caller) -> InboundCall:
    call = await sim.place_inbound(caller)
    await asyncio.sleep(0.1)
    return call


def _bridged_at_least(sim: Simulator, calls: list[InboundCall], count: int) -> Check:
    async def check() -> bool:
        return sum(bridged(sim.events, c) for c in calls) >= count

    return check


def _ringing(sim: Simulator, endpoint: str) -> Check:
    async def check() -> bool:
        prefix = f"Local/{endpoint}@cc-agent-"
        return any(c.name.startswith(prefix) for c in sim.live_channels())

    return check


def _all_ended(sim: Simulator) -> Check:
    async def check() -> bool:
        return not sim.live_channels()

    return check


def _all_closed(
    database_url: str, count: int
) -> Callable[[], Awaitable[list[ContactRow] | None]]:
    async def check() -> list[ContactRow] | None:
        rows = await contacts(database_url)
        done = len(rows) == count and all(r.ended_at is not None for r in rows)
        return rows if done else None

    return check
