"""The auth service on SQLite and PostgreSQL: users, sessions, tokens, throttling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core.auth import credentials
from crm_core.auth.accounts import AuthPolicy
from crm_core.auth.credentials import Passwords
from crm_core.auth.errors import LoginThrottled, Unauthenticated
from crm_core.auth.events import SessionsEnded
from crm_core.auth.model import Permission, Role, system_actor
from crm_core.auth.seed import seed_users
from crm_core.auth.service import AuditQuery, AuthService, NewUser, UserChanges
from crm_core.auth.tables import ApiTokenRow, BrowserSessionRow, UserRow
from crm_core.auth.throttle import ACCOUNT_RULE, ADDRESS_RULE
from crm_core.db import Sessions
from crm_core.errors import Conflict, Forbidden, ValidationFailed
from tests.fakes import FakeClock, RecordingPublisher

PASSWORD = "correct horse battery"
HOME = "192.0.2.10"
FAST = Passwords(time_cost=1, memory_kib=256, parallelism=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def published() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def auth(
    sessions: Sessions, clock: FakeClock, published: RecordingPublisher
) -> AuthService:
    policy = AuthPolicy(session_idle_s=600, session_max_s=3600)
    return AuthService(
        sessions, clock, passwords=FAST, policy=policy, publisher=published
    )


async def _agent(auth: AuthService, login: str = "anna") -> None:
    await auth.create_user(
        system_actor(),
        NewUser(login=login, display_name="Anna", role=Role.AGENT, password=PASSWORD),
    )


async def test_login_opens_a_session_when_the_password_is_right(
    auth: AuthService,
) -> None:
    await _agent(auth)
    signed = await auth.login("anna", PASSWORD, address=HOME)
    found = await auth.session_actor(signed.session_token)
    assert found.actor.login == "anna"
    assert found.actor.role is Role.AGENT
    assert Permission.APPEAL_TAKE in found.actor.permissions
    assert found.csrf_token == signed.csrf_token


async def test_login_is_refused_when_the_password_or_login_is_wrong(
    auth: AuthService,
) -> None:
    await _agent(auth)
    with pytest.raises(Unauthenticated, match="wrong login or password"):
        await auth.login("anna", "not the password", address=HOME)
    with pytest.raises(Unauthenticated, match="wrong login or password"):
        await auth.login("nobody", PASSWORD, address=HOME)


async def test_login_waits_with_retry_after_when_failures_pass_the_free_ones(
    auth: AuthService, clock: FakeClock
) -> None:
    await _agent(auth)
    for _ in range(ACCOUNT_RULE.free_failures):
        with pytest.raises(Unauthenticated, match="wrong login or password"):
            await auth.login("anna", "wrong password!", address=HOME)
    with pytest.raises(Unauthenticated, match="wrong login or password"):
        await auth.login("anna", "wrong password!", address=HOME)
    with pytest.raises(LoginThrottled) as caught:
        await auth.login("anna", PASSWORD, address="198.51.100.7")  # any address
    assert caught.value.retry_after_s == 1
    clock.advance(1)
    assert (await auth.login("anna", PASSWORD, address=HOME)).actor.login == "anna"
    with pytest.raises(Unauthenticated, match="wrong login or password"):
        await auth.login("anna", "wrong password!", address=HOME)  # forgiven


async def test_unknown_login_is_throttled_like_a_known_one_when_guessed(
    auth: AuthService,
) -> None:
    await _agent(auth)
    outcomes: dict[str, list[str]] = {"anna": [], "nobody": []}
    for login, seen in outcomes.items():
        for _ in range(ACCOUNT_RULE.free_failures + 2):
            try:
                await auth.login(login, "wrong password!", address=f"{HOME}-{login}")
            except LoginThrottled as exc:
                seen.append(f"{exc.error_id} {exc.retry_after_s} {exc}")
            except Unauthenticated as exc:
                seen.append(f"{exc.error_id} {exc}")
    assert outcomes["anna"] == outcomes["nobody"]
    assert outcomes["anna"][-1].startswith("login_throttled 1 ")


async def test_password_storm_from_one_address_slows_only_that_address_when_spread(
    auth: AuthService,
) -> None:
    await _agent(auth)
    attacker = "203.0.113.66"
    for n in range(ADDRESS_RULE.free_failures):
        with pytest.raises(Unauthenticated, match="wrong login or password"):
            await auth.login(f"user{n}", "wrong password!", address=attacker)
    with pytest.raises(Unauthenticated, match="wrong login or password"):
        await auth.login("anna", "wrong password!", address=attacker)
    with pytest.raises(LoginThrottled):
        await auth.login("anna", PASSWORD, address=attacker)
    assert (await auth.login("anna", PASSWORD, address=HOME)).actor.login == "anna"


async def test_session_expires_when_idle_and_slides_when_used(
    auth: AuthService, clock: FakeClock
) -> None:
    await _agent(auth)
    signed = await auth.login("anna", PASSWORD, address=HOME)
    clock.advance(500)
    await auth.session_actor(signed.session_token)
    clock.advance(500)
    await auth.session_actor(signed.session_token)
    clock.advance(601)
    with pytest.raises(Unauthenticated, match="expired"):
        await auth.session_actor(signed.session_token)


async def test_session_ends_when_the_user_logs_out_or_is_deactivated(
    auth: AuthService, sessions: Sessions
) -> None:
    await _agent(auth)
    first = await auth.login("anna", PASSWORD, address=HOME)
    await auth.logout(first.session_token)
    with pytest.raises(Unauthenticated):
        await auth.session_actor(first.session_token)
    second = await auth.login("anna", PASSWORD, address=HOME)
    await auth.deactivate_user(system_actor(), second.actor.user_id)
    with pytest.raises(Unauthenticated):
        await auth.session_actor(second.session_token)
    with pytest.raises(Unauthenticated):
        await auth.login("anna", PASSWORD, address=HOME)
    async with sessions() as s:
        assert list(await s.scalars(select(BrowserSessionRow))) == []


async def test_password_is_rehashed_when_the_cost_changes(
    sessions: Sessions, clock: FakeClock
) -> None:
    old = AuthService(sessions, clock, passwords=FAST)
    await _agent(old)
    async with sessions() as s:
        before = await s.scalar(select(UserRow.password_hash))
    stronger = Passwords(time_cost=2, memory_kib=512, parallelism=1)
    await AuthService(sessions, clock, passwords=stronger).login(
        "anna", PASSWORD, address=HOME
    )
    async with sessions() as s:
        after = await s.scalar(select(UserRow.password_hash))
    assert before is not None
    assert after is not None
    assert before != after
    assert "t=2" in after
    assert not stronger.needs_rehash(after)


async def test_token_acts_for_its_owner_until_revoked(
    auth: AuthService, sessions: Sessions, clock: FakeClock
) -> None:
    await _agent(auth)
    anna = (await auth.login("anna", PASSWORD, address=HOME)).actor
    issued = await auth.issue_token(anna, "crm sync")
    assert (await auth.token_actor(issued.secret)).login == "anna"
    async with sessions() as s:
        stored = await s.scalar(select(ApiTokenRow.token_hash))
    assert stored != issued.secret
    assert len(stored or "") == 64
    await auth.revoke_token(anna, issued.token.id)
    with pytest.raises(Unauthenticated, match="revoked"):
        await auth.token_actor(issued.secret)


async def test_user_admin_is_required_when_managing_other_users(
    auth: AuthService,
) -> None:
    await _agent(auth)
    anna = (await auth.login("anna", PASSWORD, address=HOME)).actor
    with pytest.raises(Forbidden):
        await auth.create_user(
            anna, NewUser(login="x", display_name="X", role=Role.ADMINISTRATOR)
        )
    with pytest.raises(Forbidden):
        await auth.list_users(anna, limit=10)


async def test_user_is_refused_when_login_taken_or_password_weak(
    auth: AuthService,
) -> None:
    await _agent(auth)
    with pytest.raises(Conflict):
        await _agent(auth)
    with pytest.raises(ValidationFailed) as caught:
        await auth.create_user(
            system_actor(),
            NewUser(login="bo", display_name="B", role=Role.AGENT, password="short"),
        )
    assert [e.field for e in caught.value.errors] == ["password"]


async def test_edit_changes_rights_when_permissions_are_granted_and_revoked(
    auth: AuthService,
) -> None:
    await _agent(auth)
    anna = (await auth.login("anna", PASSWORD, address=HOME)).actor
    await auth.edit_user(
        system_actor(),
        anna.user_id,
        UserChanges(
            granted=frozenset({Permission.REPORT_READ}),
            revoked=frozenset({Permission.APPEAL_CLOSE}),
            customer_groups=frozenset({"mass"}),
        ),
    )
    after = (await auth.login("anna", PASSWORD, address=HOME)).actor
    assert Permission.REPORT_READ in after.permissions
    assert Permission.APPEAL_CLOSE not in after.permissions
    assert after.customer_groups == frozenset({"mass"})


async def test_audit_lists_newest_first_when_paged(auth: AuthService) -> None:
    for n in range(3):
        await _agent(auth, f"user{n}")
    admin = system_actor()
    first = await auth.audit(admin, AuditQuery(action="user.create"), limit=2)
    rest = await auth.audit(
        admin, AuditQuery(action="user.create"), limit=2,
        after=(first[-1].at, first[-1].id),
    )  # fmt: skip
    logins = [e.details["login"] for e in first + rest]
    assert sorted(logins) == ["user0", "user1", "user2"]
    assert len({e.id for e in first + rest}) == 3


async def test_seed_creates_each_role_once_when_run_twice(sessions: Sessions) -> None:
    first = await seed_users(sessions, PASSWORD, passwords=FAST)
    second = await seed_users(sessions, PASSWORD, passwords=FAST)
    assert {u.role for u in first} == set(Role)
    assert [u.id for u in first] == [u.id for u in second]


class CountingPasswords(Passwords):
    """Counts the argon2 verifications, the cost of a sign-in attempt."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=256, parallelism=1)
        self.verified = 0

    def verify(self, stored: str | None, password: str) -> bool:
        self.verified += 1
        return super().verify(stored, password)


