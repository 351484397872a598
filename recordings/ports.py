"""What the recordings service needs: a publisher for its events, a clock, the
CRM's view of a call (its contact, agent, customer group and appeals) and who is
on a live call."""

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
    customer_group: str | None = None
    """The group of the call's customer; None when the customer has none or the
    caller is not known (listeners' group visibility applies to it)."""


class CallContacts(Protocol):
    async def of_call(self, call_id: str) -> CallContact | None:
        """The contact of `call_id`, or None when the CRM has none (yet)."""
        ...

    async def of_contact(self, contact_id: uuid.UUID) -> CallContact | None: ...


class CallAgents(Protocol):
    def is_on_call(self, agent_login: str, call_id: str) -> bool:
        """Whether the agent is connected to the live call right now (the ACD
        knows); False once they have left it."""
        ...
