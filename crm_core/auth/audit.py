"""The audit log for the parts outside the CRM that do something worth a record
(a supervisor listening to a call): one entry per call, in its own unit of work.
The CRM's own services write theirs with the change they audit (`store.write_audit`).
"""

from __future__ import annotations

from typing import Any

from crm_core.auth.model import Actor
from crm_core.auth.ports import Clock
from crm_core.auth.store import write_audit
from crm_core.db import Sessions


class AuditTrail:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def record(
        self,
        actor: Actor,
        action: str,
        *,
        object_type: str,
        object_id: object = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Keep that `actor` did `action` to the object, now. `details` must be
        JSON-ready and hold no secrets."""
        async with self._sessions.begin() as s:
            write_audit(
                s, actor, action, at=self._clock.now(), object_type=object_type,
                object_id=object_id, details=details,
            )  # fmt: skip
