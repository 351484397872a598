"""A small CRM world for appeal tests: users, a customer of each category, demo topics
and routes, and the services over a migrated database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from crm_core.appeals.model import Topic
from crm_core.appeals.seed import DemoStaff, seed_appeals
from crm_core.appeals.service import AppealService
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role, system_actor
from crm_core.auth.tables import UserRow
from crm_core.customers.service import CustomerService
from crm_core.db import Sessions
from tests.fakes import FakeClock, RecordingPublisher


def actor(login: str, role: Role, number: int) -> Actor:
    return Actor(
        user_id=uuid.UUID(int=number), login=login, role=role,
        permissions=ROLE_PERMISSIONS[role],
    )  # fmt: skip


ANNA = actor("anna", Role.AGENT, 1)
BORIS = actor("boris", Role.BACK_OFFICE, 2)
VERA = actor("vera", Role.SUPERVISOR, 3)


@dataclass
class World:
    sessions: Sessions
    clock: FakeClock
    events: RecordingPublisher
    appeals: AppealService
    topics: TopicService
    complaint: Topic
    termination: Topic
    bis_customer: uuid.UUID
    mass_customer: uuid.UUID


async def build(sessions: Sessions) -> World:
    clock = FakeClock()
    async with sessions.begin() as s:
        for a in (ANNA, BORIS, VERA):
            s.add(_user(a, clock))
    staff = DemoStaff(
        front=[ANNA.user_id], technicians=[BORIS.user_id],
        bis_technicians=[BORIS.user_id], administrators=[VERA.user_id],
    )  # fmt: skip
    await seed_appeals(sessions, clock, staff)
    customers = CustomerService(sessions, clock)
    admin = system_actor()
    bis = await customers.create(admin, {"name": "Bis Ltd", "category": "BIS"})
    mass = await customers.create(admin, {"name": "Ivan", "category": "mass"})
    events = RecordingPublisher()
    topics = TopicService(sessions, clock)
    by_code = {t.code: t for t in await topics.tree(VERA)}
    return World(
        sessions=sessions, clock=clock, events=events,
        appeals=AppealService(sessions, clock, events), topics=topics,
        complaint=by_code["complaint"], termination=by_code["termination"],
        bis_customer=bis.id, mass_customer=mass.id,
    )  # fmt: skip


def _user(a: Actor, clock: FakeClock) -> UserRow:
    return UserRow(
        id=a.user_id, login=a.login, display_name=a.login.title(), role=a.role.value,
        granted=[], revoked=[], customer_groups=None, queues=[],
        administered_queues=[], active=True, password_hash=None,
        created_at=clock.now(), updated_at=clock.now(),
    )  # fmt: skip
