"""The IVR runner over real FastAGI: the PBX simulator places calls over TCP to the
real AgiServer, whose `inbound` handler runs flows against fake CRM, TTS and
recogniser implementations of their Protocols."""

from __future__ import annotations

import hashlib
import wave
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from ivr.asr import LoadedModel, VoskRecogniser
from ivr.crm_port import (
    DEFAULT_METER,
    ActiveOutage,
    CallerInfo,
    CrmUnavailable,
    LookupAnswer,
    OutageKind,
    ReadingRefused,
)
from ivr.events import IvrCompleted
from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.model import FieldValue, LookupKind
from ivr.parts import IvrParts, RunnerConfig
from ivr.ports import RecogniserFailed, Recognition, TtsFailed
from ivr.session import ivr_handler
from telephony.agi import AgiServer
from telephony.dialplan import WAIT_CONTEXT
from telephony.sim.model import Caller, SimConfig
from telephony.sim.simulator import InboundCall, Simulator
from telephony.sim.wav import RATE_HZ, tone, write_wav
from tests.fakes import FakeClock, RecordingPublisher
from tests.integration.ivr.speech import speak_korean
from tests.integration.sim_harness import write_sound
from tests.waiting import eventually

SPEED = 20.0
"""Simulated seconds per wall second: a 2 s prompt plays in 0.1 s."""
KNOWN = CallerInfo(
    ani="79161234567",
    customer_id=UUID("00000000-0000-0000-0000-00000000002a"),
    name="Anna Petrova",
    language="en",
)
TEST_FLOW: dict[str, object] = {
    "flow": "test",
    "language": "en",
    "numbers": ["7000"],
    "start": "welcome",
    "operator": "operator",
    "nodes": {
        "welcome": {"kind": "play", "files": ["cc/test/welcome"], "next": "main"},
        "main": {
            "kind": "menu",
            "prompt": [{"file": "cc/test/menu"}, {"say": "Press 1 for billing."}],
            "choices": [
                {"key": "1", "say": ["billing"], "goto": "billing", "label": "billing"},
                {"key": "2", "say": ["message"], "goto": "vm", "label": "message"},
                {"key": "3", "goto": "reading", "label": "reading"},
                {"key": "4", "goto": "transfer", "label": "transfer"},
            ],
            "invalid_prompt": [{"say": "Sorry, that is not an option."}],
            "no_input_prompt": [{"say": "Sorry, I did not hear you."}],
            "timeout_s": 4,
            "retries": 1,
            "default": "operator",
        },
        "billing": {
            "kind": "queue",
            "queue": "billing",
            "skills": ["billing", "en"],
            "priority": 5,
        },
        "reading": {
            "kind": "collect",
            "prompt": [{"say": "Enter your reading and the hash key."}],
            "into": "meter_reading",
            "min_digits": 3,
            "max_digits": 6,
            "next": "billing",
            "on_failure": "operator",
        },
        "transfer": {"kind": "transfer", "number": "84951234567"},
        "vm": {"kind": "voicemail", "topic": "voicemail", "max_duration_s": 5},
        "operator": {"kind": "queue", "queue": "general", "skills": ["en"]},
    },
}
SPOKEN_FLOW: dict[str, object] = {
    "flow": "spoken",
    "language": "en",
    "numbers": ["7001"],
    "start": "main",
    "operator": "operator",
    "nodes": {
        "main": {
            "kind": "menu",
            "prompt": [{"file": "cc/test/recorded", "say": "Press 1 for billing."}],
            "choices": [{"key": "1", "goto": "billing", "label": "billing"}],
            "timeout_s": 4,
            "default": "operator",
        },
        "billing": {"kind": "queue", "queue": "billing"},
        "operator": {"kind": "queue", "queue": "general"},
    },
}
"""A menu whose only prompt is a recording with its text."""


# --- fakes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    customer_id: UUID
    value: Decimal
    call_id: str
    at: datetime


