"""The IVR's record on each call's contact (flow, last node, outcome, journal), and
callbacks the ACD gave up on, claimed once per call for their appeal.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_callbacks",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appeal_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_failed_callbacks_appeal_id_appeals"),
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_failed_callbacks")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ivr_completed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("ivr_flow", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("ivr_outcome", sa.String(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("ivr_last_node", sa.String(length=100), nullable=True)
        )
        batch_op.add_column(
            sa.Column("ivr_language", sa.String(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("ivr_queue", sa.String(length=100), nullable=True)
        )
        batch_op.add_column(sa.Column("ivr_journal", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("ivr_details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("ivr_details")
        batch_op.drop_column("ivr_journal")
        batch_op.drop_column("ivr_queue")
        batch_op.drop_column("ivr_language")
        batch_op.drop_column("ivr_last_node")
        batch_op.drop_column("ivr_outcome")
        batch_op.drop_column("ivr_flow")
        batch_op.drop_column("ivr_completed_at")

    op.drop_table("failed_callbacks")
