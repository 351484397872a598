"""The agent leg as a real Asterisk runs it (agent-leg-bridges.ami.txt), replayed
against the simulator over TCP: a Local pair that Dials the phone, the phone's
bridge and the caller's at once, then Local channel optimisation moving the
caller into the phone's bridge and hanging the pair up. Compared as in
test_sim_contract.py, plus what has no channel of its own (LocalBridge, bridges,
the optimisation) and the order in which channels enter and leave bridges."""

from __future__ import annotations

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
    Action,
    key_values,
    normalise,
    per_channel,
    replay,
    sim_config,
)

TRACE = "agent-leg-bridges.ami.txt"
CALLER = "Local/8800@cc-inbound-00000000;2"
ACD_ORIGINATE: Action = (
    3.696,
    "Originate",
    [
        ("Channel", "Local/1001@cc-agent"),
        ("Application", "Bridge"),
        ("Data", CALLER),
        ("CallerID", '"Queue support" <pbx1:in74268p>'),
        ("Timeout", "15000"),
        ("ChannelId", "acd-f1199d35864345868a4edefbe3ed5c3d"),
        ("OtherChannelId", "acd-f1199d35864345868a4edefbe3ed5c3d-2"),
        ("Async", "true"),
    ],
)
"""The ACD's Originate of the agent leg: it came on the service's own AMI
connection, so the trace shows only its OriginateResponse."""
CHANNELLESS = {"LocalBridge", "BridgeCreate", "BridgeDestroy"} | {
    "LocalOptimizationBegin",
    "LocalOptimizationEnd",
}


def _waiting(m: AmiMessage) -> bool:
    return m.event == "MusicOnHoldStart" and m.get("Context") == "cc-wait"


async def _replayed(agi: AgiScript) -> list[AmiMessage]:
    agi.commands = trace_agi_commands(TRACE)  # the service's IVR
    phone = AgentPhone(endpoint="1001", ring_s=2.0, talk_s=120.0)
    async with Simulator(
        sim_config(
            agi,
            agents=(phone,),
            installed_sounds=INSTALLED_SOUNDS | trace_sounds(TRACE),
        )
    ) as sim:
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        await replay(TRACE, sim, client, extra=(ACD_ORIGINATE,), extra_after=_waiting)
        await client.wait_for(lambda: not sim.live_channels())
        await client.close()
    return client.events()


def _channelless(events: list[AmiMessage]) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (m.event or "", tuple(k for k, _ in m.pairs()))
        for m in events
        if m.event in CHANNELLESS
    ]


def _bridge_moves(events: list[AmiMessage]) -> list[tuple[str, str, str]]:
    """(BridgeEnter/BridgeLeave, channel, bridge by order of appearance)."""
    roles: dict[str, str] = {}
    return [
        (
            m.event or "",
            normalise(m["Channel"]),
            roles.setdefault(m["BridgeUniqueid"], f"bridge{len(roles)}"),
        )
        for m in events
        if m.event in ("BridgeEnter", "BridgeLeave")
    ]


async def test_agent_leg_matches_trace_when_it_dials_the_phone_and_is_optimised(
    agi: AgiScript,
) -> None:
    got = await _replayed(agi)

    expected = trace_events(TRACE)
    assert per_channel(got) == per_channel(expected)
    assert key_values(got) == key_values(expected)
    assert _channelless(got) == _channelless(expected)
    assert _bridge_moves(got) == _bridge_moves(expected)
    [swap] = [m for m in got if m.event == "BridgeEnter" and "SwapUniqueid" in m]
    assert swap["Channel"] == CALLER
    assert swap["SwapUniqueid"] == "acd-f1199d35864345868a4edefbe3ed5c3d-2"
    responses = [m for m in got if m.event == "OriginateResponse"]
    assert [(r["Response"], r["Uniqueid"]) for r in responses] == [
        ("Success", "in74268-p"),
        ("Success", "acd-f1199d35864345868a4edefbe3ed5c3d"),
    ]
