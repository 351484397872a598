"""Whose call is it: the desk shows an agent only the call offered to them (or
their last one, through wrap-up); any other call is refused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agent_ui import views
from crm_core.auth.model import Actor
from crm_core.errors import Forbidden


class DeskCalls(Protocol):
    """The desktops' memory of each agent's call (`agent_ui.sockets.Desktops`)."""

    def desk_call(self, agent_id: str) -> views.DeskCall | None: ...

    def queue_figures(self, queue_ids: Sequence[str]) -> list[views.QueueStatsView]: ...

    def agent_state(self, agent_id: str) -> views.AgentStateView | None: ...


def current_call(calls: DeskCalls, actor: Actor) -> views.DeskCall | None:
    return calls.desk_call(views.acd_agent_id(actor))


def own_call(calls: DeskCalls, actor: Actor, call_id: str) -> views.DeskCall:
    """The actor's call `call_id`; Forbidden when it is not (or no longer) theirs."""
    found = current_call(calls, actor)
    if found is None or str(found.offer.call_id) != call_id:
        raise Forbidden(f"{actor.login} may not open call {call_id[:40]}")
    return found
