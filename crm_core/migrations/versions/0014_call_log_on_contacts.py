"""The whole call log on each call's contact: the hangup cause's text, why the call
ended (hangup, or the PBX gone), when it was bridged, hold, the queues and agents it
passed and the ACD's steps they are computed from. Outcomes were only answered or
not_answered; an unanswered call gets the outcome its IVR record tells.

Revision ID: 0014
Revises: 0016
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNANSWERED = sa.text(
    """
    UPDATE contacts SET outcome = CASE ivr_outcome
        WHEN 'caller_hung_up' THEN 'abandoned_in_ivr'
        WHEN 'voicemail' THEN 'voicemail'
        WHEN 'transferred' THEN 'transferred_out'
        WHEN 'flow_ended' THEN 'served_in_ivr'
        WHEN 'queued' THEN 'abandoned_in_queue'
        WHEN 'fallback' THEN 'abandoned_in_queue'
        WHEN 'failed' THEN 'abandoned_in_queue'
        ELSE 'failed' END
    WHERE outcome = 'not_answered'
    """
)
_BACK = sa.text(
    "UPDATE contacts SET outcome = 'not_answered' "
    "WHERE outcome IS NOT NULL AND outcome <> 'answered'"
)


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hangup_cause_text", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("end_reason", sa.String(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("bridged_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("hold_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("queues", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("call_agents", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("call_steps", sa.JSON(), nullable=True))
    op.execute(_UNANSWERED)


def downgrade() -> None:
    op.execute(_BACK)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("call_steps")
        batch_op.drop_column("call_agents")
        batch_op.drop_column("queues")
        batch_op.drop_column("hold_s")
        batch_op.drop_column("bridged_at")
        batch_op.drop_column("end_reason")
        batch_op.drop_column("hangup_cause_text")
