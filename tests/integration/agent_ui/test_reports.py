"""The reports pages as `serve` builds them: a report with its filters shows names
and words, a page at a time; the files (XLSX, CSV, HTML) hold the same columns and
rows; a wrong filter is a field error in words and runs nothing; a report outside
the user's rights is 403; a report without rows says so instead of a file."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from tests.integration.agent_ui.report_data import (
    DAY_OF_T0,
    Reports,
    Tables,
    as_page,
    reports_site,
)

FROM_IN_RUSSIAN = "\u0421"


@pytest.fixture
async def reports(database_url: str, tmp_path: Path) -> AsyncIterator[Reports]:
    async with reports_site(database_url, tmp_path) as running:
        yield running


async def test_marketing_sees_topic_names_when_a_report_is_narrowed_to_a_group(
    reports: Reports,
) -> None:
    group = reports.world.group  # "internet": complaint and termination below it
    async with reports.site.visitor("masha") as masha:
        answer = await masha.get(f"/reports/by-topic?{DAY_OF_T0}&topic={group}")
    assert answer.status == 200, answer.text
    page = Tables(answer.text)
    assert page.body == [
        ["Complaint", "2", "1", "1", "0"],
        ["Termination", "1", "1", "0", "0"],
    ]
    assert page.headings == ["Topic", "Appeals", "Open", "Closed", "Overdue"]
    assert page.ids["result-period"].startswith("5 January 2026")
    assert "Agents" not in Tables(answer.text).ids.get("report-title", "")


async def test_queue_report_shows_queue_words_and_pages_when_the_lines_are_many(
    reports: Reports,
) -> None:
    async with reports.site.visitor("sveta") as sveta:
        first = await sveta.get(f"/reports/queues?{DAY_OF_T0}&step=quarter")
        second = await sveta.get(
            f"/reports/queues?{DAY_OF_T0}&step=quarter&page=2", htmx=True
        )
        daily = await sveta.get(
            f"/reports/queues?{DAY_OF_T0}&step=period&queue=billing"
        )
    page = Tables(first.text)
    assert len(page.body) == 50
    assert page.body[0] == [
        "Billing", "2026-01-05 09:00", "5", "4", "1", "0", "0", "0", "60.0", "20.0",
        "0:15", "0:40", "4", "3:00", "66.7",
    ]  # fmt: skip
    assert page.ids["page-of"] == "Page 1 of 2"
    assert (second.status, len(Tables(second.text).body)) == (200, 10)
    assert "<html" not in second.text  # the report part alone for htmx
    whole = Tables(daily.text)
    assert whole.body == [["Billing", "100", "80", "20", "0", "0", "0", "60.0", "20.0",
                           "0:15", "0:40", "80", "3:00", "66.7"]]  # fmt: skip


async def test_supervisor_sees_agents_by_name_when_the_agents_report_runs(
    reports: Reports,
) -> None:
    async with reports.site.visitor("sveta") as sveta:
        agents = await sveta.get(f"/reports/agents?{DAY_OF_T0}")
        pauses = await sveta.get(f"/reports/pauses?{DAY_OF_T0}&agent=anna")
    assert [row[:6] for row in Tables(agents.text).body] == [
        ["Anna K.", "15:00", "3:20", "6:40", "5:00", "1"],
        ["boris", "15:00", "3:20", "6:40", "5:00", "1"],
    ]
    assert Tables(pauses.text).body == [["Anna K.", "Lunch", "1", "5:00", "5:00"]]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("period=custom&date_from=2026-01-06&date_to=2026-01-05", "date_to",
         "The period ends before it starts."),
        (f"{DAY_OF_T0}&topic={uuid.uuid4()}", "topic",
         "Choose one of the values offered."),
        (f"{DAY_OF_T0}&topic=nonsense", "topic", "Choose one of the values offered."),
        ("period=custom&date_from=2026-01-05", "date_to", "Fill this in."),
        ("period=someday", "period", "Choose one of the values offered."),
    ],
)  # fmt: skip
async def test_a_wrong_filter_is_a_field_error_in_words_when_the_report_is_asked(
    reports: Reports, query: str, field: str, words: str
) -> None:
    async with reports.site.visitor("masha") as masha:
        answer = await masha.get(f"/reports/by-topic?{query}", htmx=True)
        download = await masha.get(f"/reports/by-topic/export?format=csv&{query}")
    assert answer.status == 422
    page = Tables(answer.text)
    assert page.ids[f"{field}-error"] == words
    assert page.rows == []  # nothing ran
    assert download.status == 422
    assert "attachment" not in download.headers.get("Content-Disposition", "")
    assert Tables(download.text).ids[f"{field}-error"] == words


@pytest.mark.parametrize(
    "path", ["/reports/agents", "/reports/pauses/export?format=csv"]
)
async def test_a_report_outside_the_rights_is_refused_when_marketing_asks(
    reports: Reports, path: str
) -> None:
    async with reports.site.visitor("masha") as masha:
        answer = await masha.get(path)
        own = await masha.get("/reports")
    assert answer.status == 403
    assert "Your role may not open this page or do this." in answer.text
    assert "/reports/agents" not in own.text  # not offered either


async def test_agents_cannot_open_the_reports_when_they_have_no_right(
    reports: Reports,
) -> None:
    async with reports.site.visitor("anna") as anna:
        answer = await anna.get(f"/reports/queues?{DAY_OF_T0}")
    assert answer.status == 403


async def test_files_hold_the_rows_of_the_page_when_downloaded(
    reports: Reports,
) -> None:
    query = f"{DAY_OF_T0}&step=hour&queue=support"
    async with reports.site.visitor("sveta") as sveta:
        page = Tables((await sveta.get(f"/reports/queues?{query}")).text)
        xlsx = await sveta.http.get(
            f"{reports.site.base}/reports/queues/export?format=xlsx&{query}"
        )
        book = openpyxl.load_workbook(io.BytesIO(await xlsx.read()), read_only=True)
        flat = await sveta.get(f"/reports/queues/export?format=csv&{query}")
        html = await sveta.get(f"/reports/queues/export?format=html&{query}")
    assert xlsx.headers["Content-Disposition"] == (
        'attachment; filename="queues-2026-01-05.xlsx"'
    )
    sheet = list(book.worksheets[0].iter_rows())
    assert [cell.value for cell in sheet[0]] == page.headings
    assert [[as_page(cell) for cell in row] for row in sheet[1:]] == page.body
    assert len(page.body) == 5  # 20 quarter-hours from 09:00 in 5 hours
    rows = list(csv.reader(io.StringIO(flat.text.removeprefix("\ufeff"))))
    assert rows[0] == page.headings
    assert [r[0] for r in rows[1:]] == [r[0] for r in page.body]
    in_html = Tables(html.text.replace("<table>", '<table id="report-table">'))
    assert in_html.body == rows[1:]


async def test_a_download_says_so_in_words_when_the_report_has_no_rows(
    reports: Reports,
) -> None:
    empty = "period=custom&date_from=2025-01-05&date_to=2025-01-05"
    async with reports.site.visitor("masha") as masha:
        page = await masha.get(f"/reports/sla-breaches?{empty}")
        download = await masha.get(f"/reports/sla-breaches/export?format=xlsx&{empty}")
    found = Tables(page.text)
    assert found.ids["no-lines"] == "No lines for these filters in this period."
    assert found.ids["nothing-to-export"] == (
        "Nothing to download: the report has no lines."
    )
    assert download.status == 200
    assert download.headers["Content-Type"].startswith("text/html")
    assert Tables(download.text).ids["nothing-to-export"] == (
        "Nothing to download: the report has no lines for these filters in this period."
    )


async def test_the_page_speaks_russian_when_the_user_chose_it(reports: Reports) -> None:
    async with reports.site.visitor("sveta") as sveta:
        sveta.language = "ru"
        answer = await sveta.get(f"/reports/queues?{DAY_OF_T0}&step=day")
    page = Tables(answer.text)
    assert page.headings[:2] == ["Очередь", FROM_IN_RUSSIAN]
    assert page.body[0][:2] == ["Расчёты", "2026-01-05"]
    assert page.ids["result-period"].startswith("5 января 2026")
