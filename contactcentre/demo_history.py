"""The demo's past week, so that a newcomer's reports are not empty: the simulated
traffic of the last seven days (acd.history) kept as queue and agent intervals, a
contact for each of its calls, and appeals registered on some of them and worked
along their routes. Once only: a database with past calls keeps them.

The simulated agents get users with names, so that reports name them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from acd.history import PastCall, TrafficPlan, simulate
from acd.model import AgentId, QueueId
from acd.stats import interval_start
from acd.tables import SqlIntervalStore
from contactcentre.settings import Settings
from crm_core.appeals.seed import PastRequest, seed_past_appeals
from crm_core.auth.accounts import User, actor_for
from crm_core.auth.model import Role, system_actor
from crm_core.auth.service import AuthService, NewUser
from crm_core.clock import Clock
from crm_core.customers.seed import (
    PastCallContact,
    demo_callers,
    has_past_calls,
    seed_past_calls,
)
from crm_core.db import Sessions
from crm_core.errors import NotFound
from crm_core.reports.periods import local_midnight

log = logging.getLogger(__name__)

HISTORY_DAYS = 7
CALLS_PER_AGENT = 2.0
"""Calls each queue is offered in the busiest hour, per agent on the floor."""
STRANGER_SHARE = 0.2
REGULARS = 15
"""Customers who ring far more often than the others (repeat appeals)."""
REGULAR_SHARE = 0.25
APPEAL_SHARE = 0.08
"""Of the calls the demo's own agents answered from known customers."""
FRONT = ("agent", "agent2")
"""The demo users who work the appeals' front queue."""
BACK_OFFICE = ("backoffice",)
DISPOSITIONS = ("resolved", "resolved", "information", "follow_up", "escalated")
NAMES = (
    "Irina Sokolova", "Pavel Orlov", "Olga Belova", "Nikita Frolov",
    "Svetlana Popova", "Artem Volkov", "Yulia Zaitseva", "Maxim Lebedev",
    "Daria Kozlova", "Roman Egorov", "Alina Morozova", "Ilya Vasiliev",
)  # fmt: skip


async def seed_history(sessions: Sessions, settings: Settings, clock: Clock) -> None:
    """The past week of the demo, unless it is there already."""
    if await has_past_calls(sessions):
        return
    users = await _agents_as_users(sessions, settings, clock)
    plan = _plan(settings, clock)
    history = await asyncio.to_thread(simulate, plan)
    intervals = SqlIntervalStore(sessions)
    await intervals.save(history.queue_records)
    await intervals.save_agents(history.agent_records)
    rng = random.Random(settings.simulator.seed)  # noqa: S311  demo data
    callers = await demo_callers(sessions)
    contacts = [_contact(call, rng, callers, users) for call in history.calls]
    contact_ids = await seed_past_calls(sessions, contacts)
    requests = _requests(contacts, contact_ids, users, rng)
    back = [actor_for(users[login]) for login in BACK_OFFICE if login in users]
    made = await seed_past_appeals(
        sessions, requests, back_office=back, now=clock.now(),
        seed=settings.simulator.seed,
    )  # fmt: skip
    log.info(
        "demo history: %d days, %d calls, %d appeals",
        HISTORY_DAYS, len(contacts), made,
    )  # fmt: skip


def _requests(
    contacts: Sequence[PastCallContact],
    contact_ids: Mapping[str, uuid.UUID],
    users: Mapping[str, User],
    rng: random.Random,
) -> list[PastRequest]:
    """Appeals asked for on some of the calls the front agents took."""
    requests = []
    for c in contacts:
        if c.agent_login not in FRONT or c.customer_id is None:
            continue
        if rng.random() < APPEAL_SHARE:
            requests.append(
                PastRequest(
                    at=c.arrived_at + timedelta(seconds=c.wait_s + c.talk_s),
                    customer_id=c.customer_id,
                    contact_id=contact_ids[c.call_id],
                    front=actor_for(users[c.agent_login]),
                )
            )
    return requests


def _plan(settings: Settings, clock: Clock) -> TrafficPlan:
    zone = ZoneInfo(settings.time_zone)
    now = clock.now()
    first = now.astimezone(zone).date() - timedelta(days=HISTORY_DAYS)
    agents = [AgentId(seat.login) for seat in settings.acd.seats]
    return TrafficPlan(
        queues=[QueueId(q.id) for q in settings.acd.queues], agents=agents,
        start=local_midnight(first, zone), end=interval_start(now, 900.0),
        zone=zone, seed=settings.simulator.seed,
        busiest_hour_calls=CALLS_PER_AGENT * len(agents),
    )  # fmt: skip


async def _agents_as_users(
    sessions: Sessions, settings: Settings, clock: Clock
) -> dict[str, User]:
    """Every seat's user and the back office's by login; seats without a user
    (the simulated agents) get one with a name and no password."""
    auth = AuthService(sessions, clock)
    users: dict[str, User] = {}
    names = iter(NAMES)
    for login in [seat.login for seat in settings.acd.seats] + list(BACK_OFFICE):
        try:
            users[login] = await auth.user_by_login(system_actor(), login)
        except NotFound:
            name = next(names, login)
            new = NewUser(login=login, display_name=name, role=Role.AGENT)
            users[login] = await auth.create_user(system_actor(), new)
    return users


def _contact(
    call: PastCall,
    rng: random.Random,
    callers: Sequence[tuple[uuid.UUID, str]],
    users: Mapping[str, User],
) -> PastCallContact:
    customer: uuid.UUID | None = None
    if callers and rng.random() >= STRANGER_SHARE:
        pool = callers[:REGULARS] if rng.random() < REGULAR_SHARE else callers
        customer, number = rng.choice(pool)
    else:
        number = f"+7495{rng.randrange(10**7):07d}"
    agent = users.get(call.agent_id) if call.agent_id else None
    return PastCallContact(
        call_id=call.call_id, customer_id=customer, number=number,
        queue=call.queue_id, arrived_at=call.arrived_at, wait_s=call.waited_s,
        agent_login=call.agent_id, agent_user_id=agent.id if agent else None,
        talk_s=call.talk_s, wrap_up_s=call.wrap_up_s,
        disposition=rng.choice(DISPOSITIONS) if call.agent_id else None,
    )  # fmt: skip
