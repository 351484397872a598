"""Each recorded Asterisk scenario, replayed against the simulator over real TCP.

Compared: for every channel (matched by order of appearance), the sequence of
(event name, field names in order) and the key values (channel names, Linkedid,
hangup causes). Allowed noise, as between two runs of a real Asterisk: timestamps,
SessionID, EventTV, ports, Uniqueid epochs and Local channel counters, the
interleaving of different channels' events in the same instant, DeviceStateChange
and OriginateResponse positions (checked separately).
"""

from __future__ import annotations

import asyncio
import re
import wave
from collections.abc import Callable
from pathlib import Path

from telephony.ami_parse import AmiMessage
from telephony.sim.model import SimConfig
from telephony.sim.simulator import Simulator
from tests.integration.sim_harness import (
    TRACES,
    AgiScript,
    AmiClient,
    read_trace,
    trace_events,
)

SPEED = 10.0
PER_CHANNEL_SKIP = {"OriginateResponse", "CoreShowChannel", "DeviceStateChange"}


def _uid(m: AmiMessage) -> str:
    return m.get("Uniqueid") or m.get("DestUniqueid")


def per_channel(events: list[AmiMessage]) -> list[list[tuple[str, tuple[str, ...]]]]:
    order: list[str] = []
    seqs: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for m in events:
        uid = _uid(m)
        if not uid or m.event in PER_CHANNEL_SKIP or uid == "<unknown>":
            continue
        if uid not in seqs:
            order.append(uid)
            seqs[uid] = []
        seqs[uid].append((m.event or "", tuple(k for k, _ in m.pairs())))
    return [seqs[u] for u in order]


def normalise(name: str) -> str:
    return re.sub(r"-[0-9a-f]{8};", "-N;", name)


def key_values(events: list[AmiMessage]) -> list[list[tuple[str, str, str, str]]]:
    """Per channel: (event, channel name, Linkedid role, Cause) for the events that
    carry them."""
    roles: dict[str, str] = {}
    out: dict[str, list[tuple[str, str, str, str]]] = {}
    for m in events:
        uid = _uid(m)
        if not uid or m.event in PER_CHANNEL_SKIP or uid == "<unknown>":
            continue
        roles.setdefault(uid, f"c{len(roles)}")
        linked = m.get("Linkedid") or m.get("DestLinkedid")
        roles.setdefault(linked, f"c{len(roles)}")
        name = normalise(m.get("Channel") or m.get("DestChannel"))
        out.setdefault(uid, []).append(
            (m.event or "", name, roles[linked], m.get("Cause"))
        )
    return list(out.values())


Action = tuple[float, str, list[tuple[str, str]]]
"""(trace seconds, action name, fields) of an action to send."""


def trace_actions(name: str) -> list[Action]:
    """The actions the trace's client sent, at the trace's times."""
    blocks = read_trace(name)
    times = [
        float(line.split()[0])
        for line in (TRACES / name).read_text().splitlines()
        if " >> Action: " in line
    ]
    actions = [m for d, m in blocks if d == ">>" and isinstance(m, AmiMessage)]
    return [
        (at, a.action or "", [(k, v) for k, v in a.pairs() if k not in _OWN])
        for at, a in zip(times, actions, strict=True)
    ]


_OWN = ("Action", "ActionID")


async def replay(
    name: str,
    sim: Simulator,
    client: AmiClient,
    *,
    skip: tuple[str, ...] = (),
    files: Path | None = None,
    after: dict[str, Callable[[AmiMessage], bool]] | None = None,
    extra: tuple[Action, ...] = (),
    extra_after: Callable[[AmiMessage], bool] | None = None,
) -> None:
    """Send the trace's actions (and `extra` ones, sent by another client when
    the trace was recorded, each once `extra_after` has been seen) at the
    trace's times (scaled), Local channel counters renumbered to the
    simulator's."""
    last = 0.0
    seq_map: dict[str, str] = {}
    for raw in (TRACES / name).read_text().splitlines():
        for found in re.findall(r"-([0-9a-f]{8});", raw):
            seq_map.setdefault(found, f"{len(seq_map):08x}")
    actions = sorted([*trace_actions(name), *extra], key=lambda a: a[0])
    for action in actions:
        at, verb, fields = action
        if verb in ("Login", "Logoff", *skip):
            continue
        await asyncio.sleep(max(0.0, at - last) / SPEED)
        last = at
        if after and verb in after:  # the trace's own race, settled the trace's way
            await client.wait_for_message(after[verb])
        if extra_after is not None and action in extra:
            await client.wait_for_message(extra_after)
        pairs = []
        for k, v in fields:
            for old, new in seq_map.items():
                v = v.replace(f"-{old};", f"-{new};")
            if k == "File" and files is not None:
                v = str(files / Path(v).name)
            pairs.append((k, v))
        await client.send(verb, *pairs)


