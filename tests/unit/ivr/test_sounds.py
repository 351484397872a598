"""The sounds directory shared with Asterisk: the flows' file prompts made from their
text, and the silence each PBX is asked to play once."""

from __future__ import annotations

import logging
import wave
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.model import Flow
from ivr.ports import TtsFailed
from ivr.sounds import CHECK_SOUND, SoundDirectory, prompt_specs, provide_flow_prompts

FLOW: dict[str, object] = {
    "flow": "made",
    "language": "en",
    "numbers": ["7000"],
    "start": "main",
    "operator": "operator",
    "nodes": {
        "main": {
            "kind": "menu",
            "prompt": [
                {"file": "cc/test/menu", "say": "Press 1 for billing."},
                {"file": "cc/test/hello", "say": "Hello, {customer.name}."},
                {"file": "cc/test/bare"},
            ],
            "choices": [{"key": "1", "goto": "operator", "label": "billing"}],
            "invalid_prompt": [{"file": "cc/test/invalid", "say": "Not an option."}],
            "default": "operator",
        },
        "operator": {"kind": "queue", "queue": "general"},
    },
}


@dataclass
class WritingTts:
    """Writes each text as a WAV under `root/cc/tts`, as CachedTts does."""

    root: Path
    failing: str | None = None
    first_jobs_failing: int = 0
    said: list[str] = field(default_factory=list)

    async def say(self, text: str, *, language: str) -> str:
        if self.failing is not None and self.failing in text:
            raise TtsFailed("espeak wrote no audio")
        if self.first_jobs_failing > 0:
            self.first_jobs_failing -= 1
            raise TtsFailed("espeak wrote no audio")
        self.said.append(text)
        name = f"cc/tts/{len(self.said)}"
        path = self.root / f"{name}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(text.encode())
        return name


def flow() -> Flow:
    return FlowRegistry().publish(FLOW, source="api:test")


def test_every_prompt_of_a_flow_is_found_wherever_it_sits() -> None:
    files = [spec.file for spec in prompt_specs(flow())]
    assert files == ["cc/test/menu", "cc/test/hello", "cc/test/bare", "cc/test/invalid"]


async def test_file_prompts_are_made_from_fixed_texts_when_missing(
    tmp_path: Path,
) -> None:
    sounds = SoundDirectory(tmp_path)
    tts = WritingTts(tmp_path)

    made = await provide_flow_prompts([flow()], tts, sounds)

    assert made == ["cc/test/menu", "cc/test/invalid"]  # no text, or one with fields
    assert tts.said == ["Press one for billing.", "Not an option."]
    assert (
        sounds.wav("cc/test/menu").read_bytes() == sounds.wav("cc/tts/1").read_bytes()
    )
    assert not sounds.has("cc/test/hello")


async def test_recording_already_there_is_kept_when_prompts_are_made(
    tmp_path: Path,
) -> None:
    sounds = SoundDirectory(tmp_path)
    recorded = tmp_path / "cc" / "test" / "menu.ulaw"
    recorded.parent.mkdir(parents=True)
    recorded.write_bytes(b"a voice artist")

    made = await provide_flow_prompts([flow()], WritingTts(tmp_path), sounds)

    assert made == ["cc/test/invalid"]
    assert recorded.read_bytes() == b"a voice artist"
    assert not sounds.wav("cc/test/menu").exists()


async def test_prompt_left_to_tts_at_each_call_when_it_cannot_be_made(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tts = WritingTts(tmp_path, failing="billing")

    made = await provide_flow_prompts([flow()], tts, SoundDirectory(tmp_path))

    assert made == ["cc/test/invalid"]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "cc/test/menu" in warning.getMessage()


async def test_prompt_is_made_on_the_second_try_when_the_first_job_fails(
    tmp_path: Path,
) -> None:
    tts = WritingTts(tmp_path, first_jobs_failing=1)

    made = await provide_flow_prompts([flow()], tts, SoundDirectory(tmp_path))

    assert made == ["cc/test/menu", "cc/test/invalid"]


async def test_demo_flows_name_only_prompts_that_can_be_made(tmp_path: Path) -> None:
    registry = FlowRegistry()
    registry.load_directory(DEMO_FLOWS)
    flows = [f for f in map(registry.current, registry.names()) if f is not None]
    sounds = SoundDirectory(tmp_path)

    await provide_flow_prompts(flows, WritingTts(tmp_path), sounds)

    named = {spec.file for f in flows for spec in prompt_specs(f) if spec.file}
    assert named == {"cc/en/main-menu", "cc/ru/main-menu"}
    assert all(sounds.has(name) for name in named)


def test_check_sound_is_a_short_silence_asterisk_can_play(tmp_path: Path) -> None:
    sounds = SoundDirectory(tmp_path)
    sounds.write_check_sound()

    with wave.open(str(sounds.wav(CHECK_SOUND)), "rb") as played:
        shape = (played.getframerate(), played.getnchannels(), played.getsampwidth())
        frames = played.readframes(played.getnframes())
    assert shape == (8000, 1, 2)
    assert 0 < len(frames) <= 8000 // 10
    assert set(frames) == {0}
