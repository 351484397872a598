"""A complaint route and actors shared by the workflow tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from crm_core.appeals.model import (
    Appeal,
    AppealId,
    AppealStatus,
    Queue,
    Route,
    RouteId,
    Stage,
    TopicId,
    Transition,
)
from crm_core.appeals.workflow import rule_context
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.rules.evaluator import EvalContext

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TOPIC = TopicId(uuid.UUID(int=7))
AGENT = Actor(
    user_id=uuid.UUID(int=1), login="anna", role=Role.AGENT,
    permissions=ROLE_PERMISSIONS[Role.AGENT],
)  # fmt: skip
TECH = Actor(
    user_id=uuid.UUID(int=2), login="boris", role=Role.BACK_OFFICE,
    permissions=ROLE_PERMISSIONS[Role.BACK_OFFICE],
)  # fmt: skip
BOSS = Actor(
    user_id=uuid.UUID(int=3), login="vera", role=Role.SUPERVISOR,
    permissions=ROLE_PERMISSIONS[Role.SUPERVISOR],
)  # fmt: skip
STRANGER = Actor(
    user_id=uuid.UUID(int=4), login="gleb", role=Role.BACK_OFFICE,
    permissions=ROLE_PERMISSIONS[Role.BACK_OFFICE],
)  # fmt: skip

ROUTE = Route(
    id=RouteId(uuid.UUID(int=100)),
    topic_id=TOPIC,
    version=1,
    name="Complaint",
    stages=(
        Stage(
            code="registration",
            name="Registration",
            queues=(Queue(name="front", members=frozenset({AGENT.user_id}),
                          administrators=frozenset({BOSS.user_id})),),
            transitions=(Transition(name="check", to_stage="technical_check"),),
            deadline_s=3600,
            closing_allowed=True,
        ),
        Stage(
            code="technical_check",
            name="Technical check",
            queues=(
                Queue(name="bis_tech", members=frozenset({TECH.user_id}),
                      administrators=frozenset({BOSS.user_id}),
                      when='Customer.Category = "BIS"'),
                Queue(name="tech", members=frozenset({TECH.user_id}),
                      administrators=frozenset({BOSS.user_id})),
            ),
            transitions=(
                Transition(name="resolve", to_stage="resolution",
                           guard="Appeal.Attr.Confirmed = true"),
            ),
            deadline_s=86400,
        ),
        Stage(
            code="resolution",
            name="Resolution",
            queues=(Queue(name="front", members=frozenset({AGENT.user_id}),
                          administrators=frozenset({BOSS.user_id})),),
            deadline_s=3600,
            closing_allowed=True,
        ),
    ),
)  # fmt: skip


def draft(**attributes: object) -> Appeal:
    return Appeal(
        id=AppealId(uuid.UUID(int=500)), topic_id=TOPIC, route_id=ROUTE.id,
        stage="", queue=None, status=AppealStatus.WAITING, assignee_id=None,
        customer_id=None, contact_id=None, parent_id=None, customer_category="BIS",
        customer_group=None, description="no internet",
        attributes=dict(attributes),  # type: ignore[arg-type]  # test values are AttrValues
        stage_path=(), created_by=AGENT.user_id, created_at=NOW, updated_at=NOW,
        deadline_at=None,
    )  # fmt: skip


def context(appeal: Appeal, category: str = "BIS", now: datetime = NOW) -> EvalContext:
    return rule_context(appeal, {"Category": category}, topic_code="complaint", now=now)
