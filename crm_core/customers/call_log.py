"""A call's log from the facts the CRM hears about it (T3): the queues it passed,
the agents who took it, the wait, talk and hold, how it ended and why. Pure: no I/O.

The facts come from several publishers whose events reach the CRM in no fixed
order (the telephony end often before the ACD's last word, the IVR's record after
the hang-up); the log is a function of the facts, not of their order, so every
write recomputes it and the last one to arrive leaves it right.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class CallOutcome(StrEnum):
    """How a call ended for the contact centre."""

    ANSWERED = "answered"
    """An agent had the caller last (or had them before the PBX went away)."""
    ABANDONED_IN_QUEUE = "abandoned_in_queue"
    ABANDONED_IN_IVR = "abandoned_in_ivr"
    VOICEMAIL = "voicemail"
    """The caller was sent to leave a message (by the IVR or a queue's exit)."""
    CALLBACK = "callback"
    """The caller booked a callback and hung up to wait for it."""
    TRANSFERRED_OUT = "transferred_out"
    """Sent to a number outside the centre (by an agent or the IVR)."""
    SERVED_IN_IVR = "served_in_ivr"
    """The IVR's flow served the caller and ended the call (self-service)."""
    FAILED = "failed"
    """Nobody served the caller: the PBX went away before an agent had them, a
    queue refused them (full, or its exit hangs up), or the call never reached
    the IVR."""


class EndReason(StrEnum):
    """Why the telephony side says the call ended."""

    HANGUP = "hangup"
    VANISHED = "vanished"
    """Gone from the PBX after a reconnect (a restart, or a lost Hangup)."""
    PBX_SHUTDOWN = "pbx_shutdown"
    """Hung up by Asterisk as it shut down or restarted."""

    @property
    def pbx_gone(self) -> bool:
        return self is not EndReason.HANGUP


class StepKind(StrEnum):
    """What the ACD did with the call."""

    QUEUED = "queued"
    CONNECTED = "connected"
    """`agent` answered it from `queue` after `wait_s`."""
    HANDED_OVER = "handed_over"
    """An attended transfer completed: `agent` took the call over."""
    REQUEUED = "requeued"
    """A blind transfer sent it to wait in `queue` (for agent `target`, if set)."""
    TRANSFERRED_OUT = "transferred_out"
    """An agent sent it to the outside number `target`."""
    ABANDONED = "abandoned"
    LEFT_QUEUE = "left_queue"
    """It left `queue` with no agent through the exit `target`: voicemail,
    callback or hangup."""
    CALLBACK_BOOKED = "callback_booked"


class QueueExit(StrEnum):
    """The ways out of a queue without an agent that the CRM tells apart."""

    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    HANGUP = "hangup"


class IvrWayOut(StrEnum):
    """The IVR's outcomes (ivr.handoff.Outcome values) as the call log reads them."""

    QUEUED = "queued"
    VOICEMAIL = "voicemail"
    TRANSFERRED = "transferred"
    FLOW_ENDED = "flow_ended"
    CALLER_HUNG_UP = "caller_hung_up"
    FALLBACK = "fallback"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStep:
    """One thing the ACD did with the call (see StepKind for the fields each uses)."""

    kind: StepKind
    at: datetime
    queue: str | None = None
    agent: str | None = None
    """The agent's login."""
    wait_s: float | None = None
    """For connected, abandoned, left_queue: the ACD's wait since the caller
    (re)entered the queues."""
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnd:
    """The telephony side's end of the call, with the last times it knew."""

    ended_at: datetime
    reason: EndReason = EndReason.HANGUP
    hangup_cause: int | None = None
    hangup_cause_text: str = ""
    bridged_at: datetime | None = None
    """When the caller was first bridged to someone (None: never)."""
    hold_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFacts:
    """Everything heard about one call so far; each `with_` is idempotent."""

    steps: tuple[CallStep, ...] = ()
    end: CallEnd | None = None
    ivr_outcome: str | None = None
    ivr_queue: str | None = None

    def with_step(self, step: CallStep) -> CallFacts:
        """The facts with `step` (a step already heard changes nothing); steps
        stay in the ACD's order: by time, then as heard."""
        if step in self.steps:
            return self
        steps = sorted((*self.steps, step), key=lambda s: s.at)
        return replace(self, steps=tuple(steps))

    def with_end(self, end: CallEnd) -> CallFacts:
        """The facts with the call's end; the first end heard stays."""
        return self if self.end is not None else replace(self, end=end)

    def with_ivr(self, outcome: str, *, queue: str | None) -> CallFacts:
        """The facts with the IVR's way out (a later pass replaces an earlier)."""
        return replace(self, ivr_outcome=outcome, ivr_queue=queue)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentTurn:
    """An agent on the call: who, when they took it, from which queue."""

    agent: str
    taken_at: datetime
    queue: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSummary:
    """The call log as the contact shows it; figures are None until the call ends."""

    queue: str | None
    """The last queue the call was in."""
    queues: tuple[str, ...]
    """Every queue it passed through, in order (overflows and transfers)."""
    agents: tuple[AgentTurn, ...]
    """The agents who took it, in order (the transfer chain)."""
    wait_s: float | None
    talk_s: float | None
    hold_s: float | None
    outcome: CallOutcome | None


def summarise(facts: CallFacts) -> CallSummary:
    """The call log of `facts`."""
    agents = tuple(_agents(facts.steps))
    queues = _queues(facts.steps) or ((facts.ivr_queue,) if facts.ivr_queue else ())
    end = facts.end
    return CallSummary(
        queue=queues[-1] if queues else None,
        queues=queues,
        agents=agents,
        wait_s=None if end is None else round(_wait_s(facts.steps, end), 3),
        talk_s=None if end is None else round(_talk_s(facts, agents, end), 3),
        hold_s=None if end is None else round(end.hold_s, 3),
        outcome=None if end is None else outcome(facts),
    )


def outcome(facts: CallFacts) -> CallOutcome | None:
    """How the call ended (None while it goes on).

    A call the PBX lost is never abandoned: answered if an agent had it, else
    failed. Otherwise a booked callback wins, then the ACD's last step (the call's
    last segment: an answered call sent on to a queue where the caller hung up was
    abandoned there), then the IVR's way out, then whether it was ever bridged.
    """
    end = facts.end
    if end is None:
        return None
    bridged = end.bridged_at is not None
    if end.reason.pbx_gone:
        had_agent = bridged or any(_takes(s) for s in facts.steps)
        return CallOutcome.ANSWERED if had_agent else CallOutcome.FAILED
    if any(s.kind is StepKind.CALLBACK_BOOKED for s in facts.steps):
        return CallOutcome.CALLBACK
    if facts.steps:
        return _after_acd(facts.steps[-1])
    return _after_ivr(facts.ivr_outcome, bridged=bridged)


def _after_acd(last: CallStep) -> CallOutcome:
    match last.kind:
        case StepKind.CONNECTED | StepKind.HANDED_OVER:
            return CallOutcome.ANSWERED
        case StepKind.TRANSFERRED_OUT:
            return CallOutcome.TRANSFERRED_OUT
        case StepKind.LEFT_QUEUE:
            # A callback exit that booked nothing plays the voicemail exit.
            if last.target in (QueueExit.VOICEMAIL, QueueExit.CALLBACK):
                return CallOutcome.VOICEMAIL
            return CallOutcome.FAILED
        case (
            StepKind.ABANDONED
            | StepKind.QUEUED
            | StepKind.REQUEUED
            | StepKind.CALLBACK_BOOKED
        ):
            # Ended while waiting: the ACD's CallAbandoned may still be on its way.
            return CallOutcome.ABANDONED_IN_QUEUE


def _after_ivr(ivr_outcome: str | None, *, bridged: bool) -> CallOutcome:
    match ivr_outcome:
        case IvrWayOut.CALLER_HUNG_UP:
            return CallOutcome.ABANDONED_IN_IVR
        case IvrWayOut.VOICEMAIL:
            return CallOutcome.VOICEMAIL
        case IvrWayOut.TRANSFERRED:
            return CallOutcome.TRANSFERRED_OUT
        case IvrWayOut.FLOW_ENDED:
            return CallOutcome.SERVED_IN_IVR
        case IvrWayOut.QUEUED | IvrWayOut.FALLBACK | IvrWayOut.FAILED if not bridged:
            # Handed to a queue, gone before the ACD queued it.
            return CallOutcome.ABANDONED_IN_QUEUE
        case _:
            return CallOutcome.ANSWERED if bridged else CallOutcome.FAILED


def _takes(step: CallStep) -> bool:
    return step.kind in (StepKind.CONNECTED, StepKind.HANDED_OVER)


def _agents(steps: Iterable[CallStep]) -> Iterable[AgentTurn]:
    for step in steps:
        if _takes(step) and step.agent:
            yield AgentTurn(agent=step.agent, taken_at=step.at, queue=step.queue)


def _queues(steps: Iterable[CallStep]) -> tuple[str, ...]:
    passed: list[str] = []
    for step in steps:
        if step.kind is StepKind.TRANSFERRED_OUT or not step.queue:
            continue
        if not passed or passed[-1] != step.queue:
            passed.append(step.queue)
    return tuple(passed)


def _wait_s(steps: Sequence[CallStep], end: CallEnd) -> float:
    """Seconds the caller waited in queues for an agent: each stay from entering
    the queues (overflows continue it) to an agent, an exit or the hang-up; none
    after a booked callback (the caller is gone)."""
    total = 0.0
    since: datetime | None = None
    for step in steps:
        match step.kind:
            case StepKind.QUEUED | StepKind.REQUEUED:
                since = since or step.at
            case StepKind.CONNECTED | StepKind.ABANDONED | StepKind.LEFT_QUEUE:
                total += step.wait_s or 0.0
                since = None
            case StepKind.CALLBACK_BOOKED:
                total += _seconds(since, step.at)
                return total
            case StepKind.HANDED_OVER | StepKind.TRANSFERRED_OUT:
                since = None
    return total + _seconds(since, end.ended_at)


def _talk_s(facts: CallFacts, agents: Sequence[AgentTurn], end: CallEnd) -> float:
    """Seconds agents talked with the caller, hold excluded: each agent from
    taking the call to the next transfer or the end. With no ACD agent (a call
    the ACD did not route: a callback's own leg), the time bridged, unless the
    IVR sent the caller out of the centre."""
    if not agents:
        if facts.ivr_outcome == IvrWayOut.TRANSFERRED:
            return 0.0
        bridged = _seconds(end.bridged_at, end.ended_at)
        return max(0.0, bridged - end.hold_s)
    talked = 0.0
    since: datetime | None = None
    for step in facts.steps:
        if since is not None and step.kind in _LEAVES_AGENT:
            talked += _seconds(since, step.at)
            since = None
        if _takes(step):
            since = step.at
    talked += _seconds(since, end.ended_at)
    return max(0.0, talked - end.hold_s)


_LEAVES_AGENT = frozenset(
    {StepKind.HANDED_OVER, StepKind.REQUEUED, StepKind.TRANSFERRED_OUT}
)


def _seconds(start: datetime | None, stop: datetime) -> float:
    return 0.0 if start is None else max(0.0, (stop - start).total_seconds())
