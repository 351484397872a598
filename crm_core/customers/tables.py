"""Tables for customers (and leads), their phones, information requests and contacts.

Row classes only: reading and writing them is the job of `crm_core.customers.store`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
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


class CustomerRow(Base):
    """A customer or, with `is_lead`, a potential customer (C1, C10)."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_name_id", "name", "id"),
        Index("ix_customers_category", "category"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """person or organisation"""
    is_lead: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(300))
    name_folded: Mapped[str] = mapped_column(String(300))
    """`name` case-folded in Python: SQLite's lower() knows only ASCII."""
    category: Mapped[str] = mapped_column(String(40))
    customer_group: Mapped[str | None] = mapped_column(String(40), nullable=True)
    account: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    emails: Mapped[list[str]] = mapped_column(JSON)
    sex: Mapped[str | None] = mapped_column(String(8), nullable=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    district: Mapped[str | None] = mapped_column(String(100), nullable=True)
    building: Mapped[str | None] = mapped_column(String(100), nullable=True)
    network_node: Mapped[str | None] = mapped_column(String(100), nullable=True)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    products: Mapped[list[str]] = mapped_column(JSON)
    equipment: Mapped[list[str]] = mapped_column(JSON)
    preferred_channels: Mapped[list[str]] = mapped_column(JSON)
    contact_persons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    converted_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    """When a lead became a customer."""


class CustomerPhoneRow(Base):
    __tablename__ = "customer_phones"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    raw: Mapped[str] = mapped_column(String(64))
    e164: Mapped[str] = mapped_column(String(16), index=True)
    extension: Mapped[str | None] = mapped_column(String(8), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    is_primary: Mapped[bool] = mapped_column(Boolean)


class InfoRequestRow(Base):
    """An information request ("reference", C17) a customer made."""

    __tablename__ = "customer_info_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200), index=True)
    details: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class ContactRow(Base):
    """One interaction on any channel (C2, T3, T5).

    `agent_id` names a user but carries no foreign key: users arrive in a later
    schema revision, and a contact must outlive the user who handled it. For a
    call it is the last agent of the transfer chain (`call_agents`).
    """

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_customer_id_started_at", "customer_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), nullable=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    place: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contact_person: Mapped[str | None] = mapped_column(String(200), nullable=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    """The caller's number or e-mail address as received."""
    dnis: Mapped[str | None] = mapped_column(String(64), nullable=True)
    call_id: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    queue: Mapped[str | None] = mapped_column(String(100), nullable=True)
    wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    talk_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    hangup_cause: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hangup_cause_text: Mapped[str | None] = mapped_column(String(200), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """hangup, vanished or pbx_shutdown (crm_core.customers.call_log.EndReason)."""
    bridged_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    hold_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    queues: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    call_agents: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSON, nullable=True
    )
    """The transfer chain: {agent, user_id, taken_at, queue} in order."""
    call_steps: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    """What the ACD did with the call, as heard: the facts the call log (queue,
    agents, wait, talk, outcome) is computed from."""
    notes: Mapped[str] = mapped_column(Text)
    ivr_completed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    """When the IVR let the call go; NULL when the call met no IVR (I7)."""
    ivr_flow: Mapped[str | None] = mapped_column(String(100), nullable=True)
    ivr_outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ivr_last_node: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The flow node the caller was at when the IVR let the call go."""
    ivr_language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ivr_queue: Mapped[str | None] = mapped_column(String(100), nullable=True)
    ivr_journal: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    """Every step of the flow, oldest first, as the IVR journalled it."""
    ivr_details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    wrap_up_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    """When the agent finished wrap-up; NULL until they do."""
    wrap_up_agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The login of the agent who wrapped the call up."""
    disposition: Mapped[str | None] = mapped_column(String(32), nullable=True)
    disposition_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
