"""What the IVR runner needs from speech (a recogniser and a synthesiser, with the
typed errors it turns into re-prompts, DTMF fallback or the next prompt) and from
telephony (the call id of an IVR channel).

Contracts only: no vosk, no pyttsx3, no I/O here.

Errors::

    SpeechError
    ├── RecogniserFailed          the runner falls back to DTMF
    │   ├── AsrModelMissing       no usable model directory (a start-up error)
    │   └── AudioUnreadable       the recording is missing, empty or not 16-bit PCM
    └── TtsFailed                 the runner plays the next prompt or hands off
        └── TtsVoiceMissing       the configured voice does not exist
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class SpeechError(Exception):
    """Base class of every speech failure."""


class RecogniserFailed(SpeechError):
    """Recognition could not run; `cause` is a short stable key for logging once."""

    def __init__(self, message: str, *, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


class AsrModelMissing(RecogniserFailed):
    """No model for a language: the directory is absent or not a vosk model."""

    def __init__(self, language: str, path: Path, reason: str) -> None:
        super().__init__(
            f"ASR model for language {language!r} missing at {path}: {reason}",
            cause=f"model-missing:{language}",
        )
        self.language = language
        self.path = path


class AudioUnreadable(RecogniserFailed):
    """The caller's recording cannot be decoded (absent, truncated, not PCM)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, cause="audio-unreadable")


class TtsFailed(SpeechError):
    """A prompt could not be synthesised; the flow moves on without it."""


class TtsVoiceMissing(TtsFailed):
    """The voice id is not installed in the speech engine."""

    def __init__(self, voice_id: str) -> None:
        super().__init__(f"TTS voice {voice_id!r} is not installed")
        self.voice_id = voice_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Alternative:
    text: str
    confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Recognition:
    """What the caller said. `text` is "" when nothing in the grammar was heard;
    `confidence` is in [0, 1]; `alternatives` are other readings, best first."""

    text: str
    confidence: float
    alternatives: tuple[Alternative, ...] = ()


class Recogniser(Protocol):
    async def recognise(
        self,
        audio: Path | bytes,
        *,
        grammar: Sequence[str] | None,
        language: str,
        sample_rate_hz: int = 8000,
    ) -> Recognition:
        """Recognise one utterance.

        `audio` is a WAV file (as written by Asterisk's RECORD FILE, 8 or 16 kHz,
        16-bit) or raw signed 16-bit little-endian mono PCM at `sample_rate_hz`
        (EAGI). `grammar` lists the phrases allowed (menus, digits); None means
        free-form. Raises RecogniserFailed (AsrModelMissing for an unknown
        language, AudioUnreadable for bad audio); never returns partial junk.
        """
        ...


class Synthesiser(Protocol):
    async def say(self, text: str, *, language: str) -> str:
        """Return the Asterisk sound name (no extension, relative to the sounds
        directory, e.g. ``cc/tts/3f2a...``) of `text` spoken in `language`, as
        8 kHz mono 16-bit WAV. Raises TtsFailed."""
        ...


class CallIdOf(Protocol):
    def __call__(self, uniqueid: str, /) -> str:
        """The telephony call id (`<pbx id>:<linkedid>`, the key of the call's CRM
        contact) of the call whose IVR channel has FastAGI `uniqueid`. Never
        raises: a channel the caller does not know gets its best guess."""
        ...
