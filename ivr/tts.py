"""Prompts spoken by TTS, cached as 8 kHz WAV in the directory Asterisk reads.

CachedTts keys each prompt by a hash of (text, voice, rate) and synthesises it at most
once, even under concurrent requests. TtsWorker supervises the pyttsx3 process (one job
at a time, a timeout per job, a restart after a hang or crash). Neither imports pyttsx3.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sys
import uuid
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crm_core.keyed_locks import KeyedLocks
from ivr.ports import TtsFailed, TtsVoiceMissing

log = logging.getLogger(__name__)

ASTERISK_RATE_HZ = 8000
DEFAULT_SUBDIR = "cc/tts"
MIN_PROMPT_S = 0.05
SCRATCH_SUFFIX = ".tmp.wav"
WORKER_COMMAND = (sys.executable, "-m", "ivr.tts_worker")


@dataclass(frozen=True, slots=True, kw_only=True)
class Voice:
    """An espeak-ng voice id as pyttsx3 lists it ("gmw/en", "zle/ru") and a rate."""

    voice_id: str
    rate_wpm: int = 160


class SpeechEngine(Protocol):
    async def synthesise(self, text: str, *, voice: Voice, out_path: Path) -> None:
        """Write `text` spoken by `voice` to `out_path` as 8 kHz mono 16-bit WAV.
        Raises TtsFailed (TtsVoiceMissing for an unknown voice)."""
        ...


def cache_key(text: str, voice: Voice) -> str:
    material = f"{voice.voice_id}\x1f{voice.rate_wpm}\x1f{text}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def check_prompt_file(path: Path, *, min_duration_s: float = MIN_PROMPT_S) -> None:
    """Raise TtsFailed unless `path` is an 8 kHz mono 16-bit WAV with real audio."""
    try:
        with wave.open(str(path), "rb") as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            frames = wav.getnframes()
    except (OSError, EOFError, wave.Error) as exc:
        raise TtsFailed(f"synthesised file {path} is unreadable: {exc}") from exc
    if shape != (ASTERISK_RATE_HZ, 1, 2):
        raise TtsFailed(f"synthesised file {path} is {shape}, not 8 kHz mono 16-bit")
    if frames < min_duration_s * ASTERISK_RATE_HZ:
        raise TtsFailed(f"synthesised file {path} holds only {frames} samples")


class CachedTts:
    """The Synthesiser of ivr.ports: a cache in front of a SpeechEngine."""

    def __init__(
        self,
        engine: SpeechEngine,
        *,
        sounds_dir: Path,
        voices: Mapping[str, Voice],
        subdir: str = DEFAULT_SUBDIR,
    ) -> None:
        self._engine = engine
        self._dir = sounds_dir / subdir
        self._subdir = subdir
        self._voices = dict(voices)
        self._locks = KeyedLocks()
        self._dir.mkdir(parents=True, exist_ok=True)
        # Scratch files of a process killed mid-synthesis (never a cached prompt).
        for stale in self._dir.glob(f".*{SCRATCH_SUFFIX}"):
            stale.unlink(missing_ok=True)

    async def say(self, text: str, *, language: str) -> str:
        """See ivr.ports.Synthesiser: the voice configured for `language`."""
        voice = self._voices.get(language)
        if voice is None:
            raise TtsFailed(f"no TTS voice configured for language {language!r}")
        return await self.prompt(text, voice=voice)

    async def prompt(self, text: str, *, voice: Voice) -> str:
        """The Asterisk sound name of `text` in `voice`, synthesised only if no
        earlier request made it. Raises TtsFailed; nothing half-written is left."""
        if not text.strip():
            raise TtsFailed("nothing to say: empty prompt text")
        key = cache_key(text, voice)
        name = f"{self._subdir}/{key}"
        target = self._dir / f"{key}.wav"
        if target.exists():
            return name
        async with self._locks(key):
            if target.exists():  # a concurrent request made it while we waited
                return name
            await self._make(text, voice=voice, target=target)
        return name

    async def _make(self, text: str, *, voice: Voice, target: Path) -> None:
        # Asterisk must never see a partial file: write beside it, check, rename.
        scratch = target.with_name(f".{target.stem}.{uuid.uuid4().hex}{SCRATCH_SUFFIX}")
        try:
            await self._engine.synthesise(text, voice=voice, out_path=scratch)
            check_prompt_file(scratch)
            os.replace(scratch, target)
        except TtsFailed as exc:
            log.warning(
                "tts failed voice=%s key=%s text=%r: %s",
                voice.voice_id,
                target.stem,
                text[:80],
                exc,
            )
            raise
        finally:
            scratch.unlink(missing_ok=True)


class TtsWorker:
    """The SpeechEngine over a supervised `python -m ivr.tts_worker` process.

    One job at a time; a job that exceeds `job_timeout_s`, or a worker that dies,
    raises TtsFailed and the process is replaced on the next job."""

    def __init__(
        self,
        *,
        command: Sequence[str] = WORKER_COMMAND,
        job_timeout_s: float = 10.0,
        start_timeout_s: float = 20.0,
    ) -> None:
        self._command = tuple(command)
        self._job_timeout_s = job_timeout_s
        self._start_timeout_s = start_timeout_s
        self._process: asyncio.subprocess.Process | None = None
        self._voices: frozenset[str] = frozenset()
        self._lock = asyncio.Lock()
        self._dead: list[asyncio.subprocess.Process] = []
        self.starts = 0
        self.retries = 0

    async def voices(self) -> frozenset[str]:
        """The voice ids the engine offers (starts the worker if needed)."""
        async with self._lock:
            await self._ensure_started()
            return self._voices

    async def check_voices(self, voices: Sequence[Voice]) -> None:
        """Raise TtsVoiceMissing for the first configured voice not installed:
        pyttsx3 would otherwise speak with its default voice without a word."""
        installed = await self.voices()
        for voice in voices:
            if voice.voice_id not in installed:
                raise TtsVoiceMissing(voice.voice_id)

    async def synthesise(self, text: str, *, voice: Voice, out_path: Path) -> None:
        async with self._lock:
            await self._ensure_started()
            if voice.voice_id not in self._voices:
                raise TtsVoiceMissing(voice.voice_id)
            job = {
                "text": text,
                "voice": voice.voice_id,
                "rate": voice.rate_wpm,
                "out": str(out_path),
            }
            reply = await self._exchange(job)
        if not reply.get("ok"):
            raise TtsFailed(f"TTS worker failed: {reply.get('error')}")
        if reply.get("attempts", 1) != 1:
            self.retries += 1
            log.info("tts voice=%s needed a second attempt", voice.voice_id)

    async def close(self) -> None:
        async with self._lock:
            process, self._process = self._process, None
            if process is not None:
                await _stop(process)
            while self._dead:
                await self._dead.pop().wait()

    async def _ensure_started(self) -> None:
        while self._dead:
            await self._dead.pop().wait()
        if self._process is not None and self._process.returncode is None:
            return
        if self._process is not None:
            await _stop(self._process)
            self._process = None
        self.starts += 1
        process = await asyncio.create_subprocess_exec(
            *self._command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self._process = process
        hello = await self._read(process, timeout_s=self._start_timeout_s, what="start")
        voices = hello.get("voices")
        self._voices = (
            frozenset(map(str, voices)) if isinstance(voices, list) else frozenset()
        )
        log.info("tts worker pid=%s started voices=%d", process.pid, len(self._voices))

    async def _exchange(self, job: dict[str, object]) -> dict[str, object]:
        process = self._process
        assert process is not None
        assert process.stdin is not None
        process.stdin.write((json.dumps(job) + "\n").encode())
        return await self._read(process, timeout_s=self._job_timeout_s, what="job")

    async def _read(
        self, process: asyncio.subprocess.Process, *, timeout_s: float, what: str
    ) -> dict[str, object]:
        """One reply line; on timeout, death, garbage or cancellation the worker is
        killed, so a late reply can never answer the next job."""
        assert process.stdin is not None
        assert process.stdout is not None
        done = False
        try:
            async with asyncio.timeout(timeout_s):
                await process.stdin.drain()
                line = await process.stdout.readline()
            if not line:
                raise TtsFailed(f"TTS worker exited during {what}")
            reply = json.loads(line)
            if not isinstance(reply, dict):
                raise TtsFailed(f"TTS worker sent {line[:80]!r} during {what}")
            done = True
            return reply
        except TimeoutError as exc:
            raise TtsFailed(f"TTS worker {what} timed out after {timeout_s} s") from exc
        except (ValueError, ConnectionError) as exc:
            raise TtsFailed(f"TTS worker failed during {what}: {exc!r}") from exc
        finally:
            if not done:
                self._discard(process, what=what)

    def _discard(self, process: asyncio.subprocess.Process, *, what: str) -> None:
        log.warning("tts worker pid=%s replaced after a failed %s", process.pid, what)
        if process.returncode is None:
            process.kill()
        if self._process is process:
            self._process = None
        self._dead.append(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        if process.stdin is not None:
            process.stdin.close()
        try:
            async with asyncio.timeout(2.0):
                await process.wait()
        except TimeoutError:
            process.kill()
    await process.wait()
