"""The waiting room's FastAGI scripts: `announce` tells a caller waiting in `cc-wait`
their place and expected wait; `queue-exit` records a voicemail or offers a callback
when the ACD sends a caller out of the queue. The words are pure functions; the
handlers only talk to the channel, the synthesiser, the CRM and the ACD.

A caller offered a callback presses 1 to accept or 2 to leave a message; no key is
taken as 2. Declining never returns the caller to `cc-wait`: the ACD may already
have taken the call out of its queue (a maximum-wait exit), and the music would then
play for nobody, so the offer says "or 2 to leave a message" and does that. A
callback the ACD refuses, or a caller whose number is unknown, also ends in
voicemail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ivr.crm_port import IvrCrm, IvrCrmError
from ivr.dialogue import Tts
from ivr.messages import local_path, record_message
from ivr.playing import Prompter, SoundNotices, Speaking, Unplayed
from ivr.ports import Synthesiser
from ivr.spoken_numbers import digits_words, number_words, plural_ru
from telephony.agi import AgiSession
from telephony.dialplan import (
    EXPECTED_WAIT_VARIABLE,
    LANGUAGE_VARIABLE,
    QUEUE_EXIT_CALLBACK,
    QUEUE_EXIT_VOICEMAIL,
    QUEUE_POSITION_VARIABLE,
    QUEUE_VARIABLE,
)
from telephony.errors import AgiHangup
from telephony.model import Call, CallId, ChannelId, PbxId, call_id
from telephony.pbx_of import PbxResolver

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "voicemail"
"""The appeal topic of a message left by a caller with no queue on the channel."""
ACCEPT_KEY = "1"
DECLINE_KEY = "2"

AgiHandler = Callable[[AgiSession], Awaitable[None]]

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "position": "You are number {n} in the queue.",
        "wait": "Your expected wait is about {minutes}.",
        "wait_short": "Your expected wait is less than a minute.",
        "offer": "To be called back at {number}, press 1. "
        "To leave a message instead, press 2.",
        "called_back": "Thank you. We will call you back. Goodbye.",
        "no_callback": "Sorry, we cannot arrange a callback right now.",
        "record": "Please leave a message after the tone. "
        "Press the hash key when you have finished.",
    },
    "ru": {
        "position": "Ваш номер в очереди: {n}.",
        "wait": "Примерное время ожидания: {minutes}.",
        "wait_short": "Примерное время ожидания: меньше минуты.",
        "offer": "Чтобы мы перезвонили вам на номер {number}, нажмите 1. "
        "Чтобы оставить сообщение, нажмите 2.",
        "called_back": "Спасибо. Мы вам перезвоним. До свидания.",
        "no_callback": "Извините, сейчас мы не можем заказать обратный звонок.",
        "record": "Пожалуйста, оставьте сообщение после сигнала. "
        "Когда закончите, нажмите решётку.",
    },
    "ko": {
        "position": "고객님의 대기 순서는 {n} 번입니다.",
        "wait": "예상 대기 시간은 약 {minutes}입니다.",
        "wait_short": "예상 대기 시간은 일 분 미만입니다.",
        "offer": "{number} 번호로 다시 전화를 받으시려면 1번을, "
        "메시지를 남기시려면 2번을 누르세요.",
        "called_back": "감사합니다. 다시 전화드리겠습니다. 안녕히 계세요.",
        "no_callback": "죄송합니다. 지금은 다시 전화를 예약할 수 없습니다.",
        "record": "신호음이 울린 후 메시지를 남겨 주세요. 끝나면 우물 정자를 누르세요.",
    },
}


# --- words (pure) -----------------------------------------------------------------


def spoken_language(language: str | None) -> str:
    """The language the waiting room speaks: `language` when it has texts, else
    English."""
    return language if language in _TEXTS else "en"


def text(key: str, language: str, **values: str) -> str:
    return _TEXTS[spoken_language(language)][key].format(**values)


def minutes_words(minutes: int, language: str) -> str:
    """ "2 minutes" in words, with the noun that agrees ("две минуты", "5 минут")."""
    match spoken_language(language):
        case "ru":
            count = number_words(minutes, "ru", feminine=True)
            return f"{count} {plural_ru(minutes, 'минута', 'минуты', 'минут')}"
        case "ko":
            return f"{number_words(minutes, 'ko')} 분"
        case _:
            noun = "minute" if minutes == 1 else "minutes"
            return f"{number_words(minutes, 'en')} {noun}"


def announcement(
    position: int | None, expected_wait_s: int | None, language: str
) -> str | None:
    """What a waiting caller hears: their place, then the expected wait rounded to
    whole minutes when it is known; None when the place is unknown."""
    if position is None or position < 1:
        return None
    lang = spoken_language(language)
    said = text("position", lang, n=number_words(position, lang))
    if expected_wait_s is None or expected_wait_s < 0:
        return said
    if expected_wait_s < 60:
        return f"{said} {text('wait_short', lang)}"
    minutes = (expected_wait_s + 30) // 60
    return f"{said} {text('wait', lang, minutes=minutes_words(minutes, lang))}"


def callback_offer(number: str, language: str) -> str:
    """The offer, with the caller's number read digit by digit."""
    lang = spoken_language(language)
    return text("offer", lang, number=digits_words(number, lang))


