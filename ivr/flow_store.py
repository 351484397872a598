"""Flow versions published through the API, kept so they survive a restart: the
store's contract and `restore`, which puts each flow's newest stored version back
into service over its file. Validation stays the registry's; SQL is in ivr.tables.

Errors::

    IvrError
    └── FlowStoreFailed       the store could not be read or written
        └── FlowVersionTaken  that version of the flow is stored already
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ivr.errors import FlowInvalid, IvrError
from ivr.loader import FlowRegistry, Publication
from ivr.model import Flow, FlowName

log = logging.getLogger(__name__)


class FlowStoreFailed(IvrError):
    """The database did not answer, or refused the write."""


class FlowVersionTaken(FlowStoreFailed):
    """Another version with that number was stored first (a concurrent publish)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFlow:
    name: FlowName
    version: int
    digest: str
    source: str
    """"api:<login>" for a version published through the API."""
    document: object
    """The document as published (JSON primitives)."""
    published_at: datetime
    """Aware UTC."""
    published_by: str | None


class FlowStore(Protocol):
    async def save(
        self, flow: Flow, document: object, *, by: str | None, at: datetime
    ) -> None:
        """Keep `flow` (one version) and the document it was parsed from.
        Raises FlowVersionTaken when the version is stored already, and
        FlowStoreFailed when the database fails or does not answer in time."""

    async def latest(self) -> Sequence[StoredFlow]:
        """The newest stored version of each flow, by name. Raises
        FlowStoreFailed."""


async def restore(registry: FlowRegistry, store: FlowStore) -> int:
    """Publish each flow's newest stored version over the one loaded from files,
    keeping its number, time and login; returns how many now serve. A stored
    document that no longer validates is logged and skipped (the file version
    keeps serving). Later versions are numbered after every stored one.
    Raises FlowStoreFailed when the store cannot be read."""
    restored = 0
    for stored in await store.latest():
        running = registry.current(stored.name)
        try:
            flow = registry.publish(
                stored.document,
                source=stored.source,
                version=stored.version,
                published=Publication(at=stored.published_at, by=stored.published_by),
            )
        except FlowInvalid as error:
            log.error(
                "IVR flow not restored flow=%s version=%s: %s",
                stored.name,
                stored.version,
                error,
            )
            continue
        finally:
            registry.reserve(stored.name, through=stored.version)
        if flow is not running:
            restored += 1
            log.info(
                "IVR flow restored flow=%s version=%s by=%s",
                flow.name,
                flow.version,
                stored.published_by,
            )
    return restored
