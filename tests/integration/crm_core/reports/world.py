"""A small known data set for search, bulk and report tests: a topic group with two
topics, one route, users, customers, and appeals written straight as rows so that every
timestamp and status is exactly what a test says."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_core.appeals.model import Queue, Stage, Transition
from crm_core.appeals.store import route_definition
from crm_core.appeals.tables import (
    AppealHistoryRow,
    AppealRow,
    RouteRow,
    TopicAttributeRow,
    TopicRow,
)
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.auth.tables import UserRow
from crm_core.customers.tables import CustomerRow
from crm_core.db import Sessions

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(slots=True)
class World:
    group: uuid.UUID
    complaint: uuid.UUID
    termination: uuid.UUID
    other: uuid.UUID
    route: uuid.UUID
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    customers: dict[str, uuid.UUID] = field(default_factory=dict)

    def actor(
        self,
        login: str = "boss",
        role: Role = Role.SUPERVISOR,
        groups: frozenset[str] | None = None,
    ) -> Actor:
        return Actor(
            user_id=self.users[login], login=login, role=role,
            permissions=ROLE_PERMISSIONS[role], customer_groups=groups,
            queues=frozenset({"front"}), administered_queues=frozenset({"front"}),
        )  # fmt: skip


def stages() -> tuple[Stage, ...]:
    """intake (closing not allowed) -> done (closing allowed)."""
    return (
        Stage(code="intake", name="Intake", queues=(Queue(name="front"),),
              transitions=(Transition(name="next", to_stage="done"),),
              deadline_s=3600),
        Stage(code="done", name="Done", queues=(Queue(name="front"),),
              deadline_s=3600, closing_allowed=True),
    )  # fmt: skip


async def build(sessions: Sessions) -> World:
    ids = [uuid.uuid4() for _ in range(5)]
    world = World(
        group=ids[0], complaint=ids[1], termination=ids[2], other=ids[3], route=ids[4]
    )
    async with sessions.begin() as s:
        for tid, parent, code, is_group in (
            (world.group, None, "internet", True),
            (world.complaint, world.group, "complaint", False),
            (world.termination, world.group, "termination", False),
            (world.other, None, "billing", False),
        ):
            s.add(TopicRow(id=tid, parent_id=parent, code=code, name=code.title(),
                           is_group=is_group, active=True, position=0))  # fmt: skip
        await s.flush()
        kinds = (("Speed", "decimal"), ("Confirmed", "boolean"),
                 ("BrokenSince", "date"), ("Tariff", "dictionary"))  # fmt: skip
        for code, kind in kinds:
            s.add(_attribute(world.group, code, kind))
        for login, role in (("boss", "supervisor"), ("ann", "agent"), ("bob", "agent")):
            uid = uuid.uuid4()
            world.users[login] = uid
            s.add(_user(uid, login, role))
        for name, group in (("Ivanov", "mass"), ("Petrov", "vip"), ("Sidorov", None)):
            cid = uuid.uuid4()
            world.customers[name] = cid
            s.add(_customer(cid, name, group))
        s.add(RouteRow(id=world.route, topic_id=world.complaint, version=1,
                       name="Complaint", definition=route_definition(stages()),
                       published_at=T0, published_by=world.users["boss"]))  # fmt: skip
    return world


def _attribute(topic: uuid.UUID, code: str, kind: str) -> TopicAttributeRow:
    return TopicAttributeRow(
        id=uuid.uuid4(), topic_id=topic, code=code, label=code, kind=kind,
        dictionary_code="tariffs" if kind == "dictionary" else None,
        default_value=None, default_rule=None, required=False, required_when=None,
        hidden=False, hidden_when=None, read_only=False, read_only_when=None,
        active=True, position=0,
    )  # fmt: skip


def _user(uid: uuid.UUID, login: str, role: str) -> UserRow:
    return UserRow(
        id=uid, login=login, display_name=login.title(), role=role, granted=[],
        revoked=[], customer_groups=None, queues=["front"],
        administered_queues=["front"] if role == "supervisor" else [], active=True,
        password_hash=None, created_at=T0,
        updated_at=T0,
    )  # fmt: skip


def _customer(cid: uuid.UUID, name: str, group: str | None) -> CustomerRow:
    return CustomerRow(
        id=cid, kind="person", is_lead=False, name=name, name_folded=name.casefold(),
        category="mass", customer_group=group, account=None, balance=Decimal(0),
        emails=[], addresses=[], products=[], equipment=[], preferred_channels=[],
        contact_persons=[], notes="", created_at=T0, updated_at=T0,
    )  # fmt: skip


def appeal(world: World, **given: Any) -> AppealRow:
    """An appeal row; anything not given takes a plain default (complaint, intake,
    waiting, created at T0, not overdue)."""
    created = given.pop("created_at", T0)
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "customer_id": None, "contact_id": None,
        "parent_id": None, "topic_id": world.complaint, "route_id": world.route,
        "stage": "intake", "queue": "front", "status": "waiting",
        "assignee_id": None, "customer_category": None, "customer_group": None,
        "description": "no internet", "attributes": {}, "stage_path": ["intake"],
        "created_by": world.users["boss"], "created_at": created,
        "updated_at": created, "deadline_at": created + HOUR, "overdue": False,
        "overdue_at": None, "closed_at": None, "archived": False,
        "archived_at": None, "version": 1,
    }  # fmt: skip
    values.update(given)
    return AppealRow(**values)


async def add(sessions: Sessions, rows: Sequence[AppealRow]) -> list[uuid.UUID]:
    async with sessions.begin() as s:
        s.add_all(rows)
    return [row.id for row in rows]


def step(
    appeal_id: uuid.UUID, actor_id: uuid.UUID, action: str, at: datetime
) -> AppealHistoryRow:
    return AppealHistoryRow(
        id=uuid.uuid4(), appeal_id=appeal_id, at=at, actor_id=actor_id,
        actor_login="x", action=action, from_stage=None, from_queue=None,
        from_status=None, from_assignee_id=None, to_stage=None, to_queue=None,
        to_status=None, to_assignee_id=None, comment="",
    )  # fmt: skip
