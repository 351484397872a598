"""IVR tests against real vosk and espeak-ng."""
