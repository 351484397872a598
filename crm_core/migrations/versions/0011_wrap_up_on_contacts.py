"""The agent's wrap-up on each call's contact: disposition, notes, login and time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wrap_up_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("wrap_up_agent", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("disposition", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("disposition_notes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("disposition_notes")
        batch_op.drop_column("disposition")
        batch_op.drop_column("wrap_up_agent")
        batch_op.drop_column("wrap_up_at")