@dataclass
class FakeCrm:
    """IvrCrm over dictionaries; `down` makes every call fail as the CRM would."""

    callers: dict[str, CallerInfo] = field(default_factory=dict)
    answers: dict[LookupKind, LookupAnswer] = field(default_factory=dict)
    down: bool = False
    identified: list[str] = field(default_factory=list)
    voicemails: list[tuple[str, bytes, str]] = field(default_factory=list)
    outages_heard: list[UUID] = field(default_factory=list)
    surveys: list[tuple[str, str]] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    refuse_readings: bool = False
    call_ids: list[tuple[str, str]] = field(default_factory=list)
    """(method, call_id) of every call that names the call."""

    def _check(self) -> None:
        if self.down:
            raise CrmUnavailable("CRM down")

    async def caller(self, ani: str, *, call_id: str) -> CallerInfo:
        self.identified.append(ani)
        self._check()
        self.call_ids.append(("caller", call_id))
        return self.callers.get(ani, CallerInfo(ani=ani))

    async def lookup(
        self, kind: LookupKind, params: Mapping[str, str], caller: CallerInfo
    ) -> LookupAnswer:
        self._check()
        return self.answers.get(kind, LookupAnswer(found=False))

    async def store_meter_reading(
        self,
        customer_id: UUID,
        *,
        value: Decimal,
        call_id: str,
        at: datetime,
        meter: str = DEFAULT_METER,
    ) -> None:
        self._check()
        self.call_ids.append(("store_meter_reading", call_id))
        if self.refuse_readings:
            raise ReadingRefused("lower_than_previous")
        self.readings.append(
            Reading(customer_id=customer_id, value=value, call_id=call_id, at=at)
        )

    async def register_callback(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: UUID | None,
        queue: str,
        note: str = "",
    ) -> UUID:
        self._check()
        self.call_ids.append(("register_callback", call_id))
        self.callbacks.append(ani)
        return uuid4()

    async def store_survey_answer(
        self,
        *,
        call_id: str,
        customer_id: UUID | None,
        question: str,
        answer: str,
        channel: str = "dtmf",
    ) -> None:
        self._check()
        self.call_ids.append(("store_survey_answer", call_id))
        self.surveys.append((question, answer))

    async def leave_voicemail(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: UUID | None,
        recording: Path,
        topic_code: str,
    ) -> UUID:
        self._check()
        self.call_ids.append(("leave_voicemail", call_id))
        self.voicemails.append((ani, _pcm(recording), topic_code))
        return uuid4()

    async def outage_heard(self, *, call_id: str, outage_id: UUID) -> None:
        self._check()
        self.call_ids.append(("outage_heard", call_id))
        self.outages_heard.append(outage_id)


@dataclass
class FakeCalls:
    """CallIdOf as the telephony tracker answers it: the IVR channel belongs to a
    call keyed by the PBX and the caller's linkedid, not by its own uniqueid."""

    asked: list[str] = field(default_factory=list)

    def __call__(self, uniqueid: str, /) -> str:
        self.asked.append(uniqueid)
        return call_of(uniqueid)


def call_of(uniqueid: str) -> str:
    return f"pbx-1:linked-{uniqueid}"


@dataclass
class FakeTts:
    """Names each text's sound by its hash and writes it (a short tone) into
    `sounds_dir`, where the simulator reads sounds; texts containing `failing`
    fail."""

    failing: str | None = None
    crashing: bool = False
    """Fail with an unexpected error rather than TtsFailed."""
    said: list[str] = field(default_factory=list)
    sounds_dir: Path | None = None

    async def say(self, text: str, *, language: str) -> str:
        if self.failing is not None and self.failing in text:
            if self.crashing:
                raise RuntimeError("synthesiser bug")
            raise TtsFailed(f"cannot say {text!r}")
        self.said.append(text)
        name = tts_name(text)
        if self.sounds_dir is not None:
            write_sound(self.sounds_dir, name)
        return name


@dataclass
class AudioRecogniser:
    """Recognises utterances by their exact audio: what RECORD FILE captured must
    be the caller's WAV for the text to come back."""

    by_audio: dict[bytes, Recognition]
    broken: bool = False
    heard: list[bytes] = field(default_factory=list)

    async def recognise(
        self,
        audio: Path | bytes,
        *,
        grammar: Sequence[str] | None,
        language: str,
        sample_rate_hz: int = 8000,
    ) -> Recognition:
        if self.broken:
            raise RecogniserFailed("model crashed", cause="crash")
        pcm = audio if isinstance(audio, bytes) else _pcm(audio)
        self.heard.append(pcm)
        return self.by_audio.get(pcm, Recognition(text="", confidence=0.0))


def tts_name(text: str) -> str:
    return "cc-tts/" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())


# --- the rig ------------------------------------------------------------------------


