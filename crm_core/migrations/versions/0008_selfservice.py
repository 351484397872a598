"""Outages and the calls that heard them; meter readings, callback requests and
survey answers given in the IVR.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("network_nodes", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("default_language", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outages_closed_starts", ["closed_at", "starts_at"], unique=False
        )

    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("ani", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_callback_requests_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
    )
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_requests_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_callback_requests_customer_id"),
            ["customer_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_callback_requests_status_requested",
            ["status", "requested_at"],
            unique=False,
        )

    op.create_table(
        "meter_readings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("meter", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_meter_readings_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_readings")),
    )
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meter_readings_customer_meter_taken",
            ["customer_id", "meter", "taken_at"],
            unique=False,
        )

    op.create_table(
        "outage_heard",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("outage_id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("heard_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outage_id"],
            ["outages.id"],
            name=op.f("fk_outage_heard_outage_id_outages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outage_heard")),
        sa.UniqueConstraint("outage_id", "call_id", name="uq_outage_heard_outage_call"),
    )
    with op.batch_alter_table("outage_heard", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outage_heard_call_id"), ["call_id"], unique=False
        )

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_answers_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_answers_call_id"), ["call_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_answers_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_survey_answers_question_answered",
            ["question", "answered_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_answers_question_answered")
        batch_op.drop_index(batch_op.f("ix_survey_answers_customer_id"))
        batch_op.drop_index(batch_op.f("ix_survey_answers_call_id"))

    op.drop_table("survey_answers")
    with op.batch_alter_table("outage_heard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outage_heard_call_id"))

    op.drop_table("outage_heard")
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_meter_readings_customer_meter_taken")

    op.drop_table("meter_readings")
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_requests_status_requested")
        batch_op.drop_index(batch_op.f("ix_callback_requests_customer_id"))
        batch_op.drop_index(batch_op.f("ix_callback_requests_call_id"))

    op.drop_table("callback_requests")
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.drop_index("ix_outages_closed_starts")

    op.drop_table("outages")
