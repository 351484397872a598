"""The waiting room's words and its FastAGI scripts, against Asterisk's side of the
session played in memory (no sockets): announcements, voicemail and the callback
offer, with fake CRM, ACD and synthesiser implementations of their Protocols."""

from __future__ import annotations

import asyncio
import shlex
import wave
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from ivr.crm_port import DEFAULT_METER, CallerInfo, CrmUnavailable, LookupAnswer
from ivr.model import LookupKind
from ivr.ports import TtsFailed
from ivr.waiting import (
    QueueExitParts,
    WaitingConfig,
    announce_handler,
    announcement,
    callback_offer,
    queue_exit_handler,
    whole_number,
)
from telephony.agi import AgiSession
from telephony.agi_parse import parse_environment
from telephony.model import Call, CallId, ChannelId, Direction, PbxId

PBX = PbxId("pbx1")
UNIQUEID = "1700000000.12"
ANI = "+79161234567"
CUSTOMER = UUID("00000000-0000-0000-0000-00000000002a")
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


# --- Asterisk's side, in memory ------------------------------------------------------


@dataclass
class Channel:
    """Answers FastAGI commands as Asterisk would for one waiting caller."""

    variables: dict[str, str] = field(default_factory=dict)
    keys: str = ""
    """What the caller presses when GET DATA listens (empty: nothing)."""
    leaves_on: str | None = None
    """A command after which the caller is gone (hung up or bridged away)."""
    says: bool = True
    """Whether RECORD FILE captures sound."""
    commands: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)
    gone: bool = False
    told_gone: bool = False

    def reply(self, line: str) -> str:
        self.commands.append(line)
        words = shlex.split(line)
        verb = " ".join(words[:2]).upper()
        if self.gone:
            prefix = "" if self.told_gone else "HANGUP\n"
            self.told_gone = True
            ok = verb in ("GET VARIABLE", "SET VARIABLE")
            return prefix + ("200 result=0" if ok else DEAD)
        reply = self._answer(verb, words[2:])
        if self.leaves_on is not None and verb == self.leaves_on:
            self.gone = self.told_gone = True
            return "HANGUP\n200 result=-1"
        return reply

    def _answer(self, verb: str, args: list[str]) -> str:
        match verb:
            case "GET VARIABLE":
                value = self.variables.get(args[0])
                return "200 result=0" if value is None else f"200 result=1 ({value})"
            case "STREAM FILE":
                self.played.append(args[0])
                return "200 result=0 endpos=8000"
            case "GET DATA":
                self.played.append(args[0])
                if not self.keys:
                    return "200 result= (timeout)"
                return f"200 result={self.keys[0]}"
            case "RECORD FILE":
                write_wav(Path(args[0] + ".wav"), 8000 if self.says else 0)
                return "200 result=0 (timeout) endpos=8000"
            case "HANGUP":
                self.gone = self.told_gone = True
                return "200 result=1"
            case _:
                return "510 Invalid or unknown command"


