"""Checking CSV rows: the quick check of clean rows agrees with the model.

A row the quick check accepts must be stored exactly as the model would have it; a
row the model refuses must never pass the quick check (it goes to the model, whose
errors the report shows).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.customers.import_rows import (
    GoodRow,
    Rejected,
    check_row,
    customer_values,
    quick_row,
    row_input,
)
from crm_core.customers.inputs import CustomerInput, parse
from crm_core.errors import ValidationFailed

COLUMNS = (
    "name", "kind", "phones", "email", "category", "group", "account", "balance",
    "sex", "birth_date", "city", "district", "street", "building", "flat",
    "network_node", "products", "equipment", "notes", "colour",
)  # fmt: skip

SAMPLES: dict[str, tuple[str, ...]] = {
    "name": ("Иванов Иван", "", "  ", "x" * 300, "x" * 301, " Smith "),
    "kind": ("person", "organisation", "Person", "robot", ""),
    "phones": (
        "8 (495) 123-45-67",
        "+7 916 000 11 22; 84951234567",
        "call me",
        "8495",
        "+7 495 123 45 67 доб. 12",
        "9" * 65,
        ";",
        "",
        "+44 20 7946 0958",
        "00 44 20 7946 0958",
        "8495123456x7",
        ";".join(["84951234567"] * 21),
    ),
    "email": ("a@b.ru", "a@b.ru; c@d.com", "not mail", "", "a@b", "x@" + "y" * 260),
    "category": ("VIP", "x" * 40, "x" * 41, ""),
    "group": ("north", "g" * 41, ""),
    "account": ("A1", "a" * 40, "a" * 41, ""),
    "balance": (
        "100,50",
        "-20",
        "1 000,5",
        "lots",
        "1e3",
        "123456789012.34",
        "1234567890123",
        "0.001",
        "+5",
        "",
        " 7 ",
        "-0",
        "NaN",
        "1.",
        ".5",
    ),
    "sex": ("m", "F", "x", ""),
    "birth_date": (
        "1980-01-01",
        "01.02.1990",
        "1.2.1990",
        "29.02.2000",
        "29.02.2001",
        "1899-12-31",
        "1990-13-01",
        "2020-1-1",
        "yesterday",
        "",
        "31.04.1990",
    ),
    "city": ("Москва", "c" * 101, ""),
    "district": ("ЦАО", ""),
    "street": ("Тверская", "s" * 200, "s" * 201, ""),
    "building": ("1", ""),
    "flat": ("12", "f" * 21, ""),
    "network_node": ("N-7", ""),
    "products": ("internet; tv", "p" * 101, ";".join(["p"] * 101), ""),
    "equipment": ("router", ""),
    "notes": ("called twice", "n" * 10_001, ""),
    "colour": ("red", ""),
}


def model_result(
    values: Sequence[str],
) -> tuple[dict[str, object], tuple[tuple[str, str, str | None], ...]] | None:
    """What the CustomerInput model makes of the row, or None if it refuses it."""
    try:
        data = parse(CustomerInput, row_input(COLUMNS, values), country="RU")
    except ValidationFailed:
        return None
    phones = tuple(
        (p.raw, p.e164, p.extension) for p in (n.to_phone("RU") for n in data.phones)
    )
    return customer_values(data), phones


def field_values(column: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(SAMPLES[column]), st.text(max_size=6))


ROWS = st.tuples(*(field_values(c) for c in COLUMNS))


@settings(max_examples=400, deadline=None)
@given(ROWS)
def test_quick_check_agrees_with_the_model_when_rows_vary(
    values: tuple[str, ...],
) -> None:
    quick = quick_row(COLUMNS, values, "RU")
    if quick is not None:
        assert quick == model_result(values)


@pytest.mark.parametrize(
    "values",
    [
        tuple(SAMPLES[c][0] for c in COLUMNS),
        (
            "Фирма",
            "organisation",
            "+7 916 000 11 22; 84951234567",
            "a@b.ru; c@d.com",
            "x" * 40,
            "",
            "a" * 40,
            "1 000,5",
            "F",
            "1.2.1990",
            "",
            "",
            "s" * 200,
            "",
            "",
            "",
            "internet; tv",
            "",
            "",
            "blue",
        ),
        ("Smith", "", "+7 495 123 45 67 доб. 12", *[""] * (len(COLUMNS) - 3)),
    ],
)
def test_quick_check_takes_the_row_when_it_is_clean(values: tuple[str, ...]) -> None:
    quick = quick_row(COLUMNS, values, "RU")
    assert quick is not None
    assert quick == model_result(values)


def test_model_reports_the_field_when_the_quick_check_declines_a_bad_row() -> None:
    values = ["Иванов", "person", "call me", *[""] * (len(COLUMNS) - 3)]
    values[COLUMNS.index("balance")] = "lots"
    checked = check_row(7, COLUMNS, values, "RU")
    assert isinstance(checked, Rejected)
    assert checked.row == 7
    assert "phones[0].number: unexpected character" in checked.errors
    assert "balance:" in checked.errors


def test_model_decides_when_a_valid_row_is_out_of_the_quick_check() -> None:
    values = ["Иванов", "Person", "84951234567", *[""] * (len(COLUMNS) - 3)]
    assert quick_row(COLUMNS, values, "RU") is None
    checked = check_row(2, COLUMNS, values, "RU")
    assert isinstance(checked, Rejected)  # the model wants `person`
    values[1] = "person"
    values[COLUMNS.index("balance")] = "1e3"
    checked = check_row(2, COLUMNS, values, "RU")
    assert isinstance(checked, GoodRow)
    assert checked.values["balance"] == 1000
    assert checked.phones == (("84951234567", "+74951234567", None),)
