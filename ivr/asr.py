"""Speech recognition with vosk: one model per language loaded once at start-up, a
recogniser per utterance (grammar-constrained or free-form), run in a bounded thread
pool so the event loop never waits on Kaldi. Also the scripted recogniser that flow
tests and the simulated demo callers use.

The only module that imports vosk. Failures become RecogniserFailed, logged once per
cause (not once per call), so the runner can fall back to DTMF.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vosk

from ivr.audio import Pcm, read_wav, resample
from ivr.ports import AsrModelMissing, RecogniserFailed, Recognition

log = logging.getLogger(__name__)

UNKNOWN_WORD = "[unk]"
DEFAULT_MODEL_RATE_HZ = 16000
# Feed Kaldi a quarter second at a time so endpointed segments are collected too.
CHUNK_S = 0.25
_RATE_OPTION = re.compile(r"^--sample-frequency=(\d+)", re.MULTILINE)


def check_model_dir(language: str, path: Path) -> None:
    """Raise AsrModelMissing naming `path` unless it looks like a vosk model."""
    if not path.is_dir():
        raise AsrModelMissing(language, path, "no such directory")
    if not (path / "am" / "final.mdl").is_file():
        raise AsrModelMissing(language, path, "am/final.mdl not found")


def model_rate_hz(path: Path) -> int:
    """The sample rate the model's features expect (conf/mfcc.conf), 16 kHz if unset."""
    try:
        conf = (path / "conf" / "mfcc.conf").read_text(encoding="utf-8")
    except OSError:
        return DEFAULT_MODEL_RATE_HZ
    found = _RATE_OPTION.search(conf)
    return int(found.group(1)) if found else DEFAULT_MODEL_RATE_HZ


def parse_result(raw: str) -> Recognition:
    """Turn one vosk JSON result (with SetWords) into a Recognition. Confidence is
    the mean of the word-level `conf` values; "[unk]" words are dropped."""
    words: list[dict[str, Any]] = [
        word
        for word in json.loads(raw).get("result", [])
        if word.get("word") != UNKNOWN_WORD
    ]
    if not words:
        return Recognition(text="", confidence=0.0)
    confidence = sum(float(word.get("conf", 0.0)) for word in words) / len(words)
    return Recognition(
        text=" ".join(str(word["word"]) for word in words),
        confidence=round(confidence, 4),
    )


def merge(parts: Sequence[Recognition]) -> Recognition:
    """Join endpointed segments of one utterance, weighting confidence by words."""
    heard = [part for part in parts if part.text]
    if not heard:
        return Recognition(text="", confidence=0.0)
    counts = [len(part.text.split()) for part in heard]
    total = sum(part.confidence * n for part, n in zip(heard, counts, strict=True))
    return Recognition(
        text=" ".join(part.text for part in heard),
        confidence=round(total / sum(counts), 4),
    )


