"""The reports page's views: a report's table as people read it (names for logins
and ids, words for codes, durations, percentages, local times) in rows that the
page shows a page at a time and the files hold whole, so both have the same
columns and values. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date

from acd.reports import Step
from agent_ui import labels
from agent_ui.agent.views import appeal_number
from agent_ui.reports.catalogue import REPORTS, Column, Filter, Report, Shown, allowed
from agent_ui.reports.forms import PERIODS, STEPS, ReportForm, query_of
from crm_core.appeals.model import Topic
from crm_core.auth.model import Actor
from crm_core.reports.export import ExportFormat
from crm_core.reports.model import Cell, Table
from crm_core.reports.periods import Period

Translate = Callable[[str], str]
View = dict[str, Any]
PAGE_SIZE = 50
PERCENT = Decimal("0.1")
NOTHING = "—"
"""Shown where there is no figure (no calls answered: no speed of answer)."""
DASH = " \u2013 "
FORMATS = (ExportFormat.XLSX, ExportFormat.CSV, ExportFormat.HTML)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sheet:
    """A report as people read it: column headings and rows of typed cells."""

    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    styles: tuple[str, ...]
    """Each column's look: "num" for figures (right-aligned), "when" for times
    (kept on one line), "" for words."""


def columns_of(report: Report, form: ReportForm) -> tuple[Column, ...]:
    """The columns shown: a queue report over the whole period has no "From"."""
    whole = Filter.STEP in report.filters and form.step is Step.PERIOD
    return tuple(c for c in report.columns if not (whole and c.source == "start"))


def sheet(
    report: Report,
    form: ReportForm,
    table: Table,
    *,
    names: Mapping[str, str],
    translate: Translate,
    zone: tzinfo,
) -> Sheet:
    """`table` in the columns and words of `report` (what the page shows and what
    the files hold)."""
    columns = columns_of(report, form)
    index = {c.name: i for i, c in enumerate(table.columns)}
    by_day = Filter.STEP in report.filters and form.step is Step.DAY

    def value(row: Sequence[Cell], column: Column) -> Cell:
        raw = row[index[column.source]]
        if raw is None and column.fallback is not None:
            raw = row[index[column.fallback]]
        shown = _cell(raw, column, names=names, translate=translate, zone=zone)
        if by_day and column.source == "start" and isinstance(shown, datetime):
            return shown.date()
        return shown

    return Sheet(
        title=translate(report.title),
        headings=tuple(translate(c.label) for c in columns),
        rows=tuple(tuple(value(row, c) for c in columns) for row in table.rows),
        styles=tuple(_style(c) for c in columns),
    )


def _style(column: Column) -> str:
    if column.shown in (Shown.COUNT, Shown.SECONDS, Shown.SHARE):
        return "num"
    return "when" if column.shown is Shown.MOMENT else ""


def _cell(
    raw: Cell,
    column: Column,
    *,
    names: Mapping[str, str],
    translate: Translate,
    zone: tzinfo,
) -> Cell:
    if raw is None:
        return None
    match column.shown:
        case Shown.TEXT | Shown.COUNT:
            return raw
        case Shown.SECONDS:
            assert isinstance(raw, int | float)
            return timedelta(seconds=round(raw))
        case Shown.SHARE:
            assert isinstance(raw, int | float)
            return (Decimal(str(raw)) * 100).quantize(PERCENT)
        case Shown.MOMENT:
            assert isinstance(raw, datetime)
            return raw.astimezone(zone).replace(tzinfo=None)
        case Shown.WORDS:
            return translate(labels.label(column.words or {}, str(raw)))
        case Shown.PERSON:
            return names.get(str(raw), str(raw))
        case Shown.APPEAL:
            return appeal_number(raw)


def shown(cell: Cell) -> str:
    """A cell as the page writes it."""
    match cell:
        case None:
            return NOTHING
        case timedelta():
            return labels.duration(cell.total_seconds())
        case datetime():
            return cell.strftime("%Y-%m-%d %H:%M")
        case bool():
            return str(cell)
        case date() | Decimal() | int() | float() | str():
            return str(cell)
        case _:
            return str(cell)


def pages(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def page_rows(rows: Sequence[Any], page: int, size: int = PAGE_SIZE) -> Sequence[Any]:
    """Rows of 1-based `page` (the last one when past it)."""
    last = pages(len(rows), size)
    start = (min(page, last) - 1) * size
    return rows[start : start + size]


def topic_choices(topics: Sequence[Topic]) -> list[tuple[str, str]]:
    """The topic tree in order, each below its group, indented by depth."""
    children: dict[object, list[Topic]] = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)

    def walk(parent: object, depth: int) -> Iterator[tuple[str, str]]:
        for topic in sorted(children.get(parent, []), key=lambda t: t.name.lower()):
            yield str(topic.id), "\u2003" * depth + topic.name
            yield from walk(topic.id, depth + 1)

    return list(walk(None, 0))


def period_words(period: Period, language: str) -> str:
    """`1 December 2026`, or the first and the last day with a dash between."""
    first = format_date(period.first_day, "d MMMM y", locale=language)
    if period.first_day == period.last_day:
        return first
    last = format_date(period.last_day, "d MMMM y", locale=language)
    return f"{first}{DASH}{last}"


def report_tabs(actor: Actor, current: Report, translate: Translate) -> list[View]:
    return [
        {"title": translate(r.title), "path": r.path, "current": r.key == current.key}
        for r in REPORTS
        if allowed(r, actor)
    ]


def link(report: Report, form: ReportForm, *, suffix: str = "", **changes: str) -> str:
    query = urlencode(query_of(form, report, **changes))
    return f"{report.path}{suffix}?{query}"


def result_view(
    report: Report,
    form: ReportForm,
    found: Sheet,
    *,
    period: Period,
    language: str,
    zone: tzinfo,
) -> View:
    """What the results part shows: the period, the files, a page of rows."""
    page = min(form.page, pages(len(found.rows)))
    last = pages(len(found.rows))
    return {
        "period": period_words(period, language),
        "zone": str(zone),
        "headings": list(zip(found.headings, found.styles, strict=True)),
        "rows": [
            [(shown(c), style) for c, style in zip(row, found.styles, strict=True)]
            for row in page_rows(found.rows, page)
        ],
        "total": len(found.rows),
        "page": page,
        "pages": last,
        "previous": link(report, form, page=str(page - 1)) if page > 1 else None,
        "next": link(report, form, page=str(page + 1)) if page < last else None,
        "files": [
            {
                "format": f.value,
                "label": f.value.upper(),
                "url": link(report, form, suffix="/export", format=f.value),
            }
            for f in FORMATS
        ],
    }


def form_view(
    report: Report, values: Mapping[str, str], errors: Mapping[str, str],
    translate: Translate,
) -> View:  # fmt: skip
    """The filter form: what was sent, each problem in words, the choices."""
    defaults = {"period": "today", "step": Step.QUARTER.value, "within_days": "30"}
    return {
        "values": {**defaults, **values},
        "errors": {name: translate(message) for name, message in errors.items()},
        "filters": {f.value for f in report.filters},
        "periods": [(p.value, translate(label)) for p, label in PERIODS.items()],
        "steps": [(s.value, translate(label)) for s, label in STEPS.items()],
    }


def choice_words(
    codes: Sequence[str], table: Mapping[str, str], translate: Translate
) -> list[tuple[str, str]]:
    """Codes offered in a list, each in words."""
    return [(code, translate(labels.label(table, code))) for code in codes]
