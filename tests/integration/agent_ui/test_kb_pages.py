# ruff: noqa: RUF001  Russian words
"""The knowledge base's pages as `serve` builds them: a supervisor writes (field
problems in words, nothing saved while one remains), previews, publishes,
edits, deletes after a question and keeps categories; an agent reads, searches
from the desk with an inflected word, opens the side panel, and is refused every
change (403)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from multidict import MultiDict

from crm_core.appeals.seed import DemoStaff, seed_appeals
from crm_core.appeals.topics import TopicService
from crm_core.auth.model import system_actor
from crm_core.clock import UtcClock
from tests.integration.agent_ui.site import Answer, Site, Visitor, running_site

BILLING = {
    "title": "Оплата счёта",
    "body": "# Когда приходит\nСчёт приходит **первого** числа.\n\n- картой\n- в банке",
    "language": "ru",
}


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(database_url, tmp_path) as running:
        await seed_appeals(running.spine.app.sessions, UtcClock(), DemoStaff())
        yield running


async def write(
    visitor: Visitor, fields: dict[str, str], *topics: str, path: str = "/kb/articles"
) -> Answer:
    data = MultiDict({**fields, "csrf_token": visitor.csrf})
    for code in topics:
        data.add("topic_codes", code)
    return await visitor.post(path, data, htmx=False, csrf=False)


async def publish(visitor: Visitor, location: str) -> None:
    done = await visitor.post(
        location.split("?")[0] + "/publish", {"csrf_token": visitor.csrf},
        htmx=False, csrf=False,
    )  # fmt: skip
    assert done.status == 303, done.text


async def test_supervisor_writes_and_an_agent_finds_it_by_another_form_on_the_desk(
    site: Site,
) -> None:
    async with site.visitor("sveta") as sveta, site.visitor("anna") as anna:
        saved = await write(sveta, BILLING, "complaint")
        assert saved.status == 303, saved.text
        location = saved.headers["Location"]
        assert re.fullmatch(r"/kb/articles/[0-9a-f-]+\?done=created", location)
        page = await sveta.get(location)
        assert "The article is saved as a draft." in page.text
        assert "<strong>первого</strong>" in page.text
        assert "<li>картой</li>" in page.text
        assert (await anna.get("/kb/desk?q=счета", htmx=True)).text.count("<li") == 0
        await publish(sveta, location)

        found = await anna.get("/kb/desk?q=счетов", htmx=True)
        assert found.status == 200
        assert "Оплата счёта" in found.text
        assert "<mark>Счёт</mark>" in found.text
        article_id = location.split("/")[3].split("?")[0]
        panel = await anna.get(f"/kb/articles/{article_id}/panel", htmx=True)
        assert panel.status == 200
        assert 'id="kb-panel-title"' in panel.text
        assert "<h3>Когда приходит</h3>" in panel.text


async def test_desk_shows_the_chosen_topics_articles_before_anything_is_typed(
    site: Site,
) -> None:
    async with site.visitor("sveta") as sveta, site.visitor("anna") as anna:
        saved = await write(sveta, BILLING, "complaint")
        await publish(sveta, saved.headers["Location"])
        other = await write(sveta, {**BILLING, "title": "Счета юрлиц"})
        await publish(sveta, other.headers["Location"])
        topic_id = await _topic_id(site, "complaint")
        shown = await anna.get(f"/kb/desk?q=&topic_id={topic_id}", htmx=True)
        assert "Оплата счёта" in shown.text
        assert "Счета юрлиц" not in shown.text
        assert "on this topic" in shown.text
        both = await anna.get(f"/kb/desk?q=счет&topic_id={topic_id}", htmx=True)
        assert both.text.index("Оплата счёта") < both.text.index("Счета юрлиц")


async def test_bad_article_is_refused_in_words_and_nothing_is_saved(
    site: Site,
) -> None:
    async with site.visitor("sveta") as sveta:
        empty = await write(sveta, {**BILLING, "title": "  "})
        assert empty.status == 422
        assert "Fill this in." in empty.text
        assert "The article is not saved" in empty.text
        assert "Счёт приходит" in empty.text  # what was typed stays
        long = await write(sveta, {**BILLING, "body": "слово " * 4000})
        assert long.status == 422
        assert "This is too long." in long.text
        check = await sveta.post(
            "/kb/check", {"title": "", "body": "x"}, trigger="title"
        )
        assert "Fill this in." in check.text
        fine = await sveta.post(
            "/kb/check", {"title": "T", "body": "x"}, trigger="title"
        )
        assert "Fill this in." not in fine.text
        listed = await sveta.get("/kb")
        assert "No articles here yet." in listed.text


async def test_agent_is_refused_every_change_when_asking_for_it(site: Site) -> None:
    async with site.visitor("sveta") as sveta, site.visitor("anna") as anna:
        saved = await write(sveta, BILLING)
        article = saved.headers["Location"].split("?")[0]
        await publish(sveta, saved.headers["Location"])
        assert (await anna.get(article)).status == 200
        for path in (
            "/kb/new",
            f"{article}/edit",
            f"{article}/delete",
            "/kb/categories",
        ):
            refused = await anna.get(path)
            assert refused.status == 403, path
            assert "Your role may not open this page" in refused.text
        assert (await write(anna, BILLING)).status == 403
        assert (
            await write(anna, {**BILLING, "version": "2"}, path=article)
        ).status == 403
        for action in ("unpublish", "delete"):
            done = await anna.post(
                f"{article}/{action}", {"csrf_token": anna.csrf}, htmx=False, csrf=False
            )
            assert done.status == 403, action
        page = await anna.get("/kb")
        assert "Оплата счёта" in page.text
        assert 'id="kb-new"' not in page.text


async def test_article_is_edited_previewed_and_deleted_after_a_question(
    site: Site,
) -> None:
    async with site.visitor("sveta") as sveta, site.visitor("ivan") as ivan:
        saved = await write(sveta, BILLING)
        article = saved.headers["Location"].split("?")[0]
        form = await sveta.get(f"{article}/edit")
        assert 'name="version" value="1"' in form.text
        preview = await sveta.post(
            "/kb/preview", {"title": "T", "body": "<b>x</b> **y**"}, htmx=True
        )
        assert "&lt;b&gt;x&lt;/b&gt; <strong>y</strong>" in preview.text
        theirs = await write(
            ivan, {**BILLING, "title": "Их", "version": "1"}, path=article
        )
        assert theirs.status == 303
        mine = await write(
            sveta, {**BILLING, "title": "Моё", "version": "1"}, path=article
        )
        assert mine.status == 409
        assert "ivan saved this article at" in mine.text
        assert 'name="version" value="2"' in mine.text
        again = await write(
            sveta, {**BILLING, "title": "Моё", "version": "2"}, path=article
        )
        assert again.status == 303
        page = await sveta.get(article)
        assert re.search(r"<td class=\"num\">3</td><td>Edited", page.text)
        question = await sveta.get(f"{article}/delete")
        assert "Delete the article “Моё”?" in question.text
        gone = await sveta.post(
            f"{article}/delete", {"csrf_token": sveta.csrf}, htmx=False, csrf=False
        )
        assert (gone.status, gone.headers["Location"]) == (303, "/kb?done=deleted")
        assert (await sveta.get(article)).status == 404


async def test_categories_are_added_renamed_and_deleted_when_kept(
    site: Site,
) -> None:
    async with site.visitor("sveta") as sveta:
        nameless = await sveta.post(
            "/kb/categories", {"name_en": "", "name_ru": "", "csrf_token": sveta.csrf},
            htmx=False, csrf=False,
        )  # fmt: skip
        assert nameless.status == 422
        assert "Give the category a name in at least one language." in nameless.text
        added = await sveta.post(
            "/kb/categories",
            {"name_en": "Billing", "name_ru": "Оплата", "csrf_token": sveta.csrf},
            htmx=False, csrf=False,
        )  # fmt: skip
        assert added.headers["Location"] == "/kb/categories?done=category_added"
        page = await sveta.get("/kb/categories")
        [category] = re.findall(r'data-category="([0-9a-f-]+)"', page.text)
        await sveta.post(
            f"/kb/categories/{category}",
            {"name_en": "Bills", "name_ru": "Счета", "csrf_token": sveta.csrf},
            htmx=False, csrf=False,
        )  # fmt: skip
        filed = await write(sveta, {**BILLING, "category_id": category})
        article = filed.headers["Location"].split("?")[0]
        assert "Bills" in (await sveta.get(article)).text
        sveta.language = "ru"
        listed = await sveta.get(f"/kb?category={category}")
        assert "Оплата счёта" in listed.text
        assert "Новая статья" in listed.text
        question = await sveta.get(f"/kb/categories/{category}/delete")
        assert "Счета" in question.text
        await sveta.post(
            f"/kb/categories/{category}/delete", {"csrf_token": sveta.csrf},
            htmx=False, csrf=False,
        )  # fmt: skip
        assert "Bills" not in (await sveta.get(article)).text


async def _topic_id(site: Site, code: str) -> str:
    """The topic's id, as the desk's topic chooser sends it."""
    topics = TopicService(site.spine.app.sessions, UtcClock())
    return str((await topics.topic_by_code(system_actor(), code)).id)
