"""Users, API tokens and audit entries as values, and the decisions about them. Pure.

No I/O and no clock: callers pass `now`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Permission, Role

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    id: uuid.UUID
    login: str
    display_name: str
    role: Role
    granted: frozenset[Permission]
    revoked: frozenset[Permission]
    customer_groups: frozenset[str] | None
    queues: frozenset[str]
    administered_queues: frozenset[str]
    active: bool
    has_password: bool
    created_at: datetime
    updated_at: datetime
    language: str | None = None
    """The pages' language the user chose; None: not chosen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiToken:
    """An API token's record; the secret itself is never kept."""

    id: uuid.UUID
    name: str
    user_id: uuid.UUID
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_login: str
    action: str
    object_type: str
    object_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthPolicy:
    """Session lifetimes (throttling of failed sign-ins: crm_core.auth.throttle)."""

    session_idle_s: float = 8 * 3600
    """A session unused this long expires; each use pushes the expiry on."""
    session_max_s: float = 7 * 24 * 3600
    """No session lives longer than this, however busy."""


def effective_permissions(
    role: Role, granted: Iterable[Permission], revoked: Iterable[Permission]
) -> frozenset[Permission]:
    """The role's defaults, plus `granted`, minus `revoked` (revocation wins)."""
    return (ROLE_PERMISSIONS[role] | frozenset(granted)) - frozenset(revoked)


def exceptions_for(
    role: Role, wanted: Iterable[Permission]
) -> tuple[frozenset[Permission], frozenset[Permission]]:
    """What to grant and revoke so that a user of `role` holds exactly `wanted`:
    (granted, revoked), the role's defaults needing neither."""
    chosen, defaults = frozenset(wanted), ROLE_PERMISSIONS[role]
    return chosen - defaults, defaults - chosen


def actor_for(user: User) -> Actor:
    """The `Actor` that acts for `user` in every service call."""
    return Actor(
        user_id=user.id,
        login=user.login,
        role=user.role,
        permissions=effective_permissions(user.role, user.granted, user.revoked),
        customer_groups=user.customer_groups,
        queues=user.queues,
        administered_queues=user.administered_queues,
    )


def session_expiry(created_at: datetime, now: datetime, policy: AuthPolicy) -> datetime:
    """When a session used at `now` expires: idle limit, capped by the maximum age."""
    idle = now + timedelta(seconds=policy.session_idle_s)
    return min(idle, created_at + timedelta(seconds=policy.session_max_s))


def password_problem(password: str, login: str) -> str | None:
    """Why `password` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if password.casefold() == login.casefold():
        return "must differ from the login"
    return None
