"""The agent desk's pure parts: what the state bar allows in each state, what the
call banner says, the appeal form as the CRM's review of it, the forms as posted,
and words for codes and validators' messages."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from acd.events import CallOffered
from acd.model import AgentId, AgentState, QueueId, TargetKind
from agent_ui import labels
from agent_ui.agent import forms
from agent_ui.agent import views as desk
from agent_ui.agent.controls import DeskState
from agent_ui.views import CallFacts, DeskCall
from crm_core.appeals.attributes import FieldState, Review
from crm_core.appeals.model import (
    AttributeDef,
    AttributeKind,
    Dictionary,
    DictionaryItem,
    Topic,
    TopicId,
)
from crm_core.appeals.service import AppealDraft
from crm_core.errors import FieldError, ValidationFailed
from telephony.model import CallId

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
S = AgentState


def call(*, live: bool = True, ani: str | None = "+74951234567") -> DeskCall:
    offer = CallOffered(
        occurred_at=AT, call_id=CallId("pbx1:1.1"), queue_id=QueueId("billing"),
        agent_id=AgentId("anna"),
    )  # fmt: skip
    facts = CallFacts(call_id="pbx1:1.1", ani=ani, contact_id=str(uuid.uuid4()))
    return DeskCall(offer=offer, facts=facts, live=live)


def state(s: AgentState | None, **more: object) -> DeskState:
    base = DeskState(
        seat=s is not None, state=s, reason="", since=AT, call=call(),
        caller_name=None, held=False, muted=False, consulting=None,
        queues=("billing", "sales"),
    )  # fmt: skip
    return replace(base, **more)  # type: ignore[arg-type]  # fields by name


@pytest.mark.parametrize(
    ("s", "allowed"),
    [
        (S.LOGGED_OUT, {"can_log_in", "can_dial"}),
        (S.READY, {"can_pause", "can_log_out", "can_dial"}),
        (S.PAUSED, {"can_ready", "can_pause", "can_log_out", "can_dial"}),
        (S.RINGING, {"can_pause"}),
        (S.ON_CALL, {"can_pause", "on_call"}),
        (S.WRAP_UP, {"can_pause", "wrap_up", "can_dial"}),
    ],
)
def test_state_bar_allows_what_the_state_allows_when_rendered(
    s: AgentState, allowed: set[str]
) -> None:
    view = desk.state_view(state(s))
    flags = {"can_log_in", "can_ready", "can_pause", "can_log_out", "on_call"}
    flags |= {"wrap_up", "can_dial"}
    assert {f for f in flags if view[f]} == allowed
    assert view["state_label"] == labels.AGENT_STATES[s.value]


def test_state_bar_names_the_pause_reason_in_words_when_paused() -> None:
    view = desk.state_view(state(S.PAUSED, reason="after_call_work"))
    assert view["reason_label"] == "After-call work"
    assert ("billing", "Billing") in view["queues"]


@pytest.mark.parametrize(
    ("s", "live", "held", "kind"),
    [
        (S.RINGING, True, False, "ringing"),
        (S.RESERVED, True, False, "ringing"),
        (S.ON_CALL, True, False, "connected"),
        (S.ON_CALL, True, True, "held"),
        (S.WRAP_UP, False, False, "ended"),
        (S.READY, False, False, "idle"),
        (S.PAUSED, True, False, "idle"),
        (S.RINGING, False, False, "idle"),
    ],
)
def test_banner_says_where_the_call_is_when_the_state_changes(
    s: AgentState, live: bool, held: bool, kind: str
) -> None:
    view = desk.banner_view(state(s, call=call(live=live), held=held))
    assert view["kind"] == kind
    assert view["ringing"] is (kind == "ringing")


def test_banner_names_the_caller_else_the_number_else_unknown_when_ringing() -> None:
    named = desk.banner_view(state(S.RINGING, caller_name="Anna Petrova"))
    assert (named["caller"], named["number"]) == ("Anna Petrova", "+74951234567")
    numbered = desk.banner_view(state(S.RINGING))
    assert (numbered["caller"], numbered["unknown"]) == ("+74951234567", False)
    unknown = desk.banner_view(state(S.RINGING, call=call(ani=None)))
    assert unknown["unknown"] is True
    assert numbered["queue"] == "Billing"


def attr(code: str, kind: AttributeKind, **more: object) -> AttributeDef:
    return AttributeDef(code=code, label=code.title(), kind=kind, **more)  # type: ignore[arg-type]  # flags by name


def draft(states: list[FieldState], errors: list[FieldError]) -> AppealDraft:
    topic = Topic(id=TopicId(uuid.uuid4()), parent_id=None, code="c", name="Complaint")
    tariffs = Dictionary(
        code="tariffs", name="Tariffs",
        items=(DictionaryItem(code="home", label="Home"),
               DictionaryItem(code="old", label="Old", active=False)),
    )  # fmt: skip
    review = Review(states=states, values={}, errors=errors)
    return AppealDraft(
        topic=topic, route=None, review=review, dictionaries={"tariffs": tariffs}
    )


def field(d: AttributeDef, value: object = None, **flags: bool) -> FieldState:
    return FieldState(
        definition=d, value=value,  # type: ignore[arg-type]  # an AttrValue
        required=flags.get("required", False), hidden=flags.get("hidden", False),
        read_only=flags.get("read_only", False),
    )  # fmt: skip


def test_appeal_form_shows_the_crms_states_and_one_fields_problem_when_changed() -> (
    None
):
    states = [
        field(attr("Speed", AttributeKind.DECIMAL), Decimal(100)),
        field(attr("Since", AttributeKind.DATE), required=True),
        field(attr("Secret", AttributeKind.STRING), hidden=True),
        field(attr("Confirmed", AttributeKind.BOOLEAN), False),
        field(attr("Tariff", AttributeKind.DICTIONARY, dictionary_code="tariffs")),
        field(attr("Visit", AttributeKind.DATE), date(2026, 12, 4), read_only=True),
    ]
    errors = [
        FieldError("attributes.Speed", "must be a decimal"),
        FieldError("attributes.Since", "is required"),
        FieldError("topic_id", "has no published route"),
    ]
    form = desk.appeal_form_view(
        draft(states, errors), typed={"attr.Speed": "fast"}, customer_id="",
        description="", shown=desk.Shown(field="Speed"),
    )  # fmt: skip
    by_code = {f["code"]: f for f in form["fields"]}
    assert list(by_code) == ["Speed", "Since", "Confirmed", "Tariff", "Visit"]
    assert (by_code["Speed"]["value"], by_code["Speed"]["error"]) == (
        "fast",
        "Enter a number, such as 12.5.",
    )
    assert by_code["Since"]["required"] is True
    assert by_code["Since"]["error"] is None
    assert (by_code["Confirmed"]["name"], by_code["Confirmed"]["value"]) == (
        "flag.Confirmed",
        "no",
    )
    assert by_code["Tariff"]["options"] == [("home", "Home")]
    assert (by_code["Visit"]["read_only"], by_code["Visit"]["value"]) == (
        True,
        "2026-12-04",
    )
    assert form["savable"] is False
    assert form["topic_error"] == labels.field_problem("has no published route")

    saved = desk.appeal_form_view(
        draft(states, errors), typed={}, customer_id="", description="",
        shown=desk.Shown(all=True),
    )  # fmt: skip
    assert [f["error"] for f in saved["fields"][:2]] == [
        "Enter a number, such as 12.5.",
        "Fill this in.",
    ]


def test_posted_attributes_are_raw_values_when_the_form_is_sent() -> None:
    posted = {
        "topic_id": "x", "attr.Speed": " 500 ", "attr.Since": "",
        "flag.Confirmed": "yes", "flag.Other": "", "description": "slow",
    }  # fmt: skip
    assert forms.appeal_attributes(posted) == {"Speed": "500", "Confirmed": True}
    assert forms.attribute_of("flag.Confirmed") == "Confirmed"
    assert forms.attribute_of("description") is None


@pytest.mark.parametrize(
    ("posted", "target"),
    [
        ({"kind": "queue", "queue": "sales"}, ("queue", "sales")),
        ({"kind": "agent", "agent": "boris"}, ("agent", "boris")),
        (
            {"kind": "number", "number": "+7 (495) 123-45-67"},
            ("number", "+74951234567"),
        ),
    ],
)
def test_transfer_form_names_its_target_when_it_is_sound(
    posted: dict[str, str], target: tuple[str, str]
) -> None:
    found = forms.parsed(forms.TransferForm, posted).target()
    assert (found.kind.value, found.value) == target


@pytest.mark.parametrize(
    ("posted", "field_name"),
    [
        ({"kind": "number", "number": "12ab"}, "number"),
        ({"kind": "agent", "agent": ""}, "agent"),
        ({"kind": "agent", "agent": "two words"}, "agent"),
    ],
)
def test_transfer_form_names_the_bad_field_when_it_is_not(
    posted: dict[str, str], field_name: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        forms.parsed(forms.TransferForm, posted).target()
    assert refused.value.errors[0].field == field_name
    assert TargetKind(field_name)


def test_new_customer_problems_are_named_as_the_form_names_them_when_checked() -> None:
    form = forms.NewCustomerForm(name="", phone="12ab", email="nope")
    problems = {e.field: e.message for e in forms.customer_problems(form, country="RU")}
    assert set(problems) == {"name", "phone", "email"}
    assert labels.field_problem(problems["email"]) == "This is not an e-mail address."
    good = forms.NewCustomerForm(name="Boris", phone="+74951234567")
    assert forms.customer_problems(good, country="RU") == []


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("is required", "Fill this in."),
        ("String should have at most 300 characters", "This is too long."),
        (
            "must be one of the codes of dictionary tariffs",
            "Choose one of the values offered.",
        ),
        ("something nobody foresaw", "This value is not accepted."),
    ],
)
def test_validator_message_becomes_words_when_shown(message: str, words: str) -> None:
    assert labels.field_problem(message) == words


def test_codes_become_words_when_no_table_names_them() -> None:
    assert labels.label(labels.QUEUES, "vip_billing") == "Vip billing"
    assert labels.label(labels.QUEUES, "billing") == "Billing"
    assert labels.cause_label(17, "User busy") == "Line busy"
    assert labels.cause_label(99, "Odd cause") == "Odd cause"
    assert (labels.duration(None), labels.duration(75.4), labels.duration(3725)) == (
        "",
        "1:15",
        "1:02:05",
    )
    assert desk.appeal_number("1a2b3c4d-0000-0000-0000-000000000000") == "1A2B3C4D"