@dataclass
class Rig:
    sim: Simulator
    crm: FakeCrm
    tts: FakeTts
    publisher: RecordingPublisher
    tmp: Path

    async def call(self, caller: Caller) -> tuple[InboundCall, IvrCompleted]:
        placed = await self.sim.place_inbound(caller)

        async def done() -> IvrCompleted | None:
            for event in self.publisher.of_type(IvrCompleted):
                if event.data["uniqueid"] == placed.ivr_uniqueid:
                    return event
            return None

        completed: IvrCompleted = await eventually(done, timeout_s=10)
        return placed, completed

    def commands(self, placed: InboundCall) -> list[str]:
        """The AGI commands the service sent on the call's IVR channel, in order."""
        found = []
        for event in self.sim.events:
            fields = dict(event)
            if (
                fields.get("Event") == "AGIExecStart"
                and fields.get("Uniqueid") == placed.ivr_uniqueid
            ):
                found.append(fields["Command"])
        return found

    def played(self, placed: InboundCall) -> list[str]:
        return [
            c.split('"')[1]
            for c in self.commands(placed)
            if c.startswith(("STREAM FILE", "GET DATA"))
        ]


@dataclass
class Parts:
    clock: FakeClock = field(default_factory=FakeClock)
    calls: FakeCalls = field(default_factory=FakeCalls)
    crm: FakeCrm = field(default_factory=FakeCrm)
    tts: FakeTts = field(default_factory=FakeTts)
    asr: AudioRecogniser | None = None
    vosk: VoskRecogniser | None = None
    """The real recogniser, when a test hears real speech."""
    sounds: tuple[str, ...] = (
        "cc/test/welcome",
        "cc/test/menu",
        "cc/en/main-menu",
        "cc/ru/main-menu",
    )
    """Sound files in the directory the simulator reads."""


@pytest.fixture
def parts() -> Parts:
    return Parts(
        crm=FakeCrm(
            callers={KNOWN.ani: KNOWN},
            answers={
                LookupKind.OUTAGE: LookupAnswer(found=True, fields={"active": False})
            },
        )
    )


@pytest.fixture
async def rig(parts: Parts, tmp_path: Path) -> AsyncIterator[Rig]:
    flows = FlowRegistry()
    flows.load_directory(DEMO_FLOWS)
    flows.publish(TEST_FLOW, source="api:test")
    flows.publish(SPOKEN_FLOW, source="api:test")
    publisher = RecordingPublisher()
    sounds = tmp_path / "sounds"
    for name in parts.sounds:
        write_sound(sounds, name)
    parts.tts.sounds_dir = sounds
    handler = ivr_handler(
        IvrParts(
            flows=flows,
            crm=parts.crm,
            tts=parts.tts,
            asr=parts.vosk or parts.asr,
            publish=publisher,
            clock=parts.clock,
            call_id_of=parts.calls,
            config=RunnerConfig(recordings_dir=tmp_path / "rec"),
        )
    )
    server = AgiServer(port=0, handlers={"inbound": handler}, command_timeout_s=5)
    port = await server.start()
    config = SimConfig(
        agi_port=port,
        speed=SPEED,
        recordings_dir=tmp_path / "mix",
        sounds_dir=sounds,
        agi_timeout_s=5,
    )
    try:
        async with Simulator(config, keep_events=True) as sim:
            yield Rig(sim, parts.crm, parts.tts, publisher, tmp_path)
    finally:
        await server.stop()


def journal_nodes(event: IvrCompleted) -> list[str]:
    journal = event.data["journal"]
    assert isinstance(journal, list)
    return [
        str(e["node"])
        for e in journal
        if isinstance(e, dict) and e["kind"] == "entered"
    ]


def handoff_of(event: IvrCompleted) -> Mapping[str, object]:
    data = event.data["handoff"]
    assert isinstance(data, dict)
    return data


# --- keys ---------------------------------------------------------------------------


