"""Recordings the simulator writes: 8 kHz 16-bit mono WAV files, valid at all times.

`wave` rewrites the header after every append on a seekable file, so a reader sees
a well-formed file that grows while the call lasts.
"""

from __future__ import annotations

import functools
import math
import struct
import wave
from pathlib import Path

RATE_HZ = 8000


TONE_HZ = 425
TONE_PERIOD = RATE_HZ // math.gcd(RATE_HZ, TONE_HZ)
"""Samples after which the tone repeats exactly (320 at 8 kHz)."""


def tone(samples: int, *, start: int = 0, amplitude: int = 3000) -> bytes:
    """A 425 Hz tone (what a talking line sounds like to the tests: not silence),
    cut from one period: recording hundreds of calls costs copies, not sines."""
    period = _tone_period(amplitude)
    offset = 2 * (start % TONE_PERIOD)
    needed = offset + 2 * samples
    repeated = period * (needed // len(period) + 1)
    return repeated[offset:needed]


@functools.cache
def _tone_period(amplitude: int) -> bytes:
    step = 2 * math.pi * TONE_HZ / RATE_HZ
    return struct.pack(
        f"<{TONE_PERIOD}h",
        *(int(amplitude * math.sin(step * i)) for i in range(TONE_PERIOD)),
    )


def silence(samples: int) -> bytes:
    return b"\x00\x00" * samples


class GrowingWav:
    """An open WAV file that takes audio by duration; muted spans are silence."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = wave.open(str(path), "wb")  # noqa: SIM115  # closed by close()
        self._file.setnchannels(1)
        self._file.setsampwidth(2)
        self._file.setframerate(RATE_HZ)
        self._written = 0
        self._file.writeframes(b"")
        self.muted = False
        self.closed = False

    @property
    def samples(self) -> int:
        return self._written

    def advance_to(self, seconds: float) -> None:
        """Append audio up to `seconds` since the recording started."""
        if self.closed:
            return
        target = int(seconds * RATE_HZ)
        count = target - self._written
        if count <= 0:
            return
        data = silence(count) if self.muted else tone(count, start=self._written)
        self._file.writeframes(data)
        self._written = target

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._file.close()


def write_wav(path: Path, pcm: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(pcm)


def read_pcm(path: Path) -> bytes:
    """The frames of a WAV file (any rate: the simulator does not resample)."""
    with wave.open(str(path), "rb") as src:
        return src.readframes(src.getnframes())
