"""The TTS cache over a fake engine: hits, concurrent requests, bad output."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest

from ivr.ports import TtsFailed
from ivr.tts import CachedTts, Voice, cache_key, check_prompt_file

EN = Voice(voice_id="gmw/en", rate_wpm=160)


def write_prompt(path: Path, *, rate_hz: int = 8000, seconds: float = 0.5) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate_hz)
        wav.writeframes(b"\x10\x00" * int(rate_hz * seconds))


class FakeEngine:
    """Writes a valid prompt (or what it is told to) and counts syntheses."""

    def __init__(self, *, rate_hz: int = 8000, seconds: float = 0.5) -> None:
        self.calls: list[tuple[str, Voice]] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_with: TtsFailed | None = None
        self._rate_hz = rate_hz
        self._seconds = seconds

    async def synthesise(self, text: str, *, voice: Voice, out_path: Path) -> None:
        self.calls.append((text, voice))
        self.started.set()
        async with asyncio.timeout(5):
            await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        write_prompt(out_path, rate_hz=self._rate_hz, seconds=self._seconds)


def make_tts(engine: FakeEngine, sounds: Path) -> CachedTts:
    return CachedTts(
        engine, sounds_dir=sounds, voices={"en": EN, "ru": Voice(voice_id="zle/ru")}
    )


async def test_second_request_hits_cache_when_text_was_spoken_before(
    tmp_path: Path,
) -> None:
    engine = FakeEngine()
    tts = make_tts(engine, tmp_path)

    first = await tts.say("Your balance is ten pounds", language="en")
    second = await tts.say("Your balance is ten pounds", language="en")

    assert first == second == f"cc/tts/{cache_key('Your balance is ten pounds', EN)}"
    assert len(engine.calls) == 1
    assert (tmp_path / f"{first}.wav").is_file()
    assert [p.name for p in (tmp_path / "cc" / "tts").iterdir()] == [f"{first[7:]}.wav"]


async def test_cache_survives_restart_when_file_is_already_in_sounds_dir(
    tmp_path: Path,
) -> None:
    await make_tts(FakeEngine(), tmp_path).say("Hello", language="en")
    engine = FakeEngine()

    await make_tts(engine, tmp_path).say("Hello", language="en")

    assert engine.calls == []


async def test_concurrent_requests_synthesise_once_when_text_is_the_same(
    tmp_path: Path,
) -> None:
    engine = FakeEngine()
    engine.gate.clear()
    tts = make_tts(engine, tmp_path)

    requests = [
        asyncio.ensure_future(tts.say("Hold on", language="en")) for _ in range(5)
    ]
    async with asyncio.timeout(5):
        await engine.started.wait()
    engine.gate.set()
    async with asyncio.timeout(5):
        names = await asyncio.gather(*requests)

    assert len(set(names)) == 1
    assert len(engine.calls) == 1


async def test_voice_and_rate_change_the_key_when_text_is_the_same() -> None:
    keys = {
        cache_key("Hello", EN),
        cache_key("Hello", Voice(voice_id="gmw/en", rate_wpm=120)),
        cache_key("Hello", Voice(voice_id="gmw/en-us", rate_wpm=160)),
        cache_key("Hello.", EN),
    }

    assert len(keys) == 4


async def test_failure_leaves_nothing_and_next_request_retries_when_engine_fails(
    tmp_path: Path,
) -> None:
    engine = FakeEngine()
    engine.fail_with = TtsFailed("worker timed out")
    tts = make_tts(engine, tmp_path)

    with pytest.raises(TtsFailed, match="timed out"):
        await tts.say("Hello", language="en")
    assert list((tmp_path / "cc" / "tts").iterdir()) == []

    engine.fail_with = None
    await tts.say("Hello", language="en")
    assert len(engine.calls) == 2


@pytest.mark.parametrize(
    ("rate_hz", "seconds", "problem"),
    [(22050, 0.5, "not 8 kHz"), (8000, 0.01, "only 80 samples")],
)
async def test_output_is_refused_when_engine_writes_a_bad_file(
    tmp_path: Path, rate_hz: int, seconds: float, problem: str
) -> None:
    tts = make_tts(FakeEngine(rate_hz=rate_hz, seconds=seconds), tmp_path)

    with pytest.raises(TtsFailed, match=problem):
        await tts.say("Hello", language="en")

    assert list((tmp_path / "cc" / "tts").iterdir()) == []


def test_check_prompt_file_fails_when_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(TtsFailed, match="unreadable"):
        check_prompt_file(tmp_path / "absent.wav")


async def test_say_fails_when_language_has_no_voice(tmp_path: Path) -> None:
    engine = FakeEngine()

    with pytest.raises(TtsFailed, match="'de'"):
        await make_tts(engine, tmp_path).say("Hallo", language="de")

    assert engine.calls == []


async def test_say_fails_when_text_is_blank(tmp_path: Path) -> None:
    with pytest.raises(TtsFailed, match="empty"):
        await make_tts(FakeEngine(), tmp_path).say("  ", language="en")


async def test_waiting_request_can_be_cancelled_when_another_is_synthesising(
    tmp_path: Path,
) -> None:
    engine = FakeEngine()
    engine.gate.clear()
    tts = make_tts(engine, tmp_path)
    first = asyncio.ensure_future(tts.say("Hold on", language="en"))
    waiting = asyncio.ensure_future(tts.say("Hold on", language="en"))
    async with asyncio.timeout(5):
        await engine.started.wait()

    waiting.cancel()
    engine.gate.set()
    async with asyncio.timeout(5):
        name = await first
    with pytest.raises(asyncio.CancelledError):
        await waiting

    assert await tts.say("Hold on", language="en") == name
    assert len(engine.calls) == 1


async def test_leftover_scratch_files_are_removed_when_cache_opens(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cc" / "tts"
    folder.mkdir(parents=True)
    write_prompt(folder / ".abc.123.tmp.wav")
    write_prompt(folder / "kept.wav")

    make_tts(FakeEngine(), tmp_path)

    assert [p.name for p in folder.iterdir()] == ["kept.wav"]
