"""Customers, phones, leads and contacts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_folded", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("customer_group", sa.String(length=40), nullable=True),
        sa.Column("account", sa.String(length=40), nullable=True),
        sa.Column("balance", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("building", sa.String(length=100), nullable=True),
        sa.Column("network_node", sa.String(length=100), nullable=True),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("equipment", sa.JSON(), nullable=False),
        sa.Column("preferred_channels", sa.JSON(), nullable=False),
        sa.Column("contact_persons", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("account", name=op.f("uq_customers_account")),
    )
    op.create_index("ix_customers_category", "customers", ["category"], unique=False)
    op.create_index("ix_customers_name_id", "customers", ["name", "id"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=True),
        sa.Column("contact_person", sa.String(length=200), nullable=True),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("dnis", sa.String(length=64), nullable=True),
        sa.Column("call_id", sa.String(length=128), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=True),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("hangup_cause", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_contacts_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("call_id", name=op.f("uq_contacts_call_id")),
    )
    op.create_index(
        "ix_contacts_customer_id_started_at",
        "contacts",
        ["customer_id", "started_at"],
        unique=False,
    )
    op.create_table(
        "customer_info_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_info_requests_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_info_requests")),
    )
    op.create_index(
        op.f("ix_customer_info_requests_customer_id"),
        "customer_info_requests",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_info_requests_subject"),
        "customer_info_requests",
        ["subject"],
        unique=False,
    )
    op.create_table(
        "customer_phones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("raw", sa.String(length=64), nullable=False),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_phones_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_phones")),
    )
    op.create_index(
        op.f("ix_customer_phones_customer_id"),
        "customer_phones",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_customer_phones_e164"), "customer_phones", ["e164"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_phones_e164"), table_name="customer_phones")
    op.drop_index(op.f("ix_customer_phones_customer_id"), table_name="customer_phones")
    op.drop_table("customer_phones")
    op.drop_index(
        op.f("ix_customer_info_requests_subject"), table_name="customer_info_requests"
    )
    op.drop_index(
        op.f("ix_customer_info_requests_customer_id"),
        table_name="customer_info_requests",
    )
    op.drop_table("customer_info_requests")
    op.drop_index("ix_contacts_customer_id_started_at", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index("ix_customers_name_id", table_name="customers")
    op.drop_index("ix_customers_category", table_name="customers")
    op.drop_table("customers")
