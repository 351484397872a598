"""The reports pages: a report with its filters (the whole page, or for htmx the
report part alone), and the same report as an XLSX, CSV or HTML file streamed
with the same filters and columns. Each handler parses, calls the report desk
and renders."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui import labels, pages
from agent_ui.reports import catalogue, views
from agent_ui.reports.catalogue import Report
from agent_ui.reports.service import REPORT_DESK, Outcome, ReportDesk
from crm_core.api.report_routes import row_batches, stream_rows
from crm_core.auth.model import Permission
from crm_core.auth.rights import require
from crm_core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from crm_core.reports.export import ExportFormat
from crm_core.reports.model import Column as FileColumn

routes = web.RouteTableDef()

PAGE = "reports/page.html"
PART = "reports/_report.html"


def _desk(request: web.Request) -> ReportDesk:
    return request.app[REPORT_DESK]


def _report(request: web.Request) -> Report:
    found = catalogue.find(request.match_info["key"])
    if found is None:
        raise NotFound(f"no report {request.match_info['key']!r}")
    return found


@routes.get("/reports")
async def first(request: web.Request) -> web.StreamResponse:
    """The first report the viewer may run, as the area's start page."""
    offered = catalogue.offered(pages.viewer(request).actor)
    if not offered:
        raise Forbidden("no report is open to this user")
    return await _show(request, offered[0])


@routes.get("/reports/{key}")
async def report(request: web.Request) -> web.StreamResponse:
    return await _show(request, _report(request))


async def _show(request: web.Request, chosen: Report) -> web.Response:
    actor = pages.viewer(request).actor
    outcome = await _desk(request).open(actor, chosen, request.query)
    template = PART if pages.is_htmx(request) else PAGE
    status = 422 if outcome.parsed.errors else 200
    return pages.render(request, template, _context(request, outcome), status=status)


def _context(request: web.Request, outcome: Outcome) -> dict[str, Any]:
    viewer = pages.viewer(request)
    translate = pages.words(request).gettext
    desk, chosen, parsed = _desk(request), outcome.report, outcome.parsed
    context: dict[str, Any] = {
        "report": {"title": translate(chosen.title), "path": chosen.path,
                   "key": chosen.key},
        "tabs": views.report_tabs(viewer.actor, chosen, translate),
        "form": views.form_view(chosen, parsed.values, parsed.errors, translate),
        "topics": views.topic_choices(outcome.choices.topics),
        "groups": views.choice_words(
            outcome.choices.groups, labels.CUSTOMER_GROUPS, translate
        ),
        "queues": views.choice_words(outcome.choices.queues, labels.QUEUES, translate),
        "agents": list(outcome.choices.agents.items()),
        "can_export": viewer.actor.can(Permission.REPORT_EXPORT),
        "result": None,
    }  # fmt: skip
    if parsed.form is not None and outcome.table is not None:
        assert outcome.period is not None
        found = views.sheet(
            chosen, parsed.form, outcome.table, names=outcome.names,
            translate=translate, zone=desk.zone,
        )  # fmt: skip
        context["result"] = views.result_view(
            chosen, parsed.form, found, period=outcome.period,
            language=viewer.language, zone=desk.zone,
        )  # fmt: skip
    return context


@routes.get("/reports/{key}/export")
async def export(request: web.Request) -> web.StreamResponse:
    """The report as a file; a wrong filter shows the page with its problems, and
    a report without rows says so instead of sending an empty file."""
    chosen, actor = _report(request), pages.viewer(request).actor
    require(actor, Permission.REPORT_EXPORT)
    fmt = _format(request.query.get("format", ""))
    outcome = await _desk(request).open(actor, chosen, request.query)
    form, table, period = outcome.parsed.form, outcome.table, outcome.period
    if form is None or table is None or period is None:
        return pages.render(request, PAGE, _context(request, outcome), status=422)
    if not table.rows:
        context = {"report": _context(request, outcome)["report"]}
        context["back"] = views.link(chosen, form)
        return pages.render(request, "reports/nothing.html", context)
    found = views.sheet(
        chosen, form, table, names=outcome.names,
        translate=pages.words(request).gettext, zone=_desk(request).zone,
    )  # fmt: skip
    columns = [FileColumn(name=f"c{i}", label=h) for i, h in enumerate(found.headings)]
    return await stream_rows(
        request, fmt, row_batches(found.rows), title=found.title, columns=columns,
        bom=fmt is ExportFormat.CSV, filename=f"{chosen.key}-{period.first_day}",
    )  # fmt: skip


def _format(given: str) -> ExportFormat:
    try:
        return ExportFormat(given)
    except ValueError:
        raise ValidationFailed([FieldError("format", "is not a file format")]) from None
