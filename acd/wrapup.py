"""Ending an agent's wrap-up with what they said about the call: the ACD makes the
agent available again and `WrapUpFinished` carries the disposition and notes to
the call's contact. One way for the REST API and the agent's page alike."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from acd.engine import AgentView
from acd.events import Disposition, WrapUpFinished
from acd.model import AgentId
from acd.service import AcdService


class WrapUpPublisher(Protocol):
    """Where an agent's wrap-up goes (the bus satisfies it)."""

    async def publish(self, event: WrapUpFinished) -> None: ...


async def finish_wrap_up(
    service: AcdService,
    publisher: WrapUpPublisher,
    agent_id: AgentId,
    *,
    disposition: Disposition | None,
    notes: str,
    at: datetime,
) -> AgentView:
    """End `agent_id`'s wrap-up now; the call wrapped up (if any) gets its
    `WrapUpFinished`. Raises AcdError as `AcdService.finish_wrap_up` does."""
    call_id = service.wrap_up_call(agent_id)
    view = await service.finish_wrap_up(agent_id)
    if call_id is not None:
        await publisher.publish(
            WrapUpFinished(
                agent_id=agent_id, call_id=call_id, disposition=disposition,
                notes=notes, at=at,
            )
        )  # fmt: skip
    return view
