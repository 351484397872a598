"""ACD statistics per agent: closed 15-minute intervals (time logged in, ready, busy,
calls offered, answered, missed, handled, talk and wrap-up) and the pauses in each
by reason, for the agents' reports.

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acd_agent_intervals",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("wrap_up_s", sa.Float(), nullable=False),
        sa.Column("logged_in_s", sa.Float(), nullable=False),
        sa.Column("ready_s", sa.Float(), nullable=False),
        sa.Column("busy_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "agent_id", "start", name=op.f("pk_acd_agent_intervals")
        ),
    )
    op.create_table(
        "acd_agent_pauses",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("pauses", sa.Integer(), nullable=False),
        sa.Column("paused_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "agent_id", "start", "reason", name=op.f("pk_acd_agent_pauses")
        ),
    )


def downgrade() -> None:
    op.drop_table("acd_agent_pauses")
    op.drop_table("acd_agent_intervals")
