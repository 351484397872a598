"""The tone the simulator records: a 425 Hz sine, cut from one period."""

from __future__ import annotations

import math
import struct

from telephony.sim.wav import RATE_HZ, tone


def _sine(samples: int, start: int, amplitude: int) -> tuple[int, ...]:
    step = 2 * math.pi * 425 / RATE_HZ
    return tuple(int(amplitude * math.sin(step * (start + i))) for i in range(samples))


def test_tone_is_the_425_hz_sine_from_any_start_sample() -> None:
    for samples, start, amplitude in ((0, 0, 3000), (1, 7, 3000), (1000, 319, 2000)):
        got = struct.unpack(
            f"<{samples}h", tone(samples, start=start, amplitude=amplitude)
        )
        assert got == _sine(samples, start, amplitude)


def test_consecutive_tones_join_without_a_seam() -> None:
    assert tone(500) + tone(700, start=500) == tone(1200)
