"""The back office's forms as models: the list filters (turned into the search's
own `AppealFilter`, whose validation names the field), a step on an appeal, a
new deadline, a bulk step on a selection and a customer search. Each error is
named as the form names its field. Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from agent_ui.agent.forms import ATTRIBUTE_PREFIX, FLAG_PREFIX
from crm_core.customers.service import CustomerQuery
from crm_core.errors import FieldError, ValidationFailed
from crm_core.reports.errors import BadFilter
from crm_core.reports.filters import AppealFilter, parse_filter
from crm_core.reports.model import SortOrder
from crm_core.reports.worklists import Worklist, default_sort

Form = Mapping[str, str]
FIRST_PAGE = "-"
"""Stands for the first page in a list's trail of earlier pages."""
FILTER_FIELDS = {
    "topic_ids": "topic", "statuses": "status", "stages": "stage",
    "queues": "queue", "attributes[0].code": "attribute",
    "attributes[0].eq": "value", "attributes[0].gte": "value_from",
    "attributes[0].lte": "value_to", "attributes[0]": "value",
    "created_to": "created_to", "created_from": "created_from",
}  # fmt: skip
"""The search's field names as the filter form names them."""


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class ListForm(_Form):
    """A work list, its filters and its page."""

    kind: Worklist = Field(default=Worklist.QUEUES, alias="list")
    sort: SortOrder | None = None
    text: Annotated[str, Field(max_length=200)] = ""
    topic: str = ""
    status: str = ""
    stage: str = ""
    queue: str = ""
    overdue: str = ""
    created_from: str = ""
    created_to: str = ""
    archived: str = ""
    attribute: str = ""
    value: str = ""
    value_from: str = ""
    value_to: str = ""
    cursor: str = ""
    trail: str = ""
    """The cursors of the pages before this one, oldest first."""

    @property
    def order(self) -> SortOrder:
        return self.sort or default_sort(self.kind)

    def narrowed(self) -> AppealFilter:
        """The filters as the search takes them; BadFilter naming each bad field
        as the form names it."""
        raw: dict[str, object] = {"sort": self.order}
        problems: list[FieldError] = []
        for name, key in (("topic", "topic_ids"), ("status", "statuses"),
                          ("stage", "stages"), ("queue", "queues")):  # fmt: skip
            if value := getattr(self, name):
                raw[key] = [value]
        if self.text:
            raw["text"] = self.text
        if self.overdue in ("yes", "no"):
            raw["overdue"] = self.overdue == "yes"
        raw["include_archived"] = self.archived == "yes"
        for name, shift in (("created_from", 0), ("created_to", 1)):
            moment = _day_start(getattr(self, name), shift)
            if moment is False:
                problems.append(FieldError(name, "must be a date"))
            elif moment is not None:
                raw[name] = moment
        if self.attribute:
            raw["attributes"] = [self._attribute()]
        if problems:
            raise BadFilter(problems)
        try:
            return parse_filter(raw)
        except BadFilter as failed:
            raise BadFilter([form_field(e) for e in failed.errors]) from None

    def _attribute(self) -> dict[str, object]:
        condition: dict[str, object] = {"code": self.attribute}
        if self.value:
            condition["eq"] = _literal(self.value)
        if self.value_from:
            condition["gte"] = self.value_from
        if self.value_to:
            condition["lte"] = self.value_to
        return condition

    def earlier(self) -> list[str]:
        return [c for c in self.trail.split(",") if c]

    def filters_in_use(self) -> int:
        chosen = (self.text, self.topic, self.status, self.stage, self.queue,
                  self.overdue, self.created_from, self.created_to, self.archived,
                  self.attribute)  # fmt: skip
        return sum(1 for value in chosen if value)


def form_field(error: FieldError) -> FieldError:
    """A search field error named as the filter form names the field."""
    field = error.field
    for listed in ("topic_ids", "statuses", "stages", "queues"):
        if field.startswith(listed):
            field = listed
    return FieldError(FILTER_FIELDS.get(field, field), error.message)


def _day_start(text: str, shift_days: int) -> datetime | bool | None:
    """Midnight UTC of `text` (a date) plus `shift_days`; None for nothing
    typed, False for a text that is no date."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return False
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        days=shift_days
    )


def _literal(text: str) -> str | bool:
    return {"yes": True, "no": False}.get(text, text)


class StepForm(_Form):
    """A step on an appeal: the version the page showed, and a comment."""

    version: int | None = None
    comment: Annotated[str, Field(max_length=4000)] = ""


class ReasonForm(StepForm):
    comment: Annotated[str, Field(min_length=1, max_length=4000)]


class AssignForm(StepForm):
    assignee: uuid.UUID


class PassOnForm(StepForm):
    transition: Annotated[str, Field(min_length=1, max_length=64)]


class EditForm(StepForm):
    comment: Annotated[str, Field(max_length=10_000)] = Field(
        default="", alias="description"
    )


class DeadlineForm(StepForm):
    deadline: str
    """As a `datetime-local` field sends it: `YYYY-MM-DDTHH:MM`, in UTC."""

    def moment(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.deadline)
        except ValueError:
            raise ValidationFailed(
                [FieldError("deadline", "must be a date and time")]
            ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class BulkForm(_Form):
    action: str
    comment: Annotated[str, Field(max_length=4000)] = ""
    assignee: str = ""


BULK_ACTIONS = ("assign", "pass_on", "close")
MAX_SELECTED = 200


def bulk_ids(raw: Sequence[str]) -> list[uuid.UUID]:
    """The appeals ticked; ValidationFailed when none is (or one is garbage)."""
    try:
        ids = [uuid.UUID(value) for value in raw]
    except ValueError:
        raise ValidationFailed([FieldError("appeal", "not an appeal")]) from None
    if not ids:
        raise ValidationFailed([FieldError("appeal", "choose appeals first")])
    if len(ids) > MAX_SELECTED:
        raise ValidationFailed([FieldError("appeal", "too many appeals at once")])
    return ids


def bulk_assignee(form: BulkForm) -> uuid.UUID:
    try:
        return uuid.UUID(form.assignee)
    except ValueError:
        raise ValidationFailed([FieldError("assignee", "is required")]) from None


def edited_attributes(form: Form) -> dict[str, object]:
    """The attribute values posted on an edit: an emptied field clears its value,
    yes/no become true/false."""
    values: dict[str, object] = {}
    for name, raw in form.items():
        value = raw.strip()
        if name.startswith(ATTRIBUTE_PREFIX):
            values[name.removeprefix(ATTRIBUTE_PREFIX)] = value or None
        elif name.startswith(FLAG_PREFIX):
            values[name.removeprefix(FLAG_PREFIX)] = (
                None if value not in ("yes", "no") else value == "yes"
            )
    return values


class CustomerSearchForm(_Form):
    name: Annotated[str, Field(max_length=200)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    account: Annotated[str, Field(max_length=64)] = ""
    cursor: str = ""

    @property
    def asked(self) -> bool:
        return bool(self.name or self.phone or self.account)

    def query(self) -> CustomerQuery:
        return CustomerQuery(
            text=self.name or None, phone=self.phone or None,
            account=self.account or None,
        )  # fmt: skip
