"""Demo topics, attributes, a tariff dictionary and two routes, and appeals waiting for
the back office. Idempotent: what exists already (by code, a topic's route, any
appeal) is left as it is. And the demo's past appeals (`seed_past_appeals`),
registered and worked along their routes by the services at the moments they
happened."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from crm_core.appeals.model import (
    AttributeDef,
    AttributeKind,
    DictionaryItem,
    Queue,
    Stage,
    Topic,
    TopicId,
    Transition,
)
from crm_core.appeals.ports import Clock, NoPublisher
from crm_core.appeals.service import AppealInput, AppealService
from crm_core.appeals.tables import AppealRow
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import Actor, system_actor
from crm_core.db import Sessions

K = AttributeKind
DAY_S = 86_400


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoStaff:
    """Who works the demo queues (user ids seeded by the users' seed)."""

    front: Sequence[uuid.UUID] = ()
    technicians: Sequence[uuid.UUID] = ()
    bis_technicians: Sequence[uuid.UUID] = ()
    administrators: Sequence[uuid.UUID] = ()


async def seed_appeals(sessions: Sessions, clock: Clock, staff: DemoStaff) -> None:
    topics = TopicService(sessions, clock)
    actor = system_actor()
    existing = {t.code: t for t in await topics.tree(actor)}
    await topics.define_dictionary(
        actor, code="tariffs", name="Tariffs",
        items=[DictionaryItem(code="home100", label="Home 100"),
               DictionaryItem(code="home500", label="Home 500"),
               DictionaryItem(code="biz1000", label="Business 1000")],
    )  # fmt: skip
    internet = await _topic(topics, existing, "internet", "Internet", None, True)
    complaint = await _topic(
        topics, existing, "complaint", "Complaint", internet, False
    )
    termination = await _topic(
        topics, existing, "termination", "Contract termination", internet, False
    )
    if "internet" not in existing:
        for topic, definition in _attributes(internet, complaint, termination):
            await topics.declare_attribute(actor, topic.id, definition)
    if await topics.current_route(actor, complaint.id) is None:
        await topics.publish_route(
            actor, complaint.id, name="Complaint", stages=complaint_stages(staff)
        )
    if await topics.current_route(actor, termination.id) is None:
        await topics.publish_route(
            actor, termination.id, name="Contract termination",
            stages=termination_stages(staff),
        )  # fmt: skip


async def _topic(
    topics: TopicService,
    existing: dict[str, Topic],
    code: str,
    name: str,
    parent: Topic | None,
    is_group: bool,
) -> Topic:
    if code in existing:
        return existing[code]
    return await topics.create_topic(
        system_actor(), code=code, name=name,
        parent_id=parent.id if parent else None, is_group=is_group,
    )  # fmt: skip


def _attributes(
    internet: Topic, complaint: Topic, termination: Topic
) -> list[tuple[Topic, AttributeDef]]:
    return [
        (internet, AttributeDef(code="Speed", label="Speed, Mbit/s", kind=K.DECIMAL,
                                default_value=Decimal(100))),
        (internet, AttributeDef(code="Tariff", label="Tariff", kind=K.DICTIONARY,
                                dictionary_code="tariffs")),
        (complaint, AttributeDef(code="BrokenSince", label="Broken since",
                                 kind=K.DATE, required=True)),
        (complaint, AttributeDef(code="Confirmed", label="Fault confirmed",
                                 kind=K.BOOLEAN, default_value=False)),
        (complaint, AttributeDef(code="VisitBy", label="Visit by", kind=K.DATE,
                                 default_rule="today() + 3", read_only=True)),
        (termination, AttributeDef(code="Reason", label="Reason", kind=K.STRING,
                                   required=True)),
        (termination, AttributeDef(code="EndDate", label="End date", kind=K.DATE,
                                   default_rule="today() + 14")),
    ]  # fmt: skip


def _queue(
    name: str, members: Sequence[uuid.UUID], staff: DemoStaff, when: str | None = None
) -> Queue:
    return Queue(
        name=name, members=frozenset(members),
        administrators=frozenset(staff.administrators), when=when,
    )  # fmt: skip


def complaint_stages(staff: DemoStaff) -> tuple[Stage, ...]:
    """Registration -> technical check (BIS customers have their own queue) ->
    resolution."""
    return (
        Stage(code="registration", name="Registration",
              queues=(_queue("front", staff.front, staff),),
              transitions=(Transition(name="check", to_stage="technical_check"),),
              deadline_s=4 * 3600, closing_allowed=True),
        Stage(code="technical_check", name="Technical check",
              queues=(_queue("bis_tech", staff.bis_technicians, staff,
                             when='Customer.Category = "BIS"'),
                      _queue("tech", staff.technicians, staff)),
              transitions=(Transition(name="resolve", to_stage="resolution",
                                      guard="Appeal.Attr.Confirmed = true"),
                           Transition(name="no_fault", to_stage="resolution")),
              deadline_s=DAY_S),
        Stage(code="resolution", name="Resolution",
              queues=(_queue("front", staff.front, staff),),
              deadline_s=DAY_S, closing_allowed=True),
    )  # fmt: skip


def termination_stages(staff: DemoStaff) -> tuple[Stage, ...]:
    return (
        Stage(code="request", name="Request",
              queues=(_queue("front", staff.front, staff),),
              transitions=(Transition(name="retain", to_stage="retention"),),
              deadline_s=DAY_S),
        Stage(code="retention", name="Retention offer",
              queues=(_queue("back_office", staff.technicians, staff),),
              transitions=(Transition(name="terminate", to_stage="termination"),),
              deadline_s=3 * DAY_S, closing_allowed=True),
        Stage(code="termination", name="Termination",
              queues=(_queue("back_office", staff.technicians, staff),),
              deadline_s=5 * DAY_S, closing_allowed=True),
    )  # fmt: skip


COMPLAINTS = (
    "No internet since the storm", "Speed drops every evening",
    "Router reboots on its own", "Connection lost twice a day",
)  # fmt: skip
TERMINATIONS = (
    "Moving to another city", "Found a cheaper provider", "Too many outages",
)  # fmt: skip


async def seed_work(
    sessions: Sessions,
    clock: Clock,
    *,
    customers: Sequence[uuid.UUID],
    handler: uuid.UUID | None,
) -> int:
    """Appeals for `customers` waiting in the back office's queues, unless there are
    appeals already: complaints at the technical check (the first past its
    deadline, so overdue at the next check), terminations at the retention offer,
    the last given to `handler`. How many were made."""
    if not customers:
        return 0
    async with sessions() as s:
        if await s.scalar(select(func.count()).select_from(AppealRow)):
            return 0
    actor = system_actor()
    appeals = AppealService(sessions, clock, NoPublisher())
    topics = {t.code: t.id for t in await TopicService(sessions, clock).tree(actor)}
    today = clock.now().date()
    made = []
    count = len(COMPLAINTS) + len(TERMINATIONS)
    whose = [customers[i % len(customers)] for i in range(count)]
    for i, text in enumerate(COMPLAINTS):
        broken = {"BrokenSince": (today - timedelta(days=i + 1)).isoformat()}
        made.append(await _waiting(appeals, topics["complaint"], whose[i], text,
                                   broken, "check"))  # fmt: skip
    for i, text in enumerate(TERMINATIONS, start=len(COMPLAINTS)):
        made.append(await _waiting(appeals, topics["termination"], whose[i], text,
                                   {"Reason": text}, "retain"))  # fmt: skip
    past_due = clock.now() - timedelta(hours=2)
    await appeals.set_deadline(actor, made[0], deadline_at=past_due)
    if handler is not None:
        await appeals.assign(actor, made[-1], assignee_id=handler)
    return len(made)


async def _waiting(
    appeals: AppealService,
    topic_id: TopicId,
    customer_id: uuid.UUID,
    text: str,
    attributes: Mapping[str, object],
    transition: str,
) -> uuid.UUID:
    actor = system_actor()
    data = AppealInput(
        topic_id=topic_id, customer_id=customer_id, description=text,
        attributes=attributes,
    )  # fmt: skip
    appeal = await appeals.create(actor, data)
    await appeals.pass_on(actor, appeal.id, transition=transition)
    return appeal.id


@dataclass(frozen=True, slots=True, kw_only=True)
class PastRequest:
    """A caller who asked for something during a past call: an appeal to register."""

    at: datetime
    customer_id: uuid.UUID
    contact_id: uuid.UUID | None
    front: Actor
    """The agent who took the call (a member of the front queue)."""


@dataclass(slots=True)
class _Then:
    """A clock the seed sets to each past moment before the service acts."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


Step = Callable[[], Awaitable[object]]


async def seed_past_appeals(
    sessions: Sessions,
    requests: Sequence[PastRequest],
    *,
    back_office: Sequence[Actor],
    now: datetime,
    seed: int = 1,
) -> int:
    """Register an appeal for each request and work it along its route (taken,
    passed on, closed, some late, the recent ones still open), each step by the
    services at the moment it happened, none after `now`; returns how many."""
    rng = random.Random(seed)  # noqa: S311  demo data, not secrets
    then = _Then(moment=now)
    appeals = AppealService(sessions, then, NoPublisher())
    topics = {
        t.code: t for t in await TopicService(sessions, then).tree(system_actor())
    }
    for request in requests:
        back = rng.choice(back_office)
        steps = _life(appeals, topics, request, back, rng)
        moment = request.at
        for delay_h, step in steps:
            moment += timedelta(hours=delay_h)
            if moment >= now:
                break
            then.moment = moment
            await step()
    return len(requests)


def _life(
    appeals: AppealService,
    topics: dict[str, Topic],
    request: PastRequest,
    back: Actor,
    rng: random.Random,
) -> list[tuple[float, Step]]:
    """The steps of one appeal with the hours before each."""
    front, complaint = request.front, rng.random() < 0.7
    data = _details(topics, request, complaint=complaint, rng=rng)
    made: list[uuid.UUID] = []

    async def create() -> None:
        made.append((await appeals.create(front, data)).id)

    def take(actor: Actor) -> Step:
        return lambda: appeals.take(actor, made[0])

    def pass_on(actor: Actor, transition: str) -> Step:
        return lambda: appeals.pass_on(actor, made[0], transition=transition)

    def close(actor: Actor) -> Step:
        return lambda: appeals.close(actor, made[0], comment=rng.choice(_CLOSINGS))

    minutes = rng.uniform(0.05, 0.2)
    steps: list[tuple[float, Step]] = [
        (0.0, create), (minutes, take(front)),
        (minutes, pass_on(front, "check" if complaint else "retain")),
        (rng.uniform(0.5, 30.0), take(back)),
    ]  # fmt: skip
    if complaint:
        steps += [
            (rng.uniform(0.5, 6.0), pass_on(back, "no_fault")),
            (rng.uniform(0.2, 28.0), take(front)),
            (rng.uniform(0.1, 0.5), close(front)),
        ]
    else:
        steps.append((rng.uniform(1.0, 80.0), close(back)))
    return steps


def _details(
    topics: dict[str, Topic],
    request: PastRequest,
    *,
    complaint: bool,
    rng: random.Random,
) -> AppealInput:
    """What the caller asked for: a complaint (a fault since a recent day) or a
    contract termination (with a reason)."""
    topic = topics["complaint" if complaint else "termination"]
    broken = request.at.date() - timedelta(days=rng.randrange(0, 4))
    return AppealInput(
        topic_id=topic.id, customer_id=request.customer_id,
        contact_id=request.contact_id,
        description=rng.choice(_COMPLAINTS if complaint else _TERMINATIONS),
        attributes={"BrokenSince": str(broken)} if complaint
        else {"Reason": rng.choice(_REASONS)},
    )  # fmt: skip


_COMPLAINTS = (
    "No internet since the morning", "The connection drops every evening",
    "Speed far below the tariff", "The router shows a red light",
    "Television freezes on every channel",
)  # fmt: skip
_TERMINATIONS = (
    "Moving to another city", "Found a cheaper offer", "No longer needs the service",
)  # fmt: skip
_REASONS = ("Moving", "Price", "Quality of service", "Other")
_CLOSINGS = ("Resolved with the customer", "Done", "The customer confirmed")
