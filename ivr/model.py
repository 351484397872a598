"""IVR flow definitions: a validated flow, its nodes and their exits, its calendar
and the templates its prompts speak. What the interpreter exchanges with its runner
at run time is in ivr.dialogue.

Plain frozen data; no behaviour, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import NewType
from zoneinfo import ZoneInfo

from crm_core.rules.rule import Rule

FlowName = NewType("FlowName", str)
NodeId = NewType("NodeId", str)

FieldValue = str | Decimal | bool | date | datetime | None
"""A value a flow can read (customer fields, lookup results, collected data)."""


class LookupKind(StrEnum):
    BALANCE = "balance"
    APPEAL_STATUS = "appeal_status"
    ORDER_STATUS = "order_status"
    OUTAGE = "outage"


class Channel(StrEnum):
    """How a value reached the IVR."""

    DTMF = "dtmf"
    SPEECH = "speech"


# --- flows (validated by flow.py) ------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateField:
    path: tuple[str, ...]
    """("customer", "name"), ("vars", "reading"), ("lookup", "balance", "amount"),
    or ("value",) for the value being confirmed."""
    style: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    source: str
    parts: tuple[str | TemplateField, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptSpec:
    file: str | None = None
    say: Template | None = None
    """With `file`: what the recording says, spoken when the file is missing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    key: str | None
    words: tuple[str, ...]
    """Spoken synonyms, lower case."""
    goto: NodeId
    label: str
    """What the journal and the hand-off call this choice (a value for surveys)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayNode:
    id: NodeId
    prompts: tuple[PromptSpec, ...]
    next: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuNode:
    id: NodeId
    prompts: tuple[PromptSpec, ...]
    choices: tuple[Choice, ...]
    timeout_s: float
    retries: int
    invalid_prompts: tuple[PromptSpec, ...]
    no_input_prompts: tuple[PromptSpec, ...]
    default: NodeId
    speech: bool
    min_confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadingStore:
    """A collect node's confirmed value is a meter reading to store on the
    customer; when it cannot be stored the caller hears `failed_prompts` and the
    flow goes to `on_error`."""

    meter: str
    failed_prompts: tuple[PromptSpec, ...]
    on_error: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectNode:
    id: NodeId
    prompts: tuple[PromptSpec, ...]
    into: str
    min_digits: int
    max_digits: int
    terminator: str
    speech: bool
    confirm: bool
    confirm_prompts: tuple[PromptSpec, ...]
    timeout_s: float
    retries: int
    min_confidence: float
    next: NodeId
    on_failure: NodeId
    store: ReadingStore | None = None
    """Set: the confirmed value is stored as a meter reading before `next`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupNode:
    id: NodeId
    lookup: LookupKind
    into: str
    next: NodeId
    on_failure: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    rule: Rule
    goto: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchNode:
    id: NodeId
    cases: tuple[Case, ...]
    otherwise: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNode:
    id: NodeId
    values: tuple[tuple[str, Template], ...]
    next: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueNode:
    id: NodeId
    queue: str
    skills: tuple[str, ...]
    priority: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailNode:
    id: NodeId
    topic: str
    prompts: tuple[PromptSpec, ...]
    max_duration_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackNode:
    id: NodeId
    queue: str
    number: Template
    next: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class SurveyNode:
    id: NodeId
    question: str
    prompts: tuple[PromptSpec, ...]
    answers: tuple[Choice, ...]
    timeout_s: float
    retries: int
    next: NodeId


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferNode:
    id: NodeId
    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupNode:
    id: NodeId


Node = (
    PlayNode
    | MenuNode
    | CollectNode
    | LookupNode
    | BranchNode
    | SetNode
    | QueueNode
    | VoicemailNode
    | CallbackNode
    | SurveyNode
    | TransferNode
    | HangupNode
)
INPUT_NODES = (MenuNode, CollectNode, SurveyNode)
TERMINAL_NODES = (QueueNode, VoicemailNode, TransferNode, HangupNode)


@dataclass(frozen=True, slots=True, kw_only=True)
class Calendar:
    """Business hours (local time in `zone`) and holidays, for rules."""

    zone: ZoneInfo
    hours: Mapping[int, tuple[tuple[time, time], ...]]
    """Weekday (0 = Monday) to opening intervals [start, end)."""
    holidays: frozenset[date]


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    name: FlowName
    version: int
    source: str
    digest: str
    """SHA-256 of the document, to tell a new version from a reload."""
    language: str
    currency: str
    numbers: tuple[str, ...]
    """Dialled numbers: exact, or Asterisk patterns ("_8800XXXXXXX")."""
    start: NodeId
    operator: NodeId
    """Where the flow goes when it cannot go on (failed prompts, step limit)."""
    nodes: Mapping[NodeId, Node]
    calendar: Calendar
    min_confidence: float
    max_steps: int
    variables: frozenset[str] = field(default_factory=frozenset)


def exits(node: Node) -> Iterator[tuple[str, NodeId]]:
    """(field, target) for every way out of `node`."""
    match node:
        case PlayNode() | SetNode() | CallbackNode() | SurveyNode():
            yield "next", node.next
        case MenuNode():
            for i, choice in enumerate(node.choices):
                yield f"choices[{i}].goto", choice.goto
            yield "default", node.default
        case CollectNode():
            yield "next", node.next
            yield "on_failure", node.on_failure
            if node.store is not None:
                yield "store_reading.on_error", node.store.on_error
        case LookupNode():
            yield "next", node.next
            yield "on_failure", node.on_failure
        case BranchNode():
            for i, case in enumerate(node.cases):
                yield f"cases[{i}].goto", case.goto
            yield "else", node.otherwise
        case QueueNode() | VoicemailNode() | TransferNode() | HangupNode():
            return