async def test_every_refused_login_costs_one_hash_when_the_account_is_not_there(
    sessions: Sessions, clock: FakeClock
) -> None:
    passwords = CountingPasswords()
    auth = AuthService(sessions, clock, passwords=passwords)
    await _agent(auth)
    await _agent(auth, "gone")
    await auth.create_user(
        system_actor(), NewUser(login="nopass", display_name="N", role=Role.AGENT)
    )
    [gone] = [u for u in await auth.list_users(system_actor(), limit=9)
              if u.login == "gone"]  # fmt: skip
    await auth.deactivate_user(system_actor(), gone.id)
    for login in ("anna", "nobody", "gone", "nopass"):
        before = passwords.verified
        with pytest.raises(Unauthenticated, match=r"^wrong login or password$"):
            await auth.login(login, "wrong password!", address=f"192.0.2.{len(login)}")
        assert passwords.verified == before + 1, login


async def test_new_password_revokes_tokens_and_ends_sessions_when_an_admin_sets_it(
    auth: AuthService, published: RecordingPublisher
) -> None:
    await _agent(auth)
    signed = await auth.login("anna", PASSWORD, address=HOME)
    anna = signed.actor
    tokens = [await auth.issue_token(anna, name) for name in ("sync", "report")]
    await auth.edit_user(
        system_actor(), anna.user_id, UserChanges(password="a new horse battery")
    )
    for issued in tokens:
        with pytest.raises(Unauthenticated, match="revoked"):
            await auth.token_actor(issued.secret)
    with pytest.raises(Unauthenticated):
        await auth.session_actor(signed.session_token)
    [ended] = published.of_type(SessionsEnded)
    assert (ended.user_id, ended.reason) == (str(anna.user_id), "password_changed")
    assert ended.session_ids == (credentials.digest(signed.session_token),)
    [entry] = await auth.audit(system_actor(), AuditQuery(action="user.edit"), limit=5)
    assert entry.details["tokens_revoked"] == 2
    assert entry.details["sessions_ended"] == 1


