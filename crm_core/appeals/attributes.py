"""Attribute definitions in effect for a topic and validation of appeal attribute values
against them (C3). Pure: one FieldError per bad field, defaults filled, read-only
refused, required enforced when its condition holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from crm_core.appeals.model import (
    AttributeDef,
    AttributeKind,
    AttrValue,
    Dictionary,
    Topic,
    TopicId,
)
from crm_core.errors import FieldError, ValidationFailed
from crm_core.rules.errors import RuleError
from crm_core.rules.evaluator import EvalContext
from crm_core.rules.model import Schema, ValueType
from crm_core.rules.rule import compile_rule

K = AttributeKind


def lineage(topic_id: TopicId, topics: Mapping[TopicId, Topic]) -> list[Topic]:
    """The topic and its groups, root first."""
    chain: list[Topic] = []
    current: TopicId | None = topic_id
    while current is not None and len(chain) <= len(topics):
        topic = topics[current]
        chain.append(topic)
        current = topic.parent_id
    return chain[::-1]


def definitions_in_effect(
    topic_id: TopicId,
    topics: Mapping[TopicId, Topic],
    declared: Mapping[TopicId, Sequence[AttributeDef]],
) -> list[AttributeDef]:
    """Every attribute a topic has: its groups' first (root first), then its own; a
    lower declaration of the same code replaces the higher one."""
    merged: dict[str, AttributeDef] = {}
    for topic in lineage(topic_id, topics):
        for definition in declared.get(topic.id, ()):
            merged.pop(definition.code, None)
            merged[definition.code] = definition
    return list(merged.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldState:
    """How a form shows one attribute for the values at hand."""

    definition: AttributeDef
    value: AttrValue
    required: bool
    hidden: bool
    read_only: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    """What a form shows for raw input: each field's state with the values as
    they would be stored, and the problems (empty when the input may be saved)."""

    states: list[FieldState]
    values: dict[str, AttrValue]
    errors: list[FieldError]


def validate(
    definitions: Sequence[AttributeDef],
    given: Mapping[str, object],
    *,
    context: EvalContext,
    dictionaries: Mapping[str, Dictionary],
    previous: Mapping[str, AttrValue] | None = None,
) -> dict[str, AttrValue]:
    """The attribute values to store, or ValidationFailed listing every bad field.

    `given` is raw input (JSON-like). `previous` None means a new appeal: inactive
    attributes are refused and defaults are filled. On an edit, `previous` values stay
    unless given, including those of inactive attributes. `context` supplies what
    conditional rules see; its `Appeal.Attr` is replaced by the values being checked.
    """
    found = review(
        definitions, given, context=context, dictionaries=dictionaries,
        previous=previous,
    )  # fmt: skip
    if found.errors:
        raise ValidationFailed(found.errors)
    return found.values


def review(
    definitions: Sequence[AttributeDef],
    given: Mapping[str, object],
    *,
    context: EvalContext,
    dictionaries: Mapping[str, Dictionary],
    previous: Mapping[str, AttrValue] | None = None,
) -> Review:
    """`validate` without raising: the states a form shows for `given` (conditions
    evaluated on the values as parsed) and one error per bad field."""
    by_code = {d.code: d for d in definitions}
    errors: list[FieldError] = []
    values: dict[str, AttrValue] = dict(previous or {})
    for code, raw in given.items():
        definition = by_code.get(code)
        problem = _acceptance_problem(definition, code, previous)
        if problem is None and definition is not None:
            value, problem = parse_value(definition, raw, dictionaries)
            if problem is None:
                values[code] = value
        if problem is not None:
            errors.append(FieldError(f"attributes.{code}", problem))
    if previous is None:
        _fill_defaults(definitions, values, given, context, errors)
    states = form_state(definitions, values, context, errors)
    for state in states:
        code = state.definition.code
        changed = code in given and values.get(code) != _baseline(state, previous)
        if state.read_only and changed:
            errors.append(FieldError(f"attributes.{code}", "is read-only"))
        if state.required and values.get(code) is None:
            errors.append(FieldError(f"attributes.{code}", "is required"))
    return Review(states=states, values=values, errors=_first_per_field(errors))


def form_state(
    definitions: Sequence[AttributeDef],
    values: Mapping[str, AttrValue],
    context: EvalContext,
    errors: list[FieldError] | None = None,
) -> list[FieldState]:
    """Each active attribute's flags for `values` (conditions evaluated); a condition
    that fails to evaluate is reported in `errors` and counts as not holding."""
    scoped = _with_values(context, values)
    sink: list[FieldError] = [] if errors is None else errors
    states = []
    for d in definitions:
        if not d.active:
            continue

        def flag(on: bool, when: str | None, name: str, d: AttributeDef = d) -> bool:
            return on and _condition(d, when, name, scoped, sink)

        states.append(
            FieldState(
                definition=d,
                value=values.get(d.code),
                required=flag(d.required, d.required_when, "required"),
                hidden=flag(d.hidden, d.hidden_when, "hidden"),
                read_only=flag(d.read_only, d.read_only_when, "read-only"),
            )
        )
    return states


def parse_value(
    definition: AttributeDef, raw: object, dictionaries: Mapping[str, Dictionary]
) -> tuple[AttrValue, str | None]:
    """The typed value of `raw`, or None and the reason it is not one."""
    if raw is None:
        return None, None
    match definition.kind:
        case K.DECIMAL:
            return _decimal(raw)
        case K.DATE:
            return _date(raw)
        case K.BOOLEAN:
            if isinstance(raw, bool):
                return raw, None
            return None, "must be true or false"
        case K.STRING:
            if isinstance(raw, str):
                return raw, None
            return None, "must be a string"
        case K.DICTIONARY:
            return _dictionary_code(definition, raw, dictionaries)


def encode(value: AttrValue) -> str | bool | None:
    """A value as stored in JSON: decimals and dates as text."""
    match value:
        case None | bool() | str():
            return value
        case Decimal():
            return str(value)
        case date():
            return value.isoformat()


def decode(
    definitions: Sequence[AttributeDef], stored: Mapping[str, object]
) -> dict[str, AttrValue]:
    """Stored JSON back into typed values; codes no definition knows stay as text."""
    by_code = {d.code: d for d in definitions}
    values: dict[str, AttrValue] = {}
    for code, raw in stored.items():
        definition = by_code.get(code)
        if definition is None:
            values[code] = None if raw is None else str(raw)
            continue
        value, problem = parse_value(definition, raw, {})
        if definition.kind is K.DICTIONARY or problem is not None:
            value = None if raw is None else str(raw)
        values[code] = value
    return values


def check_definition(definition: AttributeDef, schema: Schema) -> list[FieldError]:
    """Problems with a definition's own rules and default, one per field."""
    errors = []
    rules = {
        "default_rule": definition.default_rule,
        "required_when": definition.required_when,
        "hidden_when": definition.hidden_when,
        "read_only_when": definition.read_only_when,
    }
    for name, source in rules.items():
        if source is None:
            continue
        expect = None if name == "default_rule" else ValueType.BOOLEAN
        try:
            compile_rule(source, schema, expect=expect)
        except RuleError as error:
            errors.append(FieldError(name, f"{error.position}: {error.reason}"))
    if definition.kind is K.DICTIONARY and not definition.dictionary_code:
        errors.append(FieldError("dictionary_code", "a dictionary attribute needs one"))
    return errors


