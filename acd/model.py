"""ACD value types: ids, agent states, queue configuration, agents and call requests.

Plain frozen values only; the routing decisions live in `acd.engine`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import NewType

from telephony.model import CallId, ChannelId, PbxId

QueueId = NewType("QueueId", str)
AgentId = NewType("AgentId", str)


def _no_levels() -> Mapping[str, int]:
    return MappingProxyType({})


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RESERVED = "reserved"
    """Chosen for a call; the agent's phone is about to ring."""
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    ROUND_ROBIN = "round_robin"
    """Round robin with memory: the member after the last one offered a call."""
    BEST_SKILL = "best_skill"
    """The highest sum of levels over the call's required skills; then longest idle."""


class ExitKind(StrEnum):
    """Where a call goes when it leaves its queue without an agent."""

    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    QUEUE = "queue"
    HANGUP = "hangup"
    """Play the exit's message, then hang up."""


class ExitReason(StrEnum):
    MAX_WAIT = "max_wait"
    QUEUE_FULL = "queue_full"
    OVERFLOW = "overflow"
    NO_QUEUE = "no_queue"
    """An exit or overflow named a queue the engine does not know."""
    CALLER_CHOICE = "caller_choice"
    """The caller took an offered option (voicemail, callback)."""
    CALLBACK_FAILED = "callback_failed"
    """Every attempt to call the caller back failed."""
    PBX_GONE = "pbx_gone"
    """The PBX went away under the waiting call (a restart): nobody abandoned it."""


class OverflowKind(StrEnum):
    TO_QUEUE = "to_queue"
    RELAX_SKILLS = "relax_skills"
    OFFER_VOICEMAIL = "offer_voicemail"
    OFFER_CALLBACK = "offer_callback"


class TransferMode(StrEnum):
    BLIND = "blind"
    ATTENDED = "attended"


class TargetKind(StrEnum):
    """Where an agent sends their call."""

    QUEUE = "queue"
    AGENT = "agent"
    NUMBER = "number"


