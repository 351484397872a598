"""The demo's past week: a newcomer's reports have lines from the first start (queues,
agents by name, appeals by topic and operator, repeats, missed deadlines), and a
second start adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from acd.model import AgentId
from acd.reporting import AcdReports
from acd.reports import Step
from acd.tables import SqlIntervalStore
from contactcentre.demo import seed_demo, with_demo_seats
from contactcentre.demo_history import seed_history
from contactcentre.settings import load_settings
from crm_core.appeals.tables import AppealRow
from crm_core.auth.model import system_actor
from crm_core.customers.tables import ContactRow
from crm_core.db import Sessions
from crm_core.reports.reports import ReportService
from tests.fakes import FakeClock

NOW = datetime(2026, 12, 10, 14, 7, tzinfo=UTC)  # a Thursday
WEEK_AGO = datetime(2026, 12, 3, tzinfo=UTC)


@pytest.mark.timeout(180)
async def test_reports_have_lines_when_the_demo_starts_for_the_first_time(
    sessions: Sessions,
) -> None:
    settings = with_demo_seats(load_settings(simulator={"agents": 4}))
    clock = FakeClock(now_=NOW)
    await seed_demo(sessions, clock, "demo-password-1")
    await seed_history(sessions, settings, clock)
    actor = system_actor()

    acd = AcdReports(SqlIntervalStore(sessions))
    queues = await acd.queues(actor, since=WEEK_AGO, until=NOW, step=Step.DAY, zone=UTC)
    assert {row[0] for row in queues.rows} == {"billing", "support", "sales", "general"}
    assert all(isinstance(row[2], int) and row[2] > 0 for row in queues.rows)
    agents = await acd.agents(
        actor, since=WEEK_AGO, until=NOW, agent_id=AgentId("sim-1001")
    )
    assert [row[0] for row in agents.rows] == ["sim-1001"]
    crm = ReportService(sessions, clock)
    assert (await crm.names(actor, ["sim-1001"])) == {"sim-1001": "Irina Sokolova"}

    by_topic = await crm.by_topic(actor, since=WEEK_AGO, until=NOW)
    assert {row[0] for row in by_topic.rows} == {"complaint", "termination"}
    operators = await crm.by_operator(actor, since=WEEK_AGO, until=NOW)
    assert {"agent", "agent2", "backoffice"} <= {row[0] for row in operators.rows}
    repeats = await crm.repeats(actor, since=WEEK_AGO, until=NOW, within_days=30)
    assert repeats.rows
    breaches = await crm.sla_breaches(actor, since=WEEK_AGO, until=NOW)
    deadlines = [row[6] for row in breaches.rows if isinstance(row[6], datetime)]
    assert deadlines
    assert max(deadlines) < NOW

    counts = await _counts(sessions)
    await seed_history(sessions, settings, FakeClock(now_=NOW + timedelta(days=1)))
    assert await _counts(sessions) == counts


async def _counts(sessions: Sessions) -> tuple[int | None, int | None]:
    async with sessions() as s:
        contacts = await s.scalar(select(func.count()).select_from(ContactRow))
        appeals = await s.scalar(select(func.count()).select_from(AppealRow))
    return contacts, appeals


def test_the_demo_history_follows_the_centre_calendar_when_a_zone_is_set() -> None:
    settings = load_settings(time_zone="Europe/Moscow")
    assert ZoneInfo(settings.time_zone).key == "Europe/Moscow"
    with pytest.raises(Exception, match="no time zone 'Mars/Olympus'"):
        load_settings(time_zone="Mars/Olympus")
