"""Call recordings: lifecycle, storage, CRM attachment, playback and retention."""
