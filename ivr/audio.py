"""16-bit PCM helpers for speech: read a WAV as Asterisk records it, downmix and
resample (linear interpolation, low-pass filtered first when decimating).

No numpy, no audioop (deprecated in 3.11, gone in 3.13). Decoding only: nothing here
talks to vosk or pyttsx3.
"""

from __future__ import annotations

import math
import operator
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from ivr.ports import AudioUnreadable

SAMPLE_WIDTH_BYTES = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Pcm:
    """Signed 16-bit little-endian mono samples at `rate_hz`."""

    samples: bytes
    rate_hz: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_WIDTH_BYTES / self.rate_hz


def read_wav(path: Path) -> Pcm:
    """Read a 16-bit PCM WAV (mono or stereo, any rate) as mono. Raises
    AudioUnreadable naming the file when it is absent, truncated or not 16-bit PCM."""
    try:
        with wave.open(str(path), "rb") as wav:
            width = wav.getsampwidth()
            channels = wav.getnchannels()
            rate_hz = wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioUnreadable(f"cannot read {path}: {exc}") from exc
    if width != SAMPLE_WIDTH_BYTES:
        raise AudioUnreadable(f"{path} has {8 * width}-bit samples, 16-bit expected")
    if channels == 1:
        return Pcm(samples=frames, rate_hz=rate_hz)
    return Pcm(samples=downmix(frames, channels=channels), rate_hz=rate_hz)


def downmix(frames: bytes, *, channels: int) -> bytes:
    """Average interleaved channels into one."""
    src = _samples(frames)
    mono = array("h", bytes(SAMPLE_WIDTH_BYTES * (len(src) // channels)))
    for i in range(len(mono)):
        base = i * channels
        mono[i] = sum(src[base : base + channels]) // channels
    return _bytes(mono)


def resample(samples: bytes, *, from_hz: int, to_hz: int) -> bytes:
    """Resample mono 16-bit PCM by linear interpolation. When decimating, a
    windowed-sinc low-pass at 0.45 of the new rate first keeps what lies above the
    new Nyquist from folding back into the speech band."""
    if from_hz <= 0 or to_hz <= 0:
        raise ValueError(f"sample rates must be positive: {from_hz} -> {to_hz}")
    if from_hz == to_hz or not samples:
        return samples
    src = _samples(samples)
    if to_hz < from_hz:
        src = _low_pass(src, cutoff=0.45 * to_hz / from_hz)
    n_out = len(src) * to_hz // from_hz
    out = array("h", bytes(SAMPLE_WIDTH_BYTES * n_out))
    step = from_hz / to_hz
    last = len(src) - 1
    for i in range(n_out):
        pos = i * step
        j = int(pos)
        a = src[j]
        b = src[j + 1] if j < last else a
        out[i] = round(a + (b - a) * (pos - j))
    return _bytes(out)


def _low_pass(src: array[int], *, cutoff: float) -> array[int]:
    """FIR low-pass, Hamming-windowed sinc; `cutoff` is a fraction of the rate."""
    half = max(8, math.ceil(2 / cutoff))
    taps = [
        (2 * cutoff if k == 0 else math.sin(2 * math.pi * cutoff * k) / (math.pi * k))
        * (0.54 + 0.46 * math.cos(math.pi * k / half))
        for k in range(-half, half + 1)
    ]
    gain = sum(taps)
    taps = [t / gain for t in taps]
    padded = [0] * half + list(src) + [0] * half
    width = len(taps)
    out = array("h", bytes(SAMPLE_WIDTH_BYTES * len(src)))
    for i in range(len(src)):
        value = sum(map(operator.mul, taps, padded[i : i + width]))
        out[i] = max(-32768, min(32767, round(value)))
    return out


def _samples(data: bytes) -> array[int]:
    src = array("h")
    src.frombytes(data[: len(data) - len(data) % SAMPLE_WIDTH_BYTES])
    if sys.byteorder == "big":
        src.byteswap()
    return src


def _bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()
