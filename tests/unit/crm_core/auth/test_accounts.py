"""Rights and session expiry decisions (pure); throttling is in test_throttle."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from crm_core.auth import accounts
from crm_core.auth.accounts import AuthPolicy, User
from crm_core.auth.model import ROLE_PERMISSIONS, Permission, Role

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = AuthPolicy(session_idle_s=600, session_max_s=3600)


def test_revocation_wins_when_a_permission_is_both_granted_and_revoked() -> None:
    rights = accounts.effective_permissions(
        Role.AGENT, {Permission.REPORT_READ}, {Permission.REPORT_READ}
    )
    assert Permission.REPORT_READ not in rights
    assert rights == ROLE_PERMISSIONS[Role.AGENT]


def test_actor_carries_groups_and_queues_when_built_for_a_user() -> None:
    user = User(
        id=uuid.uuid4(), login="vera", display_name="Vera", role=Role.BACK_OFFICE,
        granted=frozenset({Permission.USER_ADMIN}), revoked=frozenset(),
        customer_groups=frozenset({"VIP"}), queues=frozenset({"tech"}),
        administered_queues=frozenset(), active=True, has_password=True,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    actor = accounts.actor_for(user)
    assert actor.can(Permission.USER_ADMIN)
    assert actor.sees_group("VIP")
    assert not actor.sees_group("mass")
    assert actor.queues == frozenset({"tech"})


def test_session_expiry_is_capped_when_the_session_is_old() -> None:
    assert accounts.session_expiry(NOW, NOW, POLICY) == NOW + timedelta(seconds=600)
    late = NOW + timedelta(seconds=3300)
    assert accounts.session_expiry(NOW, late, POLICY) == NOW + timedelta(seconds=3600)


def test_password_is_refused_when_short_or_equal_to_the_login() -> None:
    assert accounts.password_problem("short", "anna") is not None
    assert accounts.password_problem("AnnaSmith1", "annasmith1") is not None
    assert accounts.password_problem("correct horse", "anna") is None


@pytest.mark.parametrize("role", list(Role))
def test_exceptions_give_exactly_the_permissions_wanted_when_applied(
    role: Role,
) -> None:
    wanted = {Permission.REPORT_READ, Permission.AGENT_WORK, Permission.CUSTOMER_READ}

    granted, revoked = accounts.exceptions_for(role, wanted)

    assert accounts.effective_permissions(role, granted, revoked) == wanted
    assert not granted & ROLE_PERMISSIONS[role]
    assert revoked <= ROLE_PERMISSIONS[role]
