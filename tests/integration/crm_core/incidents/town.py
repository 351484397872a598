"""The appeals world plus customers in known places and the incident and notice
services over it."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crm_core.appeals.events import AppealCreated
from crm_core.appeals.model import Appeal
from crm_core.appeals.service import AppealInput
from crm_core.auth.model import system_actor
from crm_core.customers.service import CustomerService
from crm_core.incidents.model import Area, IncidentDraft, IncidentKind
from crm_core.incidents.service import IncidentService
from crm_core.notices.service import NoticeService
from tests.integration.crm_core.appeals.world import ANNA, World, build


@dataclass
class Town:
    world: World
    incidents: IncidentService
    notices: NoticeService
    customers: CustomerService
    wakes: list[str]


async def build_town(world: World) -> Town:
    wakes: list[str] = []
    notices = NoticeService(
        world.sessions, world.clock, wake=lambda: wakes.append("wake")
    )
    incidents = IncidentService(
        world.sessions, world.clock, appeals=world.appeals, notices=notices
    )
    customers = CustomerService(world.sessions, world.clock)
    return Town(world, incidents, notices, customers, wakes)


async def customer(town: Town, name: str, **card: object) -> uuid.UUID:
    created = await town.customers.create(
        system_actor(), {"name": name, "category": "mass", **card}
    )
    return created.id


async def complaint_from(town: Town, customer_id: uuid.UUID) -> Appeal:
    """A new complaint, run through the automatic linking as the bus would."""
    world = town.world
    appeal = await world.appeals.create(
        ANNA,
        AppealInput(
            topic_id=world.complaint.id, customer_id=customer_id,
            description="no internet", attributes={"BrokenSince": "2026-01-02"},
        ),
    )  # fmt: skip
    created = [
        e for e in world.events.of_type(AppealCreated) if e.appeal_id == str(appeal.id)
    ]
    await town.incidents.on_appeal_created(created[0])
    world.clock.advance(1)  # links keep the order appeals came in
    return appeal


def outage(town: Town, **changes: Any) -> IncidentDraft:
    now = town.world.clock.now()
    draft = IncidentDraft(
        title="Node N1 down", description="power loss at the node",
        kind=IncidentKind.OUTAGE,
        area=Area.of(network_nodes=["N1"], cities=["Tomsk"]),
        topic_codes=frozenset({"complaint"}), started_at=now,
        expected_end_at=now + timedelta(hours=4),
    )  # fmt: skip
    return dataclasses.replace(draft, **changes)


__all__ = ["Town", "build", "build_town", "complaint_from", "customer", "outage"]
