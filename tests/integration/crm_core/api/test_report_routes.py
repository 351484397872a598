"""Appeal search, export, bulk operations and reports over HTTP."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import openpyxl
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_core.api.app import api_middleware
from crm_core.api.context import PUBLIC, WebHandler
from crm_core.api.report_routes import stream_rows
from crm_core.reports.export import ExportFormat
from crm_core.reports.model import Cell, Column
from tests.integration.crm_core.api.conftest import Api
from tests.integration.crm_core.api.demo import bearer, complaint_topic, new_complaint

PERIOD = {"since": "2026-01-01T00:00:00+00:00", "until": "2026-02-01T00:00:00Z"}


async def _three(api: Api) -> list[dict[str, Any]]:
    """Three complaints an hour apart (oldest first), speeds 100, 200 and 300."""
    topic = await complaint_topic(api)
    made = []
    for n in (1, 2, 3):
        made.append(
            await new_complaint(api, topic, description=f"<b>case {n}</b>",
                                speed=100 * n)
        )  # fmt: skip
        api.clock.advance(3600)
    return made


async def _get(api: Api, url: str, token: str, **params: Any) -> Any:
    response = await api.client.get(url, params=params, headers=bearer(token))
    assert response.status == 200, await response.text()
    return await response.json()


async def test_search_pages_newest_first_when_the_limit_is_small(api: Api) -> None:
    made = await _three(api)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    for _ in range(3):
        page = await _get(api, "/api/v1/appeals/search", api.agent_token, **params)
        seen += [hit["id"] for hit in page["items"]]
        if page["next"] is None:
            break
        params["after"] = page["next"]
    assert seen == [a["id"] for a in reversed(made)]


async def test_search_narrows_when_filters_are_given(api: Api) -> None:
    made = await _three(api)
    url = "/api/v1/appeals/search"
    fast = await _get(api, url, api.agent_token, **{"attr.Speed.gte": "200"})
    assert {h["id"] for h in fast["items"]} == {made[1]["id"], made[2]["id"]}
    exact = await _get(api, url, api.agent_token, **{"attr.Speed": "300"})
    assert [h["id"] for h in exact["items"]] == [made[2]["id"]]
    text = await _get(api, url, api.agent_token, text="case 2")
    assert [h["id"] for h in text["items"]] == [made[1]["id"]]
    statuses = await _get(api, url, api.agent_token, statuses="closed,in_progress")
    assert statuses["items"] == []
    early = await _get(
        api, url, api.agent_token, created_to="2026-01-05T09:30:00+00:00"
    )
    assert [h["id"] for h in early["items"]] == [made[0]["id"]]


async def test_search_is_refused_naming_the_field_when_a_filter_is_bad(
    api: Api,
) -> None:
    await _three(api)
    headers = bearer(api.agent_token)
    for params, field in (
        ({"attr.Nothing": "1"}, "attributes[0].code"),
        ({"attr.Speed.gte": "fast"}, "attributes[0].gte"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"after": "garbage"}, "cursor"),
    ):
        response = await api.client.get(
            "/api/v1/appeals/search", params=params, headers=headers
        )
        assert response.status == 422, params
        fields = [d["field"] for d in (await response.json())["details"]]
        assert fields == [field], (params, fields)
    wrong_status = await api.client.get(
        "/api/v1/appeals/search", params={"statuses": "lost"}, headers=headers
    )
    assert wrong_status.status == 422


async def test_export_streams_every_match_when_csv_is_asked(api: Api) -> None:
    made = await _three(api)
    response = await api.client.get(
        "/api/v1/appeals/export", params={"format": "csv", "bom": "true"},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "appeals.csv" in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Appeal"
    assert [r[0] for r in rows[1:]] == [a["id"] for a in reversed(made)]


async def test_export_is_a_workbook_or_escaped_page_when_xlsx_or_html_is_asked(
    api: Api,
) -> None:
    await _three(api)
    headers = bearer(api.admin_token)
    xlsx = await api.client.get(
        "/api/v1/appeals/export", params={"format": "xlsx"}, headers=headers
    )
    assert xlsx.status == 200, await xlsx.text()
    book = openpyxl.load_workbook(io.BytesIO(await xlsx.read()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 4
    assert rows[1][7] == "<b>case 3</b>"
    html = await api.client.get(
        "/api/v1/appeals/export", params={"format": "html"}, headers=headers
    )
    page = await html.text()
    assert "&lt;b&gt;case 1&lt;/b&gt;" in page
    assert "<b>case" not in page


async def test_export_is_refused_when_the_agent_lacks_report_export(
    api: Api,
) -> None:
    await _three(api)
    response = await api.client.get(
        "/api/v1/appeals/export", params={"format": "csv"},
        headers=bearer(api.agent_token),
    )  # fmt: skip
    assert response.status == 403


async def test_bulk_close_reports_each_appeal_when_some_cannot_be_closed(
    api: Api,
) -> None:
    made = await _three(api)
    missing = str(uuid.uuid4())
    response = await api.client.post(
        "/api/v1/appeals/bulk",
        json={"action": "close", "ids": [made[0]["id"], missing],
              "comment": "duplicate"},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["done"], body["refused"]) == (1, 1)
    refused = next(r for r in body["results"] if not r["ok"])
    assert (refused["appeal_id"], refused["error_id"]) == (missing, "appeal_not_found")
    closed = await _get(
        api, "/api/v1/appeals/search", api.admin_token, statuses="closed"
    )
    assert [h["id"] for h in closed["items"]] == [made[0]["id"]]


async def test_bulk_assign_targets_the_search_when_a_filter_is_given(
    api: Api,
) -> None:
    made = await _three(api)
    response = await api.client.post(
        "/api/v1/appeals/bulk",
        json={"action": "assign", "assignee_id": str(api.agent_id),
              "filter": {"attributes": [{"code": "Speed", "gte": 200}]}},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert response.status == 200, await response.text()
    results = (await response.json())["results"]
    assert {r["appeal_id"] for r in results if r["ok"]} == {
        made[1]["id"], made[2]["id"]
    }  # fmt: skip
    mine = await _get(
        api, "/api/v1/appeals/search", api.admin_token, assignee_ids=str(api.agent_id)
    )
    assert len(mine["items"]) == 2


async def test_bulk_is_refused_when_the_request_is_incomplete_or_not_allowed(
    api: Api,
) -> None:
    made = await _three(api)
    ids = [made[0]["id"]]
    for body, field in (
        ({"action": "assign", "ids": ids}, "assignee_id"),
        ({"action": "close", "ids": ids, "filter": {}}, "target"),
        ({"action": "close", "filter": {"statuses": ["lost"]}}, "filter.statuses[0]"),
    ):
        response = await api.client.post(
            "/api/v1/appeals/bulk", json=body, headers=bearer(api.admin_token)
        )
        assert response.status == 422, body
        assert [d["field"] for d in (await response.json())["details"]] == [field]
    agent = await api.client.post(
        "/api/v1/appeals/bulk", json={"action": "close", "ids": ids},
        headers=bearer(api.agent_token),
    )  # fmt: skip
    assert agent.status == 403


async def test_report_by_topic_counts_when_json_is_asked(api: Api) -> None:
    await _three(api)
    table = await _get(api, "/api/v1/reports/by-topic", api.admin_token, **PERIOD)
    assert table["title"] == "Appeals by topic"
    assert [c["name"] for c in table["columns"]][:3] == ["topic", "name", "total"]
    assert table["rows"] == [["complaint", "Complaint", 3, 3, 0, 0]]


async def test_report_is_a_file_when_a_format_is_asked(api: Api) -> None:
    await _three(api)
    response = await api.client.get(
        "/api/v1/reports/by-topic", params={**PERIOD, "format": "csv"},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    assert response.status == 200
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows == [
        ["Topic", "Name", "Total", "Open", "Closed", "Overdue"],
        ["complaint", "Complaint", "3", "3", "0", "0"],
    ]
    xlsx = await api.client.get(
        "/api/v1/reports/sla-breaches", params={**PERIOD, "format": "xlsx"},
        headers=bearer(api.admin_token),
    )  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(await xlsx.read()), read_only=True)
    sheet_rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert sheet_rows == [("Appeal", "Topic", "Stage", "Queue", "Status", "Assignee",
                     "Deadline", "Late, s", "Topic name", "Stage name",
                     "Assignee name")]  # fmt: skip


async def test_reports_list_breaches_and_operators_when_deadlines_pass(
    api: Api,
) -> None:
    made = await _three(api)
    api.clock.advance(5 * 3600)
    breaches = await _get(
        api, "/api/v1/reports/sla-breaches", api.admin_token, **PERIOD
    )
    assert {r[0] for r in breaches["rows"]} == {a["id"] for a in made}
    operators = await _get(
        api, "/api/v1/reports/by-operator", api.admin_token, **PERIOD
    )
    assert operators["title"] == "Appeals by operator"
    repeats = await _get(
        api, "/api/v1/reports/repeats", api.admin_token, within_days=7, **PERIOD
    )
    assert repeats["rows"] == []  # none of them has a customer


async def test_report_is_refused_when_the_period_or_right_is_wrong(
    api: Api,
) -> None:
    headers = bearer(api.admin_token)
    backwards = {"since": PERIOD["until"], "until": PERIOD["since"]}
    for params, field in (
        (backwards, "since"),
        ({"since": "2026-01-01T00:00:00", "until": PERIOD["until"]}, "since"),
        ({"until": PERIOD["until"]}, "since"),
        ({**PERIOD, "format": "pdf"}, "format"),
    ):
        response = await api.client.get(
            "/api/v1/reports/by-topic", params=params, headers=headers
        )
        assert response.status == 422, params
        assert [d["field"] for d in (await response.json())["details"]] == [field]
    file = await api.client.get(
        "/api/v1/reports/by-topic", params={**PERIOD, "format": "csv"},
        headers=bearer(api.agent_token),
    )  # fmt: skip
    assert file.status == 403


async def test_download_is_cut_when_the_rows_fail_midway() -> None:
    async def rows() -> AsyncIterator[Sequence[Sequence[Cell]]]:
        yield [("first", 1)]
        raise RuntimeError("database went away")

    async def handler(request: web.Request) -> web.StreamResponse:
        columns = (Column(name="a", label="A"), Column(name="b", label="B"))
        return await stream_rows(
            request, ExportFormat.CSV, rows(), title="T", columns=columns, bom=False
        )

    app = web.Application(middlewares=[api_middleware])  # errors become JSON there
    public: set[WebHandler] = {handler}
    app[PUBLIC] = public
    app.router.add_get("/api/v1/export", handler)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/api/v1/export")
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
