"""Endpoints for appeal search, bulk operations, reports and exports (C12, C13).

Filters come as query parameters (lists repeated or comma-separated, typed attributes
as `attr.<code>=`, `attr.<code>.gte=`, `attr.<code>.lte=`); files are streamed batch
by batch as they are written. Search, bulk and report logic live in crm_core.reports.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from aiohttp import web
from multidict import MultiMapping
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from crm_core.api.routing import ApiCall, ApiRoutes, Page
from crm_core.appeals.model import AppealStatus
from crm_core.auth.model import Actor, Permission
from crm_core.auth.rights import require
from crm_core.errors import FieldError, ValidationFailed
from crm_core.reports.bulk import BulkOperations, BulkResult, BulkTarget
from crm_core.reports.errors import BadFilter
from crm_core.reports.export import MEDIA_TYPES, ExportFormat, open_writer
from crm_core.reports.filters import AppealFilter, parse_filter
from crm_core.reports.model import HIT_COLUMNS, Cell, Column, Table, hit_row
from crm_core.reports.reports import ReportService
from crm_core.reports.search import AppealSearch


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportApi:
    """What these endpoints need, built by the composition root."""

    search: AppealSearch
    bulk: BulkOperations
    reports: ReportService


log = logging.getLogger(__name__)

REPORTS: web.AppKey[ReportApi] = web.AppKey("crm_api_reports")
LIST_FIELDS = frozenset({"topic_ids", "statuses", "stages", "queues", "assignee_ids"})
NOT_FILTERS = frozenset({"limit", "after", "format", "bom"})
EXPORT_BATCH = 1000
Rows = Sequence[Sequence[Cell]]

routes = ApiRoutes("reports")

FormatName = Literal["json", "csv", "xlsx", "html"]
"""An inline enum: query parameter schemas in the OpenAPI document cannot refer to
shared definitions."""
P = Permission


class SearchQuery(BaseModel):
    """Documents the search parameters; `crm_core.reports.filters` validates them.
    Lists: repeat the parameter or separate with commas. Dates carry a zone."""

    model_config = ConfigDict(extra="allow")

    topic_ids: list[str] | str | None = Field(
        default=None, description="a group stands for every topic below it"
    )
    statuses: list[str] | str | None = Field(
        default=None, description="waiting, in_progress, rejected_back, closed"
    )
    stages: list[str] | str | None = None
    queues: list[str] | str | None = None
    assignee_ids: list[str] | str | None = None
    customer_id: str | None = None
    created_from: str | None = Field(default=None, description="inclusive")
    created_to: str | None = Field(default=None, description="exclusive")
    updated_from: str | None = None
    updated_to: str | None = None
    overdue: bool | None = None
    include_archived: bool | None = None
    text: str | None = Field(default=None, description="in the description")
    sort: str | None = Field(
        default=None, description="created_desc (default) or deadline_asc"
    )


class ExportQuery(SearchQuery):
    format: FormatName = "csv"
    bom: bool = Field(default=False, description="a UTF-8 BOM for Excel (CSV only)")


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(description="start of the period, inclusive")
    until: AwareDatetime = Field(description="end of the period, exclusive")
    format: FormatName = "json"
    bom: bool = Field(default=False, description="a UTF-8 BOM for Excel (CSV only)")


class RepeatQuery(ReportQuery):
    within_days: int = Field(default=30, description="a repeat follows within this")


class AppealHitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    topic_id: uuid.UUID
    stage: str
    queue: str | None
    status: AppealStatus
    assignee_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    customer_group: str | None
    description: str
    created_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    overdue: bool
    archived: bool


class BulkAction(StrEnum):
    ASSIGN = "assign"
    PASS_ON = "pass_on"  # noqa: S105 - an action, not a password
    CLOSE = "close"


class BulkIn(BaseModel):
    """Exactly one of `ids` and `filter` (the search filter as a JSON object)."""

    model_config = ConfigDict(extra="forbid")

    action: BulkAction
    ids: list[uuid.UUID] | None = None
    filter: dict[str, Any] | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="for assign")
    transition: str | None = Field(
        default=None, description="for pass_on; default: the first whose guard holds"
    )
    comment: str = Field(default="", max_length=4000)


class BulkResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    appeal_id: uuid.UUID
    ok: bool
    error_id: str | None
    reason: str | None


class BulkOut(BaseModel):
    done: int
    refused: int
    results: list[BulkResultOut]


class ColumnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    label: str


class TableOut(BaseModel):
    """With `format=csv|xlsx|html` the table comes as a file download instead."""

    title: str
    columns: list[ColumnOut]
    rows: list[list[Any]]


def filter_from_query(query: MultiMapping[str]) -> AppealFilter:
    """The search filter from query parameters; BadFilter names each bad one."""
    raw: dict[str, object] = {}
    attributes: dict[str, dict[str, object]] = {}
    for name in dict.fromkeys(query.keys()):
        values = query.getall(name)
        if name in NOT_FILTERS:
            continue
        if name.startswith("attr."):
            code, _, op = name.removeprefix("attr.").rpartition(".")
            if op not in {"eq", "gte", "lte"}:
                code, op = name.removeprefix("attr."), "eq"
            attributes.setdefault(code, {"code": code})[op] = _literal(values[-1])
        elif name in LIST_FIELDS:
            raw[name] = [v for value in values for v in value.split(",") if v]
        else:
            raw[name] = values[0] if len(values) == 1 else values
    if attributes:
        raw["attributes"] = list(attributes.values())
    return parse_filter(raw)


def _literal(text: str) -> str | bool:
    return {"true": True, "false": False}.get(text, text)


@routes.get(
    "/appeals/search", permission=P.APPEAL_READ, query=SearchQuery, paged=True,
    response=AppealHitOut, summary="Search appeals (keyset pages)",
)  # fmt: skip
async def search_appeals(call: ApiCall) -> Page:
    """Newest first (`sort=created_desc`) or nearest deadline first
    (`sort=deadline_asc`); pass `next` as `after` for the following page."""
    flt = filter_from_query(call.request.query)
    page = call.page()
    found = await call.service(REPORTS).search.search(
        call.actor, flt, cursor=page.after, limit=page.limit
    )
    items = [AppealHitOut.model_validate(hit) for hit in found.items]
    return Page(items=items, next=found.next_cursor)


@routes.get(
    "/appeals/export", permission=P.REPORT_EXPORT, query=ExportQuery,
    summary="Every appeal matching a search, as a CSV, XLSX or HTML file",
)  # fmt: skip
async def export_appeals(call: ApiCall) -> web.StreamResponse:
    """Streamed page by page, so any number of appeals can be exported."""
    options = call.query(ExportQuery)
    if options.format == "json":
        problem = "use /appeals/search for JSON; here csv, xlsx or html"
        raise ValidationFailed([FieldError("format", problem)])
    flt = filter_from_query(call.request.query)
    search = call.service(REPORTS).search
    rows = _hit_batches(search, call.actor, flt)
    return await stream_rows(
        call.request, ExportFormat(options.format), rows,
        title="Appeals", columns=HIT_COLUMNS, bom=options.bom,
    )  # fmt: skip


async def _hit_batches(
    search: AppealSearch, actor: Actor, flt: AppealFilter
) -> AsyncIterator[Rows]:
    batch: list[tuple[Cell, ...]] = []
    async for hit in search.iterate(actor, flt):
        batch.append(hit_row(hit))
        if len(batch) >= EXPORT_BATCH:
            yield batch
            batch = []
    yield batch


@routes.post(
    "/appeals/bulk", permission=P.APPEAL_BULK, body=BulkIn, response=BulkOut,
    summary="Assign, pass on or close many appeals at once",
)  # fmt: skip
async def bulk(call: ApiCall) -> BulkOut:
    """One result per appeal: those refused (no right, a stage that does not allow
    it...) say why, and the others are done."""
    data = call.body(BulkIn)
    target = BulkTarget(ids=data.ids, filter=_bulk_filter(data.filter))
    operations = call.service(REPORTS).bulk
    results: list[BulkResult]
    match data.action:
        case BulkAction.ASSIGN:
            if data.assignee_id is None:
                problem = "required for assign"
                raise ValidationFailed([FieldError("assignee_id", problem)])
            results = await operations.assign(
                call.actor, target, assignee_id=data.assignee_id, comment=data.comment
            )
        case BulkAction.PASS_ON:
            results = await operations.pass_on(
                call.actor, target, transition=data.transition, comment=data.comment
            )
        case BulkAction.CLOSE:
            results = await operations.close(call.actor, target, comment=data.comment)
    done = sum(r.ok for r in results)
    return BulkOut(
        done=done, refused=len(results) - done,
        results=[BulkResultOut.model_validate(r) for r in results],
    )  # fmt: skip


def _bulk_filter(raw: dict[str, Any] | None) -> AppealFilter | None:
    if raw is None:
        return None
    try:
        return parse_filter(raw)
    except BadFilter as exc:
        errors = [FieldError(f"filter.{e.field}", e.message) for e in exc.errors]
        raise BadFilter(errors) from None


def _report(name: str, summary: str, query: type[ReportQuery]) -> None:
    """Declare GET /reports/<name>: JSON, or a file with `format=csv|xlsx|html`."""

    async def handler(call: ApiCall) -> TableOut | web.StreamResponse:
        options = call.query(query)
        if options.format != "json":
            require(call.actor, P.REPORT_EXPORT)
        reports = call.service(REPORTS).reports
        since, until = options.since, options.until
        match name:
            case "by-topic":
                table = await reports.by_topic(call.actor, since=since, until=until)
            case "by-operator":
                table = await reports.by_operator(call.actor, since=since, until=until)
            case "repeats":
                assert isinstance(options, RepeatQuery)
                table = await reports.repeats(
                    call.actor, since=since, until=until,
                    within_days=options.within_days,
                )  # fmt: skip
            case _:
                table = await reports.sla_breaches(call.actor, since=since, until=until)
        if options.format == "json":
            return _table_out(table)
        return await stream_rows(
            call.request, ExportFormat(options.format), row_batches(table.rows),
            title=table.title, columns=table.columns, bom=options.bom,
        )  # fmt: skip

    handler.__name__ = "report_" + name.replace("-", "_")
    routes.get(
        f"/reports/{name}", permission=P.REPORT_READ, query=query, response=TableOut,
        summary=summary,
    )(handler)  # fmt: skip


_report("by-topic", "Appeals per topic: total, open, closed, overdue", ReportQuery)
_report(
    "by-operator",
    "Per operator: appeals handled, closed, average handling time",
    ReportQuery,
)
_report("repeats", "Customers back on the same topic within N days", RepeatQuery)
_report("sla-breaches", "Appeals that missed their deadline, latest first", ReportQuery)


def _table_out(table: Table) -> TableOut:
    return TableOut(
        title=table.title,
        columns=[ColumnOut.model_validate(c) for c in table.columns],
        rows=[list(row) for row in table.rows],
    )


async def row_batches(rows: Rows) -> AsyncIterator[Rows]:
    """Rows held whole, given `stream_rows` a batch at a time."""
    for start in range(0, max(len(rows), 1), EXPORT_BATCH):
        yield rows[start : start + EXPORT_BATCH]


class _Chunks(io.BytesIO):
    """Collects what a writer writes, to be sent and dropped batch by batch. Says it
    cannot tell or seek, so zip (XLSX) writes data descriptors instead of going
    back to patch headers already sent."""

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise io.UnsupportedOperation("a stream being sent")

    def take(self) -> bytes:
        data = self.getvalue()
        super().seek(0)
        super().truncate(0)
        return data


async def stream_rows(
    request: web.Request,
    fmt: ExportFormat,
    batches: AsyncIterator[Rows],
    *,
    title: str,
    columns: Sequence[Column],
    bom: bool,
    filename: str | None = None,
) -> web.StreamResponse:
    """Send rows as a file download (named `filename`, else after the title), one
    batch at a time; the first is read before the response starts (a bad filter
    is still a JSON error)."""
    batch: Rows | None = await anext(batches, None)
    named = re.sub(r"[^A-Za-z0-9]+", "-", filename or title).strip("-").lower()
    name = named or "report"
    response = web.StreamResponse(
        headers={
            "Content-Type": MEDIA_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{name}.{fmt.value}"',
        }
    )
    await response.prepare(request)
    sink = _Chunks()
    writer = open_writer(fmt, sink, columns, title=title, bom=bom)
    try:
        while batch is not None:
            writer.write(batch)
            if data := sink.take():
                await response.write(data)
            batch = await anext(batches, None)
        writer.close()
    except Exception:
        # The status line is sent: only a cut connection tells the client that the
        # file is incomplete (a clean end of the chunked body would not).
        log.exception("export %s of %r failed midway", fmt.value, title)
        if request.transport is not None:
            request.transport.close()
        raise
    await response.write(sink.take())
    await response.write_eof()
    return response
