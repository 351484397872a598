"""The call's journal in the IVR: every input fed to the interpreter, notes as the
flow moves, fallback exits taken and values collected, recorded on the state.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from ivr.dialogue import (
    Digits,
    EntryKind,
    Fallback,
    FlowState,
    Input,
    JournalEntry,
    PromptFailed,
    Recognised,
    Speech,
)
from ivr.model import Channel


def record_note(
    state: FlowState,
    now: datetime,
    kind: EntryKind,
    detail: str,
    *,
    value: str | None = None,
    confidence: float | None = None,
    channel: Channel | None = None,
) -> FlowState:
    entry = JournalEntry(
        at=now,
        node=state.node,
        kind=kind,
        detail=detail,
        value=value,
        confidence=confidence,
        channel=channel,
    )
    return dataclasses.replace(state, journal=(*state.journal, entry))


def record_fallback(
    state: FlowState, now: datetime, why: Fallback, detail: str
) -> FlowState:
    """The flow leaves the caller's path for a fallback exit: journalled, and kept
    as the call's latest fallback until the caller next answers."""
    state = dataclasses.replace(state, fallback=why)
    return record_note(state, now, EntryKind.FALLBACK, detail, value=why.value)


def record_input(state: FlowState, event: Input, now: datetime) -> FlowState:
    value: str | None = None
    confidence: float | None = None
    channel: Channel | None = None
    match event:
        case Digits(digits=digits):
            value, channel = digits, Channel.DTMF
        case Speech(text=text, confidence=conf):
            value, confidence, channel = text, conf, Channel.SPEECH
        case PromptFailed(index=index, reason=reason):
            value = f"{index}: {reason}"
        case _:
            pass
    detail = type(event).__name__
    state = dataclasses.replace(state, steps=state.steps + 1)
    return record_note(
        state, now, EntryKind.INPUT, detail,
        value=value, confidence=confidence, channel=channel,
    )  # fmt: skip


def record_collected(
    state: FlowState,
    name: str,
    value: str,
    channel: Channel,
    confidence: float | None,
    now: datetime,
) -> FlowState:
    recognised = Recognised(
        name=name, value=value, channel=channel, confidence=confidence
    )
    state = dataclasses.replace(
        state,
        values={**state.values, name: value},
        recognised=(*state.recognised, recognised),
        fallback=None,
    )
    return record_note(
        state, now, EntryKind.COLLECTED, name,
        value=value, confidence=confidence, channel=channel,
    )  # fmt: skip