def _acceptance_problem(
    definition: AttributeDef | None,
    code: str,
    previous: Mapping[str, AttrValue] | None,
) -> str | None:
    if definition is None:
        return "no such attribute for this topic"
    if not definition.active and previous is None:
        return "is no longer offered on new appeals"
    if not definition.active and previous is not None and code not in previous:
        return "is no longer offered"
    return None


def _fill_defaults(
    definitions: Sequence[AttributeDef],
    values: dict[str, AttrValue],
    given: Mapping[str, object],
    context: EvalContext,
    errors: list[FieldError],
) -> None:
    for d in definitions:
        if not d.active or d.code in given:
            continue
        if d.default_rule is not None:
            values[d.code] = _computed_default(d, _with_values(context, values), errors)
        elif d.default_value is not None:
            values[d.code] = d.default_value


def _computed_default(
    d: AttributeDef, context: EvalContext, errors: list[FieldError]
) -> AttrValue:
    assert d.default_rule is not None
    try:
        raw = compile_rule(d.default_rule).value(context)
    except RuleError as error:
        errors.append(FieldError(f"attributes.{d.code}", f"default failed: {error}"))
        return None
    if isinstance(raw, datetime):
        raw = raw.date()
    value, problem = parse_value(d, raw, {})
    if isinstance(raw, date) and d.kind is not K.DATE:
        value, problem = None, f"must be a {d.kind}"
    if problem is not None:
        message = f"the default computed ({raw}) {problem}"
        errors.append(FieldError(f"attributes.{d.code}", message))
    return value


def _condition(
    d: AttributeDef,
    source: str | None,
    name: str,
    context: EvalContext,
    errors: list[FieldError],
) -> bool:
    if source is None:
        return True
    try:
        return compile_rule(source).holds(context)
    except RuleError as error:
        errors.append(
            FieldError(f"attributes.{d.code}", f"{name} rule failed: {error}")
        )
        return False


def _with_values(context: EvalContext, values: Mapping[str, AttrValue]) -> EvalContext:
    appeal = context.fields.get("Appeal")
    appeal_fields = dict(appeal) if isinstance(appeal, Mapping) else {}
    appeal_fields["Attr"] = dict(values)
    fields = {**context.fields, "Appeal": appeal_fields}
    return dataclasses.replace(context, fields=fields)


def _baseline(state: FieldState, previous: Mapping[str, AttrValue] | None) -> AttrValue:
    if previous is not None:
        return previous.get(state.definition.code)
    return state.definition.default_value


def _decimal(raw: object) -> tuple[AttrValue, str | None]:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None, "must be a decimal"
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None, "must be a decimal"
    if not value.is_finite():
        return None, "must be a decimal"
    return value, None


def _date(raw: object) -> tuple[AttrValue, str | None]:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw, None
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw), None
        except ValueError:
            pass
    return None, "must be a date (YYYY-MM-DD)"


def _dictionary_code(
    definition: AttributeDef, raw: object, dictionaries: Mapping[str, Dictionary]
) -> tuple[AttrValue, str | None]:
    code = definition.dictionary_code or ""
    dictionary = dictionaries.get(code)
    if not isinstance(raw, str):
        return None, f"must be a code of dictionary {code}"
    if dictionary is not None and not dictionary.offers(raw):
        return None, f"must be one of the codes of dictionary {code}"
    return raw, None


def _first_per_field(errors: list[FieldError]) -> list[FieldError]:
    seen: dict[str, FieldError] = {}
    for error in errors:
        seen.setdefault(error.field, error)
    return list(seen.values())
