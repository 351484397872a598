"""ACD statistics: closed 15-minute intervals per queue, for reports.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acd_intervals",
        sa.Column("queue_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("answered_in_target", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("abandoned_short", sa.Integer(), nullable=False),
        sa.Column("left", sa.Integer(), nullable=False),
        sa.Column("overflowed_out", sa.Integer(), nullable=False),
        sa.Column("answer_wait_s", sa.Float(), nullable=False),
        sa.Column("longest_answer_wait_s", sa.Float(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("handle_s", sa.Float(), nullable=False),
        sa.Column("busy_agent_s", sa.Float(), nullable=False),
        sa.Column("staffed_agent_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("queue_id", "start", name=op.f("pk_acd_intervals")),
    )


def downgrade() -> None:
    op.drop_table("acd_intervals")
