"""Row <-> value conversion for the auth tables, the row changes a unit of work
makes (a user's tokens revoked, sessions ended), and the audit writer others reuse.

No transactions here: callers pass the session of their unit of work.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.auth.accounts import ApiToken, AuditEntry, User
from crm_core.auth.model import Actor, Permission, Role
from crm_core.auth.tables import ApiTokenRow, AuditRow, BrowserSessionRow, UserRow
from crm_core.errors import NotFound


def utc(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; every one we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def user_from_row(row: UserRow) -> User:
    groups = row.customer_groups
    return User(
        id=row.id,
        login=row.login,
        display_name=row.display_name,
        role=Role(row.role),
        granted=frozenset(Permission(p) for p in row.granted),
        revoked=frozenset(Permission(p) for p in row.revoked),
        customer_groups=None if groups is None else frozenset(groups),
        queues=frozenset(row.queues),
        administered_queues=frozenset(row.administered_queues),
        active=row.active,
        has_password=row.password_hash is not None,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        language=row.language,
    )


def token_from_row(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        user_id=row.user_id,
        created_at=utc(row.created_at),
        expires_at=utc_or_none(row.expires_at),
        last_used_at=utc_or_none(row.last_used_at),
        revoked_at=utc_or_none(row.revoked_at),
    )


def audit_from_row(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=utc(row.at),
        actor_id=row.actor_id,
        actor_login=row.actor_login,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        details=dict(row.details),
    )


def write_audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    at: datetime,
    object_type: str,
    object_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to `session`'s unit of work (committed with it).

    `details` must be JSON-ready (strings, numbers, lists, dicts); never secrets.
    """
    session.add(
        AuditRow(
            id=uuid.uuid4(),
            at=at,
            actor_id=actor.user_id,
            actor_login=actor.login,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            details=details or {},
        )
    )


async def revoke_tokens(s: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live API token of the user; how many."""
    result = await s.execute(
        update(ApiTokenRow)
        .where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def end_sessions(
    s: AsyncSession, user_id: uuid.UUID, *, keep: str | None = None
) -> list[str]:
    """Delete the user's browser sessions but `keep`; the ids of those ended."""
    query = select(BrowserSessionRow.id).where(BrowserSessionRow.user_id == user_id)
    if keep is not None:
        query = query.where(BrowserSessionRow.id != keep)
    ended = list(await s.scalars(query))
    if ended:
        await s.execute(
            delete(BrowserSessionRow).where(BrowserSessionRow.id.in_(ended))
        )
    return ended


async def user_row(s: AsyncSession, user_id: uuid.UUID) -> UserRow:
    row = await s.get(UserRow, user_id)
    if row is None:
        raise NotFound(f"no user {user_id}")
    return row
