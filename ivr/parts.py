"""What the IVR runner is built from: the published flows, the CRM, speech, where
IvrCompleted goes, the clock, a channel's call id and the runner's settings. Wired by
contactcentre and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ivr.crm_port import IvrCrm
from ivr.events import IvrCompleted
from ivr.loader import FlowRegistry
from ivr.messages import local_path
from ivr.playing import SoundNotices
from ivr.ports import CallIdOf, Recogniser, Synthesiser


class Publisher(Protocol):
    async def publish(self, event: IvrCompleted) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerConfig:
    """`recordings_dir` is where Asterisk writes RECORD FILE output;
    `local_recordings_dir` is that directory as this host sees it (None: same)."""

    recordings_dir: Path = Path("/var/spool/asterisk/cc-ivr")
    local_recordings_dir: Path | None = None
    notices: SoundNotices = field(default_factory=SoundNotices)
    """Which missing sounds were reported (one per process)."""
    operator_queue: str = "general"
    """Where a caller goes when the runner itself fails and the flow has no
    operator queue."""
    utterance_max_s: float = 10.0
    utterance_silence_s: int = 2
    voicemail_silence_s: int = 5
    speech_languages: frozenset[str] | None = None
    """Languages the recogniser has a model for: menus in others take keys only
    (None: try every language, keys when recognition fails)."""
    digit_gap_s: float = 5.0
    """The longest pause between two keys of a number."""
    crm_timeout_s: float = 3.0
    tts_timeout_s: float = 10.0
    asr_timeout_s: float = 10.0

    def local(self, asterisk_path: Path) -> Path:
        return local_path(
            asterisk_path,
            asterisk_dir=self.recordings_dir,
            local_dir=self.local_recordings_dir,
        )


def uniqueid_as_call_id(uniqueid: str, /) -> str:
    """A CallIdOf for a runner with no call tracker (tests, benchmarks): the
    channel's uniqueid stands for the call."""
    return uniqueid


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrParts:
    """What the runner works with: the published flows, the CRM, speech, where
    IvrCompleted goes, the clock, the call id of a channel and the runner's
    settings. Every CRM write and IvrCompleted carry `call_id_of(uniqueid)`."""

    flows: FlowRegistry
    crm: IvrCrm
    tts: Synthesiser
    asr: Recogniser | None
    publish: Publisher
    clock: Clock
    call_id_of: CallIdOf = uniqueid_as_call_id
    config: RunnerConfig = RunnerConfig()
