"""The reports page's pure parts: which reports a role may run, the filter form
read and checked, and a report's table as people read it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from acd.reports import QUEUE_COLUMNS, Step
from agent_ui.reports import catalogue
from agent_ui.reports.forms import NOT_OFFERED, Offered, ReportForm, parse, query_of
from agent_ui.reports.views import (
    NOTHING,
    page_rows,
    pages,
    period_words,
    sheet,
    shown,
    topic_choices,
)
from crm_core.appeals.model import Topic, TopicId
from crm_core.auth.model import ROLE_PERMISSIONS, Actor, Role
from crm_core.reports.model import Column, Table
from crm_core.reports.periods import Period, PeriodChoice

MOSCOW = ZoneInfo("Europe/Moscow")
TOPIC = uuid.uuid4()
WALL_CLOCK_9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).replace(tzinfo=None)
"""9:00 on the centre's clock (a naive time, as the page and the files show it)."""
OFFERED = Offered(topics={TOPIC}, groups={"vip"}, queues={"billing"}, agents={"anna"})


def actor(role: Role) -> Actor:
    return Actor(
        user_id=uuid.uuid4(), login="x", role=role, permissions=ROLE_PERMISSIONS[role]
    )


@pytest.mark.parametrize(
    ("role", "keys"),
    [
        (Role.MARKETING,
         ["by-topic", "by-operator", "repeats", "sla-breaches", "queues"]),
        (Role.SUPERVISOR, [r.key for r in catalogue.REPORTS]),
        (Role.AGENT, []),
    ],
)  # fmt: skip
def test_each_role_is_offered_the_reports_of_its_rights(
    role: Role, keys: list[str]
) -> None:
    assert [r.key for r in catalogue.offered(actor(role))] == keys


def test_filters_are_read_when_they_hold() -> None:
    parsed = parse(
        {"period": "last_7_days", "topic": str(TOPIC), "group": "vip", "page": "2",
         "queue": "nowhere"},  # not a filter of this report: not looked at
        catalogue.BY_TOPIC, OFFERED,
    )  # fmt: skip
    assert parsed.errors == {}
    assert parsed.form is not None
    assert (parsed.form.topic, parsed.form.group, parsed.form.page) == (TOPIC, "vip", 2)


@pytest.mark.parametrize(
    ("query", "report", "errors"),
    [
        ({"topic": str(uuid.uuid4())}, catalogue.BY_TOPIC, {"topic": NOT_OFFERED}),
        ({"topic": "soon"}, catalogue.REPEATS, {"topic": NOT_OFFERED}),
        ({"group": "moon"}, catalogue.SLA_BREACHES, {"group": NOT_OFFERED}),
        ({"queue": "nowhere"}, catalogue.QUEUES, {"queue": NOT_OFFERED}),
        ({"agent": "ghost"}, catalogue.AGENTS, {"agent": NOT_OFFERED}),
        ({"within_days": "0"}, catalogue.REPEATS,
         {"within_days": "This number is too small."}),
        ({"within_days": "a week"}, catalogue.REPEATS,
         {"within_days": "Enter a whole number."}),
        ({"period": "custom", "date_from": "2026-01-09", "date_to": "2026-01-02"},
         catalogue.QUEUES, {"date_to": "The period ends before it starts."}),
        ({"period": "custom", "date_from": "9 Jan"}, catalogue.QUEUES,
         {"date_from": "Enter a date.", "date_to": "Fill this in."}),
        ({"step": "minute"}, catalogue.QUEUES,
         {"step": "Choose one of the values offered."}),
    ],
)  # fmt: skip
def test_a_wrong_filter_is_said_per_field_when_the_form_is_read(
    query: dict[str, str], report: catalogue.Report, errors: dict[str, str]
) -> None:
    parsed = parse(query, report, OFFERED)
    assert parsed.form is None
    assert parsed.errors == errors
    assert parsed.values == query  # shown again as sent


def test_links_keep_only_the_filters_of_the_report_when_made() -> None:
    form = ReportForm(
        period=PeriodChoice.CUSTOM, date_from=date(2026, 1, 2),
        date_to=date(2026, 1, 9), topic=TOPIC, queue="billing", step=Step.HOUR,
    )  # fmt: skip
    assert query_of(form, catalogue.QUEUES, page="3") == {
        "period": "custom", "date_from": "2026-01-02", "date_to": "2026-01-09",
        "queue": "billing", "step": "hour", "page": "3",
    }  # fmt: skip
    assert query_of(ReportForm(topic=TOPIC), catalogue.BY_TOPIC) == {
        "period": "today", "topic": str(TOPIC)
    }  # fmt: skip


def _words(message: str) -> str:
    return {"Billing": "Расчёты", "Waiting": "Ждёт", "Queue": "Очередь"}.get(
        message, message
    )


