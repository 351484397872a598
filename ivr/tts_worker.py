"""The pyttsx3 worker process: one synthesis at a time, JSON lines in on stdin and
out on the original stdout, everything pyttsx3 or espeak prints sent to /dev/null.

Run as ``python -m ivr.tts_worker`` by ivr.tts.TtsWorker, which supervises it
(timeouts, restarts). The only module that imports pyttsx3; never used in-process.

Protocol: on start one line ``{"voices": [...]}``; then per request
``{"text", "voice", "rate", "out"}`` one reply ``{"ok": true}`` or
``{"ok": false, "error": "..."}``. The file at "out" is 8 kHz mono 16-bit WAV.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

import pyttsx3

ASTERISK_RATE_HZ = 8000
SOX_TIMEOUT_S = 10.0
WAV_HEADER_BYTES = 44


def synthesise(engine: Any, voices: frozenset[str], job: dict[str, Any]) -> None:
    """Speak one text into job["out"]. pyttsx3 raises nothing for an unknown voice,
    and a queue of several saves keeps only the last file, so: one check, one
    save, one runAndWait, a raw file of our own, and a look at what came out."""
    voice = str(job["voice"])
    if voice not in voices:
        raise ValueError(f"voice {voice!r} is not installed")
    out = Path(job["out"])
    raw = out.with_name(out.name + ".raw.wav")
    try:
        engine.setProperty("voice", voice)
        engine.setProperty("rate", int(job["rate"]))
        engine.save_to_file(str(job["text"]), str(raw))
        engine.runAndWait()
        if not raw.is_file() or raw.stat().st_size <= WAV_HEADER_BYTES:
            raise RuntimeError("espeak wrote no audio")
        to_asterisk_format(raw, out)
    finally:
        raw.unlink(missing_ok=True)


def to_asterisk_format(source: Path, target: Path) -> None:
    """8 kHz mono signed 16-bit WAV, with sox's proper anti-aliasing filter."""
    sox = shutil.which("sox")
    if sox is None:
        raise RuntimeError("sox is not installed")
    rate = str(ASTERISK_RATE_HZ)
    argv = [sox, str(source), "-r", rate, "-c", "1", "-b", "16", str(target)]
    subprocess.run(argv, check=True, capture_output=True, timeout=SOX_TIMEOUT_S)  # noqa: S603 - our own argv


def serve(engine: Any, requests: TextIO, replies: TextIO) -> None:
    voices = frozenset(str(voice.id) for voice in engine.getProperty("voices"))
    replies.write(json.dumps({"voices": sorted(voices)}) + "\n")
    replies.flush()
    for line in requests:
        try:
            synthesise(engine, voices, json.loads(line))
            reply: dict[str, object] = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - the supervisor raises TtsFailed
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> None:
    # pyttsx3 prints "Audio saved to ..." and espeak may chatter: keep fd 1 for
    # them (pointing at /dev/null) and talk to the supervisor on a copy.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    serve(pyttsx3.init("espeak"), sys.stdin, replies)


if __name__ == "__main__":
    main()
