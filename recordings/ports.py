"""What the recordings service needs: a publisher for its events, a clock, and the
CRM's view of a call (its contact, agent and appeals)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recordings.events import RecordingEvent


class Publisher(Protocol):
    async def publish(self, event: RecordingEvent) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContact:
    """The CRM contact of a call, the users of the agents who were on it (the
    transfer chain) and the appeals registered on it."""

    contact_id: uuid.UUID
    agent_ids: tuple[uuid.UUID, ...]
    appeal_ids: tuple[uuid.UUID, ...]


class CallContacts(Protocol):
    async def of_call(self, call_id: str) -> CallContact | None:
        """The contact of `call_id`, or None when the CRM has none (yet)."""
        ...

    async def of_contact(self, contact_id: uuid.UUID) -> CallContact | None: ...
