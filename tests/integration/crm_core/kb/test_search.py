"""Knowledge-base search on SQLite (FTS5 over Snowball stems) and PostgreSQL
(to_tsvector by the article's language, GIN indexes): inflected Russian and
English words, every word required, ranking, the chosen topic first."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from crm_core.db import Sessions
from crm_core.kb.inputs import ArticleChange
from crm_core.kb.model import ArticleQuery, ArticleStatus, Found, Language
from crm_core.kb.search import index_for
from crm_core.kb.tables import ArticleRow
from crm_core.kb.text import terms
from tests.integration.crm_core.kb.library import AGENT, EDITOR, Library, library

RU = Language.RU


@pytest.fixture
async def books(sessions: Sessions) -> Library:
    return await library(sessions)


def titles(found: Found) -> list[str]:
    return [h.article.title for h in found.hits]


async def test_russian_inflected_form_finds_the_article_when_searched(
    books: Library,
) -> None:
    await books.article(
        "Оплата счёта", "Клиент оплачивает несколько счетов за месяц.", language=RU
    )
    await books.article("Роутер", "Перезагрузите роутер.", language=RU)
    for typed in ("счета", "счёт", "СЧЕТОВ", "счету "):
        found = await books.kb.search(AGENT, ArticleQuery(text=typed))
        assert titles(found) == ["Оплата счёта"], typed


async def test_english_inflected_form_finds_the_article_when_searched(
    books: Library,
) -> None:
    await books.article("Double charge", "The customer was billed twice this month.")
    await books.article("Router lights", "What the lights on the router mean.")
    for typed in ("billing", "bills ", "Billed"):
        found = await books.kb.search(AGENT, ArticleQuery(text=typed))
        assert titles(found) == ["Double charge"], typed


async def test_snippet_marks_the_words_found_when_searched(books: Library) -> None:
    await books.article(
        "Оплата", "Если счёт не пришёл, проверьте **адрес** почты.", language=RU
    )
    [hit] = (await books.kb.search(AGENT, ArticleQuery(text="счета"))).hits
    assert [s.text for s in hit.snippet.segments if s.hit] == ["счёт"]
    assert "**" not in "".join(s.text for s in hit.snippet.segments)


async def test_every_word_must_be_found_when_several_are_typed(
    books: Library,
) -> None:
    await books.article("Tariff change", "How to change the tariff of a customer.")
    await books.article("Tariff list", "Every tariff we sell.")
    found = await books.kb.search(AGENT, ArticleQuery(text="tariffs changing "))
    assert titles(found) == ["Tariff change"]


async def test_unfinished_last_word_matches_as_a_prefix_when_typing(
    books: Library,
) -> None:
    await books.article("Роутер", "Перезагрузите роутер и подождите.", language=RU)
    found = await books.kb.search(AGENT, ArticleQuery(text="перезагр"))
    assert titles(found) == ["Роутер"]


async def test_title_match_ranks_first_when_both_hold_the_word(
    books: Library,
) -> None:
    await books.article("Contracts", "A router is lent with every contract.")
    await books.article("Router", "Lights, cables and resets.")
    found = await books.kb.search(AGENT, ArticleQuery(text="router "))
    assert titles(found) == ["Router", "Contracts"]


async def test_articles_on_the_chosen_topic_come_first_when_searched(
    books: Library,
) -> None:
    await books.article("Router", "The router and its lights, router reset.")
    await books.article("Outage", "Check the router.", topics=("complaint",))
    found = await books.kb.search(
        AGENT, ArticleQuery(text="router ", topic_code="complaint")
    )
    assert titles(found) == ["Outage", "Router"]
    assert [h.on_topic for h in found.hits] == [True, False]


async def test_desk_shows_the_topics_articles_when_nothing_is_typed(
    books: Library,
) -> None:
    await books.article("Router", "Reset it.")
    await books.article("Outage", "Check the area.", topics=("complaint",))
    await books.article(
        "Draft outage", "Not yet.", topics=("complaint",), published=False
    )
    complaint = await _topic_id(books, "complaint")
    found = await books.kb.suggest(AGENT, "", topic_id=complaint)
    assert titles(found) == ["Outage"]
    assert (await books.kb.suggest(AGENT, "   ", topic_id=None)).hits == ()
    found = await books.kb.suggest(AGENT, "reset", topic_id=complaint)
    assert titles(found) == ["Router"]


async def test_drafts_are_found_by_editors_only_when_searched(books: Library) -> None:
    await books.article("Billing draft", "Billed twice.", published=False)
    assert titles(await books.kb.search(AGENT, ArticleQuery(text="billing"))) == []
    assert titles(await books.kb.search(EDITOR, ArticleQuery(text="billing"))) == [
        "Billing draft"
    ]
    drafts = ArticleQuery(status=ArticleStatus.DRAFT)
    assert titles(await books.kb.search(AGENT, drafts)) == []


async def test_changed_article_is_found_by_its_new_words_when_edited(
    books: Library,
) -> None:
    made = await books.article("Router", "Reset the router.")
    await books.kb.update(
        EDITOR, made.id,
        ArticleChange(title="Modem", body="Reset the modem.", version=made.version),
    )  # fmt: skip
    assert titles(await books.kb.search(AGENT, ArticleQuery(text="router "))) == []
    assert titles(await books.kb.search(AGENT, ArticleQuery(text="modems "))) == [
        "Modem"
    ]
    await books.kb.delete(EDITOR, made.id)
    assert titles(await books.kb.search(EDITOR, ArticleQuery(text="modem "))) == []


async def test_pages_count_every_match_when_the_list_is_long(books: Library) -> None:
    for n in range(5):
        await books.article(f"Tariff {n}", "A tariff.")
    first = await books.kb.search(AGENT, ArticleQuery(text="tariff", limit=2))
    last = await books.kb.search(AGENT, ArticleQuery(text="tariff", limit=2, offset=4))
    assert (first.total, len(first.hits)) == (5, 2)
    assert (last.total, len(last.hits)) == (5, 1)


async def test_search_reads_the_engines_full_text_index_when_asked(
    books: Library,
) -> None:
    await books.article("Оплата", "Счёт за месяц.", language=RU)
    async with books.sessions() as s:
        query, _ = index_for(s).matching(select(ArticleRow), terms("счета"))
        engine = s.get_bind().dialect
        sql = str(query.compile(dialect=engine, compile_kwargs={"literal_binds": True}))
        if engine.name == "postgresql":
            await s.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(await s.scalars(text("EXPLAIN " + sql)))
            assert "ix_kb_search_ru" in plan
        else:
            rows = await s.execute(text("EXPLAIN QUERY PLAN " + sql))
            plan = "\n".join(str(r[-1]) for r in rows)
            assert "VIRTUAL TABLE INDEX" in plan
            assert "kb_search" in plan


async def _topic_id(books: Library, code: str) -> uuid.UUID:
    choices = await books.kb.topics(AGENT)
    return next(t.id for t in choices if t.code == code)