def sim_config(agi: AgiScript, **kw: object) -> SimConfig:
    return SimConfig(agi_port=agi.port, speed=SPEED, seed=7, **kw)  # type: ignore[arg-type]  # test overrides


async def test_inbound_spine_matches_trace_when_replayed(
    agi: AgiScript, tmp_path: Path
) -> None:
    agi.commands = [
        'EXEC Playback "custom/welcome"',
        "GET DATA custom/welcome 5000 1",
        'SET VARIABLE CC_CHOICE "200 result=2"',
        'SET VARIABLE CC_QUEUE "billing"',
        "GET VARIABLE CALLERID(num)",
        "SET CONTEXT cc-wait",
        "SET EXTENSION s",
        "SET PRIORITY 1",
    ]
    async with Simulator(sim_config(agi, recordings_dir=tmp_path)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        await replay(
            "inbound-spine.ami.txt",
            sim,
            client,
            files=tmp_path,
            after={"MixMonitor": lambda m: m.get("Variable") == "AGISTATUS"},
        )
        await client.wait_for(lambda: not sim.live_channels())
        await client.close()
    expected = trace_events("inbound-spine.ami.txt")
    got = client.events()
    assert per_channel(got) == per_channel(expected)
    assert key_values(got) == key_values(expected)
    assert agi.replies == [
        [
            "200 result=0",
            "200 result=2",
            "200 result=1",
            "200 result=1",
            "200 result=1 (+74951234567)",
            "200 result=0",
            "200 result=0",
            "200 result=0",
        ]
    ]
    env = agi.environments[0]
    assert list(env) == [
        f"agi_{k}"
        for k in [
            "network",
            "network_script",
            "request",
            "channel",
            "language",
            "type",
            "uniqueid",
            "version",
            "callerid",
            "calleridname",
            "callingpres",
            "callingani2",
            "callington",
            "callingtns",
            "dnid",
            "rdnis",
            "context",
            "extension",
            "priority",
            "enhanced",
            "accountcode",
            "threadid",
        ]
    ]
    assert env["agi_uniqueid"] == "caller-1b"
    assert env["agi_extension"] == "2001"
    assert env["agi_priority"] == "3"
    recording = tmp_path / "caller-1.wav"
    with wave.open(str(recording), "rb") as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (
            8000,
            2,
            1,
        )
        seconds = wav.getnframes() / 8000
    assert 6.0 <= seconds <= 10.0  # MixMonitor at 4.6 s, hangup at 12.6 s (simulated)
    responses = [m for m in got if m.event == "OriginateResponse"]
    assert [(r["Response"], r["Reason"], r["Uniqueid"]) for r in responses] == [
        ("Success", "4", "caller-1"),
        ("Success", "4", "agent-1"),
    ]


async def test_dialer_amd_matches_trace_when_replayed(agi: AgiScript) -> None:
    agi.commands = ["GET VARIABLE AMDSTATUS", "GET VARIABLE AMDCAUSE", 'EXEC Wait "1"']
    async with Simulator(sim_config(agi)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        await replay("dialer-amd.ami.txt", sim, client)
        await client.wait_for(
            lambda: (
                len([m for m in client.events() if m.event == "OriginateResponse"]) == 4
                and not sim.live_channels()
            )
        )
        await client.close()
    expected = trace_events("dialer-amd.ami.txt")
    got = client.events()
    assert per_channel(got) == per_channel(expected)
    assert key_values(got) == key_values(expected)
    assert agi.replies == [
        ["200 result=1 (HUMAN)", "200 result=1 (HUMAN-800-800)", "200 result=0"],
        [
            "200 result=1 (MACHINE)",
            "200 result=1 (LONGGREETING-1500-1500)",
            "200 result=0",
        ],
    ]
    outcome = [
        (m["Response"], m["Reason"], m["Channel"].startswith("Local/"))
        for m in got
        if m.event == "OriginateResponse"
    ]
    assert [(r, reason) for r, reason, _ in outcome] == [
        ("Success", "4"),
        ("Success", "4"),
        ("Failure", "3"),
        ("Failure", "5"),
    ]


async def test_agi_hangup_matches_trace_when_caller_hangs_up_in_get_data(
    agi: AgiScript,
) -> None:
    agi.commands = [
        "GET DATA custom/welcome 10000 4",
        'SET VARIABLE AFTER "1"',
        'STREAM FILE custom/welcome ""',
    ]
    async with Simulator(sim_config(agi)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        await replay("agi-hangup.ami.txt", sim, client)
        await client.wait_for(lambda: not sim.live_channels())
        await client.close()
    expected = trace_events("agi-hangup.ami.txt")
    got = client.events()
    assert per_channel(got) == per_channel(expected)
    assert key_values(got) == key_values(expected)
    assert agi.replies == [
        [
            "200 result=-1",
            "HANGUP",
            "200 result=1",
            "511 Command Not Permitted on a dead channel or intercept routine",
        ]
    ]


def _replies(blocks: list[AmiMessage]) -> list[AmiMessage]:
    return [m for m in blocks if m.response is not None and m.event is None]


def _responses(blocks: list[AmiMessage]) -> list[tuple[str, ...]]:
    return [
        (*tuple(k for k, _ in m.pairs()), m.get("Message"))
        for m in blocks
        if m.response is not None and m.get("Response") != "Follows"
    ]


async def test_ami_basics_match_trace_when_replayed(agi: AgiScript) -> None:
    async with Simulator(sim_config(agi)) as sim:
        bad = await AmiClient.connect(sim.ami_port)
        assert bad.banner == "Asterisk Call Manager/9.0.0"
        refused = await bad.login("wrong")
        await bad.wait_for(lambda: bad.closed)
        await bad.close()
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        await replay("ami-basics.ami.txt", sim, client)
        await client.wait_for(lambda: len(_replies(client.received)) >= 7)
        await client.wait_for(
            lambda: any(m.event == "OriginateResponse" for m in client.received)
        )
        await client.close()
    trace = [
        m for d, m in read_trace("ami-basics.ami.txt") if isinstance(m, AmiMessage)
    ]
    trace_replies = _replies(trace)
    assert _responses([refused]) == _responses(trace_replies[:1])
    got_replies = _replies(client.received)
    assert _responses(got_replies) == _responses(trace_replies[1:-1])
    expected = [m for m in trace if m.event]
    got = client.events()

    def shape(events: list[AmiMessage]) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (m.event or "", tuple(k for k, _ in m.pairs()))
            for m in events
            if m.event not in ("SuccessfulAuth", "RequestBadFormat")
        ]

    assert sorted(shape(got)) == sorted(shape(expected))
    assert [m.get("Value") for m in got_replies if "Value" in m] == [
        "127.0.0.1:" + str(agi.port)
    ]


async def test_restart_matches_trace_when_core_restart_is_asked(agi: AgiScript) -> None:
    async with Simulator(sim_config(agi)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        await client.send(
            "Originate",
            ("Channel", "Local/1001@cc-agentphone"),
            ("Application", "MusicOnHold"),
            ("Data", "default,60"),
            ("Async", "true"),
        )
        await client.wait_for(
            lambda: any(m.event == "OriginateResponse" for m in client.received)
        )
        listed = await client.call("CoreShowChannels")
        await client.wait_for(
            lambda: any(m.event == "CoreShowChannelsComplete" for m in client.received)
        )
        assert listed["EventList"] == "start"
        before = len(client.events())
        sim_restart = asyncio.ensure_future(sim.restart(down_s=0.5))
        await client.wait_for(lambda: client.closed)
        assert client.events()[before:] == []  # no Hangup, no Shutdown
        early = await AmiClient.connect(sim.ami_port)
        refused = await early.login()
        assert refused["Message"] == "Asterisk is shutting down"
        await early.wait_for(lambda: early.closed)
        await early.close()
        await sim_restart
        again = await AmiClient.connect(sim.ami_port)
        assert (await again.login())["Response"] == "Success"
        await again.wait_for(
            lambda: any(m.event == "FullyBooted" for m in again.received)
        )
        await again.call("CoreShowChannels")
        done = await again.wait_for_message(
            lambda m: m.event == "CoreShowChannelsComplete"
        )
        assert done["ListItems"] == "0"
        assert not any(m.event == "Hangup" for m in client.events())
        await again.close()
        await client.close()
