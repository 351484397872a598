"""The auth service: users, passwords, browser sessions, API tokens and the audit log.

Every method is one unit of work; argon2 runs on its own bounded pool of threads,
never on the loop. Failed sign-ins are throttled by source address and by login.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select

from crm_core.auth import accounts, credentials
from crm_core.auth.accounts import ApiToken, AuditEntry, AuthPolicy, User
from crm_core.auth.errors import LoginThrottled, Unauthenticated
from crm_core.auth.events import SessionsEnded
from crm_core.auth.hashing import PasswordWorkers
from crm_core.auth.model import Actor, Permission, Role
from crm_core.auth.ports import Clock, Publisher
from crm_core.auth.rights import require
from crm_core.auth.store import (
    audit_from_row,
    end_sessions,
    revoke_tokens,
    token_from_row,
    user_from_row,
    user_row,
    utc,
    write_audit,
)
from crm_core.auth.tables import ApiTokenRow, AuditRow, BrowserSessionRow, UserRow
from crm_core.auth.throttle import LoginThrottle
from crm_core.db import Sessions
from crm_core.errors import Conflict, FieldError, NotFound, ValidationFailed

log = logging.getLogger(__name__)

LANGUAGE_MAX = 16
"""The longest language code a user may keep (`users.language`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewUser:
    login: str
    display_name: str
    role: Role
    password: str | None = None
    granted: frozenset[Permission] = frozenset()
    revoked: frozenset[Permission] = frozenset()
    customer_groups: frozenset[str] | None = None
    queues: frozenset[str] = frozenset()
    administered_queues: frozenset[str] = frozenset()
    language: str | None = None
    """The pages' language (None: the browser's)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UserChanges:
    """Fields to change; None leaves a field as it is (use `all_groups` for NULL)."""

    display_name: str | None = None
    role: Role | None = None
    password: str | None = None
    granted: frozenset[Permission] | None = None
    revoked: frozenset[Permission] | None = None
    customer_groups: frozenset[str] | None = None
    all_groups: bool = False
    queues: frozenset[str] | None = None
    administered_queues: frozenset[str] | None = None
    active: bool | None = None
    language: str | None = None
    """The pages' language chosen for the user (a short code)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedIn:
    """A new browser session: the cookie value and CSRF token are shown only here."""

    session_token: str
    csrf_token: str
    expires_at: datetime
    actor: Actor


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionActor:
    actor: Actor
    csrf_token: str
    expires_at: datetime
    session_id: str
    """The session's stored id (the cookie's digest), as SessionsEnded names it."""
    language: str | None = None
    """The pages' language the user chose; None: not chosen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    token: ApiToken
    secret: str
    """The bearer token; shown once, only its SHA-256 is stored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditQuery:
    action: str | None = None
    actor_id: uuid.UUID | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class _NoPublisher:
    async def publish(self, event: SessionsEnded) -> None:
        return None


class AuthService:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        *,
        passwords: credentials.Passwords | None = None,
        policy: AuthPolicy | None = None,
        throttle: LoginThrottle | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        """`publisher` hears SessionsEnded (open desktops are cut off with it)."""
        self._sessions = sessions
        self._clock = clock
        self._workers = PasswordWorkers(passwords or credentials.Passwords())
        self.policy = policy or AuthPolicy()
        self.throttle = throttle or LoginThrottle()
        self._publisher: Publisher = publisher or _NoPublisher()

    # users ------------------------------------------------------------------

    async def create_user(self, actor: Actor, new: NewUser) -> User:
        """Create a user (needs user.admin). Raises Conflict if the login is taken,
        ValidationFailed for a bad login or password."""
        require(actor, Permission.USER_ADMIN)
        login = new.login.strip()
        problems = _login_problems(login) + _language_problems(new.language)
        if new.password is not None:
            problems += _password_problems(new.password, login)
        if problems:
            raise ValidationFailed(problems)
        hashed = None
        if new.password is not None:
            hashed = await self._workers.hash(new.password)
        now = self._clock.now()
        row = UserRow(
            id=uuid.uuid4(),
            login=login,
            display_name=new.display_name,
            role=new.role.value,
            granted=sorted(new.granted),
            revoked=sorted(new.revoked),
            customer_groups=_groups(new.customer_groups),
            queues=sorted(new.queues),
            administered_queues=sorted(new.administered_queues),
            active=True,
            language=new.language,
            password_hash=hashed,
            created_at=now,
            updated_at=now,
        )
        async with self._sessions.begin() as s:
            taken = await s.scalar(select(UserRow.id).where(UserRow.login == login))
            if taken is not None:
                raise Conflict(f"the login {login!r} is taken")
            s.add(row)
            write_audit(
                s, actor, "user.create", at=now, object_type="user",
                object_id=row.id, details={"login": login, "role": new.role.value},
            )  # fmt: skip
        return user_from_row(row)

    async def edit_user(
        self,
        actor: Actor,
        user_id: uuid.UUID,
        changes: UserChanges,
        *,
        keep_session: str | None = None,
    ) -> User:
        """Change a user (needs user.admin). Deactivating ends their sessions; a new
        password ends them too and revokes their API tokens, all but the session
        `keep_session` (the id of the one making the change, when it is theirs)."""
        require(actor, Permission.USER_ADMIN)
        return await self._change(actor, user_id, changes, keep_session=keep_session)

    async def _change(
        self,
        actor: Actor,
        user_id: uuid.UUID,
        changes: UserChanges,
        *,
        keep_session: str | None,
    ) -> User:
        hashed = None
        if problems := _language_problems(changes.language):
            raise ValidationFailed(problems)
        if changes.password is not None:
            async with self._sessions() as s:
                login = (await user_row(s, user_id)).login
            if problems := _password_problems(changes.password, login):
                raise ValidationFailed(problems)
            hashed = await self._workers.hash(changes.password)
        now = self._clock.now()
        async with self._sessions.begin() as s:
            row = await user_row(s, user_id)
            changed = _apply_changes(row, changes)
            ended: list[str] = []
            details: dict[str, object] = {"changed": changed}
            if hashed is not None:
                row.password_hash = hashed
                changed.append("password")
                details["tokens_revoked"] = await revoke_tokens(s, row.id, now)
            if hashed is not None or changes.active is False:
                ended = await end_sessions(s, row.id, keep=keep_session)
                details["sessions_ended"] = len(ended)
            row.updated_at = now
            write_audit(
                s, actor, "user.edit", at=now, object_type="user",
                object_id=row.id, details=details,
            )  # fmt: skip
            user = user_from_row(row)
        reason = "password_changed" if hashed is not None else "deactivated"
        await self._sessions_ended(user.id, ended, reason)
        return user

    async def deactivate_user(self, actor: Actor, user_id: uuid.UUID) -> User:
        return await self.edit_user(actor, user_id, UserChanges(active=False))

    async def get_user(self, actor: Actor, user_id: uuid.UUID) -> User:
        if actor.user_id != user_id:
            require(actor, Permission.USER_ADMIN)
        async with self._sessions() as s:
            return user_from_row(await user_row(s, user_id))

    async def list_users(
        self, actor: Actor, *, limit: int, after_login: str | None = None
    ) -> list[User]:
        """Users ordered by login, the first `limit` after `after_login`."""
        require(actor, Permission.USER_ADMIN)
        query = select(UserRow).order_by(UserRow.login).limit(limit)
        if after_login is not None:
            query = query.where(UserRow.login > after_login)
        async with self._sessions() as s:
            return [user_from_row(r) for r in await s.scalars(query)]

    async def set_language(self, actor: Actor, language: str | None) -> None:
        """Remember the pages' language the actor chose (None: follow the
        browser). Which languages exist is the pages' business, not checked here
        beyond a short code."""
        if problems := _language_problems(language):
            raise ValidationFailed(problems)
        async with self._sessions.begin() as s:
            row = await user_row(s, actor.user_id)
            row.language = language

    async def user_by_login(self, actor: Actor, login: str) -> User:
        """The user signing in as `login` (needs user.admin). Raises NotFound."""
        require(actor, Permission.USER_ADMIN)
        async with self._sessions() as s:
            row = await s.scalar(select(UserRow).where(UserRow.login == login.strip()))
        if row is None:
            raise NotFound(f"no user {login!r}")
        return user_from_row(row)

    # browser sessions -------------------------------------------------------

    async def login(self, login: str, password: str, *, address: str) -> SignedIn:
        """Check the password and open a browser session; `address` is where the
        request came from.

        Raises Unauthenticated (one message whatever was wrong), LoginThrottled
        while the address or the login must wait, PasswordWorkBusy when too many
        sign-ins are being checked at once. A login that does not exist costs the
        same time and is throttled the same way as one that does."""
        self._check_throttle(address, login)
        async with self._sessions() as s:
            row = await s.scalar(select(UserRow).where(UserRow.login == login.strip()))
        stored = None if row is None else row.password_hash
        ok = await self._workers.verify(stored, password)
        if row is None or not ok or not row.active:
            self.throttle.failed(address=address, login=login, now=self._clock.now())
            log.warning("login refused login=%s address=%s", login[:64], address)
            raise Unauthenticated("wrong login or password")
        assert stored is not None
        self.throttle.succeeded(login=login)
        rehashed = None
        if self._workers.needs_rehash(stored):
            rehashed = await self._workers.hash(password)
        return await self._open_session(row.id, rehashed)

    async def change_password(
        self,
        actor: Actor,
        *,
        current: str,
        new: str,
        address: str,
        keep_session: str | None = None,
    ) -> User:
        """The actor changes their own password, proving the current one (a wrong
        one counts as a failed sign-in). Their API tokens are revoked and their
        other sessions end; `keep_session` (the one asking) stays open."""
        self._check_throttle(address, actor.login)
        async with self._sessions() as s:
            stored = (await user_row(s, actor.user_id)).password_hash
        if not await self._workers.verify(stored, current):
            self.throttle.failed(
                address=address, login=actor.login, now=self._clock.now()
            )
            raise ValidationFailed([FieldError("current_password", "is not right")])
        changes = UserChanges(password=new)
        return await self._change(
            actor, actor.user_id, changes, keep_session=keep_session
        )

    def _check_throttle(self, address: str, login: str) -> None:
        now = self._clock.now()
        wait = self.throttle.retry_after_s(address=address, login=login, now=now)
        if wait > 0:
            log.warning("login throttled login=%s address=%s", login[:64], address)
            raise LoginThrottled(wait)

    async def _open_session(self, user_id: uuid.UUID, rehashed: str | None) -> SignedIn:
        token, csrf = credentials.new_token(), credentials.new_token()
        now = self._clock.now()
        expires = accounts.session_expiry(now, now, self.policy)
        async with self._sessions.begin() as s:
            row = await user_row(s, user_id)
            if rehashed is not None:
                row.password_hash = rehashed
            s.add(
                BrowserSessionRow(
                    id=credentials.digest(token), user_id=user_id, csrf_token=csrf,
                    created_at=now, last_seen_at=now, expires_at=expires,
                )
            )  # fmt: skip
            actor = accounts.actor_for(user_from_row(row))
            write_audit(s, actor, "auth.login", at=now, object_type="user",
                        object_id=user_id)  # fmt: skip
        return SignedIn(session_token=token, csrf_token=csrf, expires_at=expires,
                        actor=actor)  # fmt: skip

    async def session_actor(self, session_token: str) -> SessionActor:
        """The actor of a live session; its expiry moves on. Raises Unauthenticated."""
        now = self._clock.now()
        async with self._sessions.begin() as s:
            session = await s.get(BrowserSessionRow, credentials.digest(session_token))
            if session is None or utc(session.expires_at) <= now:
                raise Unauthenticated("no session or the session has expired")
            user = await s.get(UserRow, session.user_id)
            if user is None or not user.active:
                raise Unauthenticated("the account is not active")
            session.last_seen_at = now
            session.expires_at = accounts.session_expiry(
                utc(session.created_at), now, self.policy
            )
            return SessionActor(
                actor=accounts.actor_for(user_from_row(user)),
                csrf_token=session.csrf_token,
                expires_at=utc(session.expires_at),
                session_id=session.id,
                language=user.language,
            )

    async def live_sessions(self, session_ids: Collection[str]) -> frozenset[str]:
        """Which of these sessions (stored ids) are still open: not ended, not
        expired, of an active user. Does not move their expiry."""
        if not session_ids:
            return frozenset()
        query = (
            select(BrowserSessionRow.id)
            .join(UserRow, UserRow.id == BrowserSessionRow.user_id)
            .where(
                BrowserSessionRow.id.in_(sorted(session_ids)),
                BrowserSessionRow.expires_at > self._clock.now(),
                UserRow.active.is_(True),
            )
        )
        async with self._sessions() as s:
            return frozenset(await s.scalars(query))

    async def logout(self, session_token: str) -> None:
        """End the session (its desktops are cut off); an unknown or expired one
        is already ended."""
        session_id = credentials.digest(session_token)
        async with self._sessions.begin() as s:
            session = await s.get(BrowserSessionRow, session_id)
            if session is None:
                return
            user_id = session.user_id
            await s.delete(session)
        await self._sessions_ended(user_id, [session_id], "logout")

    async def purge_expired_sessions(self) -> int:
        async with self._sessions.begin() as s:
            result = await s.execute(
                delete(BrowserSessionRow).where(
                    BrowserSessionRow.expires_at <= self._clock.now()
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # API tokens -------------------------------------------------------------

    async def issue_token(
        self,
        actor: Actor,
        name: str,
        *,
        user_id: uuid.UUID | None = None,
        expires_at: datetime | None = None,
    ) -> IssuedToken:
        """A bearer token acting as `user_id` (default: the actor). Anyone may issue
        tokens for themselves; for another user it needs user.admin."""
        owner = user_id or actor.user_id
        if owner != actor.user_id:
            require(actor, Permission.USER_ADMIN)
        if not name.strip():
            raise ValidationFailed([FieldError("name", "must not be empty")])
        secret = credentials.new_token()
        now = self._clock.now()
        row = ApiTokenRow(
            id=uuid.uuid4(), name=name.strip(), token_hash=credentials.digest(secret),
            user_id=owner, created_at=now, expires_at=expires_at,
            last_used_at=None, revoked_at=None,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            await user_row(s, owner)
            s.add(row)
            write_audit(s, actor, "token.issue", at=now, object_type="api_token",
                        object_id=row.id, details={"name": row.name,
                                                   "user_id": str(owner)})  # fmt: skip
        return IssuedToken(token=token_from_row(row), secret=secret)

    async def revoke_token(self, actor: Actor, token_id: uuid.UUID) -> ApiToken:
        now = self._clock.now()
        async with self._sessions.begin() as s:
            row = await s.get(ApiTokenRow, token_id)
            if row is None:
                raise NotFound(f"no API token {token_id}")
            if row.user_id != actor.user_id:
                require(actor, Permission.USER_ADMIN)
            if row.revoked_at is None:
                row.revoked_at = now
            write_audit(s, actor, "token.revoke", at=now, object_type="api_token",
                        object_id=row.id)  # fmt: skip
            return token_from_row(row)

    async def list_tokens(
        self, actor: Actor, *, user_id: uuid.UUID | None = None
    ) -> list[ApiToken]:
        """The actor's own tokens, or (with user.admin) another user's or everyone's."""
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id)
        if user_id != actor.user_id:
            require(actor, Permission.USER_ADMIN)
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        async with self._sessions() as s:
            return [token_from_row(r) for r in await s.scalars(query)]

    async def token_actor(self, secret: str) -> Actor:
        """The actor a bearer token acts for. Raises Unauthenticated."""
        now = self._clock.now()
        async with self._sessions.begin() as s:
            row = await s.scalar(
                select(ApiTokenRow).where(
                    ApiTokenRow.token_hash == credentials.digest(secret)
                )
            )
            if row is None or row.revoked_at is not None:
                raise Unauthenticated("unknown or revoked API token")
            if row.expires_at is not None and utc(row.expires_at) <= now:
                raise Unauthenticated("the API token has expired")
            user = await s.get(UserRow, row.user_id)
            if user is None or not user.active:
                raise Unauthenticated("the token's account is not active")
            row.last_used_at = now
            return accounts.actor_for(user_from_row(user))

    # audit ------------------------------------------------------------------

    async def audit(
        self,
        actor: Actor,
        query: AuditQuery,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
    ) -> list[AuditEntry]:
        """Audit entries, newest first, the first `limit` after the (at, id) key."""
        require(actor, Permission.USER_ADMIN)
        stmt = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc())
        for column, value in (
            (AuditRow.action, query.action),
            (AuditRow.actor_id, query.actor_id),
            (AuditRow.object_type, query.object_type),
            (AuditRow.object_id, query.object_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.since is not None:
            stmt = stmt.where(AuditRow.at >= query.since)
        if query.until is not None:
            stmt = stmt.where(AuditRow.at < query.until)
        if after is not None:
            at, entry_id = after
            stmt = stmt.where(
                or_(AuditRow.at < at, (AuditRow.at == at) & (AuditRow.id < entry_id))
            )
        async with self._sessions() as s:
            return [audit_from_row(r) for r in await s.scalars(stmt.limit(limit))]

    async def _sessions_ended(
        self, user_id: uuid.UUID, session_ids: list[str], reason: str
    ) -> None:
        if not session_ids:
            return
        await self._publisher.publish(
            SessionsEnded(
                occurred_at=self._clock.now(), user_id=str(user_id),
                session_ids=tuple(session_ids), reason=reason,
            )
        )  # fmt: skip


def _apply_changes(row: UserRow, changes: UserChanges) -> list[str]:
    """Copy the set fields of `changes` onto `row`; the names of those changed."""
    changed = []
    values: dict[str, object] = {
        "display_name": changes.display_name,
        "role": None if changes.role is None else changes.role.value,
        "granted": None if changes.granted is None else sorted(changes.granted),
        "revoked": None if changes.revoked is None else sorted(changes.revoked),
        "queues": None if changes.queues is None else sorted(changes.queues),
        "administered_queues": None
        if changes.administered_queues is None
        else sorted(changes.administered_queues),
        "active": changes.active,
        "language": changes.language,
    }
    if changes.all_groups or changes.customer_groups is not None:
        row.customer_groups = _groups(changes.customer_groups)
        changed.append("customer_groups")
    for name, value in values.items():
        if value is not None:
            setattr(row, name, value)
            changed.append(name)
    return changed


def _groups(groups: frozenset[str] | None) -> list[str] | None:
    return None if groups is None else sorted(groups)


def _login_problems(login: str) -> list[FieldError]:
    if not 1 <= len(login) <= 64 or any(c.isspace() for c in login):
        return [FieldError("login", "must be 1-64 characters without spaces")]
    return []


def _language_problems(language: str | None) -> list[FieldError]:
    if language is not None and not 0 < len(language) <= LANGUAGE_MAX:
        return [FieldError("language", "is not a language code")]
    return []


def _password_problems(password: str, login: str) -> list[FieldError]:
    problem = accounts.password_problem(password, login)
    return [] if problem is None else [FieldError("password", problem)]


__all__ = [
    "AuditQuery",
    "AuthService",
    "IssuedToken",
    "NewUser",
    "SessionActor",
    "SignedIn",
    "UserChanges",
]
