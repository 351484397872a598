"""The knowledge base's pages from the service's answers: snippets, the body's
blocks, the list's pages, the form's problems in words; the list's filters read
from the address. Pure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from agent_ui.kb import views
from agent_ui.kb.forms import ListFilter, Posted, article_input, article_problems
from crm_core.errors import FieldError
from crm_core.kb.model import (
    Article,
    ArticleId,
    ArticleStatus,
    Category,
    CategoryId,
    Found,
    Hit,
    Language,
    Segment,
    Snippet,
    TopicChoice,
)

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
BILLING = Category(id=CategoryId(uuid.UUID(int=7)), name_en="Billing", name_ru="")


def article(**changes: object) -> Article:
    values: dict[str, object] = {
        "id": ArticleId(uuid.UUID(int=1)), "title": "Bills", "body": "Paid **now**.",
        "language": Language.RU, "status": ArticleStatus.DRAFT,
        "category_id": BILLING.id, "topic_codes": ("complaint", "gone"),
        "version": 3, "created_at": AT, "created_by": "vera", "updated_at": AT,
        "updated_by": "ivan", "published_at": None,
    }  # fmt: skip
    return Article(**{**values, **changes})  # type: ignore[arg-type]  # test data


def hit(n: int = 1) -> Hit:
    return Hit(
        article=article(id=ArticleId(uuid.UUID(int=n))),
        snippet=Snippet(
            segments=(Segment(text="was "), Segment(text="billed", hit=True)),
            cut_before=True, cut_after=False,
        ),
        on_topic=True,
    )  # fmt: skip


def test_hit_shows_words_and_names_never_codes_when_listed() -> None:
    names = views.category_names([BILLING], "ru")
    shown = views.hit_view(hit(), names)
    assert shown["category"] == "Billing"  # no Russian name: the English one
    assert shown["language"] == "Русский"
    assert shown["status_label"] == "Draft"
    assert shown["updated"] == "2026-12-01 09:30"
    assert shown["snippet"] == [
        {"text": "was ", "hit": False}, {"text": "billed", "hit": True},
    ]  # fmt: skip


def test_article_shows_its_topics_by_name_when_opened() -> None:
    topics = [TopicChoice(id=uuid.uuid4(), code="complaint", name="Complaint")]
    shown = views.article_view(article(), {}, topics)
    assert shown["topics"] == ["Complaint", "Gone"]
    assert shown["category"] == ""
    assert shown["body"] == [
        {"kind": "paragraph", "lines": [[
            {"text": "Paid ", "bold": False, "href": None},
            {"text": "now", "bold": True, "href": None},
            {"text": ".", "bold": False, "href": None},
        ]]},
    ]  # fmt: skip


def test_list_knows_its_neighbour_pages_when_in_the_middle() -> None:
    asked = ListFilter.of({"q": "bill", "page": "2", "status": "bogus"})
    shown = views.list_view(Found(hits=(hit(),), total=45), asked, {})
    assert (shown["page"], shown["pages"], shown["first"], shown["last"]) == (
        2, 3, 21, 21,
    )  # fmt: skip
    assert shown["previous"] == "/kb?q=bill"
    assert shown["next"] == "/kb?q=bill&page=3"
    assert shown["searched"]


def test_list_filter_ignores_what_it_does_not_know_when_read() -> None:
    asked = ListFilter.of({"category": "nope", "page": "-1", "language": "ru"})
    query = asked.query()
    assert (query.category_id, query.language, query.offset) == (None, Language.RU, 0)


def test_form_problems_are_words_for_each_field_when_refused() -> None:
    posted = Posted(fields={"title": [""], "body": ["x" * 20_001]})
    problems = article_problems(posted)
    shown = views.form_view(posted, errors=problems)
    assert shown["refused"]
    assert shown["errors"]["title"] == "Fill this in."
    assert shown["errors"]["body"] == "This is too long."
    assert shown["errors"]["category_id"] is None
    assert shown["values"]["body"] == "x" * 20_001


def test_form_reads_checked_topics_and_no_category_when_posted() -> None:
    posted = Posted(
        fields={"title": ["T"], "body": ["B"], "category_id": [""],
                "topic_codes": ["complaint", "termination"], "language": ["ru"]}
    )  # fmt: skip
    data = article_input(posted)
    assert (data.category_id, data.topic_codes, data.language) == (
        None, ["complaint", "termination"], Language.RU,
    )  # fmt: skip


def test_category_without_a_name_is_said_in_words_when_refused() -> None:
    said = views.category_problem([FieldError("name_en", "is required")])
    assert said == "Give the category a name in at least one language."