async def test_caller_reaches_queue_with_data_when_navigating_demo_menu_by_keys(
    rig: Rig,
) -> None:
    placed, done = await rig.call(Caller(ani=KNOWN.ani, dnis="8800", digits="2"))

    assert (done.outcome, done.queue, done.skills) == (
        "queued",
        "support",
        ("support", "en"),
    )
    assert done.priority == 5
    assert done.customer_id == str(KNOWN.customer_id)
    assert handoff_of(done)["menu_path"] == ["support"]
    assert done.data["uniqueid"] == placed.ivr_uniqueid
    assert rig.crm.identified == [KNOWN.ani]
    assert "Hello, Anna Petrova." in rig.tts.said
    commands = rig.commands(placed)
    assert commands[0] == "ANSWER"  # identified before anything was played
    assert commands[-8:-3] == [
        'SET VARIABLE "CC_QUEUE" "support"',
        'SET VARIABLE "CC_SKILLS" "support,en"',
        'SET VARIABLE "CC_PRIORITY" "5"',
        'SET VARIABLE "CC_LANGUAGE" "en"',
        'SET VARIABLE "CC_CATEGORY" ""',
    ]
    channel = rig.sim.pbx.find(placed.ivr_uniqueid)
    assert channel is not None
    assert channel.context == WAIT_CONTEXT


async def test_digits_are_collected_up_to_terminator_when_entering_a_number(
    rig: Rig,
) -> None:
    placed, done = await rig.call(
        Caller(ani="79990000001", dnis="7000", digits="31234#", digit_delay_s=0.5)
    )

    assert done.queue == "billing"
    assert handoff_of(done)["values"] == {"meter_reading": "1234"}
    reading_prompt = tts_name(rig.tts.said[-1])
    assert f'GET DATA "{reading_prompt}" 7000 6' in rig.commands(placed)


async def test_caller_goes_to_operator_after_reprompts_when_pressing_nothing(
    rig: Rig,
) -> None:
    _placed, done = await rig.call(Caller(ani="79990000002", dnis="7000"))

    assert (done.outcome, done.queue) == ("queued", "general")
    assert rig.tts.said.count("Sorry, I did not hear you.") == 1
    assert journal_nodes(done)[-1] == "operator"
    assert done.customer_id is None
    assert (done.data["ended"], done.data["last_node"]) == ("no_input", "operator")


async def test_garbage_keys_get_the_invalid_prompt_then_operator_when_pressed(
    rig: Rig,
) -> None:
    _placed, done = await rig.call(
        Caller(ani="79990000003", dnis="7000", digits="**", digit_delay_s=1.5)
    )

    assert done.queue == "general"
    assert rig.tts.said.count("Sorry, that is not an option.") == 1
    journal = done.data["journal"]
    assert isinstance(journal, list)
    keys = [
        e.get("value")
        for e in journal
        if isinstance(e, dict) and e["kind"] == "input" and e["detail"] == "Digits"
    ]
    assert keys == ["*"]


async def test_contact_records_where_caller_left_when_hanging_up_mid_prompt(
    rig: Rig,
) -> None:
    _placed, done = await rig.call(Caller(ani=KNOWN.ani, dnis="7000", patience_s=3.0))

    assert done.outcome == "caller_hung_up"
    assert done.queue is None
    assert handoff_of(done)["last_node"] == "main"
    assert done.data["last_node"] == "main"
    assert done.data["ended"] in ("hung_up_mid_prompt", "hung_up_mid_input")
    assert done.data["hangup_reason"] == "caller_hung_up"
    assert done.customer_id == str(KNOWN.customer_id)


async def test_stranger_is_served_when_crm_is_down(rig: Rig) -> None:
    rig.crm.down = True

    _placed, done = await rig.call(Caller(ani=KNOWN.ani, dnis="8800", digits="2"))

    assert (done.outcome, done.queue) == ("queued", "support")
    assert done.customer_id is None
    assert not any(text.startswith("Hello") for text in rig.tts.said)


async def test_default_greeting_and_queue_when_no_flow_serves_the_number(
    rig: Rig,
) -> None:
    _placed, done = await rig.call(Caller(ani="79990000004", dnis="5555", digits="1"))

    assert (done.outcome, done.queue) == ("fallback", "billing")
    assert rig.crm.identified == ["79990000004"]


# --- faults -------------------------------------------------------------------------


@pytest.fixture
def missing_menu_sound(parts: Parts) -> Parts:
    parts.sounds = ("cc/test/welcome",)
    return parts


async def test_next_prompt_plays_when_sound_file_is_missing(
    missing_menu_sound: Parts, rig: Rig
) -> None:
    placed, done = await rig.call(
        Caller(ani="79990000005", dnis="7000", digits="1", digit_delay_s=0.5)
    )

    assert done.queue == "billing"
    played = rig.played(placed)
    assert played[:3] == ["cc/test/welcome", "cc/test/menu", tts_name(rig.tts.said[0])]
    commands = rig.commands(placed)
    menu = commands.index('STREAM FILE "cc/test/menu" "1234"')
    assert commands[menu + 1] == "CHANNEL STATUS"  # missing, or hung up? alive


