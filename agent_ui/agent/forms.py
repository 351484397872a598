"""The agent desk's forms as models: each page form is parsed here from the posted
fields, and validated by the model the service validates with (the CRM's
`CustomerInput` for a new customer, the topic's attribute definitions for an
appeal), so a field checked on change gets the same answer as the save. Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from acd.events import Disposition
from acd.model import TargetKind, TransferMode
from acd.transfers import TransferTarget
from agent_ui.labels import CHOOSABLE_PAUSES
from crm_core.customers.inputs import CustomerInput, parse
from crm_core.errors import FieldError, ValidationFailed

ATTRIBUTE_PREFIX = "attr."
"""Posted attribute fields: `attr.<code>` (text, number, date, dictionary code)."""
FLAG_PREFIX = "flag."
"""Posted yes/no attribute fields: `flag.<code>` = `yes`, `no` or empty."""
Form = Mapping[str, str]


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


_FormT = TypeVar("_FormT", bound=BaseModel)


class PauseForm(_Form):
    reason: str

    def checked(self) -> str:
        if self.reason not in CHOOSABLE_PAUSES:
            raise ValidationFailed([FieldError("reason", "Input should be one of")])
        return self.reason


class WrapUpForm(_Form):
    disposition: str = ""
    notes: Annotated[str, Field(max_length=2000)] = ""

    def chosen(self) -> Disposition | None:
        """The disposition chosen; None for none (or one not on the list)."""
        try:
            return Disposition(self.disposition)
        except ValueError:
            return None


class TransferForm(_Form):
    mode: TransferMode = TransferMode.BLIND
    kind: TargetKind = TargetKind.QUEUE
    queue: str = ""
    agent: Annotated[str, Field(max_length=64)] = ""
    number: Annotated[str, Field(max_length=32)] = ""

    def target(self) -> TransferTarget:
        """The target the form names; a number loses its spaces, dashes and
        brackets. ValidationFailed names the field that is wrong."""
        field = self.kind.value
        value = {"queue": self.queue, "agent": self.agent}.get(field, "")
        if self.kind is TargetKind.NUMBER:
            value = "".join(c for c in self.number if c not in " ()-")
            digits = value.removeprefix("+")
            if not (2 <= len(digits) <= 31 and digits.isdigit()):
                raise ValidationFailed([FieldError(field, "not a number to dial")])
        if not value or any(c.isspace() for c in value):
            raise ValidationFailed([FieldError(field, "is required")])
        return TransferTarget(kind=self.kind, value=value)


class DialForm(_Form):
    number: Annotated[str, Field(min_length=1, max_length=40)]

    def dialled(self) -> str:
        value = "".join(c for c in self.number if c not in " ()-")
        digits = value.removeprefix("+")
        if not (2 <= len(digits) <= 31 and digits.isdigit()):
            raise ValidationFailed([FieldError("number", "not a number to dial")])
        return value


class NewCustomerForm(_Form):
    """The new-customer form of an unknown caller: a few fields of the card,
    turned into `CustomerInput` (which validates them) by `customer_input`."""

    name: str = ""
    phone: str = ""
    kind: str = "person"
    category: str = "mass"
    account: str = ""
    email: str = ""
    city: str = ""
    notes: str = ""

    def customer_input(self) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name, "kind": self.kind, "category": self.category,
            "notes": self.notes,
            "phones": [{"number": self.phone, "primary": True}] if self.phone else [],
            "emails": [self.email] if self.email else [],
        }  # fmt: skip
        if self.account:
            data["account"] = self.account
        if self.city:
            data["city"] = self.city
        return data


CUSTOMER_FIELDS = {"phones": "phone", "emails": "email"}
"""CustomerInput's paths that the form names otherwise (`phones[0].number`)."""


def customer_problems(form: NewCustomerForm, *, country: str) -> list[FieldError]:
    """Every problem `CustomerInput` finds with the form, named by form field."""
    try:
        parse(CustomerInput, form.customer_input(), country=country)
    except ValidationFailed as failed:
        return [form_field_error(e) for e in failed.errors]
    return []


def form_field_error(error: FieldError) -> FieldError:
    """A service's field error named as the form names the field."""
    head = error.field.split("[")[0].split(".")[0]
    return FieldError(CUSTOMER_FIELDS.get(head, head), error.message)


def parsed(model: type[_FormT], form: Form) -> _FormT:
    """`form` as `model`; ValidationFailed naming each bad field."""
    try:
        return model.model_validate(dict(form))
    except ValidationError as exc:
        raise ValidationFailed(
            [FieldError(str(e["loc"][0]) if e["loc"] else "form", e["msg"])
             for e in exc.errors()]
        ) from None  # fmt: skip


class AppealForm(_Form):
    topic_id: uuid.UUID
    customer: str = Field(default="", alias="customer_id")
    """Empty for an appeal of no customer (an unknown caller not saved)."""
    description: Annotated[str, Field(max_length=4000)] = ""

    @property
    def customer_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.customer) if self.customer else None
        except ValueError:
            problem = FieldError("customer_id", "no such customer")
            raise ValidationFailed([problem]) from None


def appeal_attributes(form: Form) -> dict[str, object]:
    """The attribute values posted, raw as the CRM takes them: empty fields are
    not given (the topic's default or "required" applies), yes/no become
    true/false."""
    values: dict[str, object] = {}
    for name, raw in form.items():
        value = raw.strip()
        if name.startswith(ATTRIBUTE_PREFIX) and value:
            values[name.removeprefix(ATTRIBUTE_PREFIX)] = value
        elif name.startswith(FLAG_PREFIX) and value in ("yes", "no"):
            values[name.removeprefix(FLAG_PREFIX)] = value == "yes"
    return values


def attribute_of(field_name: str | None) -> str | None:
    """The attribute code a posted field name belongs to (None: not one)."""
    if not field_name:
        return None
    for prefix in (ATTRIBUTE_PREFIX, FLAG_PREFIX):
        if field_name.startswith(prefix):
            return field_name.removeprefix(prefix)
    return None
