"""An appeal read for a decision inside a caller's session: the appeal with typed
attributes, its route and topic, the attributes in effect and what rules see
about it and its customer. No commits: the caller owns the unit of work.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.appeals import store
from crm_core.appeals import workflow as wf
from crm_core.appeals.attributes import decode, definitions_in_effect
from crm_core.appeals.errors import RouteNotFound
from crm_core.appeals.model import Appeal, AttributeDef, Route, Topic
from crm_core.auth.model import Actor
from crm_core.customers.tables import CustomerRow
from crm_core.rules.evaluator import EvalContext


@dataclass(frozen=True, slots=True, kw_only=True)
class Loaded:
    appeal: Appeal
    route: Route
    topic: Topic
    definitions: list[AttributeDef]
    customer: Mapping[str, object]
    context: EvalContext


async def load(
    s: AsyncSession, actor: Actor, appeal_id: uuid.UUID, *, now: datetime
) -> Loaded:
    """The appeal as `actor` may see it. Raises AppealNotFound, AppealHidden, or
    RouteNotFound when its route version is gone."""
    raw = wf.visible(actor, appeal_id, await store.get_appeal(s, appeal_id))
    route = await store.route(s, raw.route_id)
    if route is None:
        raise RouteNotFound(f"appeal {appeal_id} lost its route {raw.route_id}")
    topics = await store.topics(s)
    defs = definitions_in_effect(
        raw.topic_id, topics, await store.declared_attributes(s)
    )
    appeal = dataclasses.replace(raw, attributes=decode(defs, raw.attributes))
    row = await s.get(CustomerRow, appeal.customer_id) if appeal.customer_id else None
    customer = customer_facts(row)
    topic = topics[appeal.topic_id]
    context = wf.rule_context(appeal, customer, topic_code=topic.code, now=now)
    return Loaded(
        appeal=appeal, route=route, topic=topic, definitions=defs,
        customer=customer, context=context,
    )  # fmt: skip


def customer_facts(row: CustomerRow | None) -> dict[str, object]:
    """What rules see as `Customer` (empty for an appeal without a customer)."""
    if row is None:
        return {}
    return {
        "Category": row.category, "Group": row.customer_group, "Kind": row.kind,
        "IsLead": row.is_lead, "Name": row.name, "Account": row.account,
        "Balance": row.balance, "Sex": row.sex, "BirthDate": row.birth_date,
        "City": row.city, "District": row.district, "Building": row.building,
        "NetworkNode": row.network_node,
    }  # fmt: skip