async def test_text_of_a_missing_recording_is_spoken_when_the_caller_is_asked(
    rig: Rig,
) -> None:
    placed, done = await rig.call(
        Caller(ani="79990000015", dnis="7001", digits="1", digit_delay_s=0.5)
    )

    assert (done.outcome, done.queue) == ("queued", "billing")
    assert rig.played(placed) == [
        "cc/test/recorded",
        tts_name("Press one for billing."),
    ]
    commands = rig.commands(placed)
    assert commands[commands.index('GET DATA "cc/test/recorded" 4000 1') + 1] == (
        "CHANNEL STATUS"
    )


@pytest.fixture
def no_menu_recording(parts: Parts) -> Parts:
    parts.sounds = ("cc/test/welcome", "cc/test/menu")
    return parts


async def test_demo_menu_is_spoken_and_the_caller_served_when_its_recording_is_missing(
    no_menu_recording: Parts, rig: Rig
) -> None:
    placed, done = await rig.call(
        Caller(ani=KNOWN.ani, dnis="8800", digits="2", digit_delay_s=0.5)
    )

    assert (done.outcome, done.queue) == ("queued", "support")
    assert "cc/en/main-menu" in rig.played(placed)
    assert any(text.startswith("For billing press one") for text in rig.tts.said)
    assert done.data["ended"] == "flow"  # not the caller hanging up


@pytest.fixture(params=[False, True], ids=["tts-failed", "tts-crashed"])
def failing_tts(parts: Parts, request: pytest.FixtureRequest) -> Parts:
    parts.tts = FakeTts(failing="billing", crashing=request.param)
    return parts


async def test_caller_reaches_operator_when_tts_fails(
    failing_tts: Parts, rig: Rig
) -> None:
    placed, done = await rig.call(Caller(ani="79990000006", dnis="7000"))

    assert (done.outcome, done.queue) == ("queued", "general")
    assert "cc/test/menu" in rig.played(placed)
    journal = done.data["journal"]
    assert isinstance(journal, list)
    assert any(isinstance(e, dict) and e["kind"] == "fallback" for e in journal)


@pytest.fixture
def exploding_crm(parts: Parts) -> Parts:
    class Exploding(FakeCrm):
        async def lookup(
            self, kind: LookupKind, params: Mapping[str, str], caller: CallerInfo
        ) -> LookupAnswer:
            raise RuntimeError("bug in a lookup")

    parts.crm = Exploding(callers={KNOWN.ani: KNOWN})
    return parts


async def test_caller_goes_to_operator_queue_when_the_runner_fails(
    exploding_crm: Parts, rig: Rig
) -> None:
    placed, done = await rig.call(Caller(ani=KNOWN.ani, dnis="8800", digits="2"))
    _other, fine = await rig.call(Caller(ani=KNOWN.ani, dnis="7000", digits="1"))

    assert (done.outcome, done.queue, done.skills) == ("failed", "general", ("en",))
    assert done.data["failed"] is True
    channel = rig.sim.pbx.find(placed.ivr_uniqueid)
    assert channel is not None
    assert channel.context == WAIT_CONTEXT
    assert (fine.outcome, fine.queue) == ("queued", "billing")


# --- outage, voicemail ----------------------------------------------------------------

OUTAGE = ActiveOutage(
    outage_id=uuid4(),
    kind=OutageKind.EMERGENCY,
    text="Water is off in your building.",
    starts_at=datetime(2026, 1, 5, 6, 0, tzinfo=UTC),
    expected_end=None,
)


@pytest.fixture
def outage(parts: Parts) -> Parts:
    fields: dict[str, FieldValue] = {
        "active": True,
        "kind": "emergency",
        "text": OUTAGE.text,
    }
    parts.crm.callers[KNOWN.ani] = CallerInfo(
        ani=KNOWN.ani, customer_id=KNOWN.customer_id, name="Anna", outage=OUTAGE
    )
    parts.crm.answers[LookupKind.OUTAGE] = LookupAnswer(found=True, fields=fields)
    return parts


