"""Pre-generated AMI byte streams of whole calls, for benchmarks: the same events
the simulator emits for an inbound call (inbound-spine.ami.txt's shape), no sockets.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from telephony.ami_parse import encode
from telephony.sim.channels import Event, Pbx


def synthetic_calls(
    count: int, *, seed: int = 1, epoch: int = 1795527500
) -> Iterator[bytes]:
    """Yield the wire bytes of `count` complete inbound calls, one call per item:
    Local pair, dial, answer, IVR (AGI) noise, hangup. Same seed, same bytes."""
    rng = random.Random(seed)  # noqa: S311  # repeatable load, not secrets
    events: list[Event] = []
    seq = iter(range(1, 2**62))
    pbx = Pbx(epoch=epoch, emit=events.append, bridge_ids=lambda: f"bridge-{next(seq)}")
    for _ in range(count):
        events.clear()
        ani = f"+7495{rng.randrange(10**7):07d}"
        dnis = rng.choice(("2001", "2002", "2003"))
        one, two = pbx.local_pair(dnis, "cc-inbound", callerid=(ani, "Caller"))
        pbx.local_bridge_and_dial(one, two)
        pbx.newexten(two, "NoOp", f"inbound {ani} -> {dnis}")
        pbx.newexten(two, "Answer", "", priority=2)
        pbx.newstate(two, "Up")
        pbx.device_state(one.device, "INUSE")
        pbx.newstate(one, "Up")
        pbx.dial_end(one, "ANSWER")
        pbx.newexten(two, "AGI", "agi://127.0.0.1:4573/inbound", priority=3)
        for command in (
            'EXEC Playback "custom/welcome"',
            "GET DATA custom/welcome 5000 1",
        ):
            command_id = rng.randrange(1, 2**31)
            pbx.agi_exec_start(two, command_id, command)
            pbx.agi_exec_end(two, command_id, command, 200, "Success")
        pbx.varset(two, "AGISTATUS", "SUCCESS")
        pbx.soft_hangup_request(one, 16)
        pbx.hangup_request(two, 0)
        pbx.hangup(one, 0)
        pbx.soft_hangup_request(two, 16)
        pbx.hangup(two, 16)
        pbx.device_state(one.device, "NOT_INUSE")
        yield b"".join(encode(e) for e in events)
