"""The topic catalogue: routes and attributes checked before they are stored, templates,
and an idempotent demo seed."""

from __future__ import annotations

import pytest

from crm_core.appeals.model import (
    AttributeDef,
    AttributeKind,
    ContactTemplate,
    Queue,
    Stage,
    Transition,
)
from crm_core.appeals.seed import DemoStaff, seed_appeals
from crm_core.appeals.service import AppealInput
from crm_core.auth.model import system_actor
from crm_core.db import Sessions
from crm_core.errors import Forbidden, ValidationFailed
from tests.integration.crm_core.appeals.world import ANNA, VERA, World, build

ADMIN = system_actor()


@pytest.fixture
async def world(sessions: Sessions) -> World:
    return await build(sessions)


async def test_route_with_bad_rules_is_refused_with_positions_when_published(
    world: World,
) -> None:
    stages = (
        Stage(code="a", name="A", queues=(Queue(name="q", when='Customer.Category ='),),
              transitions=(Transition(name="go", to_stage="b",
                                      guard="Appeal.Attr.Speedd > 1"),
                           Transition(name="lost", to_stage="nowhere"))),
        Stage(code="b", name="B", queues=()),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        await world.topics.publish_route(
            ADMIN, world.complaint.id, name="bad", stages=stages
        )
    errors = {e.field: e.message for e in caught.value.errors}
    assert errors["stages[0].queues[0].when"].startswith("1:20: expected a value")
    assert (
        "unknown field Appeal.Attr.Speedd" in errors["stages[0].transitions[0].guard"]
    )
    assert (
        errors["stages[0].transitions[1].to_stage"]
        == "leads to unknown stage 'nowhere'"
    )
    assert errors["stages[1].queues"] == "a stage needs a queue"
    route = await world.topics.current_route(VERA, world.complaint.id)
    assert route is not None
    assert route.version == 1


async def test_attribute_with_bad_rule_is_refused_when_declared(world: World) -> None:
    bad = AttributeDef(
        code="Port", label="Port", kind=AttributeKind.STRING, required=True,
        required_when='Appeal.Attr.Speed = "fast"',
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        await world.topics.declare_attribute(ADMIN, world.complaint.id, bad)
    assert caught.value.errors[0].field == "required_when"
    assert "cannot compare a number with a string" in caught.value.errors[0].message
    with pytest.raises(Forbidden):
        await world.topics.declare_attribute(ANNA, world.complaint.id, bad)


async def test_template_supplies_topic_and_limits_choice_when_registering(
    world: World,
) -> None:
    await world.topics.set_template(
        ANNA,
        ContactTemplate(
            user_id=ANNA.user_id, place="call centre", channel="phone",
            allowed_topic_ids=frozenset({world.complaint.id}),
            default_topic_id=world.complaint.id,
        ),
    )  # fmt: skip
    assert (await world.topics.template(ANNA, ANNA.user_id)).place == "call centre"
    appeal = await world.appeals.create(
        ANNA, AppealInput(attributes={"BrokenSince": "2026-01-01"})
    )
    assert appeal.topic_id == world.complaint.id
    with pytest.raises(ValidationFailed, match="not among the topics"):
        await world.appeals.create(
            ANNA, AppealInput(topic_id=world.termination.id, attributes={"Reason": "x"})
        )


async def test_seed_changes_nothing_when_run_again(world: World) -> None:
    before = await world.topics.tree(VERA)
    await seed_appeals(world.sessions, world.clock, DemoStaff())
    assert await world.topics.tree(VERA) == before
    route = await world.topics.current_route(VERA, world.termination.id)
    assert route is not None
    assert route.version == 1
    defs = await world.topics.definitions(VERA, world.complaint.id)
    assert [d.code for d in defs] == [
        "Speed",
        "Tariff",
        "BrokenSince",
        "Confirmed",
        "VisitBy",
    ]
