"""An Asterisk restart announced on AMI (restart-with-shutdown.ami.txt), replayed
against the simulator over TCP: one call bridged to an agent (set up before the
observing client logged in, as in the trace) and one waiting in `cc-wait`, then
`core restart now` with shutdown events: every channel soft-hung-up with the
shutdown cause, every channel hung up, `Shutdown`, the socket closed.

Compared per channel as in test_sim_contract.py. The channels first seen at the
shutdown appear in the same instant, in an order of Asterisk's hashing; they are
compared as a set, each with its Linkedid named by the channel it points at."""

from __future__ import annotations

import asyncio

from telephony.ami_parse import AmiMessage
from telephony.sim.model import AgentPhone
from telephony.sim.simulator import Simulator
from telephony.sim.sounds import INSTALLED_SOUNDS
from tests.integration.sim_harness import (
    AgiScript,
    AmiClient,
    trace_agi_commands,
    trace_events,
    trace_sounds,
)
from tests.integration.test_sim_contract import (
    SPEED,
    normalise,
    sim_config,
    trace_actions,
)

TRACE = "restart-with-shutdown.ami.txt"
RESTART_AT_S = 12.358


def _waiting(uid: str) -> object:
    def check(m: AmiMessage) -> bool:
        return (
            m.event == "MusicOnHoldStart"
            and m.get("Uniqueid") == uid
            and m.get("Context") == "cc-wait"
        )

    return check


async def _bridged_call(sim: Simulator) -> None:
    """The call that was up before the trace began: a caller in cc-wait, an
    agent leg originated into it, optimised down to the stand-in phone."""
    setup = await AmiClient.connect(sim.ami_port)
    await setup.login()
    await setup.send(
        "Originate", ("Channel", "Local/8800@cc-inbound"), ("Context", "cc-party"),
        ("Exten", "human"), ("Priority", "1"), ("CallerID", '"Test" <+74951234567>'),
        ("Async", "true"), ("ChannelId", "in74438-p"), ("OtherChannelId", "in74438-i"),
    )  # fmt: skip
    await setup.wait_for_message(_waiting("in74438-i"), timeout_s=15)  # type: ignore[arg-type]  # a predicate
    caller = sim.pbx.find("in74438-i")
    assert caller is not None
    await setup.send(
        "Originate", ("Channel", "Local/1001@cc-agent"), ("Application", "Bridge"),
        ("Data", caller.name), ("CallerID", '"Queue support" <pbx1:in74438p>'),
        ("Async", "true"), ("ChannelId", "acd-bd329ce78afc4cf5ae7e8777119e040a"),
        ("OtherChannelId", "acd-bd329ce78afc4cf5ae7e8777119e040a-2"),
    )  # fmt: skip
    await setup.wait_for_message(_phone_waits, timeout_s=15)
    await setup.close()


def _phone_waits(m: AmiMessage) -> bool:
    """The stand-in phone has played its greeting and waits, as when the trace
    began."""
    return (
        m.event == "Newexten"
        and m.get("Application") == "Wait"
        and m.get("Context") == "cc-agentphone"
        and m.get("Priority") == "4"
    )


async def _observed(agi: AgiScript) -> list[AmiMessage]:
    agi.commands = trace_agi_commands(TRACE)  # the waiting caller's IVR
    phone = AgentPhone(endpoint="1001", ring_s=0.1, talk_s=600.0)
    config = sim_config(
        agi,
        agents=(phone,),
        shutdown_events=True,
        installed_sounds=INSTALLED_SOUNDS | trace_sounds(TRACE),
    )
    async with Simulator(config) as sim:
        await _bridged_call(sim)
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        last = 0.0
        for at, verb, fields in trace_actions(TRACE):
            await asyncio.sleep(max(0.0, at - last) / SPEED)
            last = at
            if verb == "Originate":
                await client.send(verb, *fields)
            elif verb == "PlayDTMF":  # to the simulator's name for the channel
                party = sim.pbx.find("in74450-p")
                assert party is not None
                digits = [(k, v) for k, v in fields if k != "Channel"]
                await client.send(verb, ("Channel", party.name), *digits)
        await asyncio.sleep(max(0.0, RESTART_AT_S - last) / SPEED)
        restarted = asyncio.ensure_future(sim.restart(down_s=0.2))
        await client.wait_for(lambda: client.closed)
        await restarted
        await client.close()
    return client.events()


Shape = tuple[tuple[str, tuple[str, ...], str, str, str], ...]


def channels(events: list[AmiMessage]) -> tuple[list[Shape], list[Shape]]:
    """Per channel, in order: (event, field names, name, the channel its Linkedid
    names, Cause). The channels seen before the shutdown in order of appearance;
    those first seen at the shutdown, sorted."""
    names = {m["Uniqueid"]: normalise(m["Channel"]) for m in events if "Uniqueid" in m}
    seqs: dict[str, list[tuple[str, tuple[str, ...], str, str, str]]] = {}
    first_seen: dict[str, bool] = {}
    for m in events:
        uid = m.get("Uniqueid")
        if not uid or m.event in ("OriginateResponse", "DeviceStateChange"):
            continue
        first_seen.setdefault(uid, m.event == "SoftHangupRequest")
        linked = names.get(m["Linkedid"], "another channel")
        seqs.setdefault(uid, []).append(
            (
                m.event or "",
                tuple(k for k, _ in m.pairs()),
                names[uid],
                linked,
                m.get("Cause"),
            )
        )
    before = [tuple(s) for u, s in seqs.items() if not first_seen[u]]
    at_shutdown = sorted(tuple(s) for u, s in seqs.items() if first_seen[u])
    return before, at_shutdown


def _channelless(events: list[AmiMessage]) -> list[str]:
    return [
        m.event or ""
        for m in events
        if "Uniqueid" not in m and m.event not in ("DeviceStateChange", None)
    ]


async def test_restart_with_shutdown_matches_trace_when_asterisk_announces_it(
    agi: AgiScript,
) -> None:
    got = await _observed(agi)

    expected = trace_events(TRACE)
    assert channels(got) == channels(expected)
    assert _channelless(got) == _channelless(expected)
    [shutdown] = [m for m in got if m.event == "Shutdown"]
    assert shutdown.pairs() == [
        ("Event", "Shutdown"),
        ("Privilege", "system,all"),
        ("Shutdown", "Cleanly"),
        ("Restart", "True"),
    ]
    causes = [m["Cause"] for m in got if m.event == "SoftHangupRequest"]
    assert causes[:6] == ["4"] * 6
