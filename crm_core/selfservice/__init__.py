"""Self-service records made by callers in the IVR: meter readings, callback requests,
survey answers, and voicemail appeals. Knows nothing of the IVR itself."""
