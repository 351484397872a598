"""Reports on SQLite and PostgreSQL, each on a small data set with exact figures."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from crm_core.appeals.tables import AppealRow
from crm_core.auth.model import Role, system_actor
from crm_core.db import Sessions
from crm_core.errors import Forbidden
from crm_core.reports.errors import BadFilter
from crm_core.reports.reports import ReportScope, ReportService
from tests.fakes import FakeClock
from tests.integration.crm_core.reports.world import (
    DAY,
    HOUR,
    T0,
    add,
    appeal,
    build,
    step,
)

WEEK = 7 * DAY


async def test_by_topic_counts_open_closed_and_overdue_when_created_in_the_period(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    await add(sessions, [
        appeal(w, created_at=T0),
        appeal(w, created_at=T0 + HOUR, status="closed"),
        appeal(w, created_at=T0 + 2 * HOUR, status="in_progress", overdue=True),
        appeal(w, created_at=T0 + 3 * HOUR, customer_group="vip"),
        appeal(w, created_at=T0 - DAY),
        appeal(w, topic_id=w.termination, created_at=T0 + DAY, status="closed",
               overdue=True, archived=True),
    ])  # fmt: skip
    reports = ReportService(sessions, FakeClock())
    table = await reports.by_topic(w.actor(), since=T0, until=T0 + WEEK)
    assert [c.name for c in table.columns] == [
        "topic", "name", "total", "open", "closed", "overdue"
    ]  # fmt: skip
    assert table.rows == (
        ("complaint", "Complaint", 4, 3, 1, 1),
        ("termination", "Termination", 1, 0, 1, 1),
    )
    limited = w.actor(groups=frozenset({""}))
    seen = await reports.by_topic(limited, since=T0, until=T0 + WEEK)
    assert seen.rows[0] == ("complaint", "Complaint", 3, 2, 1, 1)


async def test_by_operator_counts_handled_closed_and_average_time_when_in_period(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    ann, bob = w.users["ann"], w.users["bob"]
    a1, a2, a3, t1 = (
        appeal(w, created_at=T0),
        appeal(w, created_at=T0 + HOUR, status="closed"),
        appeal(w, created_at=T0 + 2 * HOUR),
        appeal(w, topic_id=w.termination, created_at=T0 + DAY, status="closed"),
    )
    await add(sessions, [a1, a2, a3, t1])
    async with sessions.begin() as s:
        s.add_all([
            step(a1.id, ann, "take", T0 + HOUR),
            step(a2.id, ann, "close", T0 + 5 * HOUR),
            step(a3.id, ann, "forward", T0 + 3 * HOUR),
            step(a3.id, ann, "edit", T0 + 4 * HOUR),
            step(t1.id, ann, "close", T0 + DAY + 2 * HOUR),
            step(a1.id, bob, "take", T0 - HOUR),
            step(a3.id, bob, "create", T0 + 2 * HOUR),
            step(a3.id, system_actor().user_id, "overdue", T0 + 3 * HOUR),
        ])  # fmt: skip
    reports = ReportService(sessions, FakeClock())
    table = await reports.by_operator(w.actor(), since=T0, until=T0 + WEEK)
    assert table.rows == (
        ("ann", "Ann", 4, 2, 10_800),
        ("bob", "Bob", 0, 0, None),
    )


async def test_repeats_counts_returns_within_the_window_when_customers_come_back(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    iv, pe, si = (w.customers[n] for n in ("Ivanov", "Petrov", "Sidorov"))

    def at(customer: uuid.UUID | None, moment: datetime, **more: object) -> AppealRow:
        return appeal(w, customer_id=customer, created_at=moment, **more)

    await add(sessions, [
        at(iv, T0 - 3 * DAY), at(iv, T0 + DAY), at(iv, T0 + 10 * DAY),
        at(iv, T0 + 12 * DAY), at(iv, T0 + 2 * DAY, topic_id=w.termination),
        at(pe, T0 + 5 * DAY), at(pe, T0 + 12 * DAY),
        at(si, T0 - DAY), at(si, T0 - 20 * HOUR), at(si, T0 + 20 * DAY),
        at(si, T0 + 28 * DAY), at(None, T0), at(None, T0 + HOUR),
    ])  # fmt: skip
    reports = ReportService(sessions, FakeClock())
    table = await reports.repeats(
        w.actor(), since=T0, until=T0 + 30 * DAY, within_days=7
    )
    assert table.rows == (
        ("Ivanov", "complaint", 3, 2, T0 + 12 * DAY, iv, "Complaint"),
        ("Petrov", "complaint", 2, 1, T0 + 12 * DAY, pe, "Complaint"),
    )
    with pytest.raises(BadFilter) as bad:
        await reports.repeats(w.actor(), since=T0, until=T0 + DAY, within_days=0)
    assert bad.value.errors[0].field == "within_days"


async def test_sla_breaches_lists_missed_deadlines_by_lateness_when_in_period(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    ann = w.users["ann"]
    late_open = appeal(w, deadline_at=T0 + 2 * HOUR, assignee_id=ann)
    late_closed = appeal(w, deadline_at=T0 + HOUR, status="closed", stage="done",
                         closed_at=T0 + timedelta(minutes=90))  # fmt: skip
    await add(sessions, [
        late_open, late_closed,
        appeal(w, deadline_at=T0 + 3 * HOUR, status="closed", closed_at=T0 + HOUR),
        appeal(w, deadline_at=T0 + 11 * HOUR),
        appeal(w, deadline_at=T0 - HOUR),
        appeal(w, deadline_at=None),
    ])  # fmt: skip
    clock = FakeClock(now_=T0 + 10 * HOUR)
    table = await ReportService(sessions, clock).sla_breaches(
        w.actor(), since=T0, until=T0 + DAY
    )
    assert table.rows == (
        (late_open.id, "complaint", "intake", "front", "waiting", "ann",
         T0 + 2 * HOUR, 28_800, "Complaint", "Intake", "Ann"),
        (late_closed.id, "complaint", "done", "front", "closed", None,
         T0 + HOUR, 1_800, "Complaint", "Done", None),
    )  # fmt: skip


async def test_reports_are_refused_when_the_period_or_the_right_is_wrong(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    reports = ReportService(sessions, FakeClock())
    with pytest.raises(BadFilter) as backwards:
        await reports.by_topic(w.actor(), since=T0, until=T0)
    assert backwards.value.errors[0].field == "since"
    with pytest.raises(BadFilter) as naive:
        await reports.sla_breaches(
            w.actor(), since=T0.replace(tzinfo=None), until=T0 + DAY
        )
    assert naive.value.errors[0].field == "since"
    with pytest.raises(Forbidden):
        await reports.by_operator(w.actor("ann", Role.AGENT), since=T0, until=T0 + DAY)


async def test_reports_count_only_the_scope_when_topics_or_groups_are_chosen(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    await add(sessions, [
        appeal(w, created_at=T0, customer_group="vip"),
        appeal(w, created_at=T0 + HOUR, customer_group="mass"),
        appeal(w, topic_id=w.termination, created_at=T0, customer_group="vip"),
        appeal(w, topic_id=w.other, created_at=T0, customer_group="vip"),
    ])  # fmt: skip
    reports = ReportService(sessions, FakeClock())
    period = {"since": T0, "until": T0 + DAY}  # both datetimes

    internet = ReportScope(topic_ids=(w.group,))  # the group: both topics below it
    table = await reports.by_topic(w.actor(), **period, scope=internet)
    assert [row[0] for row in table.rows] == ["complaint", "termination"]
    vip = ReportScope(topic_ids=(w.complaint,), customer_groups=("vip",))
    table = await reports.by_topic(w.actor(), **period, scope=vip)
    assert [row[:3] for row in table.rows] == [("complaint", "Complaint", 1)]

    unknown = ReportScope(topic_ids=(uuid.uuid4(),))
    with pytest.raises(BadFilter) as bad:
        await reports.sla_breaches(w.actor(), **period, scope=unknown)
    assert bad.value.errors[0].field == "topic_ids[0]"


async def test_choices_offer_the_topics_and_the_groups_the_actor_sees(
    sessions: Sessions,
) -> None:
    w = await build(sessions)
    reports = ReportService(sessions, FakeClock())

    everything = await reports.choices(w.actor())
    assert everything.customer_groups == ("mass", "vip")
    assert {t.code for t in everything.topics} == {
        "internet", "complaint", "termination", "billing"
    }  # fmt: skip
    limited = await reports.choices(w.actor(groups=frozenset({"mass"})))
    assert limited.customer_groups == ("mass",)
    names = await reports.names(w.actor(), ["ann", "bob", "nobody"])
    assert names == {"ann": "Ann", "bob": "Bob"}
