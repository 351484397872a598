"""IVR flow versions published through the API, one row per flow and version, and
`SqlFlowStore`, the `ivr.flow_store.FlowStore` over them. Stores documents as
given; validation is the registry's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.db import Base, Sessions
from ivr.flow_store import FlowStoreFailed, FlowVersionTaken, StoredFlow
from ivr.model import Flow, FlowName

DB_TIMEOUT_S = 10.0


class IvrFlowVersionRow(Base):
    __tablename__ = "ivr_flow_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    document: Mapped[Any] = mapped_column(JSON)


def _utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_json(document: object) -> object:
    """The document as JSON primitives. YAML bodies may hold dates (holidays):
    they are kept as the ISO text the flow model reads back, the way
    `ivr.flow.document_digest` writes them, so the digest does not change."""
    return json.loads(json.dumps(document, default=str, ensure_ascii=False))


def _stored(row: IvrFlowVersionRow) -> StoredFlow:
    return StoredFlow(
        name=FlowName(row.name),
        version=row.version,
        digest=row.digest,
        source=row.source,
        document=row.document,
        published_at=_utc(row.published_at),
        published_by=row.published_by,
    )


class SqlFlowStore:
    """Keeps every version saved; a version is never replaced."""

    def __init__(self, sessions: Sessions, *, timeout_s: float = DB_TIMEOUT_S) -> None:
        self._sessions = sessions
        self._timeout_s = timeout_s

    async def save(
        self, flow: Flow, document: object, *, by: str | None, at: datetime
    ) -> None:
        row = IvrFlowVersionRow(
            name=flow.name,
            version=flow.version,
            digest=flow.digest,
            source=flow.source,
            published_by=by,
            published_at=at,
            document=_as_json(document),
        )
        try:
            async with asyncio.timeout(self._timeout_s), self._sessions.begin() as s:
                s.add(row)
        except IntegrityError as error:
            raise FlowVersionTaken(
                f"flow {flow.name!r} version {flow.version} is stored already"
            ) from error
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            raise FlowStoreFailed(
                f"flow {flow.name!r} version {flow.version} not saved: {error!r}"
            ) from error

    async def latest(self) -> Sequence[StoredFlow]:
        newest = (
            select(
                IvrFlowVersionRow.name,
                func.max(IvrFlowVersionRow.version).label("version"),
            )
            .group_by(IvrFlowVersionRow.name)
            .subquery()
        )
        query = (
            select(IvrFlowVersionRow)
            .join(
                newest,
                (IvrFlowVersionRow.name == newest.c.name)
                & (IvrFlowVersionRow.version == newest.c.version),
            )
            .order_by(IvrFlowVersionRow.name)
        )
        try:
            async with asyncio.timeout(self._timeout_s), self._sessions() as s:
                rows = (await s.scalars(query)).all()
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            raise FlowStoreFailed(f"stored IVR flows not read: {error!r}") from error
        return [_stored(row) for row in rows]
