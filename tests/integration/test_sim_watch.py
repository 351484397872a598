"""The simulator shows each AMI event it sends to whoever watches (a bench notes
when an agent's phone starts ringing)."""

from __future__ import annotations

from pathlib import Path

from telephony import dialplan
from telephony.sim.channels import Event
from telephony.sim.model import Caller, SimConfig
from telephony.sim.simulator import Simulator
from tests.servers import free_port
from tests.waiting import eventually


async def test_watch_sees_every_event_sent_in_order(tmp_path: Path) -> None:
    seen: list[Event] = []
    config = SimConfig(
        agi_port=free_port(), speed=20.0, recordings_dir=tmp_path, agi_timeout_s=5
    )
    async with Simulator(config, keep_events=True, watch=seen.append) as sim:
        await sim.place_inbound(Caller(ani="+74951234567", patience_s=None))

        async def waiting() -> bool:
            return any(
                ch.context == dialplan.WAIT_CONTEXT for ch in sim.live_channels()
            )

        await eventually(waiting, timeout_s=5)
        names = [dict(e)["Event"] for e in seen]
        assert names.count("Newchannel") == 2
        assert seen == sim.events
