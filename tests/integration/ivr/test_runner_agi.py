"""The IVR runner against a scripted FastAGI peer playing Asterisk's side line by
line: what the PBX answers for a missing sound or a hang-up mid-prompt or
mid-recording, and what the call's IvrCompleted then says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.events import IvrCompleted
from ivr.loader import FlowRegistry
from ivr.parts import IvrParts, RunnerConfig
from ivr.session import ivr_handler
from telephony.agi import AgiServer
from tests.fakes import FakeClock, RecordingPublisher
from tests.integration.ivr.test_runner import AudioRecogniser, FakeCrm, FakeTts
from tests.integration.test_agi_server import AsteriskPeer, environment
from tests.waiting import eventually

DEAD = "511 Command Not Permitted on a dead channel or intercepted channel"
FLOW: dict[str, object] = {
    "flow": "sounds",
    "language": "en",
    "numbers": ["2001"],  # the peer's agi_extension
    "start": "welcome",
    "operator": "operator",
    "nodes": {
        "welcome": {
            "kind": "play",
            "files": ["cc/t/absent", "cc/t/hello"],
            "next": "ask",
        },
        "ask": {
            "kind": "menu",
            "prompt": [{"file": "cc/t/menu"}],
            "choices": [{"key": "1", "say": ["billing"], "goto": "bye"}],
            "default": "operator",
        },
        "bye": {"kind": "hangup"},
        "operator": {"kind": "queue", "queue": "general"},
    },
}


class Served:
    def __init__(self, publisher: RecordingPublisher) -> None:
        self.publisher = publisher

    async def completed(self) -> IvrCompleted:
        async def found() -> IvrCompleted | None:
            events = self.publisher.of_type(IvrCompleted)
            return events[0] if events else None

        done: IvrCompleted = await eventually(found, timeout_s=5)
        return done


@pytest.fixture(params=[False, True], ids=["keys", "speech"])
def speech(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def speech_languages() -> frozenset[str] | None:
    return None


@pytest.fixture
async def peer(
    tmp_path: Path, speech: bool, speech_languages: frozenset[str] | None
) -> AsyncIterator[tuple[AsteriskPeer, Served]]:
    flows = FlowRegistry()
    flows.publish(FLOW, source="api:test")
    publisher = RecordingPublisher()
    asr = AudioRecogniser(by_audio={}) if speech else None
    handler = ivr_handler(
        IvrParts(
            flows=flows,
            crm=FakeCrm(),
            tts=FakeTts(),
            asr=asr,
            publish=publisher,
            clock=FakeClock(),
            call_id_of=lambda uniqueid: f"pbx-1:{uniqueid}",
            config=RunnerConfig(
                recordings_dir=tmp_path / "rec", speech_languages=speech_languages
            ),
        )
    )
    server = AgiServer(port=0, handlers={"inbound": handler}, command_timeout_s=2)
    port = await server.start()
    asterisk = await AsteriskPeer.connect(port)
    try:
        await asterisk.send(environment())
        await asterisk.expect("ANSWER", "200 result=0")
        yield asterisk, Served(publisher)
    finally:
        await asterisk.close()
        await server.stop()


async def test_next_prompt_plays_when_the_pbx_has_no_such_sound(
    peer: tuple[AsteriskPeer, Served], speech: bool
) -> None:
    asterisk, served = peer
    await asterisk.expect('STREAM FILE "cc/t/absent" ""', "200 result=-1 endpos=0")
    await asterisk.expect("CHANNEL STATUS", "200 result=6")
    await asterisk.expect('STREAM FILE "cc/t/hello" ""', "200 result=0 endpos=8000")
    if speech:
        await asterisk.expect('STREAM FILE "cc/t/menu" "1"', "200 result=49 endpos=9")
    else:
        await asterisk.expect('GET DATA "cc/t/menu" 5000 1', "200 result=1")
    await asterisk.expect("HANGUP", "200 result=1")

    done = await served.completed()

    assert (done.outcome, done.data["ended"], done.data["last_node"]) == (
        "flow_ended",
        "flow",
        "bye",
    )
    assert done.call_id == "pbx-1:caller-1b"
    journal = done.data["journal"]
    assert isinstance(journal, list)
    failed = [
        e for e in journal if isinstance(e, dict) and e["detail"] == "PromptFailed"
    ]
    assert [e["value"] for e in failed] == ["0: missing sound cc/t/absent"]


async def test_contact_records_hang_up_mid_prompt_when_the_probe_finds_it_gone(
    peer: tuple[AsteriskPeer, Served],
) -> None:
    asterisk, served = peer
    await asterisk.expect('STREAM FILE "cc/t/absent" ""', "200 result=-1 endpos=0")
    await asterisk.expect("CHANNEL STATUS", DEAD)

    done = await served.completed()

    assert (done.outcome, done.data["ended"], done.data["last_node"]) == (
        "caller_hung_up",
        "hung_up_mid_prompt",
        "welcome",
    )
    assert await asterisk.closed_by_server()


@pytest.mark.parametrize("speech", [True], ids=["speech"])
async def test_contact_records_hang_up_mid_recording_when_caller_leaves_talking(
    peer: tuple[AsteriskPeer, Served],
) -> None:
    asterisk, served = peer
    await asterisk.expect('STREAM FILE "cc/t/absent" ""', "200 result=0 endpos=800")
    await asterisk.expect('STREAM FILE "cc/t/hello" ""', "200 result=0 endpos=800")
    await asterisk.expect('STREAM FILE "cc/t/menu" "1"', "200 result=0 endpos=800")
    command = await asterisk.command()
    assert command.startswith("RECORD FILE")
    await asterisk.send("200 result=-1 (hangup) endpos=4000\n")

    done = await served.completed()

    assert (done.outcome, done.data["ended"], done.data["last_node"]) == (
        "caller_hung_up",
        "hung_up_mid_recording",
        "ask",
    )


@pytest.mark.parametrize("speech", [False], ids=["keys"])
async def test_contact_records_hang_up_mid_input_when_caller_leaves_at_the_keys(
    peer: tuple[AsteriskPeer, Served],
) -> None:
    asterisk, served = peer
    await asterisk.expect('STREAM FILE "cc/t/absent" ""', "200 result=0 endpos=800")
    await asterisk.expect('STREAM FILE "cc/t/hello" ""', "200 result=0 endpos=800")
    await asterisk.expect('GET DATA "cc/t/menu" 5000 1', "HANGUP", "200 result=-1")

    done = await served.completed()

    assert (done.data["ended"], done.data["last_node"]) == (
        "hung_up_mid_input",
        "ask",
    )


@pytest.mark.parametrize(
    ("speech", "speech_languages"), [(True, frozenset({"ru"}))], ids=["ru-model"]
)
async def test_menu_takes_keys_only_when_no_model_serves_the_flow_language(
    peer: tuple[AsteriskPeer, Served],
) -> None:
    asterisk, served = peer
    await asterisk.expect('STREAM FILE "cc/t/absent" ""', "200 result=0 endpos=800")
    await asterisk.expect('STREAM FILE "cc/t/hello" ""', "200 result=0 endpos=800")
    await asterisk.expect('GET DATA "cc/t/menu" 5000 1', "200 result=1")
    await asterisk.expect("HANGUP", "200 result=1")

    done = await served.completed()

    assert (done.outcome, done.data["last_node"]) == ("flow_ended", "bye")
