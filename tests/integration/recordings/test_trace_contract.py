"""A real Asterisk's agent leg (agent-leg-bridges.ami.txt: two bridges, then Local
channel optimisation) replayed byte for byte through the AMI framer, the call
tracker and the recording service on the real recordings store, subscribed to
the bus as the composition root does: one recording, on the caller's channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from contactcentre.bus import Bus
from crm_core.db import Sessions
from recordings.model import RecordingStatus
from recordings.service import EVENTS, RecordingService
from recordings.storage import RecordingFiles, SqlCallContacts
from telephony.ami_events import NOISE_EVENTS, normalise
from telephony.ami_parse import AmiFramer, AmiMessage
from telephony.calls import CallTracker
from telephony.channel_events import LegExpected
from telephony.model import ChannelId, PbxId
from tests.fakes import RecordingPublisher
from tests.integration.recordings.accounts import SystemClock
from tests.integration.recordings.fakes import FakePbx
from tests.integration.recordings.test_service import BOSS
from tests.unit.telephony.ami_traces import connections

PBX = PbxId("pbx1")
T0 = datetime(2026, 12, 7, 20, 11, 8, tzinfo=UTC)
TRACE = "agent-leg-bridges.ami.txt"
CALLER = "Local/8800@cc-inbound-00000000;2"


def agent_leg(messages: list[AmiMessage]) -> LegExpected:
    """What the ACD's AmiPbx.originate announced before it sent the Originate
    (on its own connection, so the trace shows only the OriginateResponse)."""
    [response] = [m for m in messages if m.get("Application") == "Bridge"]
    first = ChannelId(response["Uniqueid"])
    return LegExpected(
        pbx_id=PBX,
        channel_ids=(first, ChannelId(f"{first}-2")),
        joins_channel=response["Data"],
    )


async def test_one_recording_runs_on_the_caller_when_the_agent_leg_is_optimised(
    sessions: Sessions, tmp_path: Path
) -> None:
    pbx = FakePbx()
    files = RecordingFiles(tmp_path)
    recordings = RecordingService(
        sessions, pbx, files, SystemClock(), contacts=SqlCallContacts(sessions),
        publisher=RecordingPublisher(),
    )  # fmt: skip
    tracker = CallTracker()
    wire = connections(TRACE)[0].received
    parsed = AmiFramer(skip_events=NOISE_EVENTS).feed(wire)
    messages = [m for m in parsed if isinstance(m, AmiMessage)]

    async with Bus() as bus:
        bus.subscribe_all(EVENTS, recordings.handle)
        for event in tracker.apply(agent_leg(messages)):
            await bus.publish(event)
        for n, message in enumerate(messages):
            inputs = normalise(PBX, message, T0 + timedelta(milliseconds=n))
            for event in tracker.apply(inputs) if inputs is not None else []:
                await bus.publish(event)
        await bus.drain()

    [(command, channel, file)] = pbx.commands
    assert (command, channel) == ("MixMonitor", CALLER)
    assert file == str(files.path_of("pbx1_in74268-p.wav"))
    [recording] = await recordings.find(BOSS, call_id="pbx1:in74268-p")
    assert recording.channel == CALLER
    assert recording.status is RecordingStatus.MISSING  # nothing wrote the file
    assert len(tracker) == 0
