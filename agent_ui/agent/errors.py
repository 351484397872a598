"""Why the desk refused an agent's request, in words.

DeskRefused   the request cannot be done now; `message` is a catalogue
              message id the page translates (never a code)
"""

from __future__ import annotations


class DeskRefused(Exception):
    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(f"{message} {detail}".strip())
        self.message = message
        """A catalogue message id (see agent_ui.labels)."""
        self.detail = detail
        """What the service said, for the log."""
