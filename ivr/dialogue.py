"""What the IVR interpreter exchanges with its runner: the call it serves, the
actions it asks for, the inputs it is fed, and one call's state and journal.

Plain frozen data; no behaviour, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ivr.model import Channel, FieldValue, FlowName, LookupKind, NodeId

# --- the call -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContext:
    """What is known of the call when the flow starts (after caller identification)."""

    call_id: str
    caller: str
    """The caller's number (ANI) as received."""
    dialled: str
    customer: Mapping[str, FieldValue] = field(default_factory=dict)
    """The identified customer's fields (see flow.CUSTOMER_FIELDS); empty if unknown."""


# --- prompts and actions --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Tts:
    text: str
    """Text ready to speak: numbers, money and dates already in words."""
    language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SoundFile:
    name: str
    """Asterisk sound name, no extension (e.g. "cc/main-menu")."""
    text: Tts | None = None
    """What the recording says: spoken by TTS when the file is missing."""


Prompt = SoundFile | Tts


@dataclass(frozen=True, slots=True, kw_only=True)
class Expect:
    """What an Ask waits for."""

    dtmf: str = ""
    """Keys accepted ("" = none); for digit entry "0123456789"."""
    grammar: tuple[str, ...] | None = None
    """Phrases the recogniser may return; None with `speech` set means free-form."""
    speech: bool = False
    min_digits: int = 1
    max_digits: int = 1
    terminator: str = ""
    """A key that ends digit entry early ("#"), or ""."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Play:
    """Play prompts in order; report Played, or PromptFailed(index) on the first
    failure. Keys in `barge_in` stop playback and are reported as Digits."""

    prompts: tuple[Prompt, ...]
    barge_in: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ask:
    """Play prompts (interruptible) and wait for the caller's answer: report Digits,
    Speech, NoInput after `timeout_s`, or PromptFailed(index)."""

    prompts: tuple[Prompt, ...]
    expect: Expect
    timeout_s: float
    language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """Query the CRM; report LookupResult."""

    kind: LookupKind
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffData:
    """What the IVR gathered, travelling with the call to the ACD and the screen-pop."""

    flow: FlowName
    version: int
    customer_id: str | None
    menu_path: tuple[str, ...]
    """Labels of the menu choices taken, in order."""
    values: Mapping[str, str]
    """Collected and set values by name."""
    recognised: tuple[Recognised, ...]
    last_node: NodeId
    fallback: Fallback | None = None
    """Why the flow last left the caller's path (None: it followed their answers)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recognised:
    name: str
    """The menu or variable the value answered."""
    value: str
    channel: Channel
    confidence: float | None
    """None for DTMF."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Queue:
    """Terminal: hand the call to the ACD."""

    queue: str
    skills: tuple[str, ...]
    priority: int
    data: HandoffData


@dataclass(frozen=True, slots=True, kw_only=True)
class Voicemail:
    """Terminal: record a message that becomes an appeal of `topic`."""

    topic: str
    prompts: tuple[Prompt, ...]
    max_duration_s: float
    data: HandoffData


@dataclass(frozen=True, slots=True, kw_only=True)
class Callback:
    """Register a callback request; report ActionDone."""

    number: str
    queue: str
    data: HandoffData


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSurveyAnswer:
    """Store the answer on the customer (and the call); report ActionDone."""

    question: str
    answer: str
    channel: Channel
    customer_id: str | None
    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreReading:
    """Store a confirmed meter reading on the customer, with the call's id and the
    time it was taken; report ActionDone (ok False, with why, if not stored)."""

    value: Decimal
    meter: str
    customer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """Terminal: transfer the call to a number."""

    number: str
    data: HandoffData


class HangupReason(StrEnum):
    FLOW_ENDED = "flow_ended"
    CALLER_HUNG_UP = "caller_hung_up"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup:
    """Terminal: end the call (already ended if the caller hung up)."""

    reason: HangupReason
    data: HandoffData


Action = (
    Play
    | Ask
    | Lookup
    | Queue
    | Voicemail
    | Callback
    | StoreSurveyAnswer
    | StoreReading
    | Transfer
    | Hangup
)
TERMINAL = (Queue, Voicemail, Transfer, Hangup)


# --- inputs -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Digits:
    digits: str
    """Keys pressed, the terminator excluded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Speech:
    text: str
    """"" when nothing in the grammar was heard."""
    confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class NoInput:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Played:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptFailed:
    """Prompt `index` of the last Play/Ask could not be played (missing sound,
    TTS failure); those before it were heard."""

    index: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupResult:
    found: bool
    fields: Mapping[str, FieldValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionDone:
    """A Callback, StoreSurveyAnswer or StoreReading was carried out (ok False if
    it failed, `detail` saying why for the journal)."""

    ok: bool = True
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerHungUp:
    pass


Input = (
    Digits
    | Speech
    | NoInput
    | Played
    | PromptFailed
    | LookupResult
    | ActionDone
    | CallerHungUp
)


# --- state and journal ----------------------------------------------------------


class EntryKind(StrEnum):
    ENTERED = "entered"
    """A node was entered."""
    INPUT = "input"
    """One input fed to the interpreter (exactly one entry per step)."""
    CHOSEN = "chosen"
    COLLECTED = "collected"
    SET = "set"
    LOOKUP = "lookup"
    BRANCH = "branch"
    FALLBACK = "fallback"
    """Something went wrong and the flow took its way out (prompt, rule, retries)."""
    STORED = "stored"
    """A collected value was stored in the CRM (a meter reading)."""


class Fallback(StrEnum):
    """Why a flow left the caller's path for a fallback exit."""

    NO_INPUT = "no_input"
    """Retries ran out with nothing pressed or said."""
    INVALID_INPUT = "invalid_input"
    """Retries ran out with keys or words no choice takes."""
    LOW_CONFIDENCE = "low_confidence"
    """Retries ran out on speech heard too unsure to act on."""
    NOT_CONFIRMED = "not_confirmed"
    PROMPT_FAILED = "prompt_failed"
    """Nothing of a node could be played (missing sound, TTS failure)."""
    ACTION_FAILED = "action_failed"
    """A CRM write (reading, callback) was not carried out."""
    STEP_LIMIT = "step_limit"


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    at: datetime
    node: NodeId
    kind: EntryKind
    detail: str
    """For INPUT the input in words; for CHOSEN the choice; else a short note."""
    value: str | None = None
    confidence: float | None = None
    channel: Channel | None = None


class Phase(StrEnum):
    PLAYING = "playing"
    ASKING = "asking"
    CONFIRMING = "confirming"
    LOOKING_UP = "looking_up"
    ACTING = "acting"
    """Waiting for ActionDone."""
    ENDED = "ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowState:
    """One call's position in a flow. `flow`/`version` say which version it runs."""

    flow: FlowName
    version: int
    call: CallContext
    node: NodeId
    phase: Phase
    language: str
    attempts: int = 0
    """Failed answers at the current node (no input, invalid, low confidence)."""
    low_confidence: int = 0
    dtmf_only: bool = False
    """Speech gave up at this node: ask by keypad only."""
    pending: tuple[Prompt, ...] = ()
    """The prompts of the last Play/Ask (for PromptFailed fallback)."""
    heard: bool = False
    """Some prompt of the current node was played."""
    candidate: str = ""
    """A collected value awaiting confirmation."""
    candidate_channel: Channel = Channel.DTMF
    candidate_confidence: float | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    lookups: Mapping[str, Mapping[str, FieldValue]] = field(default_factory=dict)
    menu_path: tuple[str, ...] = ()
    recognised: tuple[Recognised, ...] = ()
    journal: tuple[JournalEntry, ...] = ()
    steps: int = 0
    last_action: Action | None = None
    fallback: Fallback | None = None
    """The latest fallback exit since the caller last answered (see Fallback)."""
