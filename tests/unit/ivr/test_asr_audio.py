"""WAV reading and resampling for the recogniser."""

from __future__ import annotations

import itertools
import math
import wave
from array import array
from pathlib import Path

import pytest

from ivr.audio import read_wav, resample
from ivr.ports import AudioUnreadable


def sine(freq_hz: float, *, rate_hz: int, duration_s: float = 1.0) -> bytes:
    n = int(rate_hz * duration_s)
    return array(
        "h",
        (
            round(12000 * math.sin(2 * math.pi * freq_hz * i / rate_hz))
            for i in range(n)
        ),
    ).tobytes()


def dominant_hz(pcm: bytes, *, rate_hz: int) -> float:
    """Frequency from rising zero crossings (enough for a clean sine)."""
    samples = array("h")
    samples.frombytes(pcm)
    rising = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    return rising * rate_hz / len(samples)


def write_wav(path: Path, frames: bytes, *, rate_hz: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate_hz)
        wav.writeframes(frames)


@pytest.mark.parametrize(
    ("from_hz", "to_hz", "freq_hz"),
    [
        (8000, 16000, 440.0),
        (16000, 8000, 1000.0),
        (22050, 8000, 700.0),
        (8000, 11025, 300.0),
    ],
)
def test_resample_preserves_frequency_when_rate_changes(
    from_hz: int, to_hz: int, freq_hz: float
) -> None:
    out = resample(sine(freq_hz, rate_hz=from_hz), from_hz=from_hz, to_hz=to_hz)

    assert len(out) // 2 == pytest.approx(to_hz, abs=2)
    assert dominant_hz(out, rate_hz=to_hz) == pytest.approx(freq_hz, abs=2)


def test_resample_attenuates_tone_above_new_nyquist_when_decimating() -> None:
    tone = sine(6000.0, rate_hz=16000)

    out = resample(tone, from_hz=16000, to_hz=8000)

    samples = array("h")
    samples.frombytes(out)
    assert max(abs(s) for s in samples) < 12000 * 0.2


def test_resample_returns_input_when_rates_equal() -> None:
    pcm = sine(440.0, rate_hz=8000, duration_s=0.1)

    assert resample(pcm, from_hz=8000, to_hz=8000) is pcm


def test_read_wav_downmixes_when_recording_is_stereo(tmp_path: Path) -> None:
    left = array("h", [1000, 2000, -3000])
    right = array("h", [3000, 0, -1000])
    interleaved = array(
        "h", [s for pair in zip(left, right, strict=True) for s in pair]
    )
    write_wav(tmp_path / "s.wav", interleaved.tobytes(), rate_hz=8000, channels=2)

    pcm = read_wav(tmp_path / "s.wav")

    assert pcm.rate_hz == 8000
    assert array("h", pcm.samples) == array("h", [2000, 1000, -2000])


def test_read_wav_raises_naming_file_when_recording_is_missing(tmp_path: Path) -> None:
    with pytest.raises(AudioUnreadable, match=r"absent\.wav"):
        read_wav(tmp_path / "absent.wav")


def test_read_wav_raises_when_samples_are_not_16_bit(tmp_path: Path) -> None:
    with wave.open(str(tmp_path / "u8.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(bytes(800))

    with pytest.raises(AudioUnreadable, match="8-bit"):
        read_wav(tmp_path / "u8.wav")


def test_read_wav_raises_when_file_is_truncated(tmp_path: Path) -> None:
    (tmp_path / "cut.wav").write_bytes(b"RIFF\x00\x00")

    with pytest.raises(AudioUnreadable):
        read_wav(tmp_path / "cut.wav")
