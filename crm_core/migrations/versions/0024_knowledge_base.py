"""The knowledge base: categories, articles, their topics and versions, and the
search index (GIN expression indexes per language on PostgreSQL, an FTS5 table
of Snowball stems on SQLite; see crm_core/kb/search.py).

Revision ID: 0024
Revises: 0020
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("name_ru", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_categories")),
    )
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["kb_categories.id"],
            name=op.f("fk_kb_articles_category_id_kb_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
    )
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_articles_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            "ix_kb_articles_status_updated", ["status", "updated_at"], unique=False
        )

    op.create_table(
        "kb_article_topics",
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("topic_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_topics_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "article_id", "topic_code", name=op.f("pk_kb_article_topics")
        ),
    )
    with op.batch_alter_table("kb_article_topics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_article_topics_topic_code"), ["topic_code"], unique=False
        )

    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("topic_codes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_versions_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_versions")),
        sa.UniqueConstraint(
            "article_id", "version", name=op.f("uq_kb_article_versions_article_id")
        ),
    )
    _create_search_index()


def _create_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for language, config in (("en", "english"), ("ru", "russian")):
            op.execute(
                f"CREATE INDEX ix_kb_search_{language} ON kb_articles USING gin (("
                f"setweight(to_tsvector('{config}'::regconfig, title), 'A') || "
                f"setweight(to_tsvector('{config}'::regconfig, body), 'B')"
                f")) WHERE language = '{language}'"
            )
        return
    # the application writes the stems (unicode61 does not stem)
    op.execute(
        "CREATE VIRTUAL TABLE kb_search USING fts5(article_id UNINDEXED, title, "
        "body, tokenize = 'unicode61 remove_diacritics 2')"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_kb_search_en")
        op.execute("DROP INDEX ix_kb_search_ru")
    else:
        op.execute("DROP TABLE kb_search")
    op.drop_table("kb_article_versions")
    with op.batch_alter_table("kb_article_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_article_topics_topic_code"))

    op.drop_table("kb_article_topics")
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_kb_articles_status_updated")
        batch_op.drop_index(batch_op.f("ix_kb_articles_category_id"))

    op.drop_table("kb_articles")
    op.drop_table("kb_categories")
