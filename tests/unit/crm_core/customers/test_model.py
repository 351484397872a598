"""Pure decisions: who the caller is from the candidates, cursors, input errors."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from crm_core.customers.inputs import CustomerInput, field_path, parse
from crm_core.customers.model import (
    MAX_CANDIDATES,
    Ambiguous,
    BadCursor,
    CustomerId,
    CustomerKind,
    CustomerSummary,
    Identified,
    Unknown,
    decode_cursor,
    encode_cursor,
    identification,
)
from crm_core.errors import ValidationFailed


def summary(name: str, *, lead: bool = False) -> CustomerSummary:
    return CustomerSummary(
        id=CustomerId(uuid.uuid4()),
        name=name,
        kind=CustomerKind.PERSON,
        is_lead=lead,
        category="mass",
        customer_group=None,
        account=None,
        balance=Decimal(0),
    )


def test_unknown_when_no_one_holds_the_number() -> None:
    assert identification("100", []) == Unknown(ani="100")


def test_identified_when_one_customer_holds_the_number() -> None:
    one = summary("A")
    assert identification("1", [one]) == Identified(ani="1", customer=one)


def test_identified_once_when_one_customer_holds_the_number_twice() -> None:
    one = summary("A")
    assert identification("1", [one, one]) == Identified(ani="1", customer=one)


def test_customer_wins_when_a_lead_shares_the_number() -> None:
    customer, lead = summary("C"), summary("L", lead=True)
    assert identification("1", [lead, customer]) == Identified(
        ani="1", customer=customer
    )


def test_lead_is_identified_when_only_a_lead_holds_the_number() -> None:
    lead = summary("L", lead=True)
    assert identification("1", [lead]) == Identified(ani="1", customer=lead)


def test_ambiguous_is_capped_when_many_share_the_number() -> None:
    many = [summary(str(i)) for i in range(MAX_CANDIDATES + 3)]
    found = identification("1", many)
    assert isinstance(found, Ambiguous)
    assert len(found.candidates) == MAX_CANDIDATES


def test_cursor_round_trips_when_the_key_has_any_characters() -> None:
    row_id = uuid.uuid4()
    assert decode_cursor(encode_cursor("Иванов \x1f И.", row_id)) == (
        "Иванов \x1f И.",
        row_id,
    )


@pytest.mark.parametrize("cursor", ["", "!!!", "bm90IGEgY3Vyc29y"])
def test_bad_cursor_is_refused_when_forged(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor)


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("phones", 1, "number"), "phones[1].number"),
        (("name",), "name"),
        ((), "body"),
    ],
)
def test_field_path_reads_as_written_when_nested(
    loc: tuple[int | str, ...], path: str
) -> None:
    assert field_path(loc) == path


def test_phone_error_names_the_reason_when_the_default_country_differs() -> None:
    data = {"name": "X", "phones": [{"number": "044 123 4567"}]}
    assert parse(CustomerInput, data, country="UA").phones[0].number == "044 123 4567"
    with pytest.raises(ValidationFailed) as caught:
        parse(CustomerInput, data, country="RU")
    [error] = caught.value.errors
    assert error.field == "phones[0].number"
    assert "not a RU number" in error.message
