"""Users with API tokens for the recordings API tests, and a wall clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from crm_core.auth.accounts import AuthPolicy
from crm_core.auth.credentials import Passwords
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.db import Sessions

FAST = Passwords(time_cost=1, memory_kib=256, parallelism=1)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def users(
    sessions: Sessions,
) -> tuple[AuthService, dict[str, str], dict[str, uuid.UUID]]:
    """Agents anna and boris, supervisor sveta, marketer masha: each one's API
    token and user id by login."""
    policy = AuthPolicy(session_idle_s=600, session_max_s=3600)
    auth = AuthService(sessions, SystemClock(), passwords=FAST, policy=policy)
    tokens: dict[str, str] = {}
    ids: dict[str, uuid.UUID] = {}
    for login, role in (
        ("anna", Role.AGENT),
        ("boris", Role.AGENT),
        ("sveta", Role.SUPERVISOR),
        ("masha", Role.MARKETING),
    ):
        user = await auth.create_user(
            system_actor(),
            NewUser(login=login, display_name=login, role=role,
                    password="correct horse battery"),
        )  # fmt: skip
        issued = await auth.issue_token(system_actor(), "test", user_id=user.id)
        tokens[login], ids[login] = issued.secret, user.id
    return auth, tokens, ids
