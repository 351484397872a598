"""Plays prompts to a caller over one FastAGI session, and never loses the caller
for a sound that is not there: a sound file Asterisk lacks is replaced by its text
spoken by TTS when the flow gives one, else skipped, so the caller hears the next
prompt. The IVR runner, the waiting room and the default greeting play through it;
deciding what comes next is theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ivr.dialogue import Prompt, SoundFile, Tts
from ivr.ports import Synthesiser, TtsFailed
from telephony.agi import AgiSession, GetDataResult, SoundMissing

log = logging.getLogger(__name__)

T = TypeVar("T")

NO_PROMPT = ""
"""GET DATA's prompt when only keys are awaited: Asterisk plays nothing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unplayed:
    """Nothing of the prompt could be played: the file is missing and it has no
    text, or the text could not be spoken."""

    reason: str


class SoundNotices:
    """Which missing sounds were reported: the first time at WARNING, then at DEBUG,
    so one absent file does not fill the log with a line per call."""

    def __init__(self) -> None:
        self._reported: set[str] = set()

    def missing(self, name: str, *, who: str, instead: str) -> None:
        first = name not in self._reported
        self._reported.add(name)
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "sound %r missing on the PBX %s; %s%s",
            name,
            who,
            instead,
            " (reported once)" if first else "",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Speaking:
    """What prompts are played with beside the session."""

    tts: Synthesiser
    tts_timeout_s: float = 10.0
    notices: SoundNotices = field(default_factory=SoundNotices)


class Prompter:
    """Plays prompts on `session`; `who` names the call in every log line."""

    def __init__(self, session: AgiSession, speech: Speaking, *, who: str) -> None:
        self.session = session
        self._speech = speech
        self._who = who

    async def play(self, prompt: Prompt, escape_digits: str = "") -> str | None:
        """Play `prompt`; the escape digit that stopped it, or None (played to the
        end, or nothing could be played: see `play_or_not`)."""
        played = await self.play_or_not(prompt, escape_digits)
        return None if isinstance(played, Unplayed) else played

    async def play_or_not(
        self, prompt: Prompt, escape_digits: str = ""
    ) -> str | Unplayed | None:
        """Play `prompt`: the escape digit that stopped it, None when it played to
        the end, or Unplayed. Raises AgiHangup."""

        async def stream(name: str) -> str | None:
            return await self.session.stream_file(name, escape_digits)

        return await self._attempt(prompt, stream)

    async def get_data(
        self, prompt: Prompt | None, timeout_ms: int, max_digits: int
    ) -> GetDataResult | Unplayed:
        """GET DATA with `prompt` (None: no prompt, keys only). Unplayed when no
        version of the prompt could be played: the caller heard nothing and no key
        was read. Raises AgiHangup."""

        async def read(name: str) -> GetDataResult:
            return await self.session.get_data(name, timeout_ms, max_digits)

        if prompt is None:
            return await read(NO_PROMPT)
        return await self._attempt(prompt, read)

    async def _sound(self, prompt: Prompt) -> str | Unplayed:
        """The sound name `prompt` plays as: a file's name, or its text made into
        a TTS prompt (Unplayed when that fails)."""
        match prompt:
            case SoundFile():
                return prompt.name
            case Tts():
                return await self._synthesise(prompt)

    async def _attempt(
        self, prompt: Prompt, run: Callable[[str], Awaitable[T]]
    ) -> T | Unplayed:
        """`run` the first version of `prompt` that Asterisk has: the file, then its
        text spoken by TTS."""
        why = Unplayed(reason="nothing to play")
        for version in _versions(prompt):
            name = await self._sound(version)
            if isinstance(name, Unplayed):
                why = name
                continue
            try:
                return await run(name)
            except SoundMissing:
                spoken = isinstance(version, SoundFile) and version.text is not None
                instead = "its text is spoken" if spoken else "the next prompt plays"
                self._speech.notices.missing(name, who=self._who, instead=instead)
                why = Unplayed(reason=f"missing sound {name}")
        return why

    async def _synthesise(self, prompt: Tts) -> str | Unplayed:
        try:
            async with asyncio.timeout(self._speech.tts_timeout_s):
                return await self._speech.tts.say(prompt.text, language=prompt.language)
        except (TtsFailed, TimeoutError) as exc:
            log.warning("tts failed %s: %r", self._who, exc)
            return Unplayed(reason=f"tts failed: {exc!r}")
        except Exception as exc:  # a synthesiser bug must not silence the call
            log.exception("tts crashed %s", self._who)
            return Unplayed(reason=f"tts crashed: {exc!r}")


def _versions(prompt: Prompt) -> tuple[Prompt, ...]:
    """What may be played for `prompt`, in order."""
    if isinstance(prompt, SoundFile) and prompt.text is not None:
        return (prompt, prompt.text)
    return (prompt,)
