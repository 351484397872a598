"""IVR: flows as data, their interpreter over FastAGI, speech recognition and TTS."""