def whole_number(value: str | None) -> int | None:
    """A channel variable's whole number; None when unset, empty or not a number."""
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value)


# --- the parts ----------------------------------------------------------------------


class CallbackRequests(Protocol):
    """The ACD's callback input (`acd.service.AcdService` satisfies it)."""

    async def request_callback(self, call_id: CallId, *, number: str) -> None:
        """The waiting call keeps its place and `number` is dialled when its turn
        comes. Raises when the ACD no longer holds the call."""
        ...


class ChannelCalls(Protocol):
    """Finds the call a channel belongs to (`telephony.calls.CallTracker`)."""

    def call_of_channel(self, pbx_id: PbxId, channel_id: ChannelId) -> Call | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingConfig:
    """`recordings_dir` is where Asterisk writes RECORD FILE output;
    `local_recordings_dir` is that directory as this host sees it (None: same)."""

    recordings_dir: Path = Path("/var/spool/asterisk/cc-ivr")
    local_recordings_dir: Path | None = None
    voicemail_max_s: int = 120
    voicemail_silence_s: int = 5
    offer_timeout_s: float = 6.0
    """How long the caller has to press 1 or 2 after the offer."""
    tts_timeout_s: float = 10.0
    crm_timeout_s: float = 3.0
    acd_timeout_s: float = 3.0
    notices: SoundNotices = field(default_factory=SoundNotices)
    """Which missing sounds were reported (one per process)."""

    def local(self, asterisk_path: Path) -> Path:
        return local_path(
            asterisk_path,
            asterisk_dir=self.recordings_dir,
            local_dir=self.local_recordings_dir,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueExitParts:
    """What `queue-exit` works with: speech, the CRM (voicemail appeals), the ACD
    (callbacks) and the call tracker that turns a channel into its call."""

    tts: Synthesiser
    crm: IvrCrm
    callbacks: CallbackRequests
    calls: ChannelCalls
    pbx_id: PbxId
    """The PBX of every call when `pbx_of` is None (a single PBX)."""
    config: WaitingConfig = WaitingConfig()
    pbx_of: PbxResolver | None = None
    """Finds the PBX a session's call is on, with several PBXs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Leaving:
    call_id: CallId
    ani: str
    queue: str
    language: str


# --- announce -----------------------------------------------------------------------


def announce_handler(
    tts: Synthesiser, *, config: WaitingConfig = WaitingConfig()
) -> AgiHandler:
    """The FastAGI handler for `announce`: say the place and expected wait the ACD
    left on the channel, or nothing; the caller then goes back to the music."""

    async def handle(session: AgiSession) -> None:
        try:
            await announce(session, tts, config=config)
        except AgiHangup as exc:  # hung up, or an agent was bridged in meanwhile
            log.debug("announcement cut short %s: %s", _who(session), exc)

    return handle


async def announce(
    session: AgiSession, tts: Synthesiser, *, config: WaitingConfig
) -> None:
    position = whole_number(await session.get_variable(QUEUE_POSITION_VARIABLE))
    if position is None:
        return
    wait_s = whole_number(await session.get_variable(EXPECTED_WAIT_VARIABLE))
    language = spoken_language(await session.get_variable(LANGUAGE_VARIABLE))
    said = announcement(position, wait_s, language)
    if said is None:
        return
    await _prompter(session, tts, config).play(Tts(text=said, language=language))


# --- queue exit ---------------------------------------------------------------------


def queue_exit_handler(parts: QueueExitParts) -> AgiHandler:
    """The FastAGI handler for `queue-exit`: by the extension, record a voicemail
    (`voicemail`) or offer a callback (`callback`), then hang up."""

    async def handle(session: AgiSession) -> None:
        try:
            await queue_exit(session, parts)
        except AgiHangup as exc:
            log.info("caller left the queue exit %s: %s", _who(session), exc)

    return handle


async def queue_exit(session: AgiSession, parts: QueueExitParts) -> None:
    request = session.request
    pbx = parts.pbx_id if parts.pbx_of is None else await parts.pbx_of(session)
    found = parts.calls.call_of_channel(pbx, ChannelId(request.uniqueid))
    leaving = _Leaving(
        call_id=found.call_id if found else call_id(pbx, request.uniqueid),
        ani=request.callerid,
        queue=await session.get_variable(QUEUE_VARIABLE) or "",
        language=spoken_language(await session.get_variable(LANGUAGE_VARIABLE)),
    )
    if request.extension == QUEUE_EXIT_CALLBACK:
        if await _offer_callback(session, parts, leaving):
            return
    elif request.extension != QUEUE_EXIT_VOICEMAIL:
        log.warning(
            "queue exit %r unknown call=%s; voicemail", request.extension, leaving
        )
    await _voicemail(session, parts, leaving)


async def _offer_callback(
    session: AgiSession, parts: QueueExitParts, leaving: _Leaving
) -> bool:
    """Offer the callback; True when it was booked and the caller told so."""
    if not leaving.ani:
        log.info("call=%s has no number to call back; voicemail", leaving.call_id)
        return False
    config = parts.config
    words = callback_offer(leaving.ani, leaving.language)
    offer = Tts(text=words, language=leaving.language)
    prompter = _prompter(session, parts.tts, config)
    answer = await prompter.get_data(offer, int(config.offer_timeout_s * 1000), 1)
    if isinstance(answer, Unplayed):
        log.info("call=%s not offered a callback: %s", leaving.call_id, answer.reason)
        return False
    if answer.digits != ACCEPT_KEY:
        log.info("call=%s declined the callback (%r)", leaving.call_id, answer.digits)
        return False
    try:
        async with asyncio.timeout(config.acd_timeout_s):
            await parts.callbacks.request_callback(leaving.call_id, number=leaving.ani)
    except Exception:  # the ACD no longer holds the call, or failed
        log.warning("callback refused call=%s", leaving.call_id, exc_info=True)
        await _say(session, parts, leaving, "no_callback")
        return False
    log.info("call=%s will be called back", leaving.call_id)
    await _say(session, parts, leaving, "called_back")
    await session.hangup()
    return True


async def _voicemail(
    session: AgiSession, parts: QueueExitParts, leaving: _Leaving
) -> None:
    await _say(session, parts, leaving, "record")
    config = parts.config
    name = session.request.uniqueid.replace("/", "_").replace(".", "-")
    target = config.recordings_dir / f"voicemail-{name}-queue"
    recorded = await record_message(
        session,
        target,
        local=config.local(target),
        max_s=config.voicemail_max_s,
        silence_s=config.voicemail_silence_s,
    )
    if recorded.path is not None:
        await _appeal(parts, leaving, recorded.path)
    if not recorded.hung_up:
        await session.hangup()


async def _appeal(parts: QueueExitParts, leaving: _Leaving, recording: Path) -> None:
    """The message becomes an appeal of the queue's topic, on the caller's customer
    when the CRM knows the number."""
    crm, config = parts.crm, parts.config
    customer_id = None
    try:
        if leaving.ani:
            async with asyncio.timeout(config.crm_timeout_s):
                caller = await crm.caller(leaving.ani, call_id=leaving.call_id)
            customer_id = caller.customer_id
        async with asyncio.timeout(config.crm_timeout_s * 4):
            appeal_id = await crm.leave_voicemail(
                call_id=leaving.call_id,
                ani=leaving.ani,
                customer_id=customer_id,
                recording=recording,
                topic_code=leaving.queue or DEFAULT_TOPIC,
            )
    except (IvrCrmError, TimeoutError) as exc:
        log.error(
            "voicemail not stored call=%s recording=%s: %r",
            leaving.call_id,
            recording,
            exc,
        )
        return
    log.info("call=%s voicemail became appeal=%s", leaving.call_id, appeal_id)


# --- speech -------------------------------------------------------------------------


async def _say(
    session: AgiSession, parts: QueueExitParts, leaving: _Leaving, key: str
) -> None:
    said = Tts(text=text(key, leaving.language), language=leaving.language)
    await _prompter(session, parts.tts, parts.config).play(said)


def _prompter(session: AgiSession, tts: Synthesiser, config: WaitingConfig) -> Prompter:
    """Prompts that cannot be played are skipped: the caller hears the next step
    rather than losing the call."""
    speaking = Speaking(
        tts=tts, tts_timeout_s=config.tts_timeout_s, notices=config.notices
    )
    return Prompter(session, speaking, who=_who(session))


def _who(session: AgiSession) -> str:
    request = session.request
    return f"channel={request.channel} uniqueid={request.uniqueid}"