class CallPhase(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


PAUSE_NO_ANSWER = "no_answer"
"""The pause reason given to an agent who let an offered call ring out."""
PAUSE_DISCONNECTED = "disconnected"
"""The pause reason given to an agent whose desktop stayed away past the grace."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueExit:
    kind: ExitKind
    target_queue: QueueId | None = None
    """For `ExitKind.QUEUE`: the queue the call moves to."""
    message: str = ""
    """For `ExitKind.HANGUP`: the prompt played before hanging up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OverflowRule:
    """After `after_s` seconds waiting in the queue, apply this once."""

    after_s: float
    kind: OverflowKind
    target_queue: QueueId | None = None
    """For `OverflowKind.TO_QUEUE`."""
    relax_to: int = 0
    """For `OverflowKind.RELAX_SKILLS`: every skill minimum above it drops to it
    (0 removes the requirement)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    queue_id: QueueId
    strategy: Strategy = Strategy.LONGEST_IDLE
    overflow: tuple[OverflowRule, ...] = ()
    max_wait_s: float | None = None
    on_max_wait: QueueExit = QueueExit(kind=ExitKind.VOICEMAIL)
    max_length: int | None = None
    on_full: QueueExit = QueueExit(kind=ExitKind.HANGUP)
    ring_timeout_s: float = 15.0
    wrap_up_s: float = 10.0
    service_level_s: float = 20.0
    target_level: float = 0.8
    """The share of calls to answer within `service_level_s` (0..1)."""
    preferred_agent_s: float = 30.0
    """How long a call waits for its preferred agent before any agent may take it."""
    category_boost: Mapping[str, int] = field(default_factory=_no_levels)
    """Priority added for a customer category, e.g. {"vip": 10}."""
    callback_attempts: int | None = None
    """Tries to reach a caller who asked for a callback (None: the ACD's setting)."""
    callback_retry_s: float | None = None
    """Clock seconds between those tries (None: the ACD's setting)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Membership:
    queue_id: QueueId
    penalty: int = 0
    """Lower tiers are offered calls first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentProfile:
    agent_id: AgentId
    skills: Mapping[str, int] = field(default_factory=_no_levels)
    """Skill name to level, e.g. {"billing": 3, "russian": 5}; absent means 0."""
    languages: frozenset[str] = frozenset()
    memberships: tuple[Membership, ...] = ()
    pbx_id: PbxId | None = None
    """The PBX the agent's phone is on: only calls there are offered to them (a
    bridge cannot join channels of two servers). None: calls of any PBX."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRequest:
    """What the IVR and the CRM ask of the call's agent."""

    call_id: CallId
    queue_id: QueueId
    skills: Mapping[str, int] = field(default_factory=_no_levels)
    """Skill name to minimum level."""
    priority: int = 0
    language: str | None = None
    preferred_agent: AgentId | None = None
    """The agent who owns the caller's open appeal."""
    category: str | None = None
    arrived_at: datetime | None = None
    """When the caller started waiting (defaults to the enqueue time)."""
    pbx_id: PbxId | None = None
    """The PBX the caller is on: only agents there may take the call (None: any)."""


def parse_skill(text: str) -> tuple[str, int]:
    """`"billing:3"` -> `("billing", 3)`; a bare name means level 1."""
    name, _, level = text.partition(":")
    if not name.strip():
        raise ValueError(f"skill without a name: {text!r}")
    return name.strip(), int(level) if level else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSession:
    """A logged-in agent's state as the ACD keeps it across its own restart
    (`acd.engine.AcdEngine.session`, `restore_agent`). An agent being offered a
    call is kept as ready: the offer does not outlive the service."""

    agent_id: AgentId
    state: AgentState
    since: datetime
    """When the agent entered `state` (for a call, its answer)."""
    reason: str = ""
    """The pause reason, when paused."""
    pending_pause: str | None = None
    """A pause asked for during a call, taken when it is over."""
    call_id: CallId | None = None
    """The call on hand (`ON_CALL`) or being wrapped up (`WRAP_UP`)."""
    queue_id: QueueId | None = None
    """That call's queue."""
    talk_s: float = 0.0
    """For `WRAP_UP`: how long the call was talked."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KeptCallback:
    """A callback the ACD owes, kept across its own restart: the caller hung up to
    be called back on `number` when their turn comes."""

    request: CallRequest
    """The call as queued (`arrived_at` set: its place in the queue)."""
    pbx_id: PbxId
    number: str
    attempts: int = 0
    """Tries that failed so far."""
    not_before: datetime | None = None
    """The next try is not before then."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Kept:
    """What the ACD keeps across its own restart."""

    agents: tuple[AgentSession, ...] = ()
    callbacks: tuple[KeptCallback, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferCall:
    """Ring the agent's endpoint and bridge it to the waiting caller."""

    call_id: CallId
    agent_id: AgentId
    queue_id: QueueId
    ring_timeout_s: float
    callback: bool = False
    """The caller hung up to be called back: dial them once the agent answers,
    rather than bridging a waiting channel."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOffer:
    """Stop ringing the agent: the offer timed out or the caller hung up."""

    call_id: CallId
    agent_id: AgentId


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferOptions:
    """Tell the waiting caller they may leave a voicemail or ask for a callback."""

    call_id: CallId
    queue_id: QueueId
    options: tuple[ExitKind, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitQueue:
    """The call leaves the ACD: take it to voicemail, a callback or a final message."""

    call_id: CallId
    queue_id: QueueId
    reason: ExitReason
    exit: QueueExit


Command = OfferCall | CancelOffer | OfferOptions | ExitQueue


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedCall:
    """An agent's answered ACD call, as the PBX knows it (for transfers)."""

    call_id: CallId
    queue_id: QueueId
    pbx_id: PbxId
    caller_channel: str | None
    """The caller's channel, bridged to the agent (None for a callback: the
    customer's leg was dialled by the agent's own)."""
    agent_leg: ChannelId
    """The agent's originated leg (its Uniqueid): it finds the call in the
    tracker for as long as the call lives, but it is not the agent's channel to
    act on: on Asterisk that Local pair is optimised away about 12 ms after the
    phone answers (the phone's channel is the tracker's `Call.peer`)."""
