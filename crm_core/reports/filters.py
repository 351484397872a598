"""The appeal search filter as it comes in (REST query or JSON body): one pydantic
model, validated once, with an error naming each bad field. No I/O."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crm_core.appeals.model import AppealStatus
from crm_core.errors import FieldError
from crm_core.reports.errors import BadFilter
from crm_core.reports.model import SortOrder

MAX_LIMIT = 200
"""Page size cap: a larger `limit` is cut down to it."""


class AttributeFilter(BaseModel):
    """Equality (`eq`) or an inclusive range (`gte`/`lte`) on one typed attribute.
    Values are checked against the attribute's kind when the search runs: numbers
    for decimals, `YYYY-MM-DD` for dates, true/false for booleans, text otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, Field(min_length=1, max_length=64)]
    eq: str | bool | int | float | None = None
    gte: str | int | float | None = None
    lte: str | int | float | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> AttributeFilter:
        if self.eq is None and self.gte is None and self.lte is None:
            raise ValueError("give eq, gte or lte")
        if self.eq is not None and (self.gte is not None or self.lte is not None):
            raise ValueError("give either eq or a range, not both")
        return self


class AppealFilter(BaseModel):
    """What to search for; every field narrows the result (empty lists: any).

    A topic group in `topic_ids` stands for every topic below it. Dates are aware;
    `*_from` is inclusive and `*_to` exclusive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic_ids: tuple[uuid.UUID, ...] = ()
    statuses: tuple[AppealStatus, ...] = ()
    stages: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    assignee_ids: tuple[uuid.UUID, ...] = ()
    customer_id: uuid.UUID | None = None
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    updated_from: AwareDatetime | None = None
    updated_to: AwareDatetime | None = None
    overdue: bool | None = None
    include_archived: bool = False
    text: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    attributes: tuple[AttributeFilter, ...] = Field(default=(), max_length=10)
    sort: SortOrder = SortOrder.CREATED_DESC

    @field_validator("created_to", "updated_to")
    @classmethod
    def _after_start(
        cls, end: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        start = info.data.get(str(info.field_name).replace("_to", "_from"))
        if start is not None and end is not None and start >= end:
            raise ValueError("must come after the start of the range")
        return end


def parse_filter(raw: Mapping[str, object]) -> AppealFilter:
    """The filter from JSON-like input, or BadFilter with one FieldError per problem
    (`statuses[0]`, `attributes[1].code`, `created_from`...)."""
    try:
        return AppealFilter.model_validate(dict(raw))
    except ValidationError as e:
        raise BadFilter([_field_error(err) for err in e.errors()]) from None


def _field_error(err: object) -> FieldError:
    assert isinstance(err, dict)
    path = ""
    for part in err.get("loc", ()):
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"str", "bool", "int", "float", "none"}:
            continue  # pydantic names the union member tried; the caller does not care
        else:
            path += f".{part}" if path else str(part)
    message = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
    return FieldError(path or "filter", message)
