"""A stand-in TTS worker speaking the real protocol, misbehaving on request: the
text "hang" never answers, "crash" exits, "garbage" answers nonsense; anything else
writes half a second of 8 kHz tone."""

from __future__ import annotations

import json
import os
import sys
import threading
import wave


def main() -> None:
    sys.stdout.write(json.dumps({"voices": ["stub"]}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        job = json.loads(line)
        if job["text"] == "hang":
            threading.Event().wait()
        if job["text"] == "crash":
            os._exit(3)
        if job["text"] == "garbage":
            sys.stdout.write("Audio saved to nowhere\n")
        else:
            with wave.open(job["out"], "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(8000)
                wav.writeframes(b"\x00\x10" * 4000)
            sys.stdout.write(json.dumps({"ok": True}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
