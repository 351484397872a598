"""Runner settings that touch paths: which sounds Asterisk has, and where a recording
Asterisk wrote is found on this host."""

from __future__ import annotations

from pathlib import Path

from ivr.parts import RunnerConfig
from ivr.sounds import SoundDirectory


def test_sound_is_found_when_any_asterisk_format_exists(tmp_path: Path) -> None:
    (tmp_path / "cc" / "en").mkdir(parents=True)
    (tmp_path / "cc" / "en" / "main-menu.ulaw").write_bytes(b"\x00")
    (tmp_path / "cc" / "en" / "hello.wav").write_bytes(b"\x00")

    sounds = SoundDirectory(tmp_path)

    assert sounds.has("cc/en/main-menu")
    assert sounds.has("cc/en/hello")


def test_sound_is_missing_when_no_file_or_only_a_directory(tmp_path: Path) -> None:
    (tmp_path / "cc" / "en.wav").mkdir(parents=True)

    sounds = SoundDirectory(tmp_path)

    assert not sounds.has("cc/en")
    assert not sounds.has("cc/en/absent")


def test_recording_is_read_under_local_mount_when_directories_differ() -> None:
    config = RunnerConfig(
        recordings_dir=Path("/var/spool/asterisk/cc-ivr"),
        local_recordings_dir=Path("/mnt/pbx/cc-ivr"),
    )

    local = config.local(Path("/var/spool/asterisk/cc-ivr/utterance-1-2-1"))

    assert local == Path("/mnt/pbx/cc-ivr/utterance-1-2-1")


def test_recording_path_is_unchanged_when_no_local_mount_is_set() -> None:
    path = Path("/var/spool/asterisk/cc-ivr/voicemail-1-2-1")

    assert RunnerConfig(recordings_dir=path.parent).local(path) == path
