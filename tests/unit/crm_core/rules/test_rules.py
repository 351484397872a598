"""The rules language: parsing, printing, checking, evaluating; good input and bad."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm_core.errors import ValidationFailed
from crm_core.rules.errors import (
    RuleError,
    RuleEvaluationError,
    RuleFieldError,
    RuleSyntaxError,
    RuleTypeError,
)
from crm_core.rules.evaluator import EvalContext
from crm_core.rules.model import And, Compare, CompareOp, Literal, Or, Path, ValueType
from crm_core.rules.parser import parse
from crm_core.rules.printer import to_text
from crm_core.rules.rule import compile_rule

T = ValueType
SCHEMA = {
    "Customer": {
        "Category": T.STRING,
        "Balance": T.NUMBER,
        "BirthDate": T.DATE,
        "Vip": T.BOOLEAN,
    },
    "Appeal": {"Attr": T.ANY, "Created": T.DATETIME},
}


@dataclass(frozen=True)
class Card:
    Category: str
    Balance: int
    BirthDate: date | None = None
    Vip: bool = False


def context(**appeal_attrs: object) -> EvalContext:
    return EvalContext(
        fields={
            "Customer": Card(Category="BIS", Balance=150, BirthDate=date(1990, 5, 1)),
            "Appeal": {
                "Attr": appeal_attrs,
                "Created": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            },
        },
        today=date(2026, 1, 5),
        now=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('Customer.Category = "BIS" and Appeal.Attr.Speed >= 100', True),
        ('Customer.Category = "BIS" and Appeal.Attr.Speed >= 101', False),
        ('Customer.Category in ("VIP", "BIS")', True),
        ('Customer.Category not in ("VIP", "BIS")', False),
        ('not Customer.Category = "VIP"', True),
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("Customer.Balance - 50 = 100", True),
        ("Customer.Balance * 2 / 4 = 75", True),
        ("-Customer.Balance < -149.5", True),
        ('Customer.BirthDate < date("2000-01-01")', True),
        ("Customer.BirthDate + 365 > Customer.BirthDate", True),
        ('today() = date("2026-01-05")', True),
        ('now() > datetime("2026-01-05T09:00:00Z")', True),
        ("Appeal.Created < now()", True),
        ("Appeal.Attr.Missing = null", True),
        ("Appeal.Attr.Missing > 1", False),
        ("Appeal.Attr.Missing", False),
        ("Customer.Vip = false", True),
        ("customer_note = null", True),
        ("1 = 1.0", True),
        ("AND_X = null OR true", True),
    ],
)
def test_rule_gives_expected_value_when_evaluated(source: str, expected: bool) -> None:
    schema = None if "customer_note" in source or "AND_X" in source else SCHEMA
    rule = compile_rule(source, schema, expect=T.BOOLEAN)
    assert rule.holds(context(Speed=100)) is expected


def test_and_binds_tighter_than_or_when_parsed() -> None:
    expr = parse("a or b and c")
    assert expr == Or(
        operands=(
            Path(parts=("a",)),
            And(operands=(Path(parts=("b",)), Path(parts=("c",)))),
        )
    )


def test_keywords_are_case_insensitive_when_parsed() -> None:
    assert parse("a = 1 AND NOT b") == parse("a = 1 and not b")


def test_printed_rule_needs_only_necessary_parentheses_when_printed() -> None:
    assert to_text(parse("((a = 1) and (b or c))")) == "a = 1 and (b or c)"
    assert to_text(parse("a - (b - c)")) == "a - (b - c)"
    assert to_text(parse("-(1)")) == "-(1)"


def test_string_escapes_survive_when_printed_and_parsed() -> None:
    expr = parse(r'x = "a \"quoted\" \\ line\nbreak"')
    assert expr == Compare(
        op=CompareOp.EQ,
        left=Path(parts=("x",)),
        right=Literal(value='a "quoted" \\ line\nbreak'),
    )
    assert parse(to_text(expr)) == expr


@pytest.mark.parametrize(
    ("source", "position", "words"),
    [
        ("a = ", "1:5", "expected a value, a field or '(', found end of rule"),
        ("a = 1 b", "1:7", "expected an operator or the end of the rule, found 'b'"),
        ("(a = 1", "1:7", "expected ')'"),
        ('a = "open', "1:5", "unterminated string"),
        ("a = 1\n  and # 2", "2:7", "unexpected character '#'"),
        ("a not b", "1:7", "expected 'in' after 'not'"),
        ("a in 1", "1:6", "expected '('"),
        ('d = date("31.01.2026")', "1:10", "is not an ISO date"),
        ("a = 1 = 2", "1:7", "expected an operator or the end"),
        ("a. = 1", "1:4", "expected a field name after '.'"),
        ("x = and", "1:5", "expected a value"),
        ('x = "\\q"', "1:6", "unknown escape"),
        ("x = date(1)", "1:10", 'expected a quoted date such as "2026-01-31"'),
    ],
)
def test_syntax_error_names_position_and_expectation_when_rule_is_malformed(
    source: str, position: str, words: str
) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse(source)
    assert str(caught.value.position) == position
    assert words in caught.value.reason
    assert str(caught.value).startswith(f"rule: {position}: ")


def test_rule_error_is_a_validation_failure_when_caught_by_the_api() -> None:
    with pytest.raises(ValidationFailed) as caught:
        compile_rule("a = ")
    assert caught.value.errors[0].field == "rule"


def test_unknown_field_is_named_with_position_when_checked_against_schema() -> None:
    with pytest.raises(RuleFieldError) as caught:
        compile_rule('true and Customer.Categry = "BIS"', SCHEMA)
    assert str(caught.value.position) == "1:10"
    assert "unknown field Customer.Categry" in caught.value.reason
    assert "Category" in caught.value.reason


def test_group_is_refused_when_used_as_a_value() -> None:
    with pytest.raises(RuleFieldError, match="group of fields"):
        compile_rule("Customer = 1", SCHEMA)


def test_field_below_a_value_is_refused_when_checked() -> None:
    with pytest.raises(RuleFieldError, match="has no field 'x'"):
        compile_rule("Customer.Balance.x = 1", SCHEMA)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ('Customer.BirthDate = "2020-01-01"', "cannot compare a date with a string"),
        ("Customer.Category > 1", "cannot compare a string with a number"),
        ("Customer.Vip < true", "a boolean has no order"),
        ("Customer.Balance and true", "expected a boolean, found a number"),
        ('-"x" = 1', "cannot negate a string"),
        ("Customer.Category + 1 = 2", "cannot apply \\+ to a string and a number"),
        ('Customer.Category in (1, "a")', "cannot compare a string with a number"),
        ("Customer.Balance + 1", "must compute a boolean"),
    ],
)
def test_type_error_is_reported_when_checked_against_schema(
    source: str, words: str
) -> None:
    with pytest.raises(RuleTypeError, match=words):
        compile_rule(source, SCHEMA, expect=T.BOOLEAN)


def test_type_mismatch_is_a_rule_error_when_evaluated_without_schema() -> None:
    rule = compile_rule('Appeal.Attr.Speed > "fast"')
    with pytest.raises(
        RuleEvaluationError, match="cannot compare a number with a string"
    ):
        rule.holds(context(Speed=5))


def test_division_by_zero_is_a_rule_error_when_evaluated() -> None:
    rule = compile_rule("Appeal.Attr.Speed / 0 = 1")
    with pytest.raises(RuleEvaluationError, match="cannot compute /"):
        rule.holds(context(Speed=5))


def test_deep_nesting_is_refused_when_parsed() -> None:
    with pytest.raises(RuleSyntaxError, match="nested more than"):
        parse("(" * 500 + "1" + ")" * 500)
    with pytest.raises(RuleSyntaxError, match="nested more than"):
        parse(" + ".join(["1"] * 500))


def test_every_rule_error_derives_from_the_base_when_raised() -> None:
    for kind in (RuleSyntaxError, RuleFieldError, RuleTypeError, RuleEvaluationError):
        assert issubclass(kind, RuleError)


def test_computed_value_is_returned_when_rule_is_an_expression() -> None:
    rule = compile_rule("today() + 3", SCHEMA, expect=T.DATE)
    assert rule.value(context()) == date(2026, 1, 8)
    assert compile_rule("Customer.Balance * 1.5").value(context()) == Decimal("225.0")