async def test_own_password_change_keeps_only_the_asking_session_when_proven(
    auth: AuthService, published: RecordingPublisher
) -> None:
    await _agent(auth)
    here = await auth.login("anna", PASSWORD, address=HOME)
    elsewhere = await auth.login("anna", PASSWORD, address=HOME)
    issued = await auth.issue_token(here.actor, "sync")
    current = await auth.session_actor(here.session_token)
    with pytest.raises(ValidationFailed, match="current_password"):
        await auth.change_password(
            current.actor, current="a wrong guess", new="a new horse battery",
            address=HOME, keep_session=current.session_id,
        )  # fmt: skip
    assert (await auth.token_actor(issued.secret)).login == "anna"
    await auth.change_password(
        current.actor, current=PASSWORD, new="a new horse battery",
        address=HOME, keep_session=current.session_id,
    )  # fmt: skip
    assert (await auth.session_actor(here.session_token)).actor.login == "anna"
    with pytest.raises(Unauthenticated):
        await auth.session_actor(elsewhere.session_token)
    with pytest.raises(Unauthenticated, match="revoked"):
        await auth.token_actor(issued.secret)
    [ended] = published.of_type(SessionsEnded)
    assert ended.session_ids == (credentials.digest(elsewhere.session_token),)
    signed = await auth.login("anna", "a new horse battery", address=HOME)
    assert signed.actor.login == "anna"


async def test_sessions_ended_is_published_when_a_user_logs_out_or_is_deactivated(
    auth: AuthService, published: RecordingPublisher
) -> None:
    await _agent(auth)
    first = await auth.login("anna", PASSWORD, address=HOME)
    second = await auth.login("anna", PASSWORD, address=HOME)
    await auth.logout(first.session_token)
    await auth.logout(first.session_token)  # already ended: nothing more
    await auth.deactivate_user(system_actor(), first.actor.user_id)
    assert [(e.reason, e.session_ids) for e in published.of_type(SessionsEnded)] == [
        ("logout", (credentials.digest(first.session_token),)),
        ("deactivated", (credentials.digest(second.session_token),)),
    ]


async def test_users_language_is_set_by_an_admin_when_created_or_changed(
    auth: AuthService,
) -> None:
    nina = await auth.create_user(
        system_actor(),
        NewUser(login="nina", display_name="Nina", role=Role.AGENT, language="ru"),
    )
    changed = await auth.edit_user(system_actor(), nina.id, UserChanges(language="en"))

    with pytest.raises(ValidationFailed) as refused:
        await auth.edit_user(system_actor(), nina.id, UserChanges(language="x" * 40))

    assert (nina.language, changed.language) == ("ru", "en")
    assert [e.field for e in refused.value.errors] == ["language"]
    assert (await auth.get_user(system_actor(), nina.id)).language == "en"
