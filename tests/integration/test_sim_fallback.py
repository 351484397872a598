"""The simulator sets AGISTATUS as Asterisk does and runs the reference dialplan's
fallback: a caller whose FastAGI script could not run, or was cut off, waits in a
queue instead of being hung up on."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telephony import dialplan
from telephony.agi import AgiHandler, AgiServer, AgiSession
from telephony.sim.channels import Channel
from telephony.sim.model import Caller, SimConfig
from telephony.sim.simulator import Simulator
from tests.servers import free_port
from tests.waiting import eventually

SPEED = 20.0


@asynccontextmanager
async def simulator(agi_port: int, tmp_path: Path) -> AsyncIterator[Simulator]:
    config = SimConfig(
        agi_port=agi_port,
        speed=SPEED,
        recordings_dir=tmp_path / "mix",
        agi_timeout_s=5,
    )
    async with Simulator(config, keep_events=True) as sim:
        yield sim


@asynccontextmanager
async def fastagi(**handlers: AgiHandler) -> AsyncIterator[int]:
    """A FastAGI server running `handlers` by script name; yields its port."""
    server = AgiServer(port=0, handlers=handlers, command_timeout_s=5)
    try:
        yield await server.start()
    finally:
        await server.stop()


def agi_statuses(sim: Simulator) -> list[str]:
    return [
        dict(e)["Value"]
        for e in sim.events
        if dict(e).get("Event") == "VarSet" and dict(e)["Variable"] == "AGISTATUS"
    ]


async def waiting_channel(sim: Simulator) -> Channel:
    async def found() -> Channel | None:
        for ch in sim.live_channels():
            if ch.context == dialplan.WAIT_CONTEXT:
                return ch
        return None

    channel: Channel = await eventually(found, timeout_s=5)
    return channel


async def test_caller_waits_in_the_default_queue_when_fastagi_is_unreachable(
    tmp_path: Path,
) -> None:
    async with simulator(free_port(), tmp_path) as sim:
        before = int(time.time())
        await sim.place_inbound(Caller(ani="+74951234567", patience_s=None))
        caller = await waiting_channel(sim)
        assert caller.variables[dialplan.QUEUE_VARIABLE] == dialplan.DEFAULT_QUEUE
        assert int(caller.variables[dialplan.QUEUED_AT_VARIABLE]) >= before
        assert agi_statuses(sim)[:2] == ["FAILURE", "FAILURE"]  # inbound, announce
        assert not caller.dead


async def test_caller_keeps_their_queue_when_the_session_is_cut_off(
    tmp_path: Path,
) -> None:
    announced: list[str] = []

    async def inbound(session: AgiSession) -> None:
        await session.set_variable(dialplan.QUEUE_VARIABLE, "support")
        raise RuntimeError("the service fails mid-menu")

    async def announce(session: AgiSession) -> None:
        announced.append(session.request.channel)

    async with (
        fastagi(inbound=inbound, announce=announce) as port,
        simulator(port, tmp_path) as sim,
    ):
        await sim.place_inbound(Caller(ani="+74951234567", patience_s=None))
        caller = await waiting_channel(sim)
        assert caller.variables[dialplan.QUEUE_VARIABLE] == "support"
        # Asterisk takes a FastAGI server closing the session as the script's
        # end (res_agi run_agi: "Program terminated"), so not FAILURE.
        assert agi_statuses(sim)[0] == "SUCCESS"

        async def heard() -> bool:
            return announced == [caller.name]

        await eventually(heard, timeout_s=3)  # at once, not after the music


async def test_caller_moved_on_by_the_script_skips_the_fallback_when_it_ends(
    tmp_path: Path,
) -> None:
    async def inbound(session: AgiSession) -> None:
        await session.set_variable(dialplan.QUEUE_VARIABLE, "billing")
        await session.set_context(dialplan.WAIT_CONTEXT)
        await session.set_extension(dialplan.WAIT_EXTEN)
        await session.set_priority(1)

    async def announce(session: AgiSession) -> None:
        return None

    async with (
        fastagi(inbound=inbound, announce=announce) as port,
        simulator(port, tmp_path) as sim,
    ):
        await sim.place_inbound(Caller(ani="+74951234567", patience_s=None))
        caller = await waiting_channel(sim)
        assert caller.variables[dialplan.QUEUE_VARIABLE] == "billing"
        assert dialplan.QUEUED_AT_VARIABLE not in caller.variables
        assert agi_statuses(sim) == ["SUCCESS"]


async def test_caller_returns_to_wait_when_the_queue_exit_script_fails(
    tmp_path: Path,
) -> None:
    async with simulator(free_port(), tmp_path) as sim:
        await sim.place_inbound(Caller(ani="+74951234567", patience_s=None))
        caller = await waiting_channel(sim)
        caller.variables[dialplan.QUEUE_VARIABLE] = "billing"

        def places() -> list[str]:
            return [
                dict(e)["Context"]
                for e in sim.events
                if dict(e).get("Event") == "Newexten"
                and dict(e)["Uniqueid"] == caller.uniqueid
            ]

        seen = len(places())
        line = sim.dialplan.line(caller)  # as the ACD's Redirect does
        line.redirect = (dialplan.QUEUE_EXIT_CONTEXT, dialplan.QUEUE_EXIT_VOICEMAIL, 1)
        line.wake.set()

        async def back() -> bool:
            later = places()[seen:]
            return (
                dialplan.QUEUE_EXIT_CONTEXT in later
                and later[-1] == dialplan.WAIT_CONTEXT
            )

        await eventually(back, timeout_s=5)
        assert dialplan.FALLBACK_CONTEXT in places()[seen:]
        assert caller.variables[dialplan.QUEUE_VARIABLE] == "billing"
        assert not caller.dead


async def test_caller_cut_off_halfway_through_the_hand_off_still_waits(
    tmp_path: Path,
) -> None:
    async def inbound(session: AgiSession) -> None:
        await session.set_variable(dialplan.QUEUE_VARIABLE, "billing")
        await session.set_context(dialplan.WAIT_CONTEXT)
        raise RuntimeError("killed before SET EXTENSION")

    announced: list[str] = []

    async def announce(session: AgiSession) -> None:
        announced.append(session.request.extension)

    async with (
        fastagi(inbound=inbound, announce=announce) as port,
        simulator(port, tmp_path) as sim,
    ):
        await sim.place_inbound(Caller(ani="+74951234567", patience_s=None))
        caller = await waiting_channel(sim)

        async def heard() -> bool:
            return announced == [dialplan.WAIT_EXTEN]

        await eventually(heard, timeout_s=3)
        assert caller.variables["INVALID_EXTEN"] == "2001"
        assert not caller.dead
