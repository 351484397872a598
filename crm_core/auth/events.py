"""Events the auth service publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionsEnded:
    """Browser sessions of a user ended: a logout, a deactivation or a new
    password. Whatever those sessions still hold open (desktop sockets) must close
    at once, on every instance."""

    topic: ClassVar[str] = "auth.sessions_ended"
    occurred_at: datetime
    user_id: str
    session_ids: tuple[str, ...]
    """The ended sessions' stored ids (SHA-256 of the cookie value)."""
    reason: str
    """`logout`, `deactivated` or `password_changed`."""
