"""What the desktops need from the rest of the service: sessions, customer cards,
a clock and somewhere to publish presence. The CRM services satisfy these as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from agent_ui.events import AgentUiEvent
from crm_core.auth.model import Actor
from crm_core.auth.service import SessionActor
from crm_core.customers.model import CustomerCard


class Sessions(Protocol):
    async def session_actor(self, session_token: str) -> SessionActor:
        """The actor of a live browser session; raises Unauthenticated."""
        ...

    async def live_sessions(self, session_ids: Collection[str]) -> frozenset[str]:
        """Which of these sessions (by stored id) are still open."""
        ...

    async def set_language(self, actor: Actor, language: str | None) -> None:
        """Remember the pages' language the actor chose."""
        ...

    async def logout(self, session_token: str) -> None:
        """End the session; its desktops are cut off."""
        ...


class CustomerCards(Protocol):
    async def get(self, actor: Actor, customer_id: uuid.UUID) -> CustomerCard:
        """The card as `actor` may see it; raises CustomerNotFound otherwise."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Publisher(Protocol):
    async def publish(self, event: AgentUiEvent) -> None: ...
