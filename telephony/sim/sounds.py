"""The sounds the simulated Asterisk can play: its installed ones and the files in the
sounds directory it reads, found as Asterisk finds them (main/file.c: a name without
a leading `/` is looked up under `<astdatadir>/sounds`, in the channel's language
folder first, in any format it can read).
"""

from __future__ import annotations

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


def sound_exists(
    name: str,
    *,
    sounds_dir: Path | None,
    installed: frozenset[str] = INSTALLED_SOUNDS,
    language: str = "en",
) -> bool:
    """Whether Asterisk would open `name` (no extension) for a channel speaking
    `language`."""
    if not name:
        return False
    if name.startswith("/"):
        bases = [Path(name)]
    elif name in installed:
        return True
    elif sounds_dir is None:
        return False
    else:
        bases = [sounds_dir / language / name, sounds_dir / name]
    return any(
        base.with_name(f"{base.name}.{ext}").is_file()
        for base in bases
        for ext in FORMATS
    )


def data_dir(sounds_dir: Path | None) -> Path:
    """What `${ASTDATADIR}` says: the sounds directory is `<astdatadir>/sounds`."""
    return DEFAULT_DATA_DIR if sounds_dir is None else sounds_dir.parent
