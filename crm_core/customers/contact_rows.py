"""Reads and writes contacts: rows to values, and a call's log kept on its row (the
facts heard about the call, and the log computed from them).

Functions over one row or session (the caller owns the unit of work); the call log
itself is decided by `crm_core.customers.call_log`. No rights checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.auth.tables import UserRow
from crm_core.customers.call_log import (
    CallEnd,
    CallFacts,
    CallOutcome,
    CallStep,
    EndReason,
    StepKind,
    summarise,
)
from crm_core.customers.model import (
    CallAgent,
    Channel,
    Contact,
    ContactDirection,
    ContactId,
    CustomerId,
    IvrVisit,
    WrapUp,
)
from crm_core.customers.store import aware, maybe_aware
from crm_core.customers.tables import ContactRow


def contact_from(row: ContactRow) -> Contact:
    return Contact(
        id=ContactId(row.id),
        customer_id=None if row.customer_id is None else CustomerId(row.customer_id),
        channel=Channel(row.channel),
        direction=ContactDirection(row.direction),
        place=row.place,
        contact_person=row.contact_person,
        agent_id=row.agent_id,
        address=row.address,
        dnis=row.dnis,
        call_id=row.call_id,
        started_at=aware(row.started_at),
        ended_at=maybe_aware(row.ended_at),
        queue=row.queue,
        wait_s=row.wait_s,
        talk_s=row.talk_s,
        outcome=_outcome(row),
        hangup_cause=row.hangup_cause,
        notes=row.notes,
        hangup_cause_text=row.hangup_cause_text,
        end_reason=None if row.end_reason is None else EndReason(row.end_reason),
        hold_s=row.hold_s,
        queues=tuple(row.queues or ()),
        agents=_agents(row),
        ivr=_ivr_visit(row),
        wrap_up=_wrap_up(row),
    )


def _wrap_up(row: ContactRow) -> WrapUp | None:
    if row.wrap_up_at is None or row.wrap_up_agent is None:
        return None
    return WrapUp(
        finished_at=aware(row.wrap_up_at),
        agent=row.wrap_up_agent,
        disposition=row.disposition,
        notes=row.disposition_notes or "",
    )


def _ivr_visit(row: ContactRow) -> IvrVisit | None:
    if row.ivr_completed_at is None or row.ivr_outcome is None:
        return None
    return IvrVisit(
        completed_at=aware(row.ivr_completed_at),
        flow=row.ivr_flow,
        outcome=row.ivr_outcome,
        last_node=row.ivr_last_node,
        language=row.ivr_language or "",
        queue=row.ivr_queue,
        journal=tuple(row.ivr_journal or ()),
        details=row.ivr_details or {},
    )


async def contact_by_call(
    s: AsyncSession, call_id: str, *, lock: bool = False
) -> ContactRow | None:
    """The contact of `call_id`; `lock` holds its row until the unit of work ends
    (PostgreSQL), so writers of one call's log take turns."""
    query = select(ContactRow).where(ContactRow.call_id == call_id)
    row: ContactRow | None = await s.scalar(query.with_for_update() if lock else query)
    return row


async def contacts_of(
    s: AsyncSession,
    customer_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Contact]:
    """The customer's contacts, newest first, after the keyset `before`."""
    query = select(ContactRow).where(ContactRow.customer_id == customer_id)
    if before is not None:
        query = query.where(
            tuple_(ContactRow.started_at, ContactRow.id) < tuple_(*before)
        )
    query = query.order_by(ContactRow.started_at.desc(), ContactRow.id.desc()).limit(
        limit
    )
    return [contact_from(r) for r in await s.scalars(query)]


# the call log --------------------------------------------------------------------


def facts_of(row: ContactRow) -> CallFacts:
    """What the row has heard about its call."""
    end = None
    if row.ended_at is not None:
        end = CallEnd(
            ended_at=aware(row.ended_at),
            reason=EndReason(row.end_reason or EndReason.HANGUP),
            hangup_cause=row.hangup_cause,
            hangup_cause_text=row.hangup_cause_text or "",
            bridged_at=maybe_aware(row.bridged_at),
            hold_s=row.hold_s or 0.0,
        )
    return CallFacts(
        steps=tuple(_step(raw) for raw in row.call_steps or ()),
        end=end,
        ivr_outcome=row.ivr_outcome,
        ivr_queue=row.ivr_queue,
    )


def write_step(row: ContactRow, step: CallStep) -> bool:
    """Keep `step` on the row; False when it was heard already."""
    facts = facts_of(row)
    more = facts.with_step(step)
    if more is facts:
        return False
    row.call_steps = [_raw_step(s) for s in more.steps]
    return True


def write_end(row: ContactRow, end: CallEnd) -> bool:
    """Keep the call's end on the row; False when it had one already."""
    if row.ended_at is not None:
        return False
    row.ended_at = end.ended_at
    row.end_reason = end.reason.value
    row.hangup_cause = end.hangup_cause
    row.hangup_cause_text = end.hangup_cause_text[:200] or None
    row.bridged_at = end.bridged_at
    row.hold_s = end.hold_s
    return True


async def write_call_log(s: AsyncSession, row: ContactRow) -> None:
    """Recompute the row's call log from its facts. The agents' users are looked
    up by login; the contact's own agent is the last one's user."""
    summary = summarise(facts_of(row))
    users = await _users(s, {turn.agent for turn in summary.agents})
    row.queue = None if summary.queue is None else summary.queue[:100]
    row.queues = list(summary.queues)
    row.call_agents = [
        {
            "agent": turn.agent,
            "user_id": _text(users.get(turn.agent)),
            "taken_at": turn.taken_at.isoformat(),
            "queue": turn.queue,
        }
        for turn in summary.agents
    ]
    row.wait_s = summary.wait_s
    row.talk_s = summary.talk_s
    row.outcome = None if summary.outcome is None else summary.outcome.value
    if summary.agents:
        row.agent_id = users.get(summary.agents[-1].agent)


def _agents(row: ContactRow) -> tuple[CallAgent, ...]:
    return tuple(
        CallAgent(
            agent=str(raw["agent"]),
            user_id=None if raw.get("user_id") is None else uuid.UUID(raw["user_id"]),
            taken_at=aware(datetime.fromisoformat(raw["taken_at"])),
            queue=raw.get("queue"),
        )
        for raw in row.call_agents or ()
    )


def _outcome(row: ContactRow) -> CallOutcome | None:
    """The stored outcome; None for a value this release does not know."""
    try:
        return None if row.outcome is None else CallOutcome(row.outcome)
    except ValueError:
        return None


def _text(user_id: uuid.UUID | None) -> str | None:
    return None if user_id is None else str(user_id)


async def _users(s: AsyncSession, logins: Iterable[str]) -> dict[str, uuid.UUID]:
    wanted = sorted(logins)
    if not wanted:
        return {}
    found = await s.execute(
        select(UserRow.login, UserRow.id).where(UserRow.login.in_(wanted))
    )
    return dict(found.all())


def _raw_step(step: CallStep) -> dict[str, Any]:
    raw: dict[str, Any] = {"kind": step.kind.value, "at": step.at.isoformat()}
    for name in ("queue", "agent", "wait_s", "target"):
        value = getattr(step, name)
        if value is not None:
            raw[name] = value
    return raw


def _step(raw: Mapping[str, Any]) -> CallStep:
    return CallStep(
        kind=StepKind(raw["kind"]),
        at=aware(datetime.fromisoformat(raw["at"])),
        queue=raw.get("queue"),
        agent=raw.get("agent"),
        wait_s=raw.get("wait_s"),
        target=raw.get("target"),
    )