def write_wav(path: Path, frames: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x01\x00" * frames)


class _Wire(asyncio.Transport):
    def __init__(self, channel: Channel, reader: asyncio.StreamReader) -> None:
        super().__init__()
        self._channel = channel
        self._reader = reader
        self._closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        for line in bytes(data).decode().splitlines():
            self._reader.feed_data((self._channel.reply(line) + "\n").encode())

    def is_closing(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True


async def run_script(
    handler: object, channel: Channel, *, extension: str = "s"
) -> None:
    """Run a FastAGI handler against `channel`, as AgiServer would dispatch it."""
    environment = [
        "agi_network: yes",
        "agi_network_script: script",
        "agi_request: agi://127.0.0.1:4573/script",
        "agi_channel: Local/2001@cc-inbound-00000001;2",
        "agi_language: en",
        "agi_type: Local",
        f"agi_uniqueid: {UNIQUEID}",
        f"agi_callerid: {channel.variables.get('CALLERID(num)', ANI)}",
        "agi_calleridname: Anna",
        "agi_dnid: unknown",
        "agi_rdnis: unknown",
        "agi_context: cc-queue-exit",
        f"agi_extension: {extension}",
        "agi_priority: 1",
        "agi_accountcode: ",
    ]
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    wire = _Wire(channel, reader)
    writer = asyncio.StreamWriter(
        wire, asyncio.StreamReaderProtocol(reader), reader, loop
    )
    session = AgiSession(
        parse_environment(environment), reader, writer, command_timeout_s=2.0
    )
    assert callable(handler)
    try:
        async with asyncio.timeout(5):
            await handler(session)
    finally:
        writer.close()


# --- fakes --------------------------------------------------------------------


@dataclass
class FakeTts:
    """Gives each text a sound name; `broken` fails as a dead synthesiser would."""

    broken: bool = False
    said: list[tuple[str, str]] = field(default_factory=list)

    async def say(self, text: str, *, language: str) -> str:
        if self.broken:
            raise TtsFailed("engine gone")
        self.said.append((text, language))
        return f"cc-tts/{len(self.said)}"


@dataclass
class FakeCrm:
    """IvrCrm over a dictionary of callers; records the voicemails left."""

    callers: dict[str, CallerInfo] = field(default_factory=dict)
    down: bool = False
    voicemails: list[dict[str, object]] = field(default_factory=list)

    async def caller(self, ani: str, *, call_id: str) -> CallerInfo:
        return self.callers.get(ani, CallerInfo(ani=ani))

    async def lookup(
        self, kind: LookupKind, params: Mapping[str, str], caller: CallerInfo
    ) -> LookupAnswer:
        return LookupAnswer(found=False)

    async def store_meter_reading(
        self,
        customer_id: UUID,
        *,
        value: Decimal,
        call_id: str,
        at: datetime,
        meter: str = DEFAULT_METER,
    ) -> None:
        return None

    async def register_callback(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: UUID | None,
        queue: str,
        note: str = "",
    ) -> UUID:
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
        return None

    async def leave_voicemail(
        self,
        *,
        call_id: str,
        ani: str,
        customer_id: UUID | None,
        recording: Path,
        topic_code: str,
    ) -> UUID:
        if self.down:
            raise CrmUnavailable("CRM down")
        self.voicemails.append(
            {
                "call_id": call_id,
                "ani": ani,
                "customer_id": customer_id,
                "recording": recording,
                "topic_code": topic_code,
            }
        )
        return uuid4()

    async def outage_heard(self, *, call_id: str, outage_id: UUID) -> None:
        return None


@dataclass
class FakeAcd:
    """The ACD's callback input; `holds` False refuses as for a call it lost."""

    holds: bool = True
    requested: list[tuple[CallId, str]] = field(default_factory=list)

    async def request_callback(self, call_id: CallId, *, number: str) -> None:
        if not self.holds:
            raise LookupError(f"call {call_id} is not waiting")
        self.requested.append((call_id, number))


@dataclass
class FakeCalls:
    calls: dict[ChannelId, Call] = field(default_factory=dict)

    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None:
        return self.calls.get(channel_id)


def tracked_call(linkedid: str) -> Call:
    return Call(
        call_id=CallId(f"{PBX}:{linkedid}"),
        pbx_id=PBX,
        linkedid=linkedid,
        direction=Direction.INBOUND,
        ani=ANI,
        ani_name="Anna",
        dnis="2001",
        legs=(),
        arrived_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )


@dataclass
class Room:
    tts: FakeTts
    crm: FakeCrm
    acd: FakeAcd
    calls: FakeCalls
    parts: QueueExitParts


@pytest.fixture
def room(tmp_path: Path) -> Room:
    tts, crm, acd, calls = FakeTts(), FakeCrm(), FakeAcd(), FakeCalls()
    parts = QueueExitParts(
        tts=tts,
        crm=crm,
        callbacks=acd,
        calls=calls,
        pbx_id=PBX,
        config=WaitingConfig(recordings_dir=tmp_path),
    )
    return Room(tts, crm, acd, calls, parts)


def waiting(**variables: str) -> Channel:
    return Channel(variables={"CC_QUEUE": "billing", **variables})


# --- words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "wait_s", "language", "said"),
    [
        (
            3,
            120,
            "en",
            "You are number three in the queue. "
            "Your expected wait is about two minutes.",
        ),
        (
            1,
            65,
            "en",
            "You are number one in the queue. Your expected wait is about one minute.",
        ),
        (
            2,
            20,
            "en",
            "You are number two in the queue. "
            "Your expected wait is less than a minute.",
        ),
        (3, None, "en", "You are number three in the queue."),
        (
            3,
            120,
            "ru",
            "Ваш номер в очереди: три. Примерное время ожидания: две минуты.",
        ),
        (
            5,
            60,
            "ru",
            "Ваш номер в очереди: пять. Примерное время ожидания: одна минута.",
        ),
        (
            2,
            300,
            "ru",
            "Ваш номер в очереди: два. Примерное время ожидания: пять минут.",
        ),
        (
            2,
            1260,
            "ru",
            "Ваш номер в очереди: два. Примерное время ожидания: двадцать одна минута.",
        ),
        (
            3,
            120,
            "ko",
            "고객님의 대기 순서는 삼 번입니다. 예상 대기 시간은 약 이 분입니다.",
        ),
        (3, None, "de", "You are number three in the queue."),
    ],
)
def test_announcement_says_place_and_wait_when_both_are_known(
    position: int, wait_s: int | None, language: str, said: str
) -> None:
    assert announcement(position, wait_s, language) == said


@pytest.mark.parametrize("position", [None, 0, -1])
def test_announcement_is_silent_when_the_place_is_unknown(
    position: int | None,
) -> None:
    assert announcement(position, 120, "en") is None


def test_offer_reads_the_number_digit_by_digit_when_made() -> None:
    assert callback_offer("+7 916", "en") == (
        "To be called back at seven nine one six, press 1. "
        "To leave a message instead, press 2."
    )
    assert "семь девять один шесть, нажмите 1" in callback_offer("7916", "ru")


@pytest.mark.parametrize(
    ("value", "number"),
    [("3", 3), (" 12 ", 12), ("", None), (None, None), ("soon", None), ("-1", -1)],
)
def test_variable_reads_as_a_whole_number_when_it_is_one(
    value: str | None, number: int | None
) -> None:
    assert whole_number(value) == number


# --- announce -----------------------------------------------------------------


async def test_caller_hears_place_and_wait_when_the_acd_set_them() -> None:
    tts = FakeTts()
    channel = waiting(CC_QUEUE_POSITION="3", CC_EXPECTED_WAIT_S="120")

    await run_script(announce_handler(tts), channel)

    assert tts.said == [
        (
            "You are number three in the queue. "
            "Your expected wait is about two minutes.",
            "en",
        )
    ]
    assert channel.played == ["cc-tts/1"]


async def test_caller_hears_russian_when_the_call_is_in_russian() -> None:
    tts = FakeTts()
    channel = waiting(CC_QUEUE_POSITION="4", CC_EXPECTED_WAIT_S="", CC_LANGUAGE="ru")

    await run_script(announce_handler(tts), channel)

    assert tts.said == [("Ваш номер в очереди: четыре.", "ru")]


async def test_caller_hears_nothing_when_the_place_is_not_set() -> None:
    tts = FakeTts()
    channel = waiting()

    await run_script(announce_handler(tts), channel)

    assert tts.said == []
    assert channel.played == []
    assert [c for c in channel.commands if not c.startswith("GET VARIABLE")] == []


async def test_caller_goes_back_to_music_when_speech_fails() -> None:
    channel = waiting(CC_QUEUE_POSITION="2", CC_EXPECTED_WAIT_S="30")

    await run_script(announce_handler(FakeTts(broken=True)), channel)

    assert channel.played == []
    assert not channel.gone  # no hang-up: the dialplan resumes the music


async def test_script_ends_quietly_when_an_agent_is_bridged_mid_announcement() -> None:
    channel = waiting(CC_QUEUE_POSITION="1", CC_EXPECTED_WAIT_S="10")
    channel.leaves_on = "STREAM FILE"

    await run_script(announce_handler(FakeTts()), channel)

    assert channel.commands[-1].startswith("STREAM FILE")


# --- voicemail ----------------------------------------------------------------


async def test_message_becomes_an_appeal_of_the_queue_topic_when_left(
    room: Room,
) -> None:
    room.crm.callers[ANI] = CallerInfo(ani=ANI, customer_id=CUSTOMER)
    room.calls.calls[ChannelId(UNIQUEID)] = tracked_call("1700000000.10")
    channel = waiting()

    await run_script(queue_exit_handler(room.parts), channel, extension="voicemail")

    (left,) = room.crm.voicemails
    assert left["call_id"] == "pbx1:1700000000.10"
    assert (left["ani"], left["customer_id"]) == (ANI, CUSTOMER)
    assert left["topic_code"] == "billing"
    assert isinstance(left["recording"], Path)
    assert left["recording"].stat().st_size > 44
    (record,) = [c for c in channel.commands if c.startswith("RECORD FILE")]
    assert "BEEP" in record
    assert "s=5" in record
    assert room.tts.said[0][0].startswith("Please leave a message after the tone")
    assert channel.commands[-1] == "HANGUP"


async def test_call_id_comes_from_the_channel_when_the_tracker_lost_it(
    room: Room,
) -> None:
    await run_script(queue_exit_handler(room.parts), waiting(), extension="voicemail")

    (left,) = room.crm.voicemails
    assert left["call_id"] == f"pbx1:{UNIQUEID}"
    assert left["customer_id"] is None


async def test_no_appeal_is_made_when_the_caller_says_nothing(room: Room) -> None:
    channel = waiting()
    channel.says = False

    await run_script(queue_exit_handler(room.parts), channel, extension="voicemail")

    assert room.crm.voicemails == []
    assert channel.commands[-1] == "HANGUP"


async def test_call_ends_normally_when_the_crm_cannot_store_the_message(
    room: Room,
) -> None:
    room.crm.down = True
    channel = waiting()

    await run_script(queue_exit_handler(room.parts), channel, extension="voicemail")

    assert room.crm.voicemails == []
    assert channel.commands[-1] == "HANGUP"


async def test_topic_is_generic_when_no_queue_is_on_the_channel(room: Room) -> None:
    await run_script(queue_exit_handler(room.parts), Channel(), extension="voicemail")

    assert room.crm.voicemails[0]["topic_code"] == "voicemail"


# --- callback -----------------------------------------------------------------


async def test_callback_is_booked_on_the_callers_number_when_they_press_1(
    room: Room,
) -> None:
    room.calls.calls[ChannelId(UNIQUEID)] = tracked_call("1700000000.10")
    channel = waiting()
    channel.keys = "1"

    await run_script(queue_exit_handler(room.parts), channel, extension="callback")

    assert room.acd.requested == [(CallId("pbx1:1700000000.10"), ANI)]
    offer, goodbye = (text for text, _ in room.tts.said)
    assert "seven nine one six one two three four five six seven" in offer
    assert goodbye == "Thank you. We will call you back. Goodbye."
    assert channel.commands[-1] == "HANGUP"
    assert room.crm.voicemails == []


@pytest.mark.parametrize("keys", ["2", ""])
async def test_caller_leaves_a_message_when_declining_or_pressing_nothing(
    room: Room, keys: str
) -> None:
    channel = waiting()
    channel.keys = keys

    await run_script(queue_exit_handler(room.parts), channel, extension="callback")

    assert room.acd.requested == []
    assert len(room.crm.voicemails) == 1
    assert any(c.startswith("GET DATA") for c in channel.commands)


async def test_caller_leaves_a_message_when_the_acd_refuses_the_callback(
    room: Room,
) -> None:
    room.acd.holds = False
    channel = waiting()
    channel.keys = "1"

    await run_script(queue_exit_handler(room.parts), channel, extension="callback")

    said = [text for text, _ in room.tts.said]
    assert said[1] == "Sorry, we cannot arrange a callback right now."
    assert said[2].startswith("Please leave a message")
    assert len(room.crm.voicemails) == 1


async def test_caller_leaves_a_message_when_their_number_is_unknown(
    room: Room,
) -> None:
    channel = waiting(**{"CALLERID(num)": "unknown"})
    channel.keys = "1"

    await run_script(queue_exit_handler(room.parts), channel, extension="callback")

    assert room.acd.requested == []
    assert not any(c.startswith("GET DATA") for c in channel.commands)
    assert len(room.crm.voicemails) == 1


async def test_offer_is_in_russian_when_the_call_is_in_russian(room: Room) -> None:
    channel = waiting(CC_LANGUAGE="ru")
    channel.keys = "1"

    await run_script(queue_exit_handler(room.parts), channel, extension="callback")

    assert room.tts.said[0][1] == "ru"
    assert room.tts.said[0][0].startswith("Чтобы мы перезвонили вам на номер семь")
    assert room.tts.said[1][0] == "Спасибо. Мы вам перезвоним. До свидания."


async def test_script_ends_quietly_when_the_caller_hangs_up_during_the_offer(
    room: Room,
) -> None:
    channel = waiting()
    channel.leaves_on = "GET DATA"

    await run_script(queue_exit_handler(room.parts), channel, extension="callback")

    assert room.acd.requested == []
    assert room.crm.voicemails == []
    assert channel.commands[-1].startswith("GET DATA")