def test_queue_lines_show_words_durations_shares_and_local_times_when_made() -> None:
    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    row = ("billing", start, 10, 8, 1, 0, 1, 0, 0.75, 1 / 9, 12.4, 40.0, 8,
           185.5, None)  # fmt: skip
    table = Table(title="Queues", columns=QUEUE_COLUMNS, rows=(row,))
    form = ReportForm(step=Step.QUARTER)
    found = sheet(
        catalogue.QUEUES, form, table, names={}, translate=_words, zone=MOSCOW
    )
    assert found.headings[:2] == ("Очередь", "From")
    assert found.rows == ((
        "Расчёты", WALL_CLOCK_9, 10, 8, 1, 0, 1, 0, Decimal("75.0"),
        Decimal("11.1"), timedelta(seconds=12), timedelta(seconds=40), 8,
        timedelta(seconds=186), None,
    ),)  # fmt: skip
    assert [shown(c) for c in found.rows[0][8:]] == [
        "75.0", "11.1", "0:12", "0:40", "8", "3:06", NOTHING
    ]  # fmt: skip
    assert found.styles[:3] == ("", "when", "num")

    daily = sheet(catalogue.QUEUES, ReportForm(step=Step.DAY), table, names={},
                  translate=_words, zone=MOSCOW)  # fmt: skip
    assert daily.rows[0][1] == date(2026, 1, 5)
    whole = sheet(catalogue.QUEUES, ReportForm(step=Step.PERIOD), table, names={},
                  translate=_words, zone=MOSCOW)  # fmt: skip
    assert "From" not in whole.headings
    assert len(whole.rows[0]) == len(catalogue.QUEUES.columns) - 1


def test_missed_deadlines_show_numbers_names_and_fallbacks_when_made() -> None:
    appeal_id = uuid.UUID("1a2b3c4d-0000-0000-0000-000000000000")
    names = ("appeal_id", "topic", "stage", "queue", "status", "assignee",
             "deadline_at", "late_s", "topic_name", "stage_name",
             "assignee_name")  # fmt: skip
    table = Table(
        title="SLA breaches",
        columns=tuple(Column(name=n, label=n) for n in names),
        rows=((appeal_id, "complaint", "intake", "front", "waiting", None,
               datetime(2026, 1, 5, 9, tzinfo=UTC), 5400, "Complaint", None, None),),
    )  # fmt: skip
    found = sheet(catalogue.SLA_BREACHES, ReportForm(), table, names={},
                  translate=_words, zone=UTC)  # fmt: skip
    assert found.rows == ((
        "1A2B3C4D", "Complaint", "intake", "front", "Ждёт", None,
        WALL_CLOCK_9, timedelta(seconds=5400),
    ),)  # fmt: skip


def test_agents_are_named_when_their_names_are_known() -> None:
    table = Table(
        title="Pauses",
        columns=tuple(
            Column(name=c.source, label="") for c in catalogue.PAUSES.columns
        ),
        rows=(("anna", "lunch", 1, 1800.0, 1800.0), ("sim-1001", "odd_reason", 2,
              60.0, 30.0)),
    )  # fmt: skip
    found = sheet(catalogue.PAUSES, ReportForm(), table, names={"anna": "Anna K."},
                  translate=_words, zone=UTC)  # fmt: skip
    assert [row[:2] for row in found.rows] == [
        ("Anna K.", "Lunch"), ("sim-1001", "Odd reason")
    ]  # fmt: skip


def test_pages_hold_fifty_lines_and_the_last_one_the_rest_when_cut() -> None:
    rows = list(range(120))
    assert pages(120) == 3
    assert pages(0) == 1
    assert page_rows(rows, 3) == rows[100:]
    assert page_rows(rows, 9) == rows[100:]  # past the end: the last page


def test_topics_come_below_their_group_when_offered() -> None:
    group = Topic(id=TopicId(uuid.uuid4()), parent_id=None, code="net", name="Internet",
                  is_group=True)  # fmt: skip
    topics = [
        Topic(
            id=TopicId(uuid.uuid4()), parent_id=group.id, code="t", name="Termination"
        ),
        Topic(id=TopicId(uuid.uuid4()), parent_id=None, code="b", name="Billing"),
        Topic(id=TopicId(uuid.uuid4()), parent_id=group.id, code="c", name="Complaint"),
        group,
    ]
    assert [words for _, words in topic_choices(topics)] == [
        "Billing", "Internet", "\u2003Complaint", "\u2003Termination"
    ]  # fmt: skip


def test_the_period_is_said_in_the_language_when_shown() -> None:
    period = Period(
        since=datetime(2026, 12, 7, tzinfo=UTC),
        until=datetime(2026, 12, 14, tzinfo=UTC),
        first_day=date(2026, 12, 7), last_day=date(2026, 12, 13),
    )  # fmt: skip
    assert period_words(period, "en") == "7 December 2026 \u2013 13 December 2026"
    assert period_words(period, "ru") == "7 декабря 2026 \u2013 13 декабря 2026"
