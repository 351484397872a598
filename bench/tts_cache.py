"""TTS prompt latency: uncached (pyttsx3 worker -> 8 kHz WAV in the sounds directory)
against cached (the same prompts again), with espeak-ng called directly (plus sox)
measured in the same run as a baseline for the pyttsx3 path.

Each run speaks fresh 10-word sentences; figures are medians over runs of per-run p50.
Last line: `tts_uncached_p50_ms=N ms`.
Run: .venv/bin/python -m bench.tts_cache [--runs 5] [--prompts 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from ivr.tts import CachedTts, TtsWorker, Voice

VOICE = Voice(voice_id="gmw/en", rate_wpm=160)


def sentence(run: int, index: int) -> str:
    """Ten words, unique per run and index, so nothing is cached by accident."""
    return (
        f"Payment {run * 1000 + index + 1} was received today, thank you for calling us"
    )


def espeak_direct(text: str, folder: Path, index: int) -> None:
    raw, out = folder / f"raw{index}.wav", folder / f"direct{index}.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en", "-s", "160", "-w", str(raw), text],
        check=True,
        timeout=30,
    )
    subprocess.run(
        ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)],
        check=True,
        timeout=30,
    )


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def one_run(
    tts: CachedTts, run: int, prompts: int, folder: Path
) -> tuple[float, ...]:
    uncached, cached, direct = [], [], []
    texts = [sentence(run, i) for i in range(prompts)]
    for text in texts:
        start = time.perf_counter()
        await tts.prompt(text, voice=VOICE)
        uncached.append(time.perf_counter() - start)
    for text in texts:
        start = time.perf_counter()
        await tts.prompt(text, voice=VOICE)
        cached.append(time.perf_counter() - start)
    for i, text in enumerate(texts):
        start = time.perf_counter()
        espeak_direct(text, folder, i)
        direct.append(time.perf_counter() - start)
    return p50_ms(uncached), p50_ms(cached), p50_ms(direct), max(uncached) * 1000


async def bench(runs: int, prompts: int) -> None:
    worker = TtsWorker()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tts = CachedTts(worker, sounds_dir=folder / "sounds", voices={"en": VOICE})
        try:
            start = time.perf_counter()
            await tts.prompt("Warming up the worker.", voice=VOICE)
            first_ms = (time.perf_counter() - start) * 1000
            print(f"worker start + first prompt: {first_ms:.1f} ms")
            results = [await one_run(tts, run, prompts, folder) for run in range(runs)]
        finally:
            await worker.close()
    uncached, cached, direct, worst = (
        statistics.median(col) for col in zip(*results, strict=True)
    )
    print(f"runs={runs} prompts_per_run={prompts} words_per_prompt=10")
    print(f"tts_cached_p50_ms={cached:.3f} ms")
    print(f"espeak_direct_p50_ms={direct:.1f} ms (espeak-ng + sox as two processes)")
    print(f"uncached_vs_cached={uncached / cached:.0f}x")
    print(f"uncached_vs_direct={uncached / direct:.2f}x")
    print(f"tts_uncached_max_ms={worst:.1f} ms (median over runs of the worst prompt)")
    print(f"second_attempts={worker.retries} (pyttsx3 runs that wrote no file)")
    print(f"tts_uncached_p50_ms={uncached:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prompts", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(bench(args.runs, args.prompts))


if __name__ == "__main__":
    main()
