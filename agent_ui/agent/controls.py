"""The agent's controls over their ACD state and their call: log in and out, pause
with a reason, ready, hang up, hold and resume, transfer, pause the recording,
finish wrap-up with a disposition, call a number. Each request is carried out by
the ACD (or the recordings service) and answered with the desk's state as it is
afterwards; a refusal is a DeskRefused in words.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from acd import wrapup
from acd.engine import AgentView
from acd.errors import (
    AcdError,
    AgentBusy,
    DialRefused,
    HoldRefused,
    NoConnectedCall,
    TransferRefused,
    UnknownAgent,
)
from acd.events import Disposition
from acd.holds import DIAL_RING_S, OUTBOUND_PAUSE
from acd.model import AgentId, AgentState, QueueId, TransferMode
from acd.service import AcdService
from acd.transfers import Transfer, TransferTarget
from agent_ui import views
from agent_ui.agent.calls import DeskCalls, current_call
from agent_ui.agent.errors import DeskRefused
from agent_ui.labels import N_
from agent_ui.ports import CustomerCards
from crm_core.auth.model import Actor
from crm_core.errors import CrmError
from recordings.errors import RecordingError
from recordings.service import RecordingService
from telephony.errors import PbxError

log = logging.getLogger(__name__)

T = TypeVar("T")
ANSWER_TIMEOUT_S = 5.0
"""How long a request waits for the ACD or the PBX to answer."""
SETTLE_S = 2.0
"""How long a hang-up waits for the ACD to see the call end, so the desk it
answers with already shows wrap-up (the live channel says so too)."""
SETTLE_STEP_S = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class DeskState:
    """What the agent's state bar and call banner show."""

    seat: bool
    """False: the ACD has no seat for this user (no controls)."""
    state: AgentState | None
    reason: str
    since: datetime | None
    """When the state began, as the live channel last said (None: not heard)."""
    call: views.DeskCall | None
    caller_name: str | None
    held: bool
    muted: bool
    consulting: Transfer | None
    queues: tuple[str, ...]
    """Every queue, for transfers."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlParts:
    acd: AcdService
    calls: DeskCalls
    cards: CustomerCards
    recordings: RecordingService
    publisher: wrapup.WrapUpPublisher


class Controls:
    def __init__(self, parts: ControlParts) -> None:
        self._acd = parts.acd
        self._calls = parts.calls
        self._cards = parts.cards
        self._recordings = parts.recordings
        self._publisher = parts.publisher

    async def state(self, actor: Actor) -> DeskState:
        agent = _agent(actor)
        call = current_call(self._calls, actor)
        try:
            view = self._acd.agent(agent)
        except UnknownAgent:
            return DeskState(
                seat=False, state=None, reason="", since=None, call=call,
                caller_name=None, held=False, muted=False, consulting=None,
                queues=(),
            )  # fmt: skip
        heard = self._calls.agent_state(str(agent))
        since = None
        if heard is not None and heard["state"] == view.state.value:
            since = datetime.fromisoformat(heard["at"])
        return DeskState(
            seat=True, state=view.state, reason=view.reason, since=since, call=call,
            caller_name=await self._caller_name(actor, call),
            held=self._acd.holds.is_held(agent),
            muted=await self._muted(actor, view),
            consulting=self._acd.transfers.consulting(agent),
            queues=tuple(sorted(q.queue_id for q in self._acd.settings.queues)),
        )  # fmt: skip

    def my_queues(self, actor: Actor) -> list[views.QueueStatsView]:
        """The live figures of the queues the agent's seat serves."""
        agent = _agent(actor)
        seat = next(
            (a for a in self._acd.settings.agents if a.profile.agent_id == agent), None
        )
        if seat is None:
            return []
        ids = sorted(m.queue_id for m in seat.profile.memberships)
        return self._calls.queue_figures(ids)

    # state -------------------------------------------------------------------

    async def log_in(self, actor: Actor) -> None:
        await _acd(self._acd.login(_agent(actor)))

    async def log_out(self, actor: Actor) -> None:
        await _acd(self._acd.logout(_agent(actor)))

    async def pause(self, actor: Actor, reason: str) -> None:
        await _acd(self._acd.pause(_agent(actor), reason=reason))

    async def ready(self, actor: Actor) -> None:
        await _acd(self._acd.ready(_agent(actor)))

    async def finish_wrap_up(
        self, actor: Actor, disposition: Disposition, notes: str
    ) -> None:
        await _acd(
            wrapup.finish_wrap_up(
                self._acd, self._publisher, _agent(actor), disposition=disposition,
                notes=notes, at=datetime.now(UTC),
            )
        )  # fmt: skip

    # the call ------------------------------------------------------------------

    async def hang_up(self, actor: Actor) -> None:
        agent = _agent(actor)
        if self._acd.holds.is_held(agent):
            raise DeskRefused(N_("Take the caller off hold first."))
        await _acd(self._acd.transfers.hang_up(agent))
        await self._settled(agent)

    async def hold(self, actor: Actor) -> None:
        await _acd(self._acd.holds.hold(_agent(actor)))

    async def resume(self, actor: Actor) -> None:
        await _acd(self._acd.holds.resume(_agent(actor)))

    async def transfer(
        self, actor: Actor, *, mode: TransferMode, target: TransferTarget
    ) -> Transfer:
        agent = _agent(actor)
        if self._acd.holds.is_held(agent):
            raise DeskRefused(N_("Take the caller off hold first."))
        return await _acd(self._acd.transfers.transfer(agent, mode=mode, target=target))

    async def complete_transfer(self, actor: Actor) -> Transfer:
        return await _acd(self._acd.transfers.complete(_agent(actor)))

    async def cancel_transfer(self, actor: Actor) -> Transfer:
        return await _acd(self._acd.transfers.cancel(_agent(actor)))

    async def record(self, actor: Actor, *, paused: bool) -> None:
        """Pause (card details being read out) or resume the call's recording."""
        view = self._view(_agent(actor))
        if view.state is not AgentState.ON_CALL or view.call_id is None:
            raise DeskRefused(N_("You have no call connected."))
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                await self._recordings.set_muted(actor, view.call_id, muted_=paused)
        except (RecordingError, PbxError, CrmError, TimeoutError) as error:
            message = N_("The recording could not be changed.")
            raise DeskRefused(message, str(error)) from None

    async def dial(self, actor: Actor, number: str) -> bool:
        """Call `number` from the agent's phone; a ready agent is paused for it
        (no call is offered meanwhile). True once their phone answered."""
        agent = _agent(actor)
        view = self._view(agent)
        if view.state is AgentState.READY:
            view = await _acd(self._acd.pause(agent, reason=OUTBOUND_PAUSE))
        dialled = self._acd.holds.dial(agent, number, state=view.state)
        return await _acd(dialled, timeout_s=DIAL_RING_S + ANSWER_TIMEOUT_S)

    def known_target(self, target: TransferTarget) -> bool:
        """The queue or agent named exists (a number always may be tried)."""
        if target.value == "":
            return False
        match target.kind.value:
            case "queue":
                return self._acd.has_queue(QueueId(target.value))
            case "agent":
                return self._acd.endpoint_of(AgentId(target.value)) is not None
            case _:
                return True

    def _view(self, agent: AgentId) -> AgentView:
        try:
            return self._acd.agent(agent)
        except UnknownAgent as error:
            raise DeskRefused(REFUSALS[0][1], str(error)) from None

    async def _settled(self, agent: AgentId) -> None:
        """Until the ACD no longer has the agent on the call (or a while)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + SETTLE_S
        while loop.time() < until:
            if self._acd.agent(agent).state is not AgentState.ON_CALL:
                return
            await asyncio.sleep(SETTLE_STEP_S)

    async def _caller_name(
        self, actor: Actor, call: views.DeskCall | None
    ) -> str | None:
        facts = call.facts if call is not None else None
        if facts is None or len(facts.customer_ids) != 1:
            return None
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                card = await self._cards.get(actor, uuid.UUID(facts.customer_ids[0]))
        except (CrmError, ValueError, TimeoutError):
            return None
        return card.name

    async def _muted(self, actor: Actor, view: AgentView) -> bool:
        if view.state is not AgentState.ON_CALL or view.call_id is None:
            return False
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                found = await self._recordings.find(actor, call_id=view.call_id)
        except (CrmError, TimeoutError):
            return False
        return bool(found) and found[-1].muted


def _agent(actor: Actor) -> AgentId:
    return AgentId(views.acd_agent_id(actor))


REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (UnknownAgent, N_("You have no seat in the call distributor: ask a supervisor.")),
    (NoConnectedCall, N_("You have no call connected.")),
    (AgentBusy, N_("That agent is not free to talk now.")),
    (TransferRefused, N_("The call cannot be transferred there.")),
    (HoldRefused, N_("This call cannot be held or resumed now.")),
    (DialRefused, N_("You cannot call out now: finish your call first.")),
    (AcdError, N_("That is not possible in your current state.")),
    (PbxError, N_("The telephone exchange refused. Try again.")),
    (TimeoutError, N_("The call distributor did not answer in time. Try again.")),
)


async def _acd(request: Awaitable[T], *, timeout_s: float = ANSWER_TIMEOUT_S) -> T:
    """The ACD's answer, its refusals as DeskRefused in words."""
    try:
        async with asyncio.timeout(timeout_s):
            return await request
    except (AcdError, PbxError, TimeoutError) as error:
        for kind, words in REFUSALS:
            if isinstance(error, kind):
                log.info("desk request refused: %r", error)
                raise DeskRefused(words, str(error)) from None
        raise
