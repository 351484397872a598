"""The supervised TTS worker: real pyttsx3 on espeak-ng, and a misbehaving stand-in
for timeouts, crashes and garbage."""

from __future__ import annotations

import sys
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.asr import LoadedModel, VoskRecogniser
from ivr.ports import TtsFailed, TtsVoiceMissing
from ivr.tts import CachedTts, TtsWorker, Voice

STUB = (sys.executable, str(Path(__file__).with_name("stub_tts_worker.py")))
VOICES = {
    "en": Voice(voice_id="gmw/en"),
    "ru": Voice(voice_id="zle/ru"),
    "ko": Voice(voice_id="ko", rate_wpm=140),
}


@pytest.fixture
async def worker() -> AsyncIterator[TtsWorker]:
    real = TtsWorker(job_timeout_s=20.0)
    yield real
    await real.close()


@pytest.fixture
async def stub() -> AsyncIterator[TtsWorker]:
    standin = TtsWorker(command=STUB, job_timeout_s=0.5)
    yield standin
    await standin.close()


def shape(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as wav:
        return (
            wav.getframerate(),
            wav.getnchannels(),
            wav.getsampwidth(),
            wav.getnframes() / wav.getframerate(),
        )


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Your balance is ten pounds."), ("ru", "Ваш баланс десять рублей.")],
)
async def test_prompt_is_8khz_mono_wav_in_sounds_dir_when_synthesised(
    worker: TtsWorker, tmp_path: Path, language: str, text: str
) -> None:
    tts = CachedTts(worker, sounds_dir=tmp_path, voices=VOICES)

    name = await tts.say(text, language=language)

    rate, channels, width, seconds = shape(tmp_path / f"{name}.wav")
    assert name.startswith("cc/tts/")
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds > 0.5
    assert [p.name for p in (tmp_path / "cc" / "tts").iterdir()] == [f"{name[7:]}.wav"]


async def test_successive_prompts_are_distinct_files_when_worker_is_reused(
    worker: TtsWorker, tmp_path: Path
) -> None:
    tts = CachedTts(worker, sounds_dir=tmp_path, voices=VOICES)
    short = await tts.say("Yes.", language="en")
    long = await tts.say(
        "Please hold while we find an operator for you.", language="en"
    )
    again = await tts.say("Yes.", language="en")

    assert short == again != long
    assert shape(tmp_path / f"{short}.wav")[3] < shape(tmp_path / f"{long}.wav")[3]
    assert worker.starts == 1


async def test_bad_voice_id_fails_when_voice_is_not_installed(
    worker: TtsWorker, tmp_path: Path
) -> None:
    tts = CachedTts(
        worker, sounds_dir=tmp_path, voices={"en": Voice(voice_id="gmw/no-such")}
    )

    with pytest.raises(TtsVoiceMissing, match="gmw/no-such"):
        await worker.check_voices([VOICES["en"], Voice(voice_id="gmw/no-such")])
    with pytest.raises(TtsVoiceMissing):
        await tts.say("Hello", language="en")
    assert list((tmp_path / "cc" / "tts").iterdir()) == []


async def test_korean_prompt_is_recognised_when_spoken_back(
    worker: TtsWorker, tmp_path: Path, korean_models: dict[str, LoadedModel]
) -> None:
    tts = CachedTts(worker, sounds_dir=tmp_path, voices=VOICES)
    recogniser = VoskRecogniser(korean_models, max_concurrent=1)
    try:
        name = await tts.say("아니요", language="ko")
        result = await recogniser.recognise(
            tmp_path / f"{name}.wav", grammar=["네", "아니요"], language="ko"
        )
    finally:
        recogniser.close()

    assert result.text == "아니요"


@pytest.mark.parametrize(
    ("text", "error"),
    [("hang", "timed out"), ("crash", "exited"), ("garbage", "failed during job")],
)
async def test_worker_is_replaced_when_a_job_hangs_crashes_or_answers_garbage(
    stub: TtsWorker, tmp_path: Path, text: str, error: str
) -> None:
    voice = Voice(voice_id="stub")

    with pytest.raises(TtsFailed, match=error):
        await stub.synthesise(text, voice=voice, out_path=tmp_path / "bad.wav")
    await stub.synthesise("fine", voice=voice, out_path=tmp_path / "good.wav")

    assert stub.starts == 2
    assert shape(tmp_path / "good.wav")[:3] == (8000, 1, 2)


async def test_cache_falls_back_cleanly_when_worker_hangs(
    stub: TtsWorker, tmp_path: Path
) -> None:
    tts = CachedTts(stub, sounds_dir=tmp_path, voices={"en": Voice(voice_id="stub")})

    with pytest.raises(TtsFailed):
        await tts.say("hang", language="en")
    name = await tts.say("next prompt", language="en")

    assert [p.name for p in (tmp_path / "cc" / "tts").iterdir()] == [f"{name[7:]}.wav"]


async def test_every_prompt_is_written_when_many_are_synthesised_in_a_row(
    worker: TtsWorker, tmp_path: Path
) -> None:
    # pyttsx3 on espeak now and then ends runAndWait() without writing the file.
    tts = CachedTts(worker, sounds_dir=tmp_path, voices=VOICES)
    texts = [f"Payment {n} was received today, thank you." for n in range(30)]

    names = [await tts.say(text, language="en") for text in texts]

    assert len(set(names)) == len(texts)
    assert all(shape(tmp_path / f"{name}.wav")[3] > 1.0 for name in names)
    assert worker.starts == 1
