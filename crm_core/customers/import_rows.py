"""Checking one CSV record of customers: the known columns mapped onto a customers
row and its phones, or why the record is refused. Pure: no I/O, no logging; the
errors are the CustomerInput model's, as the API gives them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from crm_core.customers.inputs import CustomerInput, is_email, parse
from crm_core.customers.model import CustomerKind
from crm_core.errors import ValidationFailed
from crm_core.phone import InvalidPhone, parse_phone

LIST_FIELDS = ("phones", "email", "products", "equipment")
ADDRESS_FIELDS = ("city", "district", "street", "building", "flat", "network_node")
KNOWN_COLUMNS = frozenset(
    {
        "name", "kind", "phones", "email", "category", "group", "account",
        "balance", "sex", "birth_date", "products", "equipment", "notes",
        *ADDRESS_FIELDS,
    }
)  # fmt: skip


_COLUMN_OF_FIELD = {"customer_group": "group", "emails": "email"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    row: int
    """The record's number in the file, the header being 1."""
    raw: tuple[str, ...]
    errors: str


PhoneValues = tuple[str, str, str | None]
"""(as written, E.164, extension) of one number; the first one is the primary."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GoodRow:
    row: int
    raw: tuple[str, ...]
    account: str | None
    values: dict[str, object]
    """The customers row, without id and timestamps."""
    phones: tuple[PhoneValues, ...]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]


def _birth_date(value: str) -> str:
    day, sep, rest = value.partition(".")
    if sep and rest.count(".") == 1:
        month, year = rest.split(".")
        return f"{year}-{month.zfill(2)}-{day.zfill(2)}"
    return value


Handler = Callable[[dict[str, object], dict[str, str], str], None]


def _set(key: str, convert: Callable[[str], object] = str) -> Handler:
    def handle(data: dict[str, object], _address: dict[str, str], value: str) -> None:
        data[key] = convert(value)

    return handle


def _address_part(key: str, *, on_card: bool) -> Handler:
    def handle(data: dict[str, object], address: dict[str, str], value: str) -> None:
        address[key] = value
        if on_card:
            data[key] = value

    return handle


_HANDLERS: dict[str, Handler] = {
    "name": _set("name"),
    "kind": _set("kind"),
    "category": _set("category"),
    "account": _set("account"),
    "notes": _set("notes"),
    "phones": _set("phones", lambda v: [{"number": n} for n in _split(v)]),
    "email": _set("emails", _split),
    "products": _set("products", _split),
    "equipment": _set("equipment", _split),
    "group": _set("customer_group"),
    "balance": _set("balance", lambda v: v.replace(" ", "").replace(",", ".")),
    "birth_date": _set("birth_date", _birth_date),
    "sex": _set("sex", str.lower),
    **{
        f: _address_part(f, on_card=f not in ("street", "flat")) for f in ADDRESS_FIELDS
    },
}


@lru_cache(maxsize=16)
def _plan(columns: tuple[str, ...]) -> tuple[tuple[int, Handler], ...]:
    return tuple((i, _HANDLERS[c]) for i, c in enumerate(columns) if c in _HANDLERS)


def row_input(columns: Sequence[str], values: Sequence[str]) -> dict[str, object]:
    """A CSV record as CustomerInput data (only the known, non-empty columns)."""
    data: dict[str, object] = {}
    address: dict[str, str] = {}
    for i, handle in _plan(tuple(columns)):
        value = values[i].strip()
        if value:
            handle(data, address, value)
    if address:
        data["addresses"] = [address]
    return data


def check_row(
    number: int, columns: Sequence[str], values: Sequence[str], country: str
) -> GoodRow | Rejected:
    """The row ready to store, or why not. A clean row is checked by hand (this runs
    for every row of a file); anything the quick check does not accept outright goes
    through the CustomerInput model, which gives the same errors as the API."""
    raw = tuple(values)
    if len(values) != len(columns):
        return Rejected(
            row=number,
            raw=raw,
            errors=f"{len(values)} fields, the header has {len(columns)}",
        )
    quick = quick_row(columns, values, country)
    if quick is not None:
        row, phones = quick
        return GoodRow(
            row=number,
            raw=raw,
            account=row["account"],  # type: ignore[arg-type]  # str | None by build
            values=row,
            phones=phones,
        )
    try:
        data = parse(CustomerInput, row_input(columns, values), country=country)
    except ValidationFailed as exc:
        message = "; ".join(f"{_column(e.field)}: {e.message}" for e in exc.errors)
        return Rejected(row=number, raw=raw, errors=message)
    return GoodRow(
        row=number,
        raw=raw,
        account=data.account,
        values=customer_values(data),
        phones=tuple(
            (p.raw, p.e164, p.extension)
            for p in (p.to_phone(country) for p in data.phones)
        ),
    )


_BLANK_ROW: dict[str, object] = {
    "kind": CustomerKind.PERSON.value,
    "is_lead": False,
    "name": "",
    "name_folded": "",
    "category": "mass",
    "customer_group": None,
    "account": None,
    "balance": Decimal(0),
    "emails": [],
    "sex": None,
    "birth_date": None,
    "city": None,
    "district": None,
    "building": None,
    "network_node": None,
    "addresses": [],
    "products": [],
    "equipment": [],
    "preferred_channels": [],
    "contact_persons": [],
    "notes": "",
    "converted_at": None,
}
"""A CustomerInput's defaults as a customers row (the lists are never mutated)."""

