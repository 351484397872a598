"""Each role's start page and menu: nobody with a role lands on "Not allowed"."""

from __future__ import annotations

import uuid

import pytest

from agent_ui import areas
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Permission, Role


def actor(role: Role, *, revoked: frozenset[Permission] = frozenset()) -> Actor:
    return Actor(
        user_id=uuid.uuid4(), login=role.value, role=role,
        permissions=ROLE_PERMISSIONS[role] - revoked,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (Role.AGENT, "/agent"),
        (Role.SUPERVISOR, "/wallboard"),
        (Role.BACK_OFFICE, "/backoffice"),
        (Role.MARKETING, "/reports"),
        (Role.ADMINISTRATOR, "/admin"),
    ],
)
def test_role_starts_on_its_own_page_when_it_signs_in(role: Role, start: str) -> None:
    who = actor(role)
    found = areas.start(who)
    assert found is not None
    assert found.path == start
    assert found in areas.menu(who)


def test_start_is_the_first_area_allowed_when_the_roles_own_is_revoked() -> None:
    who = actor(Role.SUPERVISOR, revoked=frozenset({Permission.QUEUE_SUPERVISE}))
    assert areas.start(who) is areas.AGENT


def test_menu_lists_only_areas_the_actor_may_open_when_built() -> None:
    assert [a.key for a in areas.menu(actor(Role.AGENT))] == ["agent", "kb"]
    assert areas.area_of("/agent/calls/x") is areas.AGENT
    assert areas.area_of("/agents") is None


def test_every_area_has_a_start_page_when_it_has_no_pages_of_its_own() -> None:
    from agent_ui.app import AREA_ROUTES

    for area in areas.AREAS:
        assert area.key in AREA_ROUTES or area.placeholder, area.key
