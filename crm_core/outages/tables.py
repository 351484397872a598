"""Outage tables: the outages and the calls that heard them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base


class OutageRow(Base):
    """A planned or emergency outage over an area, with its notice per language."""

    __tablename__ = "outages"
    __table_args__ = (Index("ix_outages_closed_starts", "closed_at", "starts_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    network_nodes: Mapped[list[str]] = mapped_column(JSON)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """[{"city": ..., "district": ... | null, "building": ... | null}]"""
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expected_end: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    default_language: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class OutageHeardRow(Base):
    """One call that played an outage's notice (once per call and outage)."""

    __tablename__ = "outage_heard"
    __table_args__ = (
        UniqueConstraint("outage_id", "call_id", name="uq_outage_heard_outage_call"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    outage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outages.id"))
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    heard_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
