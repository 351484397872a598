"""What the IVR runner leaves behind when it lets a call go: the channel variables
the ACD reads, and the IvrCompleted event with the hand-off and the journal as JSON
primitives. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from ivr.dialogue import (
    Fallback,
    HandoffData,
    Hangup,
    HangupReason,
    JournalEntry,
    Queue,
    Transfer,
    Voicemail,
)
from ivr.events import IvrCompleted, JsonValue
from telephony.dialplan import (
    CATEGORY_VARIABLE,
    LANGUAGE_VARIABLE,
    PRIORITY_VARIABLE,
    QUEUE_VARIABLE,
    SKILLS_VARIABLE,
)


class Outcome(StrEnum):
    QUEUED = "queued"
    VOICEMAIL = "voicemail"
    TRANSFERRED = "transferred"
    FLOW_ENDED = "flow_ended"
    """The flow hung up (after a survey, say)."""
    CALLER_HUNG_UP = "caller_hung_up"
    FALLBACK = "fallback"
    """No flow serves the dialled number: the default greeting and queue."""
    FAILED = "failed"
    """The runner failed; the caller was sent to the operator queue."""


class Ending(StrEnum):
    """Where and how the caller's time in the IVR ended, finer than Outcome: what
    the contact records as where they left."""

    FLOW = "flow"
    """The flow's own way out, following the caller's answers."""
    HUNG_UP_MID_PROMPT = "hung_up_mid_prompt"
    HUNG_UP_MID_INPUT = "hung_up_mid_input"
    """While the IVR waited for keys."""
    HUNG_UP_MID_RECORDING = "hung_up_mid_recording"
    """While the IVR recorded what they said (not a voicemail, which ends so)."""
    HUNG_UP = "hung_up"
    """Elsewhere: before the first prompt, during a lookup or the hand-over."""
    NO_INPUT = Fallback.NO_INPUT.value
    INVALID_INPUT = Fallback.INVALID_INPUT.value
    LOW_CONFIDENCE = Fallback.LOW_CONFIDENCE.value
    NOT_CONFIRMED = Fallback.NOT_CONFIRMED.value
    PROMPT_FAILED = Fallback.PROMPT_FAILED.value
    ACTION_FAILED = Fallback.ACTION_FAILED.value
    STEP_LIMIT = Fallback.STEP_LIMIT.value
    NO_FLOW = "no_flow"
    """No flow serves the number: the default greeting and queue."""
    FAILED = "failed"
    """The runner failed; the caller went to the operator queue."""


Terminal = Queue | Voicemail | Transfer | Hangup


def ending_of(action: Terminal) -> Ending:
    """How a flow that reached `action` ended, as far as the flow knows (the runner
    knows better where a caller hung up)."""
    if isinstance(action, Hangup) and action.reason is HangupReason.CALLER_HUNG_UP:
        return Ending.HUNG_UP
    if action.data.fallback is not None:
        return Ending(action.data.fallback.value)
    return Ending.FLOW


def outcome_of(action: Terminal) -> Outcome:
    match action:
        case Queue():
            return Outcome.QUEUED
        case Voicemail():
            return Outcome.VOICEMAIL
        case Transfer():
            return Outcome.TRANSFERRED
        case Hangup(reason=HangupReason.CALLER_HUNG_UP):
            return Outcome.CALLER_HUNG_UP
        case Hangup():
            return Outcome.FLOW_ENDED


def queue_variables(
    queue: str,
    skills: Sequence[str],
    priority: int,
    *,
    language: str = "",
    category: str | None = None,
) -> tuple[tuple[str, str], ...]:
    """The channel variables the ACD reads in the waiting context, in set order."""
    return (
        (QUEUE_VARIABLE, queue),
        (SKILLS_VARIABLE, ",".join(skills)),
        (PRIORITY_VARIABLE, str(priority)),
        (LANGUAGE_VARIABLE, language),
        (CATEGORY_VARIABLE, category or ""),
    )


def handoff_json(data: HandoffData) -> dict[str, JsonValue]:
    values: dict[str, JsonValue] = dict(sorted(data.values.items()))
    return {
        "flow": str(data.flow),
        "version": data.version,
        "customer_id": data.customer_id,
        "menu_path": list(data.menu_path),
        "values": values,
        "recognised": [
            {
                "name": r.name,
                "value": r.value,
                "channel": r.channel.value,
                "confidence": r.confidence,
            }
            for r in data.recognised
        ],
        "last_node": str(data.last_node),
        "fallback": None if data.fallback is None else data.fallback.value,
    }


def journal_json(journal: Sequence[JournalEntry]) -> list[JsonValue]:
    entries: list[JsonValue] = []
    for entry in journal:
        item: dict[str, JsonValue] = {
            "at": entry.at.isoformat(),
            "node": str(entry.node),
            "kind": entry.kind.value,
            "detail": entry.detail,
        }
        if entry.value is not None:
            item["value"] = entry.value
        if entry.confidence is not None:
            item["confidence"] = entry.confidence
        if entry.channel is not None:
            item["channel"] = entry.channel.value
        entries.append(item)
    return entries


def completed(
    *,
    at: datetime,
    call_id: str,
    ani: str,
    customer_id: str | None,
    outcome: Outcome,
    language: str,
    handoff: HandoffData | None = None,
    journal: Sequence[JournalEntry] = (),
    queue: str | None = None,
    skills: Sequence[str] = (),
    priority: int = 0,
    ended: Ending | None = None,
    details: Mapping[str, JsonValue] | None = None,
) -> IvrCompleted:
    """The event for a call the IVR let go of; `details` are the outcome's own
    facts (voicemail appeal id, transfer number, failure reason...). The data
    always names the last node reached (None before any) and how it ended."""
    data: dict[str, JsonValue] = {
        "outcome": outcome.value,
        "ended": (ended or _ENDINGS.get(outcome, Ending.FLOW)).value,
        "last_node": None if handoff is None else str(handoff.last_node),
    }
    if handoff is not None:
        data["handoff"] = handoff_json(handoff)
    data["journal"] = journal_json(journal)
    data.update(details or {})
    return IvrCompleted(
        occurred_at=at,
        call_id=call_id,
        ani=ani,
        customer_id=customer_id,
        outcome=outcome.value,
        queue=queue,
        skills=tuple(skills),
        priority=priority,
        language=language,
        data=data,
    )


_ENDINGS = {
    Outcome.CALLER_HUNG_UP: Ending.HUNG_UP,
    Outcome.FALLBACK: Ending.NO_FLOW,
    Outcome.FAILED: Ending.FAILED,
}


def completed_by(
    action: Terminal,
    *,
    at: datetime,
    call_id: str,
    ani: str,
    language: str,
    journal: Sequence[JournalEntry],
    ended: Ending | None = None,
    details: Mapping[str, JsonValue] | None = None,
) -> IvrCompleted:
    """The event for a flow that reached `action`; `ended` defaults to
    ending_of(action)."""
    extra: dict[str, JsonValue] = {}
    queue: str | None = None
    skills: tuple[str, ...] = ()
    priority = 0
    match action:
        case Queue():
            queue, skills, priority = action.queue, action.skills, action.priority
        case Voicemail():
            extra["voicemail_topic"] = action.topic
        case Transfer():
            extra["transfer_to"] = action.number
        case Hangup():
            extra["hangup_reason"] = action.reason.value
    extra.update(details or {})
    return completed(
        at=at,
        call_id=call_id,
        ani=ani,
        customer_id=action.data.customer_id,
        outcome=outcome_of(action),
        language=language,
        handoff=action.data,
        journal=journal,
        queue=queue,
        skills=skills,
        priority=priority,
        ended=ended or ending_of(action),
        details=extra,
    )