_Phones = list[PhoneValues]
QuickCheck = Callable[[dict[str, object], dict[str, str], _Phones, str, str], bool]
"""(row, address, phones, value, country) -> False when the value needs the model."""
_BALANCE = re.compile(r"-?\d{1,12}(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_KINDS = frozenset(k.value for k in CustomerKind)


def _quick_text(key: str, longest: int) -> QuickCheck:
    def check(
        row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
    ) -> bool:
        row[key] = value
        return len(value) <= longest

    return check


def _quick_list(key: str, longest: int, items: int) -> QuickCheck:
    def check(
        row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
    ) -> bool:
        parts = _split(value)
        row[key] = parts
        return len(parts) <= items and all(len(p) <= longest for p in parts)

    return check


def _quick_address(key: str, longest: int, *, on_card: bool) -> QuickCheck:
    def check(
        row: dict[str, object],
        address: dict[str, str],
        _p: _Phones,
        value: str,
        _c: str,
    ) -> bool:
        address[key] = value
        if on_card:
            row[key] = value
        return len(value) <= longest

    return check


def _quick_name(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    row["name"] = value
    row["name_folded"] = value.casefold()[:300]
    return len(value) <= 300


def _quick_kind(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    row["kind"] = value
    return value in _KINDS


def _quick_balance(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    value = value.replace(" ", "").replace(",", ".")
    if _BALANCE.fullmatch(value) is None:
        return False
    row["balance"] = Decimal(value)
    return True


def _quick_sex(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    value = value.lower()
    row["sex"] = value
    return value in ("m", "f")


@lru_cache(maxsize=1 << 16)
def _iso_date(text: str) -> date | None:
    """`YYYY-MM-DD` as a date; None for anything else (the model says what is wrong).
    Cached: a file holds a few tens of thousands of distinct birth dates at most."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _quick_birth_date(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    born = _iso_date(_birth_date(value))
    row["birth_date"] = born
    return born is not None and born.year >= 1900


def _quick_emails(
    row: dict[str, object], _a: dict[str, str], _p: _Phones, value: str, _c: str
) -> bool:
    parts = _split(value)
    row["emails"] = parts
    return len(parts) <= 10 and all(len(p) <= 254 and is_email(p) for p in parts)


def _quick_phones(
    _r: dict[str, object],
    _a: dict[str, str],
    phones: _Phones,
    value: str,
    country: str,
) -> bool:
    numbers = _split(value)
    if len(numbers) > 20:
        return False
    for number in numbers:
        if len(number) > 64:
            return False
        try:
            parsed = parse_phone(number, country)
        except InvalidPhone:
            return False
        phones.append((number, parsed.e164, parsed.extension))
    return True


_QUICK: dict[str, QuickCheck] = {
    "name": _quick_name,
    "kind": _quick_kind,
    "category": _quick_text("category", 40),
    "account": _quick_text("account", 40),
    "group": _quick_text("customer_group", 40),
    "notes": _quick_text("notes", 10_000),
    "phones": _quick_phones,
    "email": _quick_emails,
    "products": _quick_list("products", 100, 100),
    "equipment": _quick_list("equipment", 100, 100),
    "balance": _quick_balance,
    "birth_date": _quick_birth_date,
    "sex": _quick_sex,
    "city": _quick_address("city", 100, on_card=True),
    "district": _quick_address("district", 100, on_card=True),
    "street": _quick_address("street", 200, on_card=False),
    "building": _quick_address("building", 100, on_card=True),
    "flat": _quick_address("flat", 20, on_card=False),
    "network_node": _quick_address("network_node", 100, on_card=True),
}


@lru_cache(maxsize=16)
def _quick_plan(columns: tuple[str, ...]) -> tuple[tuple[int, QuickCheck], ...]:
    return tuple((i, _QUICK[c]) for i, c in enumerate(columns) if c in _QUICK)


def quick_row(
    columns: Sequence[str], values: Sequence[str], country: str
) -> tuple[dict[str, object], tuple[PhoneValues, ...]] | None:
    """The customers row and phones of a record that is plainly valid, as the
    CustomerInput model would give them; None when the model has to decide."""
    row = _BLANK_ROW.copy()
    address: dict[str, str] = {}
    phones: _Phones = []
    for i, check in _quick_plan(tuple(columns)):
        value = values[i].strip()
        if value and not check(row, address, phones, value, country):
            return None
    if not row["name"]:
        return None
    if address:
        row["addresses"] = [{f: address.get(f) for f in ADDRESS_FIELDS}]
    return row, tuple(phones)


def _column(field_path: str) -> str:
    head = field_path.split("[", 1)[0].split(".", 1)[0]
    if head == "addresses":
        return field_path.rsplit(".", 1)[-1]
    return _COLUMN_OF_FIELD.get(head, head) + field_path[len(head) :]


def customer_values(data: CustomerInput) -> dict[str, object]:
    """The customers row for `data`, without id and timestamps; the same mapping as a
    card's, without building one."""
    return {
        "kind": data.kind.value,
        "is_lead": False,
        "name": data.name,
        "name_folded": data.name.casefold()[:300],
        "category": data.category,
        "customer_group": data.customer_group,
        "account": data.account,
        "balance": data.balance,
        "emails": data.emails,
        "sex": data.sex,
        "birth_date": data.birth_date,
        "city": data.city,
        "district": data.district,
        "building": data.building,
        "network_node": data.network_node,
        "addresses": [a.model_dump() for a in data.addresses],
        "products": data.products,
        "equipment": data.equipment,
        "preferred_channels": [c.value for c in data.preferred_channels],
        "contact_persons": [p.model_dump() for p in data.contact_persons],
        "notes": data.notes,
        "converted_at": None,
    }
