"""The real vosk path: the Korean test model and Korean speech from espeak-ng."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.asr import LoadedModel, VoskRecogniser
from ivr.audio import read_wav
from ivr.ports import AudioUnreadable, RecogniserFailed
from tests.integration.ivr.speech import korean_model_dir, speak_korean

YES_NO = ["네", "아니요"]


@pytest.fixture(scope="module")
def recogniser(korean_models: dict[str, LoadedModel]) -> Iterator[VoskRecogniser]:
    shared = VoskRecogniser(korean_models, max_concurrent=2)
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("speech")
    return {
        word: speak_korean(word, folder / f"{i}.wav") for i, word in enumerate(YES_NO)
    }


@pytest.mark.parametrize("word", YES_NO)
async def test_yes_no_grammar_recognises_answer_when_recorded_at_8khz(
    recogniser: VoskRecogniser, answers: dict[str, Path], word: str
) -> None:
    result = await recogniser.recognise(answers[word], grammar=YES_NO, language="ko")

    assert result.text == word
    assert result.confidence > 0.5


async def test_raw_pcm_is_recognised_when_audio_comes_from_eagi(
    recogniser: VoskRecogniser, answers: dict[str, Path]
) -> None:
    pcm = read_wav(answers["아니요"])

    result = await recogniser.recognise(
        pcm.samples, grammar=YES_NO, language="ko", sample_rate_hz=pcm.rate_hz
    )

    assert result.text == "아니요"


async def test_recognitions_run_side_by_side_when_callers_answer_together(
    recogniser: VoskRecogniser, answers: dict[str, Path]
) -> None:
    words = YES_NO * 3
    async with asyncio.timeout(30):
        results = await asyncio.gather(
            *(
                recogniser.recognise(answers[w], grammar=YES_NO, language="ko")
                for w in words
            )
        )

    assert [r.text for r in results] == words


async def test_free_form_returns_words_when_no_grammar_is_given(
    recogniser: VoskRecogniser, answers: dict[str, Path]
) -> None:
    result = await recogniser.recognise(answers["아니요"], grammar=None, language="ko")

    assert result.text
    assert 0.0 < result.confidence <= 1.0


async def test_silence_yields_empty_text_when_caller_says_nothing(
    recogniser: VoskRecogniser,
) -> None:
    result = await recogniser.recognise(
        b"\x00\x00" * 8000, grammar=YES_NO, language="ko", sample_rate_hz=8000
    )

    assert result.text == ""
    assert result.confidence == 0.0


async def test_grammar_fails_when_no_phrase_is_in_vocabulary(
    recogniser: VoskRecogniser, answers: dict[str, Path]
) -> None:
    with pytest.raises(RecogniserFailed) as raised:
        await recogniser.recognise(answers["네"], grammar=["zzyzx"], language="ko")

    assert raised.value.cause == "grammar-out-of-vocabulary:ko"


async def test_recognise_fails_when_recording_is_missing(
    recogniser: VoskRecogniser, tmp_path: Path
) -> None:
    with pytest.raises(AudioUnreadable):
        await recogniser.recognise(tmp_path / "gone.wav", grammar=YES_NO, language="ko")


async def test_excess_utterance_fails_at_once_when_queue_is_full() -> None:
    busy = VoskRecogniser.load(
        {"ko": korean_model_dir()}, max_concurrent=1, max_waiting=1
    )
    silence = b"\x00\x00" * 4000
    try:
        async with asyncio.timeout(30):
            outcomes = await asyncio.gather(
                *(
                    busy.recognise(silence, grammar=YES_NO, language="ko")
                    for _ in range(3)
                ),
                return_exceptions=True,
            )
        after = await busy.recognise(silence, grammar=YES_NO, language="ko")
    finally:
        busy.close()

    failures = [o for o in outcomes if isinstance(o, RecogniserFailed)]
    assert [f.cause for f in failures] == ["overloaded"]
    assert after.text == ""
