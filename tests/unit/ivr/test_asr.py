"""Recogniser behaviour that needs no model: results, start-up errors, scripts."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from ivr.asr import (
    LoadedModel,
    ScriptedRecogniser,
    VoskRecogniser,
    heard,
    merge,
    model_rate_hz,
    parse_result,
)
from ivr.ports import AsrModelMissing, RecogniserFailed, Recognition


def vosk_json(*words: tuple[str, float]) -> str:
    return json.dumps(
        {
            "result": [
                {"word": w, "conf": c, "start": 0.0, "end": 0.1} for w, c in words
            ],
            "text": " ".join(w for w, _ in words),
        }
    )


def test_parse_result_averages_word_confidence_when_several_words() -> None:
    result = parse_result(vosk_json(("one", 1.0), ("two", 0.5)))

    assert result == Recognition(text="one two", confidence=0.75)


def test_parse_result_drops_unknown_words_when_grammar_rejected_them() -> None:
    result = parse_result(vosk_json(("[unk]", 1.0), ("yes", 0.9)))

    assert result == Recognition(text="yes", confidence=0.9)


def test_parse_result_is_empty_with_zero_confidence_when_nothing_heard() -> None:
    assert parse_result('{"text": ""}') == Recognition(text="", confidence=0.0)
    assert parse_result(vosk_json(("[unk]", 1.0))).confidence == 0.0


def test_merge_weights_confidence_by_words_when_utterance_was_endpointed() -> None:
    parts = [
        Recognition(text="one two", confidence=1.0),
        Recognition(text="", confidence=0.0),
        Recognition(text="three", confidence=0.4),
    ]

    assert merge(parts) == Recognition(text="one two three", confidence=0.8)


def test_load_raises_naming_path_when_model_directory_is_missing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "models" / "ru"

    with pytest.raises(AsrModelMissing, match=re.escape(str(missing))) as raised:
        VoskRecogniser.load({"ru": missing})

    assert raised.value.language == "ru"
    assert raised.value.path == missing


def test_load_raises_when_directory_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()

    with pytest.raises(AsrModelMissing, match=r"am/final\.mdl"):
        VoskRecogniser.load({"en": tmp_path})


def test_model_rate_is_read_from_feature_config_when_given(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text(
        "--use-energy=false\n--sample-frequency=8000\n"
    )

    assert model_rate_hz(tmp_path) == 8000
    assert model_rate_hz(tmp_path / "absent") == 16000


async def test_recognise_fails_and_logs_once_when_language_has_no_model(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recogniser = VoskRecogniser({})
    caplog.set_level(logging.DEBUG, logger="ivr.asr")
    try:
        for _ in range(3):
            with pytest.raises(AsrModelMissing):
                await recogniser.recognise(
                    b"\x00\x00" * 800, grammar=None, language="fr"
                )
    finally:
        recogniser.close()

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "model-missing:fr" in warnings[0].getMessage()


async def test_scripted_recogniser_replays_outcomes_in_order_when_asked() -> None:
    failure = RecogniserFailed("boom", cause="crash:test")
    recogniser = ScriptedRecogniser([heard("billing", 0.9), failure])

    first = await recogniser.recognise(
        Path("a.wav"), grammar=["billing", "sales"], language="en"
    )
    with pytest.raises(RecogniserFailed) as raised:
        await recogniser.recognise(b"", grammar=None, language="ru")

    assert first == Recognition(text="billing", confidence=0.9)
    assert raised.value is failure
    assert [(r.grammar, r.language) for r in recogniser.requests] == [
        (("billing", "sales"), "en"),
        (None, "ru"),
    ]


async def test_scripted_recogniser_fails_when_script_is_exhausted() -> None:
    recogniser = ScriptedRecogniser()

    with pytest.raises(RecogniserFailed) as raised:
        await recogniser.recognise(b"", grammar=None, language="en")

    assert raised.value.cause == "script-exhausted"


async def test_crash_becomes_typed_failure_logged_once_when_kaldi_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A model claiming a zero sample rate fails inside the worker thread, as a
    # corrupt model or a native failure would.
    recogniser = VoskRecogniser({"ko": LoadedModel(model=None, rate_hz=0)})
    caplog.set_level(logging.DEBUG, logger="ivr.asr")
    causes: list[str] = []
    try:
        for _ in range(2):
            with pytest.raises(RecogniserFailed) as raised:
                await recogniser.recognise(
                    b"\x00\x00" * 800, grammar=None, language="ko"
                )
            causes.append(raised.value.cause)
    finally:
        recogniser.close()

    assert causes == ["crash:ValueError"] * 2
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1
