"""The sounds the simulated Asterisk can play: its installed ones and the files in the
sounds directory it reads, found as Asterisk finds them (main/file.c: a name without
a leading `/` is looked up under `<astdatadir>/sounds`, in the channel's language
folder first, in any format it can read).
"""

from __future__ import annotations

import wave
from pathlib import Path

BEEP = "beep"
"""What RECORD FILE plays with its BEEP option."""
INSTALLED_SOUNDS = frozenset(
    {
        BEEP,
        *(f"silence/{n}" for n in range(1, 11)),
        "custom/welcome",
        "custom/hello",
        "custom/hello-short",
        "custom/machine",
    }
)
"""Core sounds the service may use, and the `custom/` sounds of the configuration
the traces were recorded with (../shared/asterisk-traces/config)."""
FORMATS = ("wav", "WAV", "wav16", "sln", "sln16", "gsm", "ulaw", "alaw", "g722")
DEFAULT_DATA_DIR = Path("/var/lib/asterisk")


PLAY_SECONDS = {"custom/welcome": 3.35, "custom/hello": 3.98}
"""How long the installed sounds last (the traces' timings); others take 2 s."""
DEFAULT_PLAY_S = 2.0


def sound_file(
    name: str, *, sounds_dir: Path | None, language: str = "en"
) -> Path | None:
    """The file Asterisk would open for `name` (no extension) on a channel speaking
    `language`, or None."""
    if not name:
        return None
    if name.startswith("/"):
        bases = [Path(name)]
    elif sounds_dir is None:
        return None
    else:
        bases = [sounds_dir / language / name, sounds_dir / name]
    for base in bases:
        for ext in FORMATS:
            found = base.with_name(f"{base.name}.{ext}")
            if found.is_file():
                return found
    return None


def sound_exists(
    name: str,
    *,
    sounds_dir: Path | None,
    installed: frozenset[str] = INSTALLED_SOUNDS,
) -> bool:
    """Whether Asterisk would open `name`: installed, or a file it reads."""
    return name in installed or sound_file(name, sounds_dir=sounds_dir) is not None


def play_seconds(name: str, *, sounds_dir: Path | None) -> float:
    """How long `name` plays: a WAV file's own length, else a fixed guess."""
    found = sound_file(name, sounds_dir=sounds_dir)
    if found is not None and found.suffix.lower() == ".wav":
        try:
            with wave.open(str(found), "rb") as sound:
                return sound.getnframes() / sound.getframerate()
        except (OSError, EOFError, wave.Error, ZeroDivisionError):
            return DEFAULT_PLAY_S
    return PLAY_SECONDS.get(name, DEFAULT_PLAY_S)


def data_dir(sounds_dir: Path | None) -> Path:
    """What `${ASTDATADIR}` says: the sounds directory is `<astdatadir>/sounds`."""
    return DEFAULT_DATA_DIR if sounds_dir is None else sounds_dir.parent
