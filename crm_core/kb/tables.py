"""Tables of the knowledge base: categories, articles, the topics each article is
linked to, and every version of every article.

The search index is not mapped here: on PostgreSQL it is two GIN expression
indexes on `kb_articles` (one per language's configuration), on SQLite the FTS5
table `kb_search`; migration 0024 makes both, `crm_core.kb.search` uses them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base

UNMAPPED_PREFIXES = ("kb_search", "ix_kb_search")
"""Names of the search index's tables and indexes, which Alembic's comparison
leaves alone (FTS5's shadow tables share the prefix)."""


class CategoryRow(Base):
    __tablename__ = "kb_categories"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_ru: Mapped[str] = mapped_column(String(100))


class ArticleRow(Base):
    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_status_updated", "status", "updated_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    """en or ru: the search's configuration"""
    status: Mapped[str] = mapped_column(String(16))
    """draft or published"""
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("kb_categories.id", ondelete="SET NULL"), nullable=True, index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class ArticleTopicRow(Base):
    """An article linked to an appeal topic (by the topic's code)."""

    __tablename__ = "kb_article_topics"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    topic_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class VersionRow(Base):
    """An article as one change left it; kept until the article is deleted (the
    audit log keeps the deletion)."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    topic_codes: Mapped[list[str]] = mapped_column(JSON)
