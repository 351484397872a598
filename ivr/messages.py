"""A caller's recorded message (voicemail): beep, record, and tell whether anything
was said. Shared by the IVR's voicemail node and the queue's voicemail exit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from telephony.agi import AgiSession, SoundMissing
from telephony.errors import AgiHangup

log = logging.getLogger(__name__)

WAV_HEADER_BYTES = 44


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedMessage:
    path: Path | None
    """The WAV as this host sees it; None when nothing was said."""
    hung_up: bool
    """The caller hung up to end the message (the usual way)."""


async def record_message(
    session: AgiSession,
    target: Path,
    *,
    local: Path,
    max_s: float,
    silence_s: int,
) -> RecordedMessage:
    """Beep and record into `target`.wav until `#`, `silence_s` of silence, `max_s`
    or the caller's hang-up; `local` is `target` as this host sees it. A PBX with
    no beep sound records without it."""
    hung_up = False
    try:
        for beep in (True, False):
            try:
                await session.record_file(
                    str(target),
                    "wav",
                    "#",
                    int(max_s * 1000),
                    silence_s=silence_s,
                    beep=beep,
                )
                break
            except SoundMissing as missing:
                log.warning("recording without a beep: %s", missing)
    except AgiHangup:
        hung_up = True
    wav = local.with_name(local.name + ".wav")
    said = wav.is_file() and wav.stat().st_size > WAV_HEADER_BYTES
    return RecordedMessage(path=wav if said else None, hung_up=hung_up)


def local_path(
    asterisk_path: Path, *, asterisk_dir: Path, local_dir: Path | None
) -> Path:
    """`asterisk_path` (under `asterisk_dir`, as Asterisk sees it) as this host sees
    it, when the directory is mounted at `local_dir` here (None: the same path)."""
    if local_dir is None:
        return asterisk_path
    return local_dir / asterisk_path.relative_to(asterisk_dir)
