"""Self-service tables: meter readings, callback requests, survey answers and
callbacks the ACD gave up on."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base


class MeterReadingRow(Base):
    """A meter reading given by a customer (by keypad or voice in the IVR)."""

    __tablename__ = "meter_readings"
    __table_args__ = (
        Index(
            "ix_meter_readings_customer_meter_taken", "customer_id", "meter", "taken_at"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    meter: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    call_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    flagged: Mapped[bool] = mapped_column(Boolean)


class CallbackRequestRow(Base):
    """A caller asked to be called back; the ACD works pending requests."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        Index("ix_callback_requests_status_requested", "status", "requested_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    ani: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id"), nullable=True, index=True
    )
    queue: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SurveyAnswerRow(Base):
    """One answer to one survey question in one call."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        Index("ix_survey_answers_question_answered", "question", "answered_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id"), nullable=True, index=True
    )
    question: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FailedCallbackRow(Base):
    """A callback the ACD gave up on after every attempt (A5), claimed once per call
    so that its appeal is created once; `appeal_id` is NULL while it is created."""

    __tablename__ = "failed_callbacks"

    call_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    gave_up_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    appeal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appeals.id"), nullable=True
    )
