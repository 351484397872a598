"""The full-text index on each engine, behind one small interface.

PostgreSQL: the article's language picks the text-search configuration
(`english` or `russian`, whose Snowball stemmers find inflected forms); each
language has a GIN expression index over the weighted vector (title A, body B),
partial on `language`, and the rank is `ts_rank`. The database needs a UTF-8
`LC_CTYPE` (C.UTF-8, en_US.UTF-8, ru_RU.UTF-8...): under plain C, Cyrillic
letters are not lower-cased and "Счёт" would not find "счёт".

SQLite: FTS5 with the unicode61 tokenizer, which does not stem, holds the stems
made by `crm_core.kb.text` (the same Snowball algorithms); the query is stemmed
the same way, and the rank is bm25 (title weighted 4, body 1).
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Select,
    case,
    column,
    delete,
    func,
    insert,
    literal_column,
    or_,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.kb.model import Language
from crm_core.kb.tables import ArticleRow
from crm_core.kb.text import Terms, stems

CONFIGURATIONS = {Language.EN: "english", Language.RU: "russian"}
FTS = table("kb_search", column("article_id"), column("title"), column("body"))
TITLE_WEIGHT, BODY_WEIGHT = 4.0, 1.0


class SearchIndex(Protocol):
    async def write(self, s: AsyncSession, row: ArticleRow) -> None:
        """Index the article as `row` now holds it (in `s`'s transaction)."""

    async def remove(self, s: AsyncSession, article_id: uuid.UUID) -> None:
        """Forget the article (in `s`'s transaction)."""

    def matching(
        self, query: Select[ArticleRow], terms: Terms
    ) -> tuple[Select[ArticleRow], ColumnElement[float]]:
        """`query` narrowed to articles holding every term, and their rank
        (higher is better)."""
        ...


def index_for(s: AsyncSession) -> SearchIndex:
    if s.get_bind().dialect.name == "postgresql":
        return PostgresIndex()
    return SqliteIndex()


class PostgresIndex:
    async def write(self, s: AsyncSession, row: ArticleRow) -> None:
        """The expression indexes follow the row by themselves."""

    async def remove(self, s: AsyncSession, article_id: uuid.UUID) -> None:
        """As `write`."""

    def matching(
        self, query: Select[ArticleRow], terms: Terms
    ) -> tuple[Select[ArticleRow], ColumnElement[float]]:
        wanted = terms.tsquery()
        matches, ranks = [], []
        for language, config in CONFIGURATIONS.items():
            vector = _vector(config)
            tsquery = func.to_tsquery(_config(config), wanted)
            # the language as a literal, so the planner sees the partial index's
            # predicate (a bound parameter would hide it from a generic plan)
            same = ArticleRow.language == literal_column(f"'{language.value}'")
            matches.append(same & vector.op("@@", return_type=Boolean)(tsquery))
            ranks.append((same, func.ts_rank(vector, tsquery)))
        rank = case(*ranks, else_=literal_column("0.0", Float))
        return query.where(or_(*matches)), rank


def _config(config: str) -> ColumnElement[str]:
    return literal_column(f"'{config}'::regconfig")


def _vector(config: str) -> ColumnElement[str]:
    """The vector the migration's index is built on, written the same way."""
    title = func.setweight(
        func.to_tsvector(_config(config), ArticleRow.title), literal_column("'A'")
    )
    body = func.setweight(
        func.to_tsvector(_config(config), ArticleRow.body), literal_column("'B'")
    )
    return title.op("||")(body)


class SqliteIndex:
    async def write(self, s: AsyncSession, row: ArticleRow) -> None:
        await self.remove(s, row.id)
        await s.execute(
            insert(FTS).values(
                article_id=row.id.hex, title=stems(row.title), body=stems(row.body)
            )
        )

    async def remove(self, s: AsyncSession, article_id: uuid.UUID) -> None:
        await s.execute(delete(FTS).where(FTS.c.article_id == article_id.hex))

    def matching(
        self, query: Select[ArticleRow], terms: Terms
    ) -> tuple[Select[ArticleRow], ColumnElement[float]]:
        # Uuid columns hold 32 hex digits on SQLite: the index keeps the same
        narrowed = query.join(FTS, FTS.c.article_id == ArticleRow.id).where(
            text("kb_search MATCH :kb_match").bindparams(kb_match=terms.fts5())
        )
        bm25 = func.bm25(literal_column("kb_search"), 0.0, TITLE_WEIGHT, BODY_WEIGHT)
        return narrowed, -bm25
