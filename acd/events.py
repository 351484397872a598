"""Events the ACD publishes: what happened to waiting calls, agents and queue figures.

The engine returns them among its actions; `acd.stats` folds them into figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from acd.model import (
    AgentId,
    AgentState,
    ExitKind,
    ExitReason,
    QueueId,
    TargetKind,
    TransferMode,
)
from telephony.model import CallId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallQueued:
    """A call started waiting in a queue (first arrival, or after an overflow)."""

    topic: ClassVar[str] = "acd.call_queued"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    priority: int
    position: int
    """1-based place in the queue's order when it was queued."""
    returning: bool = False
    """The call was queued here before (a callback tried again, or asked for after
    the callback exit): not a new arrival."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOffered:
    """An agent was reserved for a waiting call and their phone is to ring."""

    topic: ClassVar[str] = "acd.call_offered"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    agent_id: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRequeued:
    """An offer failed (no answer, unreachable phone); the call is back at the head."""

    topic: ClassVar[str] = "acd.call_requeued"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    agent_id: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallConnected:
    """The offered agent answered; the caller is bridged to them."""

    topic: ClassVar[str] = "acd.call_connected"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    agent_id: AgentId
    waited_s: float
    """From the caller's arrival in the ACD (before any overflow) to the answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAbandoned:
    """The caller hung up before an agent answered."""

    topic: ClassVar[str] = "acd.call_abandoned"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    waited_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOverflowed:
    """The call moved to another queue (overflow rule, maximum wait or full queue)."""

    topic: ClassVar[str] = "acd.call_overflowed"
    occurred_at: datetime
    call_id: CallId
    from_queue_id: QueueId
    to_queue_id: QueueId
    reason: ExitReason


@dataclass(frozen=True, slots=True, kw_only=True)
class CallLeftQueue:
    """The call left the ACD without an agent: voicemail, callback or hang-up."""

    topic: ClassVar[str] = "acd.call_left_queue"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    reason: ExitReason
    exit: ExitKind
    waited_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTransferred:
    """Agent `agent_id` passed on the call they answered from `queue_id`. Blind to
    a queue or an agent: the call waits again (CallQueued, then CallConnected with
    the next agent); attended to an agent: that agent is on the call from now;
    to a number, blind or attended: the call leaves the centre."""

    topic: ClassVar[str] = "acd.call_transferred"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    agent_id: AgentId
    mode: TransferMode
    target_kind: TargetKind
    target: str
    """The queue id, the agent's login or the number."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackBooked:
    """The waiting caller asked to be called back and hangs up: the call keeps its
    place in `queue_id` (or gets its first place back after the callback exit)."""

    topic: ClassVar[str] = "acd.callback_booked"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId


@dataclass(frozen=True, slots=True, kw_only=True)
class CallHandled:
    """An agent finished a call, wrap-up included (the figures for handle time)."""

    topic: ClassVar[str] = "acd.call_handled"
    occurred_at: datetime
    call_id: CallId
    queue_id: QueueId
    agent_id: AgentId
    talk_s: float
    wrap_up_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackGaveUp:
    """Every try to call a caller back failed (their leg did not answer, or the
    ring could not be placed); the callback is dropped. The CRM makes an appeal."""

    topic: ClassVar[str] = "acd.callback_gave_up"
    call_id: CallId
    queue_id: QueueId
    number: str
    attempts: int
    at: datetime

    @property
    def occurred_at(self) -> datetime:
        """`at`, under the name every ACD event has."""
        return self.at


class Disposition(StrEnum):
    """How the agent says a call ended, chosen in wrap-up."""

    RESOLVED = "resolved"
    FOLLOW_UP = "follow_up"
    ESCALATED = "escalated"
    INFORMATION = "information"
    WRONG_NUMBER = "wrong_number"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpFinished:
    """An agent ended wrap-up of a call, with the disposition and notes they gave
    (None and "" when they gave none). The CRM keeps them on the call's contact.
    Published by the agent API, not the engine, so it is not an `AcdEvent`."""

    topic: ClassVar[str] = "acd.wrap_up_finished"
    agent_id: AgentId
    call_id: CallId
    disposition: Disposition | None
    notes: str
    at: datetime

    @property
    def occurred_at(self) -> datetime:
        """`at`, under the name every ACD event has."""
        return self.at


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged:
    topic: ClassVar[str] = "acd.agent_state_changed"
    occurred_at: datetime
    agent_id: AgentId
    state: AgentState
    previous: AgentState
    reason: str
    """The pause reason code; empty unless paused."""
    queue_ids: tuple[QueueId, ...]
    """The queues the agent is a member of."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStatsUpdated:
    """A queue's live figures (published every second)."""

    topic: ClassVar[str] = "acd.queue_stats"
    occurred_at: datetime
    queue_id: QueueId
    waiting: int
    longest_wait_s: float
    answered: int
    abandoned: int
    abandoned_short: int
    """Abandoned within the grace time; not counted in `abandoned`."""
    service_level: float | None
    """Share of calls answered within the queue's target, 0..1 (None: no calls)."""
    average_speed_of_answer_s: float | None
    average_handle_time_s: float | None
    agents_by_state: tuple[tuple[str, int], ...]
    occupancy: float | None
    agents_needed: int | None
    """Erlang C: agents for the queue's target service level at this interval's
    arrival rate and handle time (None: no basis yet)."""
    interval_start: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRaised:
    """Something needs a supervisor (`acd.alerts`): an agent paused too long, a
    queue's service level breached, a caller waiting past the queue's limit.
    Published by the ACD's alert watch, not the engine."""

    topic: ClassVar[str] = "acd.alert_raised"
    occurred_at: datetime
    kind: str
    """`acd.alerts.AlertKind`: long_pause, service_level, long_wait."""
    subject: str
    """The agent's login (a pause) or the queue's id."""
    since: datetime
    value: float
    limit: float
    reason: str
    """The pause reason, for a pause; empty otherwise."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertCleared:
    """The condition behind an alert no longer holds."""

    topic: ClassVar[str] = "acd.alert_cleared"
    occurred_at: datetime
    kind: str
    subject: str
    since: datetime
    """When the condition had begun."""


AlertEvent = AlertRaised | AlertCleared


AcdEvent = (
    CallQueued
    | CallOffered
    | CallRequeued
    | CallConnected
    | CallAbandoned
    | CallOverflowed
    | CallLeftQueue
    | CallTransferred
    | CallbackBooked
    | CallHandled
    | CallbackGaveUp
    | AgentStateChanged
    | QueueStatsUpdated
)

_EVENT_TYPES = (
    CallQueued,
    CallOffered,
    CallRequeued,
    CallConnected,
    CallAbandoned,
    CallOverflowed,
    CallLeftQueue,
    CallTransferred,
    CallbackBooked,
    CallHandled,
    CallbackGaveUp,
    AgentStateChanged,
    QueueStatsUpdated,
)


def events_in(actions: Iterable[object]) -> list[AcdEvent]:
    """The events among the engine's actions (to publish, or to fold into stats)."""
    return [a for a in actions if isinstance(a, _EVENT_TYPES)]