async def test_call_records_outage_heard_when_notice_is_played(
    outage: Parts, rig: Rig
) -> None:
    _placed, done = await rig.call(Caller(ani=KNOWN.ani, dnis="8800", digits="2"))

    assert rig.crm.outages_heard == [OUTAGE.outage_id]
    assert done.data["outage_heard"] == str(OUTAGE.outage_id)
    assert any(OUTAGE.text in text for text in rig.tts.said)


async def test_message_becomes_voicemail_when_caller_leaves_one(
    rig: Rig, tmp_path: Path
) -> None:
    wav = tmp_path / "message.wav"
    message = tone(RATE_HZ // 2)
    write_wav(wav, message)

    placed, done = await rig.call(
        Caller(ani="79990000007", dnis="7000", digits="2", digit_delay_s=0.5, wav=wav)
    )

    assert done.outcome == "voicemail"
    assert rig.crm.voicemails == [("79990000007", message, "voicemail")]
    assert "voicemail_appeal_id" in done.data
    assert ("leave_voicemail", call_of(placed.ivr_uniqueid)) in rig.crm.call_ids


# --- speech ----------------------------------------------------------------------

UTTERANCE = tone(RATE_HZ // 4, amplitude=2000)


@pytest.fixture
def speech(parts: Parts) -> Parts:
    parts.asr = AudioRecogniser(
        by_audio={UTTERANCE: Recognition(text="billing", confidence=0.9)}
    )
    return parts


@pytest.fixture
def utterance(tmp_path: Path) -> Path:
    wav = tmp_path / "billing.wav"
    write_wav(wav, UTTERANCE)
    return wav


async def test_spoken_choice_reaches_queue_when_recogniser_hears_the_recording(
    speech: Parts, rig: Rig, utterance: Path
) -> None:
    placed, done = await rig.call(Caller(ani=KNOWN.ani, dnis="7000", wav=utterance))

    assert (done.outcome, done.queue) == ("queued", "billing")
    assert speech.asr is not None
    assert speech.asr.heard == [UTTERANCE]
    recognised = handoff_of(done)["recognised"]
    assert recognised == [
        {"name": "main", "value": "billing", "channel": "speech", "confidence": 0.9}
    ]
    assert any(c.startswith("RECORD FILE") for c in rig.commands(placed))
    assert not list((rig.tmp / "rec").glob("utterance-*"))  # scratch removed


@pytest.fixture
def broken_recogniser(speech: Parts) -> Parts:
    assert speech.asr is not None
    speech.asr.broken = True
    return speech


async def test_keys_are_read_when_the_recogniser_fails(
    broken_recogniser: Parts, rig: Rig, utterance: Path
) -> None:
    placed, done = await rig.call(
        Caller(ani=KNOWN.ani, dnis="7000", wav=utterance, digits="1", digit_delay_s=3.0)
    )

    assert (done.outcome, done.queue) == ("queued", "billing")
    recognised = handoff_of(done)["recognised"]
    assert recognised == [
        {"name": "main", "value": "billing", "channel": "dtmf", "confidence": None}
    ]
    commands = rig.commands(placed)
    assert 'GET DATA "" 4000 1' in commands  # no prompt: keys only


@pytest.fixture
def korean(parts: Parts, korean_models: dict[str, LoadedModel]) -> Iterator[Parts]:
    recogniser = VoskRecogniser(korean_models, max_concurrent=1)
    parts.vosk = recogniser
    yield parts
    recogniser.close()


async def test_caller_reaches_support_when_saying_it_at_the_korean_demo_menu(
    korean: Parts, rig: Rig
) -> None:
    said = speak_korean("지원", rig.tmp / "support.wav")
    placed, done = await rig.call(Caller(ani=KNOWN.ani, dnis="8802", wav=said))

    assert (done.outcome, done.queue) == ("queued", "support")
    recognised = handoff_of(done)["recognised"]
    assert isinstance(recognised, list)
    assert [(r["value"], r["channel"]) for r in recognised] == [("support", "speech")]
    assert any(c.startswith("RECORD FILE") for c in rig.commands(placed))


# --- self-service and other ways out ---------------------------------------------


@pytest.fixture
def balance_and_outage(outage: Parts) -> Parts:
    fields: dict[str, FieldValue] = {"amount": Decimal("120.50"), "currency": "RUB"}
    outage.crm.answers[LookupKind.BALANCE] = LookupAnswer(found=True, fields=fields)
    return outage


async def test_crm_writes_and_event_carry_the_telephony_call_id_when_resolved(
    balance_and_outage: Parts, rig: Rig
) -> None:
    placed, done = await rig.call(
        Caller(ani=KNOWN.ani, dnis="8800", digits="125", digit_delay_s=1.0)
    )

    the_call = call_of(placed.ivr_uniqueid)
    assert balance_and_outage.calls.asked == [placed.ivr_uniqueid]
    assert rig.crm.call_ids == [
        ("caller", the_call),
        ("outage_heard", the_call),
        ("store_survey_answer", the_call),
    ]
    assert done.call_id == the_call
    assert done.data["uniqueid"] == placed.ivr_uniqueid


READING_KEYS = "41234#1"
"""Meter reading (4), 1234 ended by #, confirmed (1)."""


async def test_reading_reaches_the_crm_with_the_call_id_when_confirmed(
    parts: Parts, rig: Rig
) -> None:
    placed, done = await rig.call(
        Caller(ani=KNOWN.ani, dnis="8800", digits=READING_KEYS, digit_delay_s=0.5)
    )

    assert KNOWN.customer_id is not None
    assert rig.crm.readings == [
        Reading(
            customer_id=KNOWN.customer_id,
            value=Decimal(1234),
            call_id=call_of(placed.ivr_uniqueid),
            at=parts.clock.now(),
        )
    ]
    assert "Thank you, your reading is saved." in rig.tts.said
    assert done.data["meter_reading"] == "1234"
    assert handoff_of(done)["values"] == {"meter_reading": "1234"}


@pytest.fixture
def refusing_crm(parts: Parts) -> Parts:
    parts.crm.refuse_readings = True
    return parts


async def test_caller_hears_not_saved_and_reaches_operator_when_crm_refuses(
    refusing_crm: Parts, rig: Rig
) -> None:
    _placed, done = await rig.call(
        Caller(ani=KNOWN.ani, dnis="8800", digits=READING_KEYS, digit_delay_s=0.5)
    )

    assert (done.outcome, done.queue) == ("queued", "general")
    assert rig.crm.readings == []
    assert rig.tts.said[-1] == (
        "Sorry, we could not save your reading. Connecting you to an operator."
    )
    assert "Thank you, your reading is saved." not in rig.tts.said
    assert handoff_of(done)["fallback"] == "action_failed"


@pytest.fixture
def balance(parts: Parts) -> Parts:
    fields: dict[str, FieldValue] = {"amount": Decimal("120.50"), "currency": "RUB"}
    parts.crm.answers[LookupKind.BALANCE] = LookupAnswer(found=True, fields=fields)
    return parts


async def test_balance_is_spoken_and_survey_stored_when_caller_uses_self_service(
    balance: Parts, rig: Rig
) -> None:
    placed, done = await rig.call(
        Caller(ani=KNOWN.ani, dnis="8800", digits="125", digit_delay_s=1.0)
    )

    assert (done.outcome, done.queue) == ("flow_ended", None)
    assert any(text.startswith("Your balance is") for text in rig.tts.said)
    assert rig.crm.surveys == [("satisfaction", "5")]
    assert handoff_of(done)["menu_path"] == ["billing", "done"]
    assert rig.commands(placed)[-1] == "HANGUP"


async def test_call_moves_to_outbound_context_when_flow_transfers(rig: Rig) -> None:
    placed, done = await rig.call(
        Caller(ani="79990000008", dnis="7000", digits="4", digit_delay_s=0.5)
    )

    assert (done.outcome, done.data["transfer_to"]) == ("transferred", "84951234567")
    assert rig.commands(placed)[-3:] == [
        'SET CONTEXT "cc-outbound"',
        'SET EXTENSION "84951234567"',
        "SET PRIORITY 1",
    ]


async def test_message_is_kept_when_caller_hangs_up_mid_recording(
    rig: Rig, tmp_path: Path
) -> None:
    wav = tmp_path / "long.wav"
    write_wav(wav, tone(RATE_HZ * 30))

    placed, done = await rig.call(
        Caller(
            ani="79990000009",
            dnis="7000",
            digits="2",
            digit_delay_s=0.5,
            wav=wav,
            patience_s=5.0,
        )
    )

    assert done.outcome == "voicemail"
    assert len(rig.crm.voicemails) == 1
    ani, message, _ = rig.crm.voicemails[0]
    assert ani == "79990000009"
    assert 0 < len(message) < len(tone(RATE_HZ * 30))
    assert "HANGUP" not in rig.commands(placed)
