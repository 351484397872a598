"""Tables for dictionaries, topics and attributes, contact templates, routes, appeals,
their history, notifications and attachments.

Row classes only: reading and writing them is the job of `crm_core.appeals.store`.
A route version's definition is immutable JSON: appeals in flight keep theirs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base


def _moment(*, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(DateTime(timezone=True), nullable=nullable)


class DictionaryRow(Base):
    """A named list of codes and labels that a dictionary attribute refers to."""

    __tablename__ = "dictionaries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class DictionaryItemRow(Base):
    __tablename__ = "dictionary_items"
    __table_args__ = (UniqueConstraint("dictionary_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    dictionary_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dictionaries.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)


class TopicRow(Base):
    """A topic group (`is_group`) or a topic, in one tree (C3)."""

    __tablename__ = "topics"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("topics.id"), nullable=True, index=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_group: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)


class TopicAttributeRow(Base):
    """A typed extra attribute declared on a topic or group; groups pass it down."""

    __tablename__ = "topic_attributes"
    __table_args__ = (UniqueConstraint("topic_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    topic_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    """date, decimal, boolean, string or dictionary"""
    dictionary_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    default_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    default_rule: Mapped[str | None] = mapped_column(Text, nullable=True)
    required: Mapped[bool] = mapped_column(Boolean)
    required_when: Mapped[str | None] = mapped_column(Text, nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean)
    hidden_when: Mapped[str | None] = mapped_column(Text, nullable=True)
    read_only: Mapped[bool] = mapped_column(Boolean)
    read_only_when: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)


class ContactTemplateRow(Base):
    """An operator's form defaults (C4)."""

    __tablename__ = "contact_templates"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    place: Mapped[str | None] = mapped_column(String(100), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    allowed_topic_ids: Mapped[list[str]] = mapped_column(JSON)
    default_topic_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("topics.id"), nullable=True
    )
    default_category: Mapped[str | None] = mapped_column(String(40), nullable=True)


class RouteRow(Base):
    """One published version of a topic's workflow route (C5)."""

    __tablename__ = "routes"
    __table_args__ = (UniqueConstraint("topic_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Stages, their queues, deadlines and transitions; never changed once stored."""
    published_at: Mapped[datetime] = _moment()
    published_by: Mapped[uuid.UUID] = mapped_column(Uuid)


class AppealRow(Base):
    """An appeal: one request of a customer on one topic, moving along its route."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_topic_status_created", "topic_id", "status", "created_at"),
        Index("ix_appeals_status_created", "status", "created_at"),
        Index("ix_appeals_overdue_deadline", "status", "overdue", "deadline_at"),
        Index(
            "ix_appeals_customer_topic_created", "customer_id", "topic_id", "created_at"
        ),
        Index("ix_appeals_assignee_status", "assignee_id", "status"),
        Index("ix_appeals_queue_status", "queue", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id"), nullable=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id"), nullable=True, index=True
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appeals.id"), nullable=True, index=True
    )
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id"))
    route_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("routes.id"))
    stage: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    """waiting, in_progress, rejected_back or closed"""
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), nullable=True
    )
    customer_category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    customer_group: Mapped[str | None] = mapped_column(String(40), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    stage_path: Mapped[list[str]] = mapped_column(JSON)
    """Stages passed through, oldest first; rejecting back pops the last."""
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = _moment()
    updated_at: Mapped[datetime] = _moment()
    deadline_at: Mapped[datetime | None] = _moment(nullable=True)
    overdue: Mapped[bool] = mapped_column(Boolean)
    overdue_at: Mapped[datetime | None] = _moment(nullable=True)
    closed_at: Mapped[datetime | None] = _moment(nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, index=True)
    archived_at: Mapped[datetime | None] = _moment(nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    """Optimistic concurrency: every write checks and bumps it."""


class AppealHistoryRow(Base):
    """One step of an appeal's life: who, when, what, from where to where, why."""

    __tablename__ = "appeal_history"
    __table_args__ = (Index("ix_appeal_history_appeal_at", "appeal_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    appeal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = _moment()
    actor_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_login: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    from_queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    from_assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    to_stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    comment: Mapped[str] = mapped_column(Text)


class AppealNotificationRow(Base):
    """A notice to a user about an appeal (an SLA breach in their queue)."""

    __tablename__ = "appeal_notifications"
    __table_args__ = (Index("ix_appeal_notifications_user_read", "user_id", "read"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    appeal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = _moment()
    read: Mapped[bool] = mapped_column(Boolean)


class AttachmentRow(Base):
    """A file attached to an appeal; the bytes live outside the database (C7)."""

    __tablename__ = "appeal_attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    appeal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    """Hex digest; also the file's name in the store (content-addressed)."""
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = _moment()
