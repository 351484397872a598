"""The ACD's queues and agents' seats as an administrator edits them: the input
models (the one validator for the page, the store and the first-start defaults),
the rules across records (a seat's queues exist, a queue in use stays) and the
engine's values made from them. Pure: the store and the running ACD are
`acd.administration`'s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from acd.dialing import AgentSeat
from acd.model import (
    AgentId,
    AgentProfile,
    ExitKind,
    Membership,
    OverflowKind,
    OverflowRule,
    QueueConfig,
    QueueExit,
    QueueId,
    Strategy,
)
from crm_core.errors import FieldError, ValidationFailed
from telephony.model import PbxId

CODE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
"""A queue's or a skill's code: what the IVR flows and the dialplan name."""
LOGIN = r"^\S{1,64}$"
ENDPOINT = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
"""Dialled as `Local/<endpoint>@cc-agent`: no character the dialplan reads."""
LANGUAGE = r"^[a-z]{2,3}$"

IS_TAKEN = "is taken"
NO_SUCH_QUEUE = "no such queue"
NO_SUCH_PBX = "no such PBX"
OWN_QUEUE = "cannot overflow to itself"
NEEDS_QUEUE = "names the queue to overflow to"
NEEDS_KIND = "names what to do after the wait"
NEEDS_WAIT = "names the wait before the overflow"
ENDPOINT_TAKEN = "is another seat's phone"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class QueueInput(_Input):
    """A queue: how it picks agents, how long things take, where calls overflow."""

    queue_id: Annotated[str, Field(pattern=CODE)]
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout_s: Annotated[float, Field(gt=0, le=600)] = 15.0
    max_wait_s: Annotated[float | None, Field(gt=0, le=86_400)] = None
    """Past it the caller leaves by `max_wait_exit`; None: they wait for ever."""
    max_wait_exit: Literal[ExitKind.VOICEMAIL, ExitKind.CALLBACK, ExitKind.QUEUE] = (
        ExitKind.VOICEMAIL
    )
    max_wait_queue: Annotated[str | None, Field(pattern=CODE)] = None
    """For `ExitKind.QUEUE`: where the caller goes after the longest wait."""
    wrap_up_s: Annotated[float, Field(ge=0, le=3600)] = 10.0
    service_level_s: Annotated[float, Field(gt=0, le=3600)] = 20.0
    target_level: Annotated[float, Field(gt=0, lt=1)] = 0.8
    """The share of calls to answer within `service_level_s`."""
    overflow_after_s: Annotated[float | None, Field(gt=0, le=86_400)] = None
    overflow_kind: OverflowKind | None = None
    overflow_queue: Annotated[str | None, Field(pattern=CODE)] = None
    """For `OverflowKind.TO_QUEUE`."""

    def config(self) -> QueueConfig:
        """The engine's configuration of this queue."""
        overflow: tuple[OverflowRule, ...] = ()
        if self.overflow_kind is not None and self.overflow_after_s is not None:
            target = QueueId(self.overflow_queue) if self.overflow_queue else None
            overflow = (
                OverflowRule(
                    after_s=self.overflow_after_s,
                    kind=self.overflow_kind,
                    target_queue=target,
                ),
            )
        return QueueConfig(
            queue_id=QueueId(self.queue_id),
            strategy=self.strategy,
            overflow=overflow,
            max_wait_s=self.max_wait_s,
            on_max_wait=QueueExit(
                kind=self.max_wait_exit,
                target_queue=QueueId(self.max_wait_queue)
                if self.max_wait_exit is ExitKind.QUEUE and self.max_wait_queue
                else None,
            ),
            ring_timeout_s=self.ring_timeout_s,
            wrap_up_s=self.wrap_up_s,
            service_level_s=self.service_level_s,
            target_level=self.target_level,
        )


def overflow_problems(queue: QueueInput) -> list[FieldError]:
    """An overflow is a wait and what to do after it (to a queue: which one); so
    is leaving after the longest wait for another queue."""
    return _exit_problems(queue) + _overflow_problems(queue)


