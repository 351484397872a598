"""The back office's pure parts: the list filters as the search takes them, the
pages of a list, refusals and bulk results in words, ages and sizes, and an
appeal's page (its steps, its form, every step of its history in words)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from agent_ui.agent.registration import TopicMenu
from agent_ui.backoffice import appeal_views, forms
from agent_ui.backoffice import views as office
from agent_ui.backoffice.appeal import AppealPage
from agent_ui.backoffice.worklists import ListPage, Names
from crm_core.appeals import workflow as wf
from crm_core.appeals.actions import allowed
from crm_core.appeals.attributes import FieldState, Review
from crm_core.appeals.model import (
    AppealAction,
    AttributeDef,
    AttributeKind,
    ContactTemplate,
    Dictionary,
    DictionaryItem,
    HistoryEntry,
    Route,
    Stage,
    Topic,
    TopicId,
)
from crm_core.appeals.service import AppealView
from crm_core.auth.directory import Person
from crm_core.errors import FieldError, ValidationFailed
from crm_core.reports.bulk import BulkResult
from crm_core.reports.errors import BadFilter
from crm_core.reports.model import AppealHit, SortOrder
from crm_core.reports.worklists import Worklist
from tests.unit.crm_core.appeals.routes import (
    AGENT,
    NOW,
    ROUTE,
    TECH,
    TOPIC,
    context,
    draft,
)

A = AppealAction


def list_form(**given: str) -> forms.ListForm:
    return forms.ListForm.model_validate(given)


# the list filters ------------------------------------------------------------


def test_filters_become_the_searchs_filter_when_the_form_is_sent() -> None:
    topic = str(uuid.uuid4())
    found = list_form(
        list="all", topic=topic, status="waiting", queue="tech", overdue="yes",
        created_from="2026-01-05", created_to="2026-01-06", text="router",
        attribute="Confirmed", value="yes",
    ).narrowed()  # fmt: skip
    assert found.topic_ids == (uuid.UUID(topic),)
    assert (found.statuses[0].value, found.queues, found.overdue) == (
        "waiting", ("tech",), True,
    )  # fmt: skip
    assert found.created_from == datetime(2026, 1, 5, tzinfo=UTC)
    assert found.created_to == datetime(2026, 1, 7, tzinfo=UTC)  # the day included
    assert (found.attributes[0].code, found.attributes[0].eq) == ("Confirmed", True)
    assert found.sort is SortOrder.CREATED_DESC


def test_work_list_sorts_by_the_nearest_deadline_when_no_order_is_chosen() -> None:
    assert list_form(list="queues").narrowed().sort is SortOrder.DEADLINE_ASC
    chosen = list_form(list="queues", sort="created_desc").narrowed()
    assert chosen.sort is SortOrder.CREATED_DESC


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_from": "2026-02-01", "created_to": "2026-01-01"}, "created_to"),
        ({"status": "lost"}, "status"),
        ({"topic": "not-an-id"}, "topic"),
        ({"attribute": "Speed", "value": "1", "value_to": "5"}, "value"),
    ],
)
def test_bad_filter_is_named_as_the_form_names_it_when_it_cannot_be_used(
    given: dict[str, str], field: str
) -> None:
    with pytest.raises(BadFilter) as caught:
        list_form(**given).narrowed()
    assert field in {e.field for e in caught.value.errors}


def test_pages_go_forward_and_back_when_the_list_is_paged() -> None:
    first = list_form(list="all", text="router")
    pager = office.pager_view(first, "C1")
    assert pager["previous"] is None
    assert pager["page"] == 1
    second = _form_of(pager["next"])
    assert (second.cursor, second.earlier(), second.text) == ("C1", ["-"], "router")
    third = _form_of(office.pager_view(second, "C2")["next"])
    assert (third.cursor, third.earlier()) == ("C2", ["-", "C1"])
    back = office.pager_view(third, None)
    assert back["next"] is None
    assert back["page"] == 3
    assert _form_of(back["previous"]).cursor == "C1"
    assert _form_of(back["first"]).cursor == ""


def _form_of(url: str) -> forms.ListForm:
    query = parse_qs(urlsplit(url).query)
    return list_form(**{k: v[0] for k, v in query.items()})


# lists ---------------------------------------------------------------------------


def hit(**more: object) -> AppealHit:
    base = AppealHit(
        id=uuid.UUID(int=0xABCDEF12 << 96), topic_id=TOPIC, stage="technical_check",
        queue="bis_tech", status=wf.S.WAITING, assignee_id=None,
        customer_id=uuid.UUID(int=9), customer_group=None, description="no internet",
        created_at=NOW - timedelta(hours=5), updated_at=NOW,
        deadline_at=NOW + timedelta(days=1), overdue=False, archived=False,
    )  # fmt: skip
    return replace(base, **more)  # type: ignore[arg-type]  # fields by name


def names() -> Names:
    return Names(
        topics={TOPIC: Topic(id=TOPIC, parent_id=None, code="complaint",
                             name="Complaint")},
        routes=[ROUTE], customers={}, people={},
    )  # fmt: skip


def test_row_shows_names_and_words_when_an_appeal_is_listed() -> None:
    row = office.row_view(hit(), names(), office.stage_names([ROUTE]), now=NOW)
    assert row["number"] == "ABCDEF12"
    assert (row["topic"], row["stage"]) == ("Complaint", "Technical check")
    assert (row["queue"], row["status"]) == ("Business technicians", "Waiting")
    assert row["age"] == ("%(n)s h", 5)
    assert row["deadline"] == "2026-01-06 09:00"
    assert row["waiting"]


def test_closed_appeal_is_not_marked_overdue_when_listed() -> None:
    closed = hit(status=wf.S.CLOSED, overdue=True)
    assert not office.row_view(closed, names(), {}, now=NOW)["overdue"]
    assert office.row_view(hit(overdue=True), names(), {}, now=NOW)["overdue"]


def test_newer_route_versions_name_the_stages_when_both_are_known() -> None:
    renamed = replace(
        ROUTE, version=2,
        stages=(replace(ROUTE.stages[0], name="Intake"), *ROUTE.stages[1:]),
    )  # fmt: skip
    assert office.stage_names([renamed, ROUTE])[(TOPIC, "registration")] == "Intake"


def test_tabs_count_up_to_the_cap_when_a_list_is_long() -> None:
    page = ListPage(
        kind=Worklist.QUEUES, hits=(), next_cursor=None,
        counts={Worklist.MINE: 2, Worklist.QUEUES: 1000, Worklist.OVERDUE: 0},
        names=names(), my_queues=frozenset({"tech"}), assignable=(), attributes=(),
    )  # fmt: skip
    view = office.list_view(page, list_form(list="queues"), now=NOW)
    counts = {t["kind"]: t["count"] for t in view["tabs"]}
    assert counts == {"mine": "2", "queues": "999+", "overdue": "0", "all": ""}
    assert view["filters"]["queues"] == [("tech", "Technicians")]
    assert view["empty"] == "No appeal waits in your queues."


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(0, ("%(n)s min", 0)), (59, ("%(n)s min", 59)), (60, ("%(n)s h", 1)),
     (47 * 60, ("%(n)s h", 47)), (49 * 60, ("%(n)s d", 2))],
)  # fmt: skip
def test_age_is_said_in_minutes_hours_or_days_when_shown(
    minutes: int, words: tuple[str, int]
) -> None:
    assert office.age(NOW - timedelta(minutes=minutes), NOW) == words


# refusals and bulk results --------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("appeal 1 is at version 3; reload it and try again", office.CHANGED_MEANWHILE),
        ("appeal 1 is already taken", "It has been taken already."),
        ("closing is not allowed at stage x", "Its stage does not allow closing."),
        ("2 child appeal(s) are still open", "Its child appeals are still open."),
        ("anna is not a member of queue tech", "You do not work in its queue."),
        (
            "assignee_id: is not a member of queue tech",
            "That person does not work in its queue.",
        ),
        ("something new", office.REFUSED),
    ],
)
def test_refusal_is_said_in_words_when_the_workflow_refuses(
    message: str, words: str
) -> None:
    assert office.refusal(message) == words


def test_bulk_result_says_each_appeals_outcome_when_some_are_refused() -> None:
    one, two = uuid.UUID(int=1 << 100), uuid.UUID(int=2 << 100)
    results = [
        BulkResult(appeal_id=one, ok=True),
        BulkResult(appeal_id=two, ok=False, error_id="conflict",
                   reason="closing is not allowed at stage technical_check"),
    ]  # fmt: skip
    view = office.bulk_view("close", results)
    assert (view["succeeded"], view["total"]) == (1, 2)
    assert [r["said"] for r in view["results"]] == [
        "Closed.", "Its stage does not allow closing.",
    ]  # fmt: skip


def test_selection_is_refused_in_words_when_nothing_is_ticked() -> None:
    with pytest.raises(ValidationFailed) as caught:
        forms.bulk_ids([])
    assert office.errors_view(caught.value.errors) == {
        "appeal": "Tick the appeals first."
    }


# step forms -------------------------------------------------------------------------


def test_deadline_is_read_as_utc_when_typed_without_a_zone() -> None:
    form = forms.DeadlineForm(deadline="2030-01-02T10:30")
    assert form.moment() == datetime(2030, 1, 2, 10, 30, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as caught:
        forms.DeadlineForm(deadline="next week").moment()
    assert office.errors_view(caught.value.errors) == {
        "deadline": "Enter a date and a time."
    }


def test_emptied_field_clears_its_value_when_an_appeal_is_edited() -> None:
    posted = {"attr.Reason": " ", "attr.Speed": "50", "flag.Confirmed": "yes",
              "flag.Urgent": "", "description": "x"}  # fmt: skip
    assert forms.edited_attributes(posted) == {
        "Reason": None, "Speed": "50", "Confirmed": True, "Urgent": None,
    }  # fmt: skip


# the appeal page ----------------------------------------------------------------------

PEOPLE = {
    AGENT.user_id: Person(id=AGENT.user_id, login="anna", name="Anna", active=True),
    TECH.user_id: Person(id=TECH.user_id, login="boris", name="Boris", active=True),
}
TARIFFS = Dictionary(
    code="tariffs", name="Tariffs", items=(DictionaryItem(code="h1", label="Home 1"),)
)


def page(actor_view: AppealView) -> AppealPage:
    return AppealPage(
        view=actor_view, customer=None, attachments=(), contacts=(), people=PEOPLE,
        assignable=(), topic_names={TOPIC: "Complaint"},
        topics=TopicMenu(topics=(), groups={}, default=None,
                         template=ContactTemplate(user_id=TECH.user_id)),
        upload_limit_bytes=25 * 1024 * 1024,
    )  # fmt: skip


def viewed(history: tuple[HistoryEntry, ...] = ()) -> AppealView:
    appeal = draft()
    appeal = wf.start(appeal, ROUTE, AGENT, context(appeal)).appeal
    appeal = wf.take(appeal, ROUTE, AGENT, NOW).appeal
    appeal = wf.pass_on(appeal, ROUTE, AGENT, context(appeal)).appeal
    states = [
        FieldState(definition=AttributeDef(code="Tariff", label="Tariff",
                   kind=AttributeKind.DICTIONARY, dictionary_code="tariffs"),
                   value="h1", required=False, hidden=False, read_only=False),
        FieldState(definition=AttributeDef(code="Confirmed", label="Confirmed",
                   kind=AttributeKind.BOOLEAN), value=True, required=False,
                   hidden=False, read_only=False),
    ]  # fmt: skip
    return AppealView(
        appeal=appeal,
        topic=Topic(id=TopicId(TOPIC), parent_id=None, code="c", name="Complaint"),
        route=ROUTE,
        allowed=allowed(appeal, ROUTE, TECH, context(appeal), open_children=0),
        form=Review(states=states, values={}, errors=[]),
        dictionaries={"tariffs": TARIFFS}, history=history, children=(),
    )  # fmt: skip


def entry(action: AppealAction, comment: str = "", **more: object) -> HistoryEntry:
    base = HistoryEntry(
        at=NOW, actor_id=TECH.user_id, actor_login="boris", action=action,
        to_stage="technical_check", to_queue="tech", from_queue="tech",
        comment=comment,
    )  # fmt: skip
    return replace(base, **more)  # type: ignore[arg-type]  # fields by name


def test_page_offers_the_steps_of_the_workflow_when_a_member_looks() -> None:
    view = appeal_views.appeal_view(page(viewed()), me=TECH.user_id, now=NOW)
    steps = view["steps"]
    assert steps["take"]
    assert (steps["close"], steps["reject"], steps["moves"]) == (False, False, [])
    assert view["stage"] == "Technical check"
    assert view["owner"] == ""
    assert view["upload_limit_words"] == ("%(n)s MB", 25)


def test_form_that_failed_keeps_what_was_typed_when_it_is_shown_again() -> None:
    failed = appeal_views.Active(
        form="reject", typed={"comment": "  "}, errors={"comment": "Fill this in."}
    )
    view = appeal_views.appeal_view(
        page(viewed()), me=TECH.user_id, now=NOW, active=failed
    )
    steps = view["steps"]
    assert (steps["active"], steps["typed"], steps["errors"]) == (
        "reject", {"comment": "  "}, {"comment": "Fill this in."},
    )  # fmt: skip


def test_values_read_as_words_when_the_appeal_cannot_be_edited() -> None:
    fields = appeal_views.appeal_view(page(viewed()), me=TECH.user_id, now=NOW)[
        "attributes"
    ]["fields"]
    assert [f["shown_value"] for f in fields] == [("Home 1", False), ("Yes", True)]


@pytest.mark.parametrize(
    ("step", "what", "args", "note"),
    [
        (entry(A.CREATE, to_stage="registration"), "Registered at %(stage)s",
         {"stage": "Registration"}, ""),
        (entry(A.ASSIGN, "please", to_assignee_id=AGENT.user_id),
         "Given to %(person)s", {"person": "Anna"}, "please"),
        (entry(A.REJECT, "needs a photo", to_stage="registration"),
         "Returned to %(stage)s", {"stage": "Registration"}, "needs a photo"),
        (entry(A.SET_DEADLINE, "deadline 2030-01-02T10:30:00+00:00: asked"),
         "Deadline moved to %(when)s", {"when": "2030-01-02 10:30"}, "asked"),
        (entry(A.ATTACH, "scan (1).pdf (2048 bytes)"), "File attached: %(name)s",
         {"name": "scan (1).pdf"}, ""),
        (entry(A.OVERDUE), "Became overdue", {}, ""),
    ],
)  # fmt: skip
def test_each_step_is_said_in_words_when_the_history_is_shown(
    step: HistoryEntry, what: str, args: dict[str, object], note: str
) -> None:
    shown = appeal_views.entry_view(step, ROUTE, PEOPLE, {})
    assert (shown["what"], shown["args"], shown["note"]) == (what, args, note)
    assert shown["who"] == "Boris"


def test_edit_names_the_fields_changed_when_the_history_is_shown() -> None:
    step = entry(A.EDIT, "changed description, Speed, Gone")
    shown = appeal_views.entry_view(step, ROUTE, PEOPLE, {"Speed": "Speed, Mbit/s"})
    assert shown["what"] == "Changed"
    assert shown["changed"] == [
        ("description", True), ("Speed, Mbit/s", False), ("Gone", False),
    ]  # fmt: skip


def test_the_system_is_named_when_it_took_a_step() -> None:
    step = entry(A.OVERDUE, actor_id=uuid.UUID(int=0), actor_login="system")
    shown = appeal_views.entry_view(step, ROUTE, PEOPLE, {})
    assert (shown["who"], shown["by_system"]) == ("", True)


def test_history_is_newest_first_when_the_page_shows_it() -> None:
    steps = (entry(A.CREATE), entry(A.TAKE, at=NOW + timedelta(minutes=1)))
    shown = appeal_views.appeal_view(page(viewed(steps)), me=TECH.user_id, now=NOW)
    assert [e["what"] for e in shown["history"]] == ["Taken", "Registered at %(stage)s"]


def test_unknown_stage_is_shown_readable_when_a_route_lost_it() -> None:
    stage = Stage(code="x", name="X", queues=ROUTE.stages[0].queues)
    route = Route(id=ROUTE.id, topic_id=TOPIC, version=1, name="r", stages=(stage,))
    shown = appeal_views.entry_view(
        entry(A.FORWARD, to_stage="old_step"), route, {}, {}
    )
    assert shown["args"] == {"stage": "Old step"}
    assert shown["who"] == "boris"


def test_field_error_words_come_from_the_catalogue_when_a_step_is_refused() -> None:
    errors = [FieldError("comment", "a reason is required")]
    assert office.errors_view(errors) == {"comment": "Fill this in."}
