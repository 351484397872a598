"""The pyttsx3 worker process: one synthesis at a time, JSON lines in on stdin and
out on the original stdout, everything pyttsx3 or espeak prints sent to /dev/null.

Run as ``python -m ivr.tts_worker`` by ivr.tts.TtsWorker, which supervises it
(timeouts, restarts). The only module that imports pyttsx3; never used in-process.

Protocol: on start one line ``{"voices": [...]}``; then per request
``{"text", "voice", "rate", "out"}`` one reply ``{"ok": true, "attempts": n}`` or
``{"ok": false, "error": "..."}``. The file at "out" is 8 kHz mono 16-bit WAV.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, TextIO

import pyttsx3

ASTERISK_RATE_HZ = 8000
SOX_TIMEOUT_S = 10.0
WAV_HEADER_BYTES = 44
ATTEMPTS = 2


def synthesise(
    engine: Any, voices: frozenset[str], job: dict[str, Any], *, scratch: Path
) -> int:
    """Speak one text into job["out"]; return how many attempts it took.

    pyttsx3 raises nothing for an unknown voice, keeps only the last of several
    queued saves, and now and then ends runAndWait() without writing the file (its
    stop flag from the previous utterance cancels the new one). So: a voice check,
    one save per runAndWait, a fresh raw file in a private directory, and a second
    attempt when no audio came out. A late write from a cancelled attempt lands in
    the private directory, which is emptied before each job."""
    voice = str(job["voice"])
    if voice not in voices:
        raise ValueError(f"voice {voice!r} is not installed")
    for stale in scratch.iterdir():
        stale.unlink(missing_ok=True)
    for attempt in range(1, ATTEMPTS + 1):
        raw = scratch / f"{uuid.uuid4().hex}.wav"
        engine.setProperty("voice", voice)
        engine.setProperty("rate", int(job["rate"]))
        engine.save_to_file(str(job["text"]), str(raw))
        engine.runAndWait()
        if raw.is_file() and raw.stat().st_size > WAV_HEADER_BYTES:
            to_asterisk_format(raw, Path(job["out"]))
            raw.unlink()
            return attempt
    raise RuntimeError(f"espeak wrote no audio in {ATTEMPTS} attempts")


def to_asterisk_format(source: Path, target: Path) -> None:
    """8 kHz mono signed 16-bit WAV, with sox's proper anti-aliasing filter."""
    sox = shutil.which("sox")
    if sox is None:
        raise RuntimeError("sox is not installed")
    rate = str(ASTERISK_RATE_HZ)
    argv = [sox, str(source), "-r", rate, "-c", "1", "-b", "16", str(target)]
    subprocess.run(argv, check=True, capture_output=True, timeout=SOX_TIMEOUT_S)  # noqa: S603 - our own argv


def serve(engine: Any, requests: TextIO, replies: TextIO, *, scratch: Path) -> None:
    voices = frozenset(str(voice.id) for voice in engine.getProperty("voices"))
    replies.write(json.dumps({"voices": sorted(voices)}) + "\n")
    replies.flush()
    for line in requests:
        try:
            attempts = synthesise(engine, voices, json.loads(line), scratch=scratch)
            reply: dict[str, object] = {"ok": True, "attempts": attempts}
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
    with tempfile.TemporaryDirectory(prefix="cc-tts-") as scratch:
        serve(pyttsx3.init("espeak"), sys.stdin, replies, scratch=Path(scratch))


if __name__ == "__main__":
    main()