def _exit_problems(queue: QueueInput) -> list[FieldError]:
    if queue.max_wait_exit is not ExitKind.QUEUE:
        return []
    if not queue.max_wait_queue:
        return [FieldError("max_wait_queue", NEEDS_QUEUE)]
    if queue.max_wait_queue == queue.queue_id:
        return [FieldError("max_wait_queue", OWN_QUEUE)]
    return []


def _overflow_problems(queue: QueueInput) -> list[FieldError]:
    if queue.overflow_kind is None:
        if queue.overflow_after_s is not None:
            return [FieldError("overflow_kind", NEEDS_KIND)]
        return []
    if queue.overflow_after_s is None:
        return [FieldError("overflow_after_s", NEEDS_WAIT)]
    if queue.overflow_kind is OverflowKind.TO_QUEUE and not queue.overflow_queue:
        return [FieldError("overflow_queue", NEEDS_QUEUE)]
    if queue.overflow_queue == queue.queue_id:
        return [FieldError("overflow_queue", OWN_QUEUE)]
    return []


Level = Annotated[int, Field(ge=1, le=10)]
Penalty = Annotated[int, Field(ge=0, le=100)]


class SeatInput(_Input):
    """An agent's seat: their login, their phone, what they can take."""

    login: Annotated[str, Field(pattern=LOGIN)]
    endpoint: Annotated[str, Field(pattern=ENDPOINT)]
    pbx: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    """The PBX the phone is registered on; None: the first."""
    skills: dict[Annotated[str, Field(pattern=CODE)], Level] = Field(
        default_factory=dict
    )
    languages: list[Annotated[str, Field(pattern=LANGUAGE)]] = Field(
        default_factory=list
    )
    queues: dict[Annotated[str, Field(pattern=CODE)], Penalty] = Field(
        default_factory=dict
    )
    """Queue to penalty: lower tiers are offered calls first."""

    def seat(self, default_pbx: PbxId) -> AgentSeat:
        """The ACD's seat: the agent's routing profile and phone."""
        return AgentSeat(
            profile=AgentProfile(
                agent_id=AgentId(self.login),
                skills=dict(self.skills),
                languages=frozenset(self.languages),
                memberships=tuple(
                    Membership(queue_id=QueueId(q), penalty=p)
                    for q, p in self.queues.items()
                ),
            ),
            endpoint=self.endpoint,
            pbx_id=PbxId(self.pbx) if self.pbx else default_pbx,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Configuration:
    """Every queue and seat, as stored and served."""

    queues: tuple[QueueInput, ...] = ()
    seats: tuple[SeatInput, ...] = ()

    def queue(self, queue_id: str) -> QueueInput | None:
        return next((q for q in self.queues if q.queue_id == queue_id), None)

    def seat(self, login: str) -> SeatInput | None:
        return next((s for s in self.seats if s.login == login), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueInUse:
    """Why a queue cannot be deleted now (empty: it can)."""

    members: tuple[str, ...] = ()
    """Seats in it."""
    overflow_from: tuple[str, ...] = ()
    """Queues overflowing to it, or sending callers there after their longest
    wait."""
    default: bool = False
    """Calls asking for an unknown queue go there."""
    waiting: int = 0
    """Calls in it now."""
    flows: tuple[str, ...] = ()
    """IVR flows handing calls to it."""

    def __bool__(self) -> bool:
        return bool(
            self.members
            or self.overflow_from
            or self.default
            or self.waiting
            or self.flows
        )


class ConfigurationRefused(Exception):
    """A deletion not allowed now: `in_use` or `logged_in` says why (neither:
    there is no such queue or seat)."""

    def __init__(
        self, subject: str, *, in_use: QueueInUse | None = None, logged_in: bool = False
    ) -> None:
        super().__init__(subject)
        self.in_use = in_use
        self.logged_in = logged_in


def with_queue(config: Configuration, queue: QueueInput, *, new: bool) -> Configuration:
    """`config` with `queue` added (`new`) or changed. ValidationFailed naming the
    field: a taken code, an overflow to a queue that does not exist."""
    problems = overflow_problems(queue)
    known = {q.queue_id for q in config.queues}
    if new and queue.queue_id in known:
        problems.append(FieldError("queue_id", IS_TAKEN))
    if not new and queue.queue_id not in known:
        problems.append(FieldError("queue_id", NO_SUCH_QUEUE))
    for name, target in (
        ("overflow_queue", queue.overflow_queue),
        ("max_wait_queue", queue.max_wait_queue),
    ):
        if target is not None and target not in known | {queue.queue_id}:
            problems.append(FieldError(name, NO_SUCH_QUEUE))
    if problems:
        raise ValidationFailed(problems)
    others = tuple(q for q in config.queues if q.queue_id != queue.queue_id)
    return replace(config, queues=tuple(sorted((*others, queue), key=_queue_key)))


def queue_in_use(
    config: Configuration,
    queue_id: str,
    *,
    default_queue: str | None,
    waiting: int,
    flows: Sequence[str] = (),
) -> QueueInUse:
    """What keeps `queue_id` from being deleted: seats in it, queues overflowing to
    it, being the default queue, calls in it (`waiting`, as the ACD counts them),
    IVR flows handing calls to it (`flows`)."""
    return QueueInUse(
        flows=tuple(flows),
        members=tuple(s.login for s in config.seats if queue_id in s.queues),
        overflow_from=tuple(
            q.queue_id
            for q in config.queues
            if q.queue_id != queue_id
            and (
                q.overflow_queue == queue_id
                or (q.max_wait_exit is ExitKind.QUEUE and q.max_wait_queue == queue_id)
            )
        ),
        default=queue_id == default_queue,
        waiting=waiting,
    )


def without_queue(
    config: Configuration, queue_id: str, in_use: QueueInUse
) -> Configuration:
    """`config` without the queue; ConfigurationRefused while it is in use."""
    if config.queue(queue_id) is None:
        raise ConfigurationRefused(queue_id)
    if in_use:
        raise ConfigurationRefused(queue_id, in_use=in_use)
    return replace(
        config, queues=tuple(q for q in config.queues if q.queue_id != queue_id)
    )


def with_seat(
    config: Configuration,
    seat: SeatInput,
    *,
    new: bool,
    pbxs: Collection[str],
) -> Configuration:
    """`config` with `seat` added (`new`) or changed. ValidationFailed naming the
    field: a taken login, a queue or PBX that does not exist, a phone another seat
    on the same PBX has."""
    problems: list[FieldError] = []
    taken = config.seat(seat.login) is not None
    if new and taken:
        problems.append(FieldError("login", IS_TAKEN))
    if seat.pbx is not None and seat.pbx not in pbxs:
        problems.append(FieldError("pbx", NO_SUCH_PBX))
    known = {q.queue_id for q in config.queues}
    problems += [
        FieldError(f"queues.{q}", NO_SUCH_QUEUE) for q in seat.queues if q not in known
    ]
    first = next(iter(pbxs), None)
    if any(
        s.login != seat.login
        and s.endpoint == seat.endpoint
        and (s.pbx or first) == (seat.pbx or first)
        for s in config.seats
    ):
        problems.append(FieldError("endpoint", ENDPOINT_TAKEN))
    if problems:
        raise ValidationFailed(problems)
    others = tuple(s for s in config.seats if s.login != seat.login)
    return replace(config, seats=tuple(sorted((*others, seat), key=_seat_key)))


def without_seat(
    config: Configuration, login: str, *, logged_in: bool
) -> Configuration:
    """`config` without the seat; ConfigurationRefused for none, or while its agent
    is logged in (their calls would lose their phone)."""
    if config.seat(login) is None:
        raise ConfigurationRefused(login)
    if logged_in:
        raise ConfigurationRefused(login, logged_in=True)
    return replace(config, seats=tuple(s for s in config.seats if s.login != login))


def seats_of(config: Configuration, default_pbx: PbxId) -> tuple[AgentSeat, ...]:
    return tuple(seat.seat(default_pbx) for seat in config.seats)


def queues_of(config: Configuration) -> tuple[QueueConfig, ...]:
    return tuple(queue.config() for queue in config.queues)


def _queue_key(queue: QueueInput) -> str:
    return queue.queue_id


def _seat_key(seat: SeatInput) -> str:
    return seat.login