def load_models(model_dirs: Mapping[str, Path]) -> dict[str, LoadedModel]:
    """Load one model per language (blocking, a second or two each and about
    500 MB for the Korean test model: call it at start-up, off the loop). Raises
    AsrModelMissing naming the first bad directory."""
    vosk.SetLogLevel(-1)  # Kaldi logs to stderr; our failures are typed instead
    models: dict[str, LoadedModel] = {}
    for language, path in model_dirs.items():
        check_model_dir(language, path)
        try:
            model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises bare Exception
            raise AsrModelMissing(
                language, path, f"vosk cannot load it: {exc}"
            ) from exc
        models[language] = LoadedModel(model, model_rate_hz(path))
        log.info("asr model language=%s path=%s loaded", language, path)
    return models


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A vosk model in memory and the sample rate its features expect."""

    model: Any  # vosk.Model: vosk ships no type information
    rate_hz: int


class VoskRecogniser:
    """Recogniser over vosk models, one per language, shared by every call."""

    def __init__(
        self,
        models: Mapping[str, LoadedModel],
        *,
        max_concurrent: int = 2,
        max_waiting: int = 50,
    ) -> None:
        self._models = dict(models)
        self._capacity = max_concurrent + max_waiting
        self._in_flight = 0
        self._count_lock = threading.Lock()  # jobs finish on pool threads
        self._executor = ThreadPoolExecutor(
            max_workers=max_concurrent, thread_name_prefix="vosk"
        )
        self._logged_causes: set[str] = set()

    @classmethod
    def load(
        cls,
        model_dirs: Mapping[str, Path],
        *,
        max_concurrent: int = 2,
        max_waiting: int = 50,
    ) -> VoskRecogniser:
        """Load every model and build the recogniser (see load_models)."""
        models = load_models(model_dirs)
        return cls(models, max_concurrent=max_concurrent, max_waiting=max_waiting)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._models)

    async def recognise(
        self,
        audio: Path | bytes,
        *,
        grammar: Sequence[str] | None,
        language: str,
        sample_rate_hz: int = 8000,
    ) -> Recognition:
        """See ivr.ports.Recogniser. With `max_concurrent` utterances decoding and
        `max_waiting` queued, a further one fails at once (cause "overloaded"): the
        caller gets the keypad rather than a long silence."""
        with self._count_lock:
            accepted = self._in_flight < self._capacity
            if accepted:
                self._in_flight += 1
        if not accepted:
            overloaded = RecogniserFailed(
                f"{self._capacity} utterances already queued", cause="overloaded"
            )
            self._log_once(overloaded)
            raise overloaded
        phrases = None if grammar is None else tuple(grammar)
        job = self._executor.submit(
            self._recognise_blocking, audio, phrases, language, sample_rate_hz
        )
        job.add_done_callback(self._finished)
        try:
            return await asyncio.wrap_future(job)
        except RecogniserFailed as failure:
            self._log_once(failure)
            raise
        except Exception as exc:  # any Kaldi crash means DTMF fallback
            crash = RecogniserFailed(
                f"recogniser crashed: {exc!r}", cause=f"crash:{type(exc).__name__}"
            )
            self._log_once(crash)
            raise crash from exc

    def _finished(self, _job: object) -> None:
        with self._count_lock:
            self._in_flight -= 1

    def close(self) -> None:
        """Stop the pool; utterances already running finish first (blocking: from
        the loop, call it through asyncio.to_thread)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _recognise_blocking(
        self,
        audio: Path | bytes,
        grammar: tuple[str, ...] | None,
        language: str,
        sample_rate_hz: int,
    ) -> Recognition:
        loaded = self._models.get(language)
        if loaded is None:
            raise AsrModelMissing(language, Path("-"), "no model configured")
        pcm = (
            read_wav(audio)
            if isinstance(audio, Path)
            else Pcm(samples=audio, rate_hz=sample_rate_hz)
        )
        samples = resample(pcm.samples, from_hz=pcm.rate_hz, to_hz=loaded.rate_hz)
        recogniser = self._recogniser(loaded, grammar, language)
        recogniser.SetWords(True)
        chunk = int(CHUNK_S * loaded.rate_hz) * 2
        parts: list[Recognition] = []
        for start in range(0, len(samples), chunk):
            if recogniser.AcceptWaveform(samples[start : start + chunk]):
                parts.append(parse_result(recogniser.Result()))
        parts.append(parse_result(recogniser.FinalResult()))
        return merge(parts)

    def _recogniser(
        self, loaded: LoadedModel, grammar: tuple[str, ...] | None, language: str
    ) -> Any:  # vosk.KaldiRecognizer
        if grammar is None:
            return vosk.KaldiRecognizer(loaded.model, loaded.rate_hz)
        known = [
            phrase
            for phrase in grammar
            if self._in_vocabulary(loaded, phrase, language)
        ]
        if not known:
            raise RecogniserFailed(
                f"no phrase of {list(grammar)!r} is in the {language} vocabulary",
                cause=f"grammar-out-of-vocabulary:{language}",
            )
        if loaded.model.vosk_model_find_word(UNKNOWN_WORD) >= 0:
            known.append(UNKNOWN_WORD)
        # vosk compares the grammar's UTF-8 text: escaped JSON would match nothing.
        return vosk.KaldiRecognizer(
            loaded.model, loaded.rate_hz, json.dumps(known, ensure_ascii=False)
        )

    def _in_vocabulary(self, loaded: LoadedModel, phrase: str, language: str) -> bool:
        missing = [
            w for w in phrase.split() if loaded.model.vosk_model_find_word(w) < 0
        ]
        if missing:
            self._log_once(
                RecogniserFailed(
                    f"grammar phrase {phrase!r} dropped: {missing!r} not in the "
                    f"{language} vocabulary",
                    cause=f"out-of-vocabulary:{language}:{phrase}",
                )
            )
        return not missing

    def _log_once(self, failure: RecogniserFailed) -> None:
        if failure.cause in self._logged_causes:
            log.debug("asr failure cause=%s: %s", failure.cause, failure)
            return
        self._logged_causes.add(failure.cause)
        log.warning("asr failure cause=%s (logged once): %s", failure.cause, failure)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecognitionRequest:
    """What a flow asked a scripted recogniser to listen for."""

    grammar: tuple[str, ...] | None
    language: str


def heard(text: str, confidence: float = 1.0) -> Recognition:
    """A recognition for scripts: the caller said `text`."""
    return Recognition(text=text, confidence=confidence)


class ScriptedRecogniser:
    """Returns (or raises) the scripted outcomes in order, recording each request.
    Used by flow tests and by the simulated callers of the demo (no audio there)."""

    def __init__(self, script: Iterable[Recognition | RecogniserFailed] = ()) -> None:
        self._script = list(script)
        self.requests: list[RecognitionRequest] = []

    def add(self, *outcomes: Recognition | RecogniserFailed) -> None:
        self._script.extend(outcomes)

    async def recognise(
        self,
        audio: Path | bytes,
        *,
        grammar: Sequence[str] | None,
        language: str,
        sample_rate_hz: int = 8000,
    ) -> Recognition:
        self.requests.append(
            RecognitionRequest(
                grammar=None if grammar is None else tuple(grammar), language=language
            )
        )
        if not self._script:
            raise RecogniserFailed(
                "scripted recogniser has nothing left", cause="script-exhausted"
            )
        outcome = self._script.pop(0)
        if isinstance(outcome, RecogniserFailed):
            raise outcome
        return outcome
