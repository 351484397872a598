"""Properties of the rules language: printing round-trips; only RuleError escapes."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.rules.errors import RuleError
from crm_core.rules.evaluator import EvalContext, evaluate
from crm_core.rules.model import (
    And,
    Arith,
    ArithOp,
    Call,
    Compare,
    CompareOp,
    Expr,
    Function,
    In,
    Literal,
    Negate,
    Not,
    Or,
    Path,
)
from crm_core.rules.parser import KEYWORDS, parse
from crm_core.rules.printer import to_text
from crm_core.rules.rule import compile_rule

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
_first_names = _names.filter(lambda n: n.lower() not in KEYWORDS)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=2,
        max_value=10**9,
        min_value=-(10**9),
    ),
    st.text(max_size=8),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)
_leaves: st.SearchStrategy[Expr] = st.one_of(
    _values.map(lambda v: Literal(value=v)),
    st.builds(
        lambda a, b: Path(parts=(a, *b)), _first_names, st.lists(_names, max_size=2)
    ),
    st.sampled_from(Function).map(lambda f: Call(function=f)),
)


def _extend(inner: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    many = st.lists(inner, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        inner.map(lambda e: Not(operand=e)),
        inner.map(lambda e: Negate(operand=e)),
        many.map(lambda ops: And(operands=ops)),
        many.map(lambda ops: Or(operands=ops)),
        st.builds(
            lambda op, a, b: Compare(op=op, left=a, right=b),
            st.sampled_from(CompareOp),
            inner,
            inner,
        ),
        st.builds(
            lambda op, a, b: Arith(op=op, left=a, right=b),
            st.sampled_from(ArithOp),
            inner,
            inner,
        ),
        st.builds(
            lambda a, opts, neg: In(item=a, options=tuple(opts), negated=neg),
            inner,
            st.lists(inner, min_size=1, max_size=3),
            st.booleans(),
        ),
    )


_exprs = st.recursive(_leaves, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_parse_gives_back_the_ast_when_given_its_printed_form(expr: Expr) -> None:
    assert parse(to_text(expr)) == expr


_CONTEXT = EvalContext(
    fields={"a": {"b": 1, "c": "x"}, "d": True, "e": None, "f": date(2026, 1, 1)},
    today=date(2026, 1, 5),
    now=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=list('ab.cdef()"\\ =!<>+-*/,0123456789\n'), max_size=40),
        st.text(max_size=40),
    )
)
def test_only_rule_errors_escape_when_given_arbitrary_text(source: str) -> None:
    with contextlib.suppress(RuleError):
        compile_rule(source).value(_CONTEXT)


_token_soup = st.lists(
    st.sampled_from(
        [
            "a.b",
            "a.c",
            "d",
            "e",
            "f",
            "1",
            "0",
            "2.5",
            '"x"',
            "and",
            "or",
            "not",
            "in",
            "(",
            ")",
            ",",
            "=",
            "!=",
            "<",
            ">=",
            "+",
            "-",
            "*",
            "/",
            "true",
            "null",
            "today()",
            "now()",
            'date("2026-01-02")',
            "f + 1",
        ]
    ),
    max_size=14,
).map(" ".join)


@settings(max_examples=1000, deadline=None)
@given(_token_soup)
def test_only_rule_errors_escape_when_given_token_soup(source: str) -> None:
    with contextlib.suppress(RuleError):
        compile_rule(source).value(_CONTEXT)


@settings(max_examples=300, deadline=None)
@given(_exprs)
def test_only_rule_errors_escape_when_evaluating_any_ast(expr: Expr) -> None:
    with contextlib.suppress(RuleError):
        evaluate(expr, _CONTEXT)


def test_decimal_literal_keeps_its_digits_when_parsed() -> None:
    assert parse("12.50") == Literal(value=Decimal("12.50"))
