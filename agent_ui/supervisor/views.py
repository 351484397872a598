"""What the wallboard page needs besides its live figures: the words for states,
pause reasons and queues, which its script writes into the tables. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agent_ui import labels

Translate = Callable[[str], str]


def wallboard_labels(translate: Translate) -> dict[str, dict[str, str]]:
    """Each table of codes with its words in the viewer's language."""
    tables: Mapping[str, Mapping[str, str]] = {
        "states": labels.AGENT_STATES,
        "reasons": labels.PAUSE_REASONS,
        "queues": labels.QUEUES,
    }
    return {
        name: {code: translate(message) for code, message in table.items()}
        for name, table in tables.items()
    }
