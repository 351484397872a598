"""The recordings table: one row per recorded call, linked by call id and contact id
(no foreign keys: a recording outlives nothing it points to, and retention keeps the
row, marked deleted, after the file is gone)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base


class RecordingRow(Base):
    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_contact_id", "contact_id"),
        Index("ix_recordings_started_at", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(128), unique=True)
    pbx_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    appeal_ids: Mapped[list[str]] = mapped_column(JSON)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    muted_spans: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    problem: Mapped[str] = mapped_column(String(500))
    deleted_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
