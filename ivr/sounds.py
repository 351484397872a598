"""The sounds directory the service shares with Asterisk. The service writes what
Asterisk must play under its `cc/` folder (TTS prompts in `cc/tts/`, the flows' file
prompts made from their text when nobody recorded them) and names each sound
relative to the directory, as Asterisk does. On each PBX's first call it checks that
Asterisk reads the same files. Never plays a caller's prompt itself (ivr.playing).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import uuid
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ivr.model import Flow, PromptSpec
from ivr.ports import Synthesiser, TtsFailed
from ivr.prompting import fixed_text
from telephony.agi import AgiSession, SoundMissing
from telephony.errors import AgiError

log = logging.getLogger(__name__)

SOUND_EXTENSIONS = (".wav", ".sln", ".sln16", ".gsm", ".ulaw", ".alaw", ".g722")
CHECK_SOUND = "cc/sounds-check"
"""A 20 ms silence the service writes and asks each PBX to play once."""
MAKE_TRIES = 2
_RATE_HZ = 8000


@dataclass(frozen=True, slots=True)
class SoundDirectory:
    """The sounds directory Asterisk reads, as mounted on this host."""

    root: Path

    def has(self, name: str) -> bool:
        base = self.root / name
        return any(
            base.with_name(base.name + ext).is_file() for ext in SOUND_EXTENSIONS
        )

    def wav(self, name: str) -> Path:
        return self.root / f"{name}.wav"

    def install(self, name: str, *, source: str) -> None:
        """Copy the WAV of sound `source` to sound `name`; Asterisk never sees a
        half-written file."""
        target = self.wav(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.tmp")
        try:
            scratch.write_bytes(self.wav(source).read_bytes())
            os.replace(scratch, target)
        finally:
            scratch.unlink(missing_ok=True)

    def write_check_sound(self) -> None:
        """Write CHECK_SOUND unless it is there. Raises OSError when the directory
        cannot be written."""
        target = self.wav(CHECK_SOUND)
        if target.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(target), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(_RATE_HZ)
            out.writeframes(b"\x00\x00" * (_RATE_HZ // 50))


def prompt_specs(flow: Flow) -> Iterator[PromptSpec]:
    """Every prompt a flow's nodes name, wherever in the node it sits."""
    for node in flow.nodes.values():
        yield from _specs_in(node)


def _specs_in(value: object) -> Iterator[PromptSpec]:
    if isinstance(value, PromptSpec):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _specs_in(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _specs_in(getattr(value, item.name))


async def provide_flow_prompts(
    flows: Iterable[Flow], tts: Synthesiser, directory: SoundDirectory
) -> list[str]:
    """Make each file prompt of `flows` that is not in `directory` and has a text
    with no fields: the text spoken by TTS, saved under the file's name, so every
    call plays the file (a recording put there later is kept). Returns the names
    made; one that cannot be made is logged, and its text is spoken at each call."""
    made: list[str] = []
    for flow in flows:
        for spec in prompt_specs(flow):
            if spec.file is None or spec.say is None or directory.has(spec.file):
                continue
            text = fixed_text(spec.say, flow.language)
            if text is None or spec.file in made:
                continue
            failure = await _make(spec.file, text, flow.language, tts, directory)
            if failure is None:
                made.append(spec.file)
            else:
                log.warning(
                    "prompt %s of flow %s not made from its text: %s",
                    spec.file,
                    flow.name,
                    failure,
                )
    return made


async def _make(
    name: str, text: str, language: str, tts: Synthesiser, directory: SoundDirectory
) -> Exception | None:
    """Speak `text` into sound `name`; the failure, if the second try fails too
    (a fresh espeak worker now and then writes nothing for its first job)."""
    failure: Exception | None = None
    for _ in range(MAKE_TRIES):
        try:
            spoken = await tts.say(text, language=language)
            directory.install(name, source=spoken)
        except (TtsFailed, OSError) as exc:
            failure = exc
            continue
        return None
    return failure


class SharedSoundsCheck:
    """Asks each PBX, on its first call, to play CHECK_SOUND (20 ms of silence):
    a PBX that has no such sound reads another directory than the one the service
    writes to, so every prompt the service makes would be missing there."""

    def __init__(self, directory: SoundDirectory) -> None:
        self.directory = directory
        self._asked: set[str] = set()

    async def check(self, session: AgiSession, pbx: str) -> None:
        """Check `pbx` once, on `session`; never raises (a caller who hung up is
        noticed by the script's next command, and the next call asks again)."""
        if pbx in self._asked:
            return
        self._asked.add(pbx)
        try:
            await session.stream_file(CHECK_SOUND)
        except SoundMissing:
            await self._report(session, pbx)
        except AgiError as exc:
            self._asked.discard(pbx)
            log.info("sounds directory of pbx=%s not checked: %s", pbx, exc)
        else:
            log.info(
                "pbx=%s plays the prompts this service writes to %s",
                pbx,
                self.directory.root.resolve(),
            )

    async def _report(self, session: AgiSession, pbx: str) -> None:
        try:
            data_dir = await session.get_variable("ASTDATADIR")
        except AgiError:
            data_dir = None
        asterisk_side = f"{data_dir or '<astdatadir>'}/sounds"
        log.error(
            "pbx=%s reads its sounds from %s, not from the directory this service "
            "writes its prompts to (%s): Asterisk has no sound %r, which is %s here. "
            "Share one directory (one volume mounted at %s/cc on Asterisk and at "
            "%s/cc here). Until then no prompt the service makes is heard there: "
            "callers skip them and reach the operator queue.",
            pbx,
            asterisk_side,
            self.directory.root.resolve(),
            CHECK_SOUND,
            self.directory.wav(CHECK_SOUND).resolve(),
            asterisk_side,
            self.directory.root.resolve(),
        )
