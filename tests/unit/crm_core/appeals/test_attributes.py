"""Attribute definitions in effect and validation of appeal attribute values."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm_core.appeals.attributes import (
    check_definition,
    decode,
    definitions_in_effect,
    encode,
    form_state,
    validate,
)
from crm_core.appeals.model import (
    AttributeDef,
    AttributeKind,
    AttrValue,
    Dictionary,
    DictionaryItem,
    Topic,
    TopicId,
)
from crm_core.appeals.workflow import rule_schema
from crm_core.errors import ValidationFailed
from crm_core.rules.evaluator import EvalContext

K = AttributeKind
INTERNET = TopicId(uuid.UUID(int=1))
COMPLAINT = TopicId(uuid.UUID(int=2))
TOPICS = {
    INTERNET: Topic(id=INTERNET, parent_id=None, code="internet", name="Internet",
                    is_group=True),
    COMPLAINT: Topic(id=COMPLAINT, parent_id=INTERNET, code="complaint",
                     name="Complaint"),
}  # fmt: skip
SPEED = AttributeDef(
    code="Speed", label="Speed", kind=K.DECIMAL, default_value=Decimal(100)
)
TARIFF = AttributeDef(
    code="Tariff", label="Tariff", kind=K.DICTIONARY, dictionary_code="tariffs"
)
SINCE = AttributeDef(code="Since", label="Broken since", kind=K.DATE, required=True)
VISIT = AttributeDef(
    code="VisitBy", label="Visit by", kind=K.DATE, default_rule="today() + 3",
    read_only=True,
)  # fmt: skip
ROUTER = AttributeDef(
    code="Router", label="Router model", kind=K.STRING, required=True,
    required_when='Customer.Category = "BIS"',
)  # fmt: skip
OLD = AttributeDef(code="Modem", label="Modem", kind=K.STRING, active=False)
DECLARED = {INTERNET: [SPEED, TARIFF], COMPLAINT: [SINCE, VISIT, ROUTER, OLD]}
DEFS = definitions_in_effect(COMPLAINT, TOPICS, DECLARED)
DICTIONARIES = {
    "tariffs": Dictionary(
        code="tariffs", name="Tariffs",
        items=(DictionaryItem(code="home100", label="Home 100"),
               DictionaryItem(code="legacy", label="Legacy", active=False)),
    )
}  # fmt: skip


def ctx(category: str = "mass") -> EvalContext:
    return EvalContext(
        fields={"Customer": {"Category": category}, "Appeal": {}},
        today=date(2026, 1, 5),
        now=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )


def check(
    given: dict[str, object],
    category: str = "mass",
    previous: dict[str, AttrValue] | None = None,
) -> dict[str, AttrValue]:
    return validate(
        DEFS, given, context=ctx(category), dictionaries=DICTIONARIES, previous=previous
    )


def errors_of(given: dict[str, object], category: str = "mass") -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        check(given, category)
    return {e.field: e.message for e in caught.value.errors}


def test_group_attributes_apply_to_topic_when_in_effect() -> None:
    assert [d.code for d in DEFS] == [
        "Speed",
        "Tariff",
        "Since",
        "VisitBy",
        "Router",
        "Modem",
    ]


def test_lower_declaration_replaces_group_one_when_codes_match() -> None:
    own = AttributeDef(code="Speed", label="Own speed", kind=K.STRING)
    merged = definitions_in_effect(COMPLAINT, TOPICS, {**DECLARED, COMPLAINT: [own]})
    assert [(d.code, d.label) for d in merged] == [
        ("Tariff", "Tariff"), ("Speed", "Own speed"),
    ]  # fmt: skip


def test_defaults_are_filled_when_values_are_missing() -> None:
    values = check({"Since": "2026-01-01", "Speed": "50.5", "Tariff": "home100"})
    assert values == {
        "Since": date(2026, 1, 1),
        "Speed": Decimal("50.5"),
        "Tariff": "home100",
        "VisitBy": date(2026, 1, 8),
    }
    assert check({"Since": "2026-01-01"})["Speed"] == Decimal(100)


def test_every_bad_field_is_named_when_values_have_wrong_types() -> None:
    assert errors_of(
        {"Since": "yesterday", "Speed": "fast", "Tariff": "legacy", "Colour": "red"}
    ) == {
        "attributes.Since": "must be a date (YYYY-MM-DD)",
        "attributes.Speed": "must be a decimal",
        "attributes.Tariff": "must be one of the codes of dictionary tariffs",
        "attributes.Colour": "no such attribute for this topic",
    }


def test_missing_required_attribute_is_refused_when_creating() -> None:
    assert errors_of({}) == {"attributes.Since": "is required"}


def test_conditional_requirement_applies_when_its_rule_holds() -> None:
    assert errors_of({"Since": "2026-01-01"}, "BIS") == {
        "attributes.Router": "is required"
    }
    assert check({"Since": "2026-01-01", "Router": "Zyxel"}, "BIS")["Router"] == "Zyxel"


def test_read_only_attribute_is_refused_when_given_a_different_value() -> None:
    assert errors_of({"Since": "2026-01-01", "VisitBy": "2026-02-01"}) == {
        "attributes.VisitBy": "is read-only"
    }


def test_inactive_attribute_is_refused_on_new_appeal_when_given() -> None:
    assert errors_of({"Since": "2026-01-01", "Modem": "x"}) == {
        "attributes.Modem": "is no longer offered on new appeals"
    }


def test_inactive_value_is_kept_when_old_appeal_is_edited() -> None:
    previous: dict[str, AttrValue] = {"Since": date(2026, 1, 1), "Modem": "ZTE"}
    values = check({"Speed": 20}, previous=previous)
    assert values == {"Since": date(2026, 1, 1), "Modem": "ZTE", "Speed": Decimal(20)}


def test_boolean_and_string_types_are_enforced_when_validating() -> None:
    flags = [
        AttributeDef(code="Urgent", label="Urgent", kind=K.BOOLEAN),
        AttributeDef(code="Note", label="Note", kind=K.STRING),
    ]
    with pytest.raises(ValidationFailed) as caught:
        validate(flags, {"Urgent": "yes", "Note": 5}, context=ctx(), dictionaries={})
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("attributes.Urgent", "must be true or false"),
        ("attributes.Note", "must be a string"),
    ]


def test_hidden_flag_follows_its_rule_when_form_is_built() -> None:
    hidden = AttributeDef(
        code="Port", label="Port", kind=K.STRING, hidden=True,
        hidden_when="Appeal.Attr.Speed < 10",
    )  # fmt: skip
    states = form_state([SPEED, hidden], {"Speed": Decimal(5)}, ctx())
    assert [s.hidden for s in states] == [False, True]
    states = form_state([SPEED, hidden], {"Speed": Decimal(50)}, ctx())
    assert [s.hidden for s in states] == [False, False]


def test_values_round_trip_when_encoded_and_decoded() -> None:
    values = check({"Since": "2026-01-01", "Tariff": "home100"})
    stored = {k: encode(v) for k, v in values.items()}
    assert stored["Since"] == "2026-01-01"
    assert decode(DEFS, stored) == values


def test_definition_rule_errors_name_field_and_position_when_checked() -> None:
    bad = AttributeDef(
        code="X", label="X", kind=K.STRING, required=True,
        required_when="Customer.Category = ", hidden_when="Appeal.Attr.Nope = 1",
    )  # fmt: skip
    errors = check_definition(bad, rule_schema(DEFS))
    assert [e.field for e in errors] == ["required_when", "hidden_when"]
    assert errors[0].message.startswith("1:21: expected a value")
    assert "unknown field Appeal.Attr.Nope" in errors[1].message
