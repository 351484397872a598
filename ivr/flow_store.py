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
    keeping its number, time and login; returns how many replaced their file's
    version or added a flow (a stored document equal to its file adds none).
    A stored document that no longer validates is logged and skipped (the file
    version keeps serving). Later versions are numbered after every stored one.
    Raises FlowStoreFailed when the store cannot be read."""
    stored_flows = await store.latest()
    pending, restored = list(stored_flows), 0
    while pending:
        # a number moved from one flow to another is free only once the flow that
        # gave it up is restored: retry the refused ones while any went through
        refused: dict[FlowName, FlowInvalid] = {}
        for stored in pending:
            outcome = _restore(registry, stored)
            if isinstance(outcome, FlowInvalid):
                refused[stored.name] = outcome
            restored += outcome is True
        if len(refused) == len(pending):
            for stored in pending:
                log.error(
                    "IVR flow not restored flow=%s version=%s: %s",
                    stored.name, stored.version, refused[stored.name],
                )  # fmt: skip
            break
        pending = [s for s in pending if s.name in refused]
    for stored in stored_flows:
        registry.reserve(stored.name, through=stored.version)
    return restored


def _restore(registry: FlowRegistry, stored: StoredFlow) -> bool | FlowInvalid:
    """True when the stored version now serves in place of another (or none)."""
    running = registry.current(stored.name)
    try:
        flow = registry.publish(
            stored.document,
            source=stored.source,
            version=stored.version,
            published=Publication(at=stored.published_at, by=stored.published_by),
        )
    except FlowInvalid as error:
        return error
    if flow is running:
        return False
    log.info(
        "IVR flow restored flow=%s version=%s by=%s",
        flow.name,
        flow.version,
        stored.published_by,
    )
    return True
