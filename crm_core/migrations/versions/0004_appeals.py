"""Topics, attributes, routes, appeals, history and attachments.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dictionaries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dictionaries")),
        sa.UniqueConstraint("code", name=op.f("uq_dictionaries_code")),
    )
    op.create_table(
        "topics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["topics.id"], name=op.f("fk_topics_parent_id_topics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("code", name=op.f("uq_topics_code")),
    )
    op.create_index(op.f("ix_topics_parent_id"), "topics", ["parent_id"], unique=False)
    op.create_table(
        "contact_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("allowed_topic_ids", sa.JSON(), nullable=False),
        sa.Column("default_topic_id", sa.Uuid(), nullable=True),
        sa.Column("default_category", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["default_topic_id"],
            ["topics.id"],
            name=op.f("fk_contact_templates_default_topic_id_topics"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_contact_templates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_templates")),
        sa.UniqueConstraint("user_id", name=op.f("uq_contact_templates_user_id")),
    )
    op.create_table(
        "dictionary_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dictionary_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dictionary_id"],
            ["dictionaries.id"],
            name=op.f("fk_dictionary_items_dictionary_id_dictionaries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dictionary_items")),
        sa.UniqueConstraint(
            "dictionary_id", "code", name=op.f("uq_dictionary_items_dictionary_id")
        ),
    )
    op.create_table(
        "routes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_routes_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
        sa.UniqueConstraint("topic_id", "version", name=op.f("uq_routes_topic_id")),
    )
    op.create_table(
        "topic_attributes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dictionary_code", sa.String(length=64), nullable=True),
        sa.Column("default_value", sa.JSON(), nullable=True),
        sa.Column("default_rule", sa.Text(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("required_when", sa.Text(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_when", sa.Text(), nullable=True),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("read_only_when", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_topic_attributes_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topic_attributes")),
        sa.UniqueConstraint(
            "topic_id", "code", name=op.f("uq_topic_attributes_topic_id")
        ),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("route_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("customer_category", sa.String(length=40), nullable=True),
        sa.Column("customer_group", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("stage_path", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_appeals_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_appeals_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_appeals_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["appeals.id"], name=op.f("fk_appeals_parent_id_appeals")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["routes.id"], name=op.f("fk_appeals_route_id_routes")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_appeals_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index(op.f("ix_appeals_archived"), "appeals", ["archived"], unique=False)
    op.create_index(
        "ix_appeals_assignee_status", "appeals", ["assignee_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_appeals_contact_id"), "appeals", ["contact_id"], unique=False
    )
    op.create_index(
        "ix_appeals_customer_topic_created",
        "appeals",
        ["customer_id", "topic_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_appeals_overdue_deadline",
        "appeals",
        ["status", "overdue", "deadline_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_appeals_parent_id"), "appeals", ["parent_id"], unique=False
    )
    op.create_index(
        "ix_appeals_queue_status", "appeals", ["queue", "status"], unique=False
    )
    op.create_index(
        "ix_appeals_status_created", "appeals", ["status", "created_at"], unique=False
    )
    op.create_index(
        "ix_appeals_topic_status_created",
        "appeals",
        ["topic_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "appeal_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appeal_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_attachments_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_attachments")),
    )
    op.create_index(
        op.f("ix_appeal_attachments_appeal_id"),
        "appeal_attachments",
        ["appeal_id"],
        unique=False,
    )
    op.create_table(
        "appeal_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appeal_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_login", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_stage", sa.String(length=64), nullable=True),
        sa.Column("from_queue", sa.String(length=64), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("from_assignee_id", sa.Uuid(), nullable=True),
        sa.Column("to_stage", sa.String(length=64), nullable=True),
        sa.Column("to_queue", sa.String(length=64), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("to_assignee_id", sa.Uuid(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_history_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_history")),
    )
    op.create_index(
        "ix_appeal_history_appeal_at",
        "appeal_history",
        ["appeal_id", "at"],
        unique=False,
    )
    op.create_table(
        "appeal_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("appeal_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_notifications_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_appeal_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_notifications")),
    )
    op.create_index(
        op.f("ix_appeal_notifications_appeal_id"),
        "appeal_notifications",
        ["appeal_id"],
        unique=False,
    )
    op.create_index(
        "ix_appeal_notifications_user_read",
        "appeal_notifications",
        ["user_id", "read"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_appeal_notifications_user_read", table_name="appeal_notifications"
    )
    op.drop_index(
        op.f("ix_appeal_notifications_appeal_id"), table_name="appeal_notifications"
    )
    op.drop_table("appeal_notifications")
    op.drop_index("ix_appeal_history_appeal_at", table_name="appeal_history")
    op.drop_table("appeal_history")
    op.drop_index(
        op.f("ix_appeal_attachments_appeal_id"), table_name="appeal_attachments"
    )
    op.drop_table("appeal_attachments")
    op.drop_index("ix_appeals_topic_status_created", table_name="appeals")
    op.drop_index("ix_appeals_status_created", table_name="appeals")
    op.drop_index("ix_appeals_queue_status", table_name="appeals")
    op.drop_index(op.f("ix_appeals_parent_id"), table_name="appeals")
    op.drop_index("ix_appeals_overdue_deadline", table_name="appeals")
    op.drop_index("ix_appeals_customer_topic_created", table_name="appeals")
    op.drop_index(op.f("ix_appeals_contact_id"), table_name="appeals")
    op.drop_index("ix_appeals_assignee_status", table_name="appeals")
    op.drop_index(op.f("ix_appeals_archived"), table_name="appeals")
    op.drop_table("appeals")
    op.drop_table("topic_attributes")
    op.drop_table("routes")
    op.drop_table("dictionary_items")
    op.drop_table("contact_templates")
    op.drop_index(op.f("ix_topics_parent_id"), table_name="topics")
    op.drop_table("topics")
    op.drop_table("dictionaries")
