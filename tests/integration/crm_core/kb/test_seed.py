"""The demo's knowledge base: a dozen published articles in both languages, in
four categories, linked to the demo topics, seeded once however often the demo
starts."""

from __future__ import annotations

from crm_core.db import Sessions
from crm_core.kb.model import ArticleQuery, ArticleStatus, Language
from crm_core.kb.seed import seed_knowledge_base
from tests.integration.crm_core.kb.library import AGENT, library


async def test_demo_articles_are_found_in_both_languages_when_seeded(
    sessions: Sessions,
) -> None:
    books = await library(sessions)
    assert await seed_knowledge_base(sessions, books.clock) == 12
    assert await seed_knowledge_base(sessions, books.clock) == 0
    everything = await books.kb.search(AGENT, ArticleQuery(limit=50))
    articles = [h.article for h in everything.hits]
    assert len(articles) == 12
    assert {a.status for a in articles} == {ArticleStatus.PUBLISHED}
    assert {a.language for a in articles} == {Language.EN, Language.RU}
    assert all(a.category_id is not None for a in articles)
    categories = await books.kb.categories(AGENT)
    assert [c.name_en for c in categories] == [
        "Billing", "Equipment", "Outages", "Tariffs",
    ]  # fmt: skip
    assert all(c.articles >= 2 for c in categories)
    on_topic = await books.kb.search(
        AGENT, ArticleQuery(text="роутера", topic_code="complaint")
    )
    assert on_topic.hits[0].article.title == "Перезагрузка роутера"
    billed = await books.kb.search(AGENT, ArticleQuery(text="billed "))
    assert billed.hits
