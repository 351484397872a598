"""Input models at the boundary (API bodies, CSV rows): one validator, located errors.

`parse()` turns pydantic's errors into ValidationFailed with one FieldError per bad
field (`phones[1].number`). Phones are normalised here, with the default country
passed as validation context.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from crm_core.customers.model import (
    Channel,
    ContactDirection,
    CustomerKind,
    Phone,
    PhoneKind,
)
from crm_core.errors import FieldError, ValidationFailed
from crm_core.phone import InvalidPhone, parse_phone

M = TypeVar("M", bound=BaseModel)

_parse_phone = lru_cache(maxsize=8192)(parse_phone)
"""Validation and conversion parse each number twice, a batch apart at most."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Text100 = Annotated[str, Field(max_length=100)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PhoneInput(_Input):
    number: str = Field(min_length=1, max_length=64)
    kind: PhoneKind = PhoneKind.MOBILE
    primary: bool = False

    @field_validator("number")
    @classmethod
    def _normalisable(cls, number: str, info: ValidationInfo) -> str:
        country = (info.context or {}).get("country", "RU")
        try:
            _parse_phone(number, country)
        except InvalidPhone as exc:
            raise PydanticCustomError("invalid_phone", exc.reason) from None
        return number

    def to_phone(self, country: str) -> Phone:
        parsed = _parse_phone(self.number, country)
        return Phone(
            raw=self.number,
            e164=parsed.e164,
            extension=parsed.extension,
            kind=self.kind,
            is_primary=self.primary,
        )


class AddressInput(_Input):
    city: Text100 | None = None
    district: Text100 | None = None
    street: Annotated[str, Field(max_length=200)] | None = None
    building: Text100 | None = None
    flat: Annotated[str, Field(max_length=20)] | None = None
    network_node: Text100 | None = None


class ContactPersonInput(_Input):
    name: str = Field(min_length=1, max_length=200)
    role: Text100 | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None


def is_email(value: str) -> bool:
    """True when `value` reads as one e-mail address (the check the models make)."""
    return _EMAIL.match(value) is not None


def _check_email(value: str) -> str:
    if not is_email(value):
        raise PydanticCustomError("invalid_email", "not an e-mail address")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_check_email)]


class CustomerInput(_Input):
    """A customer or lead card as sent by the API or read from a CSV row."""

    kind: CustomerKind = CustomerKind.PERSON
    name: str = Field(min_length=1, max_length=300)
    category: str = Field(default="mass", min_length=1, max_length=40)
    customer_group: Annotated[str, Field(max_length=40)] | None = None
    account: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    balance: Decimal = Field(default=Decimal(0), max_digits=14, decimal_places=2)
    phones: list[PhoneInput] = Field(default_factory=list, max_length=20)
    emails: list[Email] = Field(default_factory=list, max_length=10)
    sex: Literal["m", "f"] | None = None
    birth_date: date | None = None
    city: Text100 | None = None
    district: Text100 | None = None
    building: Text100 | None = None
    network_node: Text100 | None = None
    addresses: list[AddressInput] = Field(default_factory=list, max_length=10)
    products: list[Text100] = Field(default_factory=list, max_length=100)
    equipment: list[Text100] = Field(default_factory=list, max_length=100)
    preferred_channels: list[Channel] = Field(default_factory=list)
    contact_persons: list[ContactPersonInput] = Field(
        default_factory=list, max_length=20
    )
    notes: str = Field(default="", max_length=10_000)

    @field_validator("birth_date")
    @classmethod
    def _not_future(cls, born: date | None) -> date | None:
        if born is not None and born.year < 1900:
            raise PydanticCustomError("invalid_date", "birth date before 1900")
        return born


class ContactInput(_Input):
    """A non-voice contact (e-mail, web form, visit, letter, fax, SMS) from the API."""

    channel: Channel
    direction: ContactDirection = ContactDirection.IN
    customer_id: uuid.UUID | None = None
    place: Text100 | None = None
    contact_person: Annotated[str, Field(max_length=200)] | None = None
    address: Annotated[str, Field(max_length=254)] | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    notes: str = Field(default="", max_length=10_000)

    @field_validator("started_at", "ended_at")
    @classmethod
    def _aware(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            raise PydanticCustomError("naive_datetime", "needs a time zone")
        return moment


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("phones", 1, "number")` -> `phones[1].number`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "body"


def parse(model: type[M], data: Mapping[str, object] | M, *, country: str = "RU") -> M:
    """`data` validated as `model`; ValidationFailed with one entry per bad field."""
    if isinstance(data, model):
        data = data.model_dump()
    try:
        return model.model_validate(data, context={"country": country})
    except ValidationError as exc:
        raise ValidationFailed(
            [FieldError(field_path(e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None
