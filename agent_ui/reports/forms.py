"""The reports' filter form: one pydantic model (the period's own, with the filters
beside it) read from the page's query, each problem said per field in words, and a
value that is not among those offered refused before anything runs. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from pydantic import Field, ValidationError, field_validator

from acd.reports import Step
from agent_ui import labels
from agent_ui.labels import N_
from agent_ui.reports.catalogue import Filter, Report
from crm_core.reports.periods import PeriodChoice, PeriodInput

NOT_OFFERED = N_("Choose one of the values offered.")
FIELDS = ("period", "date_from", "date_to", *(f.value for f in Filter), "page")

PERIODS: Mapping[PeriodChoice, str] = {
    PeriodChoice.TODAY: N_("Today"),
    PeriodChoice.YESTERDAY: N_("Yesterday"),
    PeriodChoice.THIS_WEEK: N_("This week"),
    PeriodChoice.LAST_7_DAYS: N_("Last 7 days"),
    PeriodChoice.THIS_MONTH: N_("This month"),
    PeriodChoice.CUSTOM: N_("Dates of my own"),
}
STEPS: Mapping[Step, str] = {
    Step.QUARTER: N_("15 minutes"),
    Step.HOUR: N_("Hour"),
    Step.DAY: N_("Day"),
    Step.PERIOD: N_("Whole period"),
}


class ReportForm(PeriodInput):
    """A report's filters; empty fields mean any."""

    topic: uuid.UUID | None = None
    group: str | None = Field(default=None, max_length=40)
    queue: str | None = Field(default=None, max_length=64)
    agent: str | None = Field(default=None, max_length=64)
    step: Step = Step.QUARTER
    within_days: int = Field(default=30, ge=1, le=366)
    page: int = Field(default=1, ge=1)

    @field_validator("topic", "group", "queue", "agent", mode="before")
    @classmethod
    def _blank_is_any(cls, value: object) -> object:
        return None if value == "" else value


@dataclass(frozen=True, slots=True, kw_only=True)
class Offered:
    """What the filters may be set to (ids and codes)."""

    topics: Collection[uuid.UUID] = ()
    groups: Collection[str] = ()
    queues: Collection[str] = ()
    agents: Collection[str] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """The form as sent (`values`, to show again), and the model when it holds."""

    values: Mapping[str, str]
    form: ReportForm | None
    errors: Mapping[str, str] = field(default_factory=dict)
    """Field name -> message id."""


def parse(query: Mapping[str, str], report: Report, offered: Offered) -> Parsed:
    """The filters of `report` from the page's query: the model, or the problems
    per field (a value not in `offered` is one)."""
    values = {name: query[name].strip() for name in FIELDS if name in query}
    try:
        form = ReportForm.model_validate(values)
    except ValidationError as failed:
        errors: dict[str, str] = {}
        for error in failed.errors():
            name = str(error["loc"][0]) if error["loc"] else "period"
            errors.setdefault(name, labels.field_problem(error["msg"]))
        return Parsed(values=values, form=None, errors=errors)
    errors = {
        name: NOT_OFFERED
        for name, given, among in (
            (Filter.TOPIC, form.topic, offered.topics),
            (Filter.GROUP, form.group, offered.groups),
            (Filter.QUEUE, form.queue, offered.queues),
            (Filter.AGENT, form.agent, offered.agents),
        )
        if name in report.filters and given is not None and given not in among
    }
    return Parsed(values=values, form=None if errors else form, errors=errors)


def query_of(form: ReportForm, report: Report, **changes: str) -> dict[str, str]:
    """The query that asks for `form` again (for links: pages, files), only with
    what applies to `report`, plus `changes`."""
    query = {"period": form.period.value}
    if form.period is PeriodChoice.CUSTOM:
        assert form.date_from is not None
        assert form.date_to is not None
        query |= {"date_from": str(form.date_from), "date_to": str(form.date_to)}
    chosen = {
        Filter.TOPIC: form.topic, Filter.GROUP: form.group,
        Filter.QUEUE: form.queue, Filter.AGENT: form.agent,
        Filter.STEP: form.step.value, Filter.WITHIN_DAYS: form.within_days,
    }  # fmt: skip
    for name, value in chosen.items():
        if name in report.filters and value is not None:
            query[name.value] = str(value)
    return query | changes
